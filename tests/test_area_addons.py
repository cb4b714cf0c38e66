"""Catalogue area "addons": the TensorFlow add-ons (native ops built for one TensorFlow, version
checks at import, end of life), the Keras-2 add-ons that need tf-keras, and the Keras-3
libraries.

Messages are quoted from the public threads each signature records, or from real installs
(the experiment is named next to the message); checkers run against fabricated environments
(tests/fakeenv.py), and one realtf test imports a real tensorflow-probability without tf-keras.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.explain import CONFIRMED, RULED_OUT, UNKNOWN, diagnose, explain_text
from kerasfix.diagnose.explain.match import OUTSIDE

# Real install (uv, Python 3.11): tensorflow-cpu 2.16.2 + tensorflow-probability 0.24.0, no
# tf-keras; `python -c "import tensorflow_probability as tfp; tfp.distributions.Normal"` prints:
TFP_NO_TF_KERAS = (
    "Failed to import TF-Keras. Please note that TF-Keras is not installed by default when you"
    " install TensorFlow Probability. This is so that JAX-only users do not have to install"
    " TensorFlow or TF-Keras. To use TensorFlow Probability with TensorFlow, please install"
    " the tf-keras or tf-keras-nightly package.\nThis can be be done through installing the"
    " tensorflow-probability[tf] extra.\n\n\nTraceback (most recent call last):\n"
    '  File "/tmp/kf-addons-explain/tfp216/lib/python3.11/site-packages/tensorflow_probability/'
    'python/__init__.py", line 79, in _validate_tf_environment\n'
    "    import tf_keras  # pylint: disable=unused-import\n"
    "ModuleNotFoundError: No module named 'tf_keras'")
# Real install: tensorflow-cpu 2.15.1 + tensorflow-probability 0.24.0 (+ tf-keras 2.15.1):
TFP_OLD_TF = ("ImportError: This version of TensorFlow Probability requires TensorFlow version"
              " >= 2.16; Detected an installation of version 2.15.1. Please upgrade TensorFlow"
              " to proceed.")
TEXT_SO = ("tensorflow.python.framework.errors_impl.NotFoundError: /usr/local/lib/python3.12/"
           "dist-packages/tensorflow_text/python/ops/_boise_offset_converter.so: undefined"
           " symbol: _ZN6tflite4shim23TfShapeInferenceContextC1EPN10tensorflow15shape_inference"
           "16InferenceContextE")
TF_OWN_SO = ("ImportError: /usr/lib/python3/dist-packages/tensorflow/python/_pywrap_tensorflow"
             "_internal.so: undefined symbol: _ZN10tensorflow8OpKernel11TraceStringEv")


@pytest.mark.parametrize("text,signature,first", [
    (TEXT_SO, "addon-so-undefined-symbol", "addon-tf-mismatch"),
    # text#551: the terminal wrapped "undefined symbol" in two
    ("tensorflow.python.framework.errors_impl.NotFoundError: /home/pouramini/miniconda3/lib/"
     "python\n3.7/site-packages/tensorflow_text/python/metrics/_text_similarity_metric_ops.so:"
     " undefined s\nymbol: _ZN10tensorflow8OpKernel11TraceStringEPNS_15OpKernelContextEb",
     "addon-so-undefined-symbol", "addon-tf-mismatch"),
    # tensorflow/io#2137: macOS words it "symbol not found in flat namespace"
    ("caused by: [\"dlopen(.../myenv/lib/python3.12/site-packages/tensorflow_io/python/ops/"
     "libtensorflow_io.so, 0x0006): symbol not found in flat namespace '__ZN10tensorflow6tensor"
     "6ConcatERKN4absl12lts_202308024SpanIKNS_6TensorEEEPS4_'\"]",
     "addon-so-undefined-symbol", "addon-tf-mismatch"),
    ("WARNING:root:Failure to load the inference.so custom c++ tensorflow ops. This error is"
     " likely caused the version of TensorFlow and TensorFlow Decision Forests are not"
     " compatible. Full error:", "addon-so-undefined-symbol", "addon-tf-mismatch"),
    (TFP_OLD_TF, "addon-tf-version-check", "addon-tf-mismatch"),
    ("ValueError: Arg specs do not match: original=FullArgSpec(args=['input', 'dtype', 'name',"
     " 'layout'], varargs=None", "addon-tf-version-check", "addon-tf-mismatch"),
    ("tensorflow-decision-forests 1.5.0 requires tensorflow~=2.13.0, but you have tensorflow"
     " 2.16.1 which is incompatible.", "addon-pip-pin", "addon-tf-mismatch"),
    ("ERROR: tensorflow-text 2.4.3 has requirement tensorflow<2.5,>=2.4.0, but you'll have"
     " tensorflow 2.5.0 which is incompatible.", "addon-pip-pin", "addon-tf-mismatch"),
    ("ERROR: No matching distribution found for tensorflow-addons", "addon-no-release",
     "addon-end-of-life"),
    (TFP_NO_TF_KERAS, "addon-tf-keras-missing", "addon-needs-tf-keras"),
    ("ModuleNotFoundError: No module named 'tensorflow.compat.v2.keras'",
     "addon-tf-keras-missing", "addon-needs-tf-keras"),
    ("prune_low_magnitude can only prune an object of the following types: ... You passed an"
     " object of type: Functional.", None, None),  # no backticks: not tfmot's own wording
    ("ValueError: `prune_low_magnitude` can only prune an object of the following types:"
     " keras.models.Sequential, keras functional model, keras.layers.Layer, list of"
     " keras.layers.Layer. You passed an object of type: Sequential.", "tfmot-keras3-model",
     "addon-needs-tf-keras"),
    ("ValueError: `GemmaBackbone` requires Keras 3. Run `pip install -U keras` upgrade your"
     " Keras version", "keras-lib-keras3-only", "keras-lib-needs-keras3"),
    ("NotFoundError: C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python310\\lib\\"
     "site-packages\\tensorflow_decision_forests\\tensorflow\\ops\\inference\\inference.so"
     " not found", "addon-so-not-loaded", "addon-platform-unsupported"),
    ("NotFoundError: _text_similarity_metric_ops.so not found", "addon-so-not-loaded",
     "addon-tf-mismatch"),
])
def test_addon_messages_name_their_cause(text: str, signature: str | None,
                                         first: str | None) -> None:
    explanation = explain_text(text)
    ids = {m.signature.id for m in explanation.matches}
    if signature is None:
        assert not ids & {"tfmot-keras3-model", "tfmot-tensor-not-layer"}
        return
    assert signature in ids
    assert explanation.causes[0].id == first


def test_an_addon_so_is_not_taken_for_two_tensorflow_builds() -> None:
    ids = {m.signature.id for m in explain_text(TEXT_SO).matches}
    assert "undefined-symbol" not in ids
    # TensorFlow's own library still is
    own = explain_text(TF_OWN_SO)
    assert own.causes[0].id == "tensorflow-folder-clobbered"
    assert "addon-so-undefined-symbol" not in {m.signature.id for m in own.matches}


def test_tfp_warning_outranks_the_bare_tf_keras_import_error() -> None:
    causes = [c.id for c in explain_text(TFP_NO_TF_KERAS).causes]
    assert causes[0] == "addon-needs-tf-keras"
    assert "legacy-keras-without-tf-keras" in causes  # still offered, after it


def test_eol_warning_is_secondary_to_the_real_error() -> None:
    text = ("/home/gkws/venv/lib/python3.10/site-packages/tensorflow_addons/utils/tfa_eol_msg.py"
            ":23: UserWarning: \n\nTensorFlow Addons (TFA) has ended development and"
            " introduction of new features.\n" + TFP_OLD_TF)
    causes = [c.id for c in explain_text(text).causes]
    assert causes[:2] == ["addon-tf-mismatch", "addon-end-of-life"]


def test_pruning_a_tensor_is_the_codes_own_error() -> None:
    explanation = explain_text(
        "ValueError: `prune_low_magnitude` can only prune an object of the following types:"
        " tf.keras.models.Sequential, tf.keras functional model, tf.keras.layers.Layer, list"
        " of tf.keras.layers.Layer. You passed an object of type: Tensor.")
    assert explanation.causes == ()
    assert OUTSIDE in explanation.message


# ------------------------------------------------------------------ against a scan


def test_tfp_refuses_an_older_tensorflow(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.simple("tensorflow-probability", "0.24.0")
    verdict = diagnose(explain_text(TFP_OLD_TF), fake.scan()).verdicts[0]
    assert (verdict.cause.id, verdict.status) == ("addon-tf-mismatch", CONFIRMED)
    assert "TensorFlow 2.15.1 is installed; the add-on needs >= 2.16" in verdict.evidence


def test_a_newer_tensorflow_here_rules_the_version_check_out(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    verdict = diagnose(explain_text(TFP_OLD_TF), fake.scan()).verdicts[-1]
    assert (verdict.cause.id, verdict.status) == ("addon-tf-mismatch", RULED_OUT)


def test_tensorflow_text_pin_decides(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    fake.simple("tensorflow-text", "2.19.0", requires=["tensorflow<2.20,>=2.19.0"])
    verdict = diagnose(explain_text(TEXT_SO), fake.scan()).verdicts[0]
    assert (verdict.cause.id, verdict.status) == ("addon-tf-mismatch", CONFIRMED)
    assert any("requires tensorflow<2.20,>=2.19.0, but TensorFlow 2.18.1" in e
               for e in verdict.evidence)


def test_conda_tensorflow_with_a_pypi_addon(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1", installer="conda")
    fake.simple("tensorflow-text", "2.18.1", requires=["tensorflow<2.19,>=2.18.0"])
    verdict = diagnose(explain_text(TEXT_SO), fake.scan()).verdicts[0]
    assert verdict.status == CONFIRMED
    assert any("installed by conda" in e for e in verdict.evidence)


def test_tfp_without_tf_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.simple("tensorflow-probability", "0.25.0")
    diagnosis = diagnose(explain_text(TFP_NO_TF_KERAS), fake.scan())
    assert diagnosis.cause is not None and diagnosis.cause.id == "addon-needs-tf-keras"
    fake.tf_keras("2.18.0")
    verdicts = {v.cause.id: v for v in diagnose(explain_text(TFP_NO_TF_KERAS),
                                                fake.scan()).verdicts}
    assert verdicts["addon-needs-tf-keras"].status == RULED_OUT


def test_keras_hub_under_keras2(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.15.0")
    fake.simple("keras-hub", "0.18.1")
    text = "ImportError: cannot import name 'ops' from 'keras' (/v/site-packages/keras/__init__.py)"
    verdict = diagnose(explain_text(text), fake.scan()).verdicts[0]
    assert (verdict.cause.id, verdict.status) == ("keras-lib-needs-keras3", CONFIRMED)


def test_eol_warning_confirms_itself_and_platform_reads_the_interpreter(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    text = "TensorFlow Addons (TFA) has ended development and introduction of new features."
    verdict = diagnose(explain_text(text), fake.scan()).verdicts[0]
    assert (verdict.cause.id, verdict.status) == ("addon-end-of-life", CONFIRMED)
    windows = ("NotFoundError: C:\\Py\\lib\\site-packages\\tensorflow_decision_forests\\"
               "inference.so not found")
    verdicts = {v.cause.id: v.status for v in diagnose(explain_text(windows),
                                                       fake.scan()).verdicts}
    on_linux_x86 = sys.platform.startswith("linux") and platform.machine() == "x86_64"
    assert verdicts["addon-platform-unsupported"] in ((RULED_OUT,) if on_linux_x86 else
                                                       (CONFIRMED, UNKNOWN))


# ------------------------------------------------------------------ the real package


@pytest.mark.realtf
@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.machine() == "x86_64"),
                    reason="uses tensorflow-cpu wheels for Linux x86_64")
def test_real_tfp_without_tf_keras(tf218) -> None:
    """Real tensorflow-cpu 2.18.1 + tensorflow-probability 0.25.0 and no tf-keras: the import
    fails with TFP's own message, and explain plus a scan name the missing tf-keras."""
    from realenv import scenario_env

    env = scenario_env(tf218, "addons-tfp-no-tf-keras")
    try:
        env.pip("install", "tensorflow-probability==0.25.0")
        proc = subprocess.run([env.python, "-c", "import tensorflow_probability as tfp;"
                               " tfp.distributions.Normal"], capture_output=True, text=True,
                              env=env.user_env(), cwd=env.work, timeout=600)
        assert proc.returncode != 0
        text = proc.stdout + proc.stderr
        assert "Failed to import TF-Keras" in text
        diagnosis = diagnose(explain_text(text), env.scan())
        assert diagnosis.cause is not None and diagnosis.cause.id == "addon-needs-tf-keras"
    finally:
        env.remove()
