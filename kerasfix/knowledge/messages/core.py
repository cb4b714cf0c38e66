"""The core catalogue: the causes and signatures kerasfix started with (the scenario list
of tf-keras-compat.md and the real-package tiers). Area modules beside it add their own.
"""
from __future__ import annotations

from kerasfix import knowledge
from kerasfix.knowledge.messages.records import Cause, Signature, no_module
from kerasfix.knowledge.messages.texts import (
    API_V2,
    FIXED_LAST,
    KERAS2_LAST,
    KERAS3_FIRST,
    OLDEST,
    PIP_LIST,
    VERSIONS,
)

# ---------------------------------------------------------------- causes


CAUSES: tuple[Cause, ...] = (
    Cause("keras3-under-old-tf",
          f"Keras 3 is installed under TensorFlow {FIXED_LAST} or older",
          f"TensorFlow {OLDEST}-{FIXED_LAST} always load tf.keras from keras.api._v2.keras, a"
          f" folder only Keras {API_V2} ship. pip let Keras 3 in (no Keras release depends on"
          " TensorFlow), so `from tensorflow.keras ...` fails and tf.keras.X says No module named"
          " 'keras.api' or 'keras.api._v2'; `import keras` itself works.", VERSIONS,
          'python -m pip install "keras~=2.N.0" (N = your TensorFlow minor; 2.13: keras>=2.13.1'
          f',<2.14), or move to TensorFlow >= {KERAS3_FIRST}',
          ("keras3-under-tf-2.14-or-older",), "S2",
          sources=("https://github.com/keras-team/keras/issues/19390",)),
    Cause("tensorflow-without-keras", "TensorFlow is installed without any Keras",
          "No distribution provides the keras package (it was uninstalled, or TensorFlow came"
          " with --no-deps or from a distro/conda package). `import tensorflow` works; tf.keras"
          " fails with No module named 'tensorflow.keras' or 'Keras cannot be imported'.",
          'python -c "import keras"', 'python -m pip install "keras~=2.N.0" (TF <='
          f' {KERAS2_LAST}) or "keras>=3.K" (TF >= {KERAS3_FIRST}, K from TensorFlow\'s own'
          " pin)",
          ("tensorflow-without-keras",), "S23",
          sources=("tests/test_real_tensorflow.py::TestS23TensorflowWithoutKeras",)),
    Cause("pip-interrupted", "An interrupted pip run left a package half removed",
          "pip moves a package aside to a '~'-prefixed folder (~ensorflow, ~eras) while it"
          " uninstalls or upgrades it; when pip is killed the real folder is gone or"
          " half-replaced. pip then warns 'Ignoring invalid distribution ~...'.",
          "ls $(python -c \"import sysconfig;print(sysconfig.get_paths()['purelib'])\") |"
          " grep '^~'", "delete the ~-folders and reinstall the package with"
          " --force-reinstall --no-deps (kerasfix fix --strategy repair does both)",
          ("half-uninstalled-package", "interrupted-pip-leftovers"), "S16",
          sources=("https://github.com/pypa/pip/issues/9906",
                   "https://github.com/tensorflow/models/issues/10718")),
    Cause("local-file-shadows", "A file or folder of yours shadows the installed package",
          "A keras.py / tensorflow.py (or a keras/ or tensorflow/ folder) in the script's folder,"
          " the current folder or PYTHONPATH is imported instead of the installed package.",
          'python -c "import keras; print(keras.__file__)"  vs  python -I -c "import keras;'
          ' print(keras.__file__)"',
          "rename the file or folder and delete the __pycache__/*.pyc next to it",
          ("local-file-shadows-package",), "S15",
          hints=(r"partially initialized module",),
          sources=("tests/test_real_tensorflow.py::TestS15LocalKerasPy",
                   "https://github.com/tensorflow/tensorflow/issues/2370",
                   "https://github.com/keras-team/keras/issues/3165",
                   "https://github.com/tensorflow/tensorflow/issues/49518")),
    Cause("user-site-copy", "A copy in your user site (~/.local) is imported",
          "`pip install --user` (or pip's fallback when site-packages was not writable) put a"
          " TensorFlow/Keras in the user site, which comes before the system site-packages.",
          "python -m pip list --user", "python -m pip uninstall <package> until it says 'not"
          " installed', or run with PYTHONNOUSERSITE=1", ("user-site-package",), "S14",
          sources=("https://github.com/conda-forge/python-feedstock/issues/171",
                   "https://github.com/tensorflow/tensorflow/pull/45399")),
    Cause("keras-folder-clobbered", "Two Keras distributions shared keras/ and clobbered it",
          "keras and keras-nightly (or two copies) install the same keras/ folder; the last"
          " install overwrote the other, and uninstalling either deleted files the other still"
          " lists, so keras/ imports as an empty namespace.", 'python -c "import keras;'
          ' print(keras.__path__, getattr(keras, \'__version__\', None))"',
          "uninstall every Keras distribution, delete leftover keras/, reinstall one",
          ("import-package-owned-twice/keras", "damaged-install/keras",
           "files-from-another-version/keras", "orphan-import-folder/keras",
           "duplicate-dist-info/keras"), "S10",
          sources=("https://github.com/keras-team/keras/issues/19875",)),
    Cause("tensorflow-folder-clobbered", "Two TensorFlow builds shared tensorflow/",
          "tensorflow, tensorflow-cpu, tensorflow-gpu, tf-nightly... all install tensorflow/."
          " A second build overwrote the first one's files (native libraries from two builds do"
          " not load together), or uninstalling one emptied the folder the other still lists.",
          PIP_LIST, "uninstall every TensorFlow build, delete leftover tensorflow/, reinstall"
          " one (kerasfix fix --strategy repair)",
          ("import-package-owned-twice/tensorflow", "damaged-install/tensorflow",
           "files-from-another-version/tensorflow", "orphan-import-folder/tensorflow",
           "duplicate-dist-info/tensorflow"), "S9",
          sources=("tests/test_real_tensorflow.py::TestS9TwoTensorflowDistributions",)),
    Cause("legacy-keras-without-tf-keras", "TF_USE_LEGACY_KERAS is on but tf-keras is missing",
          "With TF_USE_LEGACY_KERAS=1/true/True TensorFlow routes tf.keras to tf_keras and does"
          " not fall back: tf.keras.X raises 'Keras cannot be imported' after the warning.",
          'python -c "import os, tf_keras; print(os.environ.get(\'TF_USE_LEGACY_KERAS\'))"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor), or unset'
          " TF_USE_LEGACY_KERAS (check shell profiles, .env files, conda env config vars)",
          ("legacy-keras-without-tf-keras",), "S4",
          sources=("tests/test_real_tensorflow.py::TestS4LegacyKerasWithoutTfKeras",
                   "https://github.com/huggingface/transformers/pull/40391")),
    Cause("keras-standalone-too-old",
          f"The old multi-backend keras (< {knowledge.KERAS_API_V2_FIRST}) is installed",
          "keras 2.2-2.4 is the standalone multi-backend Keras. TensorFlow 2 loads tf.keras from"
          " keras.api._v2, which it does not have, and keras 2.4 itself imports tf.keras back:"
          " both fail, with messages that blame TensorFlow.", VERSIONS,
          'python -m pip uninstall -y keras && python -m pip install "keras~=2.N.0" (TF <='
          f' {KERAS2_LAST}) or "keras>=3" (TF >= {KERAS3_FIRST}); port `import keras` code to'
          " tf.keras",
          ("keras-standalone-too-old",), "S6",
          hints=(r"Using TensorFlow backend", r"tensorflow_backend\.py"),
          sources=("https://github.com/streamlit/streamlit/issues/1613",
                   "https://github.com/keras-team/keras/issues/15262",
                   "https://github.com/titu1994/keras-one-cycle/issues/13")),
    Cause("keras-minor-mismatch", "keras 2.x is another minor than TensorFlow",
          "Keras 2 calls TensorFlow's private APIs, so keras 2.M with TensorFlow 2.N fails at"
          " import in ways that do not mention versions.", VERSIONS,
          'python -m pip install "keras~=2.N.0" (N = TensorFlow minor)',
          ("keras-minor-mismatch",), "S7",
          sources=("https://github.com/tensorflow/tensorflow/issues/52922",
                   "https://github.com/keras-team/keras/issues/15579")),
    Cause("keras2-under-new-tf",
          f"Keras 2 is installed under TensorFlow {KERAS3_FIRST} or newer",
          f"TensorFlow >= {KERAS3_FIRST} is built for Keras 3; a keras 2.x forced over it calls"
          " TensorFlow internals that are gone (register_load_context_function).", VERSIONS,
          'python -m pip install "keras>=3" (or Keras 2 the supported way: tf-keras~=2.N.0 and'
          " TF_USE_LEGACY_KERAS=1)", ("keras2-under-tf-2.16-or-newer",), "S24",
          hints=(r"[/\\]keras[/\\]src[/\\]saving[/\\]legacy",),
          sources=("tests/test_real_tensorflow.py::TestS5TfKeras215OnTF218",)),
    Cause("tf-keras-mismatch", "tf-keras is another minor than TensorFlow",
          "tf-keras 2.N only works with TensorFlow 2.N: it imports TensorFlow's private modules"
          " and has no version check. tf-keras 2.14.1/2.15.0 declare no TensorFlow requirement,"
          " so pip cannot prevent it.", 'python -c "import tensorflow as tf, tf_keras;'
          ' print(tf.__version__, tf_keras.__version__)"',
          'python -m pip install "tensorflow==2.N.*" "tf-keras~=2.N.0" (one command)',
          ("tf-keras-minor-mismatch",), "S5", hints=(r"tf_keras[/\\]",),
          sources=("tests/test_real_tensorflow.py::TestS5TfKeras215OnTF218",
                   "https://github.com/keras-team/tf-keras/issues/676",
                   "https://github.com/keras-team/tf-keras/issues/756")),
    Cause("pip-conflict", "pip reports a dependency conflict in the TensorFlow stack",
          "pip installed what you asked for and only printed the conflict: the versions that"
          " TensorFlow declares are not the ones installed.", "python -m pip check",
          "kerasfix fix (aligns the stack to TensorFlow's own requirements)",
          ("requirement-version-conflict", "keras3-under-tf-2.15", "keras-minor-mismatch",
           "keras3-under-tf-2.14-or-older", "numpy-incompatible", "protobuf-incompatible",
           "ml-dtypes-incompatible", "keras2-under-tf-2.16-or-newer"), None,
          sources=("https://github.com/keras-team/keras/issues/19069",
                   "https://github.com/keras-team/keras/issues/19390",
                   "https://github.com/ZFTurbo/segmentation_models_3D/issues/30")),
)


# ---------------------------------------------------------------- signatures


SIGNATURES: tuple[Signature, ...] = (
    Signature("no-module-keras-api", (no_module(r"keras\.api(?:\._v[12])?(?:\.keras)?"),),
              f"tf.keras looked for keras.api._v2, which only Keras {API_V2} have",
              ("keras3-under-old-tf", "keras-standalone-too-old", "removed-keras-path"),
              priority=2, scenario="S2"),
    Signature("keras-api-no-tf-keras", (r"cannot import name '_tf_keras' from 'keras\.api'",),
              "two Keras distributions (keras + keras-nightly) mixed in keras/",
              ("keras-folder-clobbered",), priority=2, scenario="S10"),
    Signature("keras-cannot-be-imported",
              (r"Keras cannot be imported\. Check that it is installed",),
              "TensorFlow's tf.keras loader could not import any Keras",
              ("tensorflow-without-keras", "legacy-keras-without-tf-keras",
               "keras-backend-missing", "keras-standalone-too-old", "pip-interrupted",
               "wrong-environment"), scenario="S23"),
    Signature("legacy-keras-without-tf-keras",
              (r"TF_USE_LEGACY_KERAS set to True, but you\s+do not have the tf_keras package",),
              "TF_USE_LEGACY_KERAS is on, so tf.keras needs tf-keras, which is not importable",
              ("legacy-keras-without-tf-keras", "transformers-sets-legacy"), priority=2,
              scenario="S4"),
    Signature("register-load-context-function",
              (r"has no attribute 'register_load_context_function'",),
              "a Keras 2 package (keras or tf-keras) from another TensorFlow minor",
              ("tf-keras-mismatch", "keras2-under-new-tf", "keras-minor-mismatch"), priority=2,
              scenario="S5"),
    Signature("keras-namespace",
              (r"(?<!\.)module 'keras' has no attribute '(?P<attr>\w+)'",),
              "`keras` imported as an empty namespace or someone else's keras.py",
              ("local-file-shadows", "keras-folder-clobbered", "keras-standalone-too-old",
               "keras3-code-for-keras2"), priority=2, scenario="S15"),
    Signature("circular-import",
              (r"partially initialized module '(?P<module>tensorflow|keras|tf_keras|numpy)'",),
              "a file named like the package imports itself (most likely due to a circular"
              " import)", ("local-file-shadows", "keras-standalone-too-old"), priority=3,
              scenario="S15"),
    Signature("keras-requires-tf22", (r"Keras requires TensorFlow 2\.2 or higher",),
              "the old standalone keras 2.4 could not import tf.keras back",
              ("keras-standalone-too-old", "tensorflow-missing", "local-file-shadows",
               "tensorflow-folder-clobbered"), priority=3, scenario="S6"),
    Signature("get-config",
              (r"cannot import name 'get_config' from 'tensorflow\.python\.eager\.context'",),
              "keras is newer than the installed TensorFlow",
              ("keras-minor-mismatch",), priority=3, scenario="S7"),
    Signature("metric-already-exists",
              (r"Another metric with the same name already exists",),
              "two Keras lines register the same metrics (keras newer than TensorFlow)",
              ("keras-minor-mismatch", "keras-folder-clobbered"), priority=2, scenario="S7"),
    Signature("pip-leftovers",
              (r"Ignoring invalid distribution [-~](?P<stash>\S+)",
               r"Ignoring incompletely removed distribution ~(?P<stash2>\S+)"),
              "an interrupted pip run left '~' folders in site-packages",
              ("pip-interrupted",), priority=0, scenario="S16"),
    Signature("no-module-tensorflow-python", (no_module(r"tensorflow\.python"),),
              "tensorflow/ lost its files (another build was uninstalled over it)",
              ("tensorflow-folder-clobbered", "pip-interrupted"), priority=2, scenario="S9"),
    Signature("no-module-keras", (no_module("keras"),),
              "this interpreter has no keras package",
              ("tensorflow-without-keras", "pip-interrupted", "wrong-environment")),
    Signature("no-module-tf-keras", (no_module("tf_keras"),),
              "tf-keras (Keras 2) is not installed",
              ("transformers-needs-tf-keras", "legacy-keras-without-tf-keras",
               "wrong-environment")),
    Signature("pip-dependency-conflict",
              (r"(?<![\w.-])(?P<dist>[\w.-]+) [\w.+!]+ (?:requires|has requirement)"
               r" (?P<req>[\w.-]+)"
               r"[^\n]*?, but you have (?P<have>[\w.-]+) (?P<ver>[\w.+!]+)",),
              "pip installed versions that a package declares incompatible",
              ("pip-conflict",), priority=0),
    Signature("cuda-noise",
              (r"Could not find cuda drivers on your machine", r"Unable to register cu(?:DNN|FFT"
               r"|BLAS) factory", r"failed call to cuInit",
               r"oneDNN custom operations are on",
               r"This TensorFlow binary is optimized to use available CPU instructions",
               r"All log messages before absl::InitializeLog\(\) is called"),
              "normal TensorFlow start-up messages (CUDA probing on a machine without a GPU,"
              " oneDNN, CPU features): not errors", (), priority=0, noise=True),
)

