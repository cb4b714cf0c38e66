"""The runtime check's step names and verdicts: small enums that findings, reports and the fix
verifier name without importing the runtime check itself (subprocesses, threads)."""

from __future__ import annotations

from kerasfix.enums import TextEnum


class RuntimeStep(TextEnum):
    """Runtime steps of the deep check a finding predicts will fail."""

    IMPORT_TENSORFLOW = "import_tensorflow"
    TF_KERAS_ATTRIBUTE = "tf_keras_attribute"  # tf.keras.Model (the lazy loader's route)
    TF_KERAS = "tf_keras_models"  # from tensorflow.keras.models import Sequential
    FIT = "fit"
    IMPORT_KERAS = "import_keras"
    IMPORT_TF_KERAS = "import_tf_keras"


class RuntimeVerdict(TextEnum):
    """What the runtime check made of a finding's prediction (`Finding.runtime`)."""

    CONFIRMED = "confirmed"  # the predicted step failed (or a runtime-* finding: it happened)
    NOT_REPRODUCED = "not reproduced"  # the predicted step ran
