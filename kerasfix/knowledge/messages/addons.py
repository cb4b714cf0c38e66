"""Catalogue area: addons (see the package docstring).

The TensorFlow add-ons ship native ops compiled against one TensorFlow release (tensorflow-text,
tensorflow-io, tensorflow-addons, tensorflow-decision-forests ...) or check TensorFlow's version
at import (tensorflow-probability, tensorflow-addons); the Keras-2 libraries (TFP, TF-Hub, TF-DF,
TFMOT, TF-Recommenders) need tf-keras on TensorFlow >= 2.16; keras-nlp / keras-cv / keras-hub
need Keras 3; transformers' TF models need Keras 2.
"""

from __future__ import annotations

from kerasfix.knowledge.messages.records import Cause, Signature
from kerasfix.knowledge.messages.texts import KERAS3_FIRST, TRANSFORMERS_TF_LAST

# The add-ons' top-level folders that hold native ops (their .so files are built against one
# TensorFlow); "_tfa" covers tensorflow-addons' custom-op file names.
ADDON_DIRS = (r"tensorflow_(?:text|io(?:_gcs_filesystem)?|addons|decision_forests"
              r"|recommenders_addons|compression)")
_ADDON_SO = rf"(?P<addon>{ADDON_DIRS})[/\\][^\s'\"]*?\.so[\d.]*"
# The Keras-2 add-ons: they import tf_keras (or tf.keras as Keras 2).
TF_KERAS_ADDONS = (r"tensorflow_(?:probability|hub|decision_forests|model_optimization"
                   r"|recommenders)")
KERAS3_LIBS = r"keras_(?:nlp|cv|hub)"
_QUOTE = "['\"]?"
_WINDOWS = (r"(?:^|[\s\"'(])[A-Za-z]:\\", r"\\[Ll]ib\\site-packages\\", r"\\AppData\\")

_TFA_RANGE = ("https://github.com/tensorflow/addons/blob/master/tensorflow_addons/utils/"
              "ensure_tf_install.py")

CAUSES: tuple[Cause, ...] = (
    Cause("transformers-sets-legacy", "transformers switched TF_USE_LEGACY_KERAS on",
          "Importing a transformers TF model sets TF_USE_LEGACY_KERAS=1 inside the process, so"
          " tf.keras then needs tf-keras even though you never set the variable.",
          'python -c "import transformers, tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (pinned: a plain `pip install tf-keras` can'
          " replace TensorFlow)", ("transformers-needs-tf-keras",), "S3",
          hints=(r"transformers[/\\]",),
          sources=("https://github.com/huggingface/transformers/pull/29598",
                   "https://github.com/huggingface/transformers/pull/40391")),
    Cause("transformers-needs-tf-keras", "transformers' TensorFlow models need tf-keras",
          f"transformers < {TRANSFORMERS_TF_LAST} supports only Keras 2 for its TF* models: it"
          " imports tf_keras and refuses Keras 3. PyTorch models are unaffected.",
          'python -c "import tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor; pin it, a plain'
          " `pip install tf-keras` can replace TensorFlow)", ("transformers-needs-tf-keras",),
          "S3",
          sources=("https://github.com/huggingface/transformers/issues/36410",
                   "https://github.com/huggingface/transformers/issues/34761",
                   "https://github.com/atomashevic/transforEmotion/issues/16")),
    Cause("addon-tf-mismatch", "An add-on built for another TensorFlow",
          "TensorFlow add-ons with native ops (tensorflow-text, tensorflow-io, tensorflow-addons,"
          " tensorflow-decision-forests) are compiled against one TensorFlow release, from"
          " PyPI: with another TensorFlow minor, or a TensorFlow built by conda, NGC, ROCm or"
          " from source, their .so files fail to load (undefined symbol, Op type not"
          " registered). tensorflow-probability and tensorflow-addons check TensorFlow's"
          " version at import instead.",
          "python -m pip list | grep -i tensorflow",
          'pin the add-on to the TensorFlow line (e.g. python -m pip install'
          ' "tensorflow-text~=2.N.0"; tensorflow-io, tensorflow-addons and'
          " tensorflow-probability per their compatibility tables), or TensorFlow to the"
          " add-on's; with a conda or source-built TensorFlow, install TensorFlow from PyPI"
          " (or build the add-on against it)",
          ("addon-tf-mismatch",), None,
          # a TensorFlow that is not PyPI's: same version, another ABI
          hints=(r"\b(?:ana|mini)?conda\d?\b|conda-forge|\bROCm\b|nvcr\.io|tf[-_]nightly",),
          sources=("https://github.com/tensorflow/text/issues/961",
                   "https://github.com/tensorflow/decision-forests/issues/214",
                   "https://github.com/tensorflow/io/issues/1871",
                   "https://github.com/tensorflow/probability/issues/1854",
                   "https://github.com/tensorflow/addons/issues/1716",
                   "tests/test_area_addons.py::test_tfp_refuses_an_older_tensorflow")),
    Cause("addon-end-of-life", "The add-on has reached its end of life",
          "tensorflow-addons ended development (minimal maintenance until May 2024, no release"
          " for newer TensorFlow or Python) and tensorflow-io stopped following TensorFlow:"
          " newer TensorFlow or Python have no build of them.",
          "python -m pip index versions tensorflow-addons",
          "replace it: most of TFA lives on in Keras (e.g. keras.layers.GroupNormalization,"
          " keras.optimizers.AdamW), keras-cv / keras-hub; or pin the whole stack to the last"
          " TensorFlow and Python it supports", ("addon-end-of-life",), None, static=False,
          hints=(r"(?:satisfies the requirement|distribution found for) tensorflow[-_]"
                 r"(?:addons|io)(?![\w-])",),
          sources=("https://github.com/tensorflow/addons/issues/2807",
                   "https://github.com/open-ce/open-ce/issues/1059",
                   "https://github.com/aeon-toolkit/aeon/issues/1144")),
    Cause("addon-needs-tf-keras", "A Keras-2 add-on without tf-keras",
          f"tensorflow-probability, -hub, -decision-forests, -model-optimization and"
          f" -recommenders are built on Keras 2; from TensorFlow {KERAS3_FIRST} tf.keras is"
          " Keras 3, so they need the tf-keras package (Keras 2) next to it and refuse Keras 3"
          " models and layers.", 'python -c "import tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor; pin it, a plain'
          " `pip install tf-keras` can replace TensorFlow), or tensorflow-probability[tf];"
          " build the models you hand to the add-on with tf_keras",
          ("addon-needs-tf-keras",), None,
          hints=(rf"{TF_KERAS_ADDONS}[/\\]",),
          sources=("https://github.com/bayesflow-org/bayesflow/issues/148",
                   "https://github.com/tensorflow/probability/issues/1847",
                   "https://github.com/keras-team/keras/issues/23082",
                   "tests/test_area_addons.py::test_tfp_without_tf_keras",
                   "tests/test_area_addons.py::test_real_tfp_without_tf_keras")),
    Cause("keras-lib-needs-keras3", "keras-nlp / keras-cv / keras-hub need Keras 3",
          "keras-hub (and keras-nlp / keras-cv since 0.8) are written for Keras 3 (`keras.ops`,"
          f" `keras.config`); with Keras 2 (TensorFlow before {KERAS3_FIRST}) they fail at"
          " import or refuse their models.",
          'python -c "import keras; print(keras.__version__)"',
          f"upgrade to TensorFlow >= {KERAS3_FIRST} with Keras 3 (kerasfix fix --strategy"
          " upgrade), or pin the library to its last Keras-2 release",
          ("keras-lib-needs-keras3",), None, hints=(rf"{KERAS3_LIBS}[/\\]",),
          sources=("https://github.com/microsoft/tensorflow-directml-plugin/issues/380",
                   "https://github.com/keras-team/keras-hub/issues/1279")),
    Cause("addon-platform-unsupported", "The add-on has no build for this platform",
          "Several add-ons publish native builds for Linux x86_64 (and some for macOS) only:"
          " tensorflow-decision-forests has no working Windows or Linux ARM build,"
          " tensorflow-text none for Windows after 2.10; their .so files then fail to load"
          " even though the file is there.",
          "python -c \"import platform; print(platform.system(), platform.machine())\"",
          "use Linux x86_64 (WSL2 on Windows, a container on ARM) for this add-on, or its"
          " successor (ydf for decision forests)", (), None, static=False,
          hints=(*_WINDOWS, r"aarch64|arm64"),
          sources=("https://github.com/tensorflow/decision-forests/issues/223",
                   "https://github.com/tensorflow/decision-forests/issues/238")),
)

SIGNATURES: tuple[Signature, ...] = (
    Signature("transformers-keras3",
              (r"Your currently installed version of Keras is Keras 3, but this is not yet"
               r"\s+supported in Transformers",),
              "transformers' TF models refuse Keras 3 and need tf-keras",
              ("transformers-needs-tf-keras",), priority=3, scenario="S3"),
    # TensorFlow's own libraries; a line naming an add-on's .so is the add-on's (below)
    Signature("undefined-symbol",
              (rf"^(?!.*{ADDON_DIRS}[/\\])"
               r".*(?:libtfkernel\w*|_pywrap_\w+|libtensorflow(?!_io)\w*)\.so[\d.]*: undefined"
               r" symbol",
               rf"^(?!.*{ADDON_DIRS}[/\\]).*undefined symbol: \S*tensorflow"),
              "native libraries from two TensorFlow builds are mixed",
              ("tensorflow-folder-clobbered", "user-site-copy", "wheel-for-another-python"),
              priority=3, scenario="S9"),
    Signature("addon-so-undefined-symbol",
              (rf"{_ADDON_SO}'?\]?:?\s*undefined\s+s\s*ymbol",
               rf"{_ADDON_SO}, \w+\):? [Ss]ymbol not found",  # macOS dlopen wording
               r"TensorFlow Addons has compiled its custom ops against TensorFlow",
               r"custom c\+\+ tensorflow ops\. This error is likely caused the version of"
               r" TensorFlow and TensorFlow Decision Forests are not compatible",
               r"Op type not registered '(?P<op>SimpleML\w+)'"),
              "an add-on's native ops were built for another TensorFlow",
              ("addon-tf-mismatch",), priority=3,
              sources=("https://github.com/tensorflow/text/issues/551",
                       "https://github.com/tensorflow/io/issues/2137",
                       "https://github.com/tensorflow/decision-forests/issues/217")),
    Signature("addon-so-not-loaded",
              (rf"(?:{_ADDON_SO}|\b_\w+_ops\.so) not found",
               rf"{_ADDON_SO}: cannot open shared object file"),
              "an add-on's native library does not load",
              ("addon-tf-mismatch", "addon-platform-unsupported"), priority=3,
              sources=("https://github.com/tensorflow/text/issues/567",
                       "https://github.com/tensorflow/tensorflow/issues/72106")),
    Signature("addon-tf-version-check",
              (r"Tensorflow Addons supports using Python ops for all Tensorflow versions above"
               r" or equal to (?P<low>[\w.]+) and strictly below (?P<high>[\w.]+)",
               r"This version of TensorFlow (?:Probability|Addons|\w+) requires TensorFlow\s+"
               r"version >= ?(?P<need>[\d.]+); Detected an installation of version"
               r" (?P<have>[\w.+-]+)",
               r"Arg specs do not match: original=FullArgSpec"),
              "the add-on does not support the installed TensorFlow",
              ("addon-tf-mismatch",), priority=3,
              sources=(_TFA_RANGE, "https://github.com/tensorflow/probability/issues/850",
                       "https://github.com/tensorflow/tensorflow/issues/62048")),
    Signature("addon-pip-pin",
              (r"(?<![\w.-])(?P<addon>tensorflow[-_](?:text|io|addons|probability|decision[-_]"
               r"forests|recommenders|hub|model[-_]optimization)|tfa-nightly)"
               r" [\w.+!]+ (?:requires|has requirement|depends on) tensorflow(?:[-_]\w+)?"
               r"\s*[<>=~!(]",),
              "pip installed a TensorFlow the add-on does not declare",
              ("addon-tf-mismatch",), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/41954",
                       "https://github.com/tensorflow/decision-forests/issues/215")),
    Signature("addon-eol-warning",
              (r"TensorFlow Addons \(TFA\) has ended development",
               r"TFA has entered a minimal maintenance and release mode"),
              "tensorflow-addons is at its end of life (a warning; an error elsewhere may be"
              " the real one)", ("addon-end-of-life",), priority=0,
              sources=("https://github.com/Kohulan/DECIMER-Image_Transformer/pull/74",
                       "https://github.com/google-research/google-research/issues/2346")),
    Signature("addon-no-release",
              (r"(?:Could not find a version that satisfies the requirement|No matching"
               r" distribution found for) tensorflow[-_](?:addons|io)(?![\w-])",),
              "pip has no build of the add-on for this Python or platform",
              ("addon-end-of-life", "python-unsupported"), priority=3,
              sources=("https://github.com/tensorflow/addons/issues/2807",)),
    Signature("addon-tf-keras-missing",
              (r"Failed to import TF-Keras\. Please note that TF-Keras is not installed by"
               r" default when you install TensorFlow Probability",
               rf"(?s){TF_KERAS_ADDONS}[/\\].*No module named {_QUOTE}tf_keras{_QUOTE}(?![\w.])",
               rf"No module named {_QUOTE}tensorflow\.compat\.v2\.keras{_QUOTE}(?![\w.])"),
              "a Keras-2 add-on cannot import tf-keras",
              ("addon-needs-tf-keras",), priority=3,
              sources=("https://github.com/bayesflow-org/bayesflow/issues/148",
                       "https://github.com/tensorflow/probability/issues/2012",
                       "https://github.com/tensorflow/probability/issues/1847")),
    Signature("tfmot-keras3-model",
              (r"`prune_low_magnitude` can only prune an object of the following types:"
               r"[^\n]*You passed an object of type: (?!(?:Eager|Keras)?Tensor\b)\w+",
               r"`to_annotate` can only be a `(?:tf\.)?keras\.layers\.Layer` instance\."
               r" You passed an instance of type: (?!(?:Eager|Keras)?Tensor\b)\w+",
               r"`to_quantize` can only either be a (?:tf\.)?keras Sequential or Functional"
               r" model\."),
              "tensorflow-model-optimization got a Keras 3 model (it takes tf_keras ones)",
              ("addon-needs-tf-keras",), priority=3,
              sources=("https://github.com/tensorflow/model-optimization/issues/1141",
                       "https://github.com/tensorflow/model-optimization/issues/1167",
                       "https://github.com/gaoshen90/XLCNet/issues/1")),
    Signature("tfmot-tensor-not-layer",
              (r"`prune_low_magnitude` can only prune an object of the following types:"
               r"[^\n]*You passed an object of type: (?:Eager|Keras)?Tensor\b",),
              "prune_low_magnitude was given a layer's output tensor, not the layer (wrap the"
              " layer, then call it: prune_low_magnitude(Conv2D(...))(x))", (), priority=3,
              outside=True,
              sources=("https://github.com/tensorflow/model-optimization/issues/434",
                       "https://github.com/tensorflow/model-optimization/issues/928")),
    Signature("keras-lib-keras3-only",
              (r"`?\b\w+`? requires Keras 3\. Run `pip install -U keras`",),
              "the library needs Keras 3, and Keras 2 is installed",
              ("keras-lib-needs-keras3",), priority=3,
              sources=("https://github.com/keras-team/keras-hub/issues/1279",)),
    # keras.ops and friends are Keras 3 only: the code or a Keras-3 library meets Keras 2
    Signature("keras3-module-missing",
              (r"cannot import name '(?:ops|config|saving|random|tree)' from 'keras'",
               r"module 'keras' has no attribute '(?:ops|config)'"),
              "Keras 3 API (keras.ops, keras.config) asked of a Keras 2 install",
              ("keras-lib-needs-keras3", "removed-keras-path"), priority=2,
              sources=("https://github.com/microsoft/tensorflow-directml-plugin/issues/380",)),
)
