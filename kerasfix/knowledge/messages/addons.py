"""Catalogue area: addons (see the package docstring)."""

from __future__ import annotations

from kerasfix.knowledge.messages.records import Cause, Signature
from kerasfix.knowledge.messages.texts import TRANSFORMERS_TF_LAST

CAUSES: tuple[Cause, ...] = (
    Cause("transformers-sets-legacy", "transformers switched TF_USE_LEGACY_KERAS on",
          "Importing a transformers TF model sets TF_USE_LEGACY_KERAS=1 inside the process, so"
          " tf.keras then needs tf-keras even though you never set the variable.",
          'python -c "import transformers, tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (pinned: a plain `pip install tf-keras` can'
          " replace TensorFlow)", ("transformers-needs-tf-keras",), "S3",
          hints=(r"transformers[/\\]",)),
    Cause("transformers-needs-tf-keras", "transformers' TensorFlow models need tf-keras",
          f"transformers < {TRANSFORMERS_TF_LAST} supports only Keras 2 for its TF* models: it"
          " imports tf_keras and refuses Keras 3. PyTorch models are unaffected.",
          'python -c "import tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor; pin it, a plain'
          " `pip install tf-keras` can replace TensorFlow)", ("transformers-needs-tf-keras",),
          "S3"),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("transformers-keras3",
              (r"Your currently installed version of Keras is Keras 3, but this is not yet"
               r"\s+supported in Transformers",),
              "transformers' TF models refuse Keras 3 and need tf-keras",
              ("transformers-needs-tf-keras",), priority=3, scenario="S3"),
    Signature("undefined-symbol",
              (r"(?:libtfkernel\w*|_pywrap_\w+|libtensorflow\w*)\.so[\d.]*: undefined symbol",
               r"undefined symbol: \S*tensorflow"),
              "native libraries from two TensorFlow builds are mixed",
              ("tensorflow-folder-clobbered", "user-site-copy", "wheel-for-another-python"),
              priority=3, scenario="S9"),
)
