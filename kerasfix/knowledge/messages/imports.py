"""Catalogue area: imports (see the package docstring).

The seed article's `cannot import name X from 'tensorflow.keras'` family, editors that cannot
resolve tf.keras, TensorFlow too old for the code, damaged installs, keras newer than
TensorFlow, and Pythons no TensorFlow wheel supports. The `(unknown location)` messages and the
namespace symptoms were reproduced on real installs (tests/test_area_imports.py)."""

from __future__ import annotations

from kerasfix import knowledge
from kerasfix.knowledge import compat
from kerasfix.knowledge.messages.records import Cause, Signature, no_module
from kerasfix.knowledge.messages.texts import PIP_LIST, TF1_NAMES

EXPERIMENT = "tests/test_area_imports.py"  # the real-install experiments behind these rules

# What the code needs and the first TensorFlow that has it (its public API, from the release
# notes and the real wheels in tests/test_area_imports.py): a message naming the feature
# carries it in the `feature` group, and the checker compares it with the installed TensorFlow.
TF_FEATURE_FIRST: dict[str, str] = {
    "keras": "1.4",  # tf.keras (absent from a real 1.3 wheel; tensorflow#16614: 0.12)
    "gfile": "1.13",  # tf.io.gfile (bert-vocab-builder#8: not in 1.11)
    "tensorflow.data": "1.12",  # tf.data.experimental (saliency#6: not in 1.9)
    "preprocessing": "2.3",  # tf.keras.layers.experimental.preprocessing (not in 2.0, 1.15)
    "image_preprocessing": "2.3",  # autokeras#1296
    "experimental": "2.3",  # tf.keras.layers.experimental
}

# TF1 names beyond texts.TF1_NAMES that TF 2 dropped from the top level.
TF1_MORE = "gfile|app|flags|to_float|to_int32|log|Print|py_func|layers"
_TF1 = f"{TF1_NAMES}|{TF1_MORE}"
_TOO_OLD_ATTRS = "keras|io"
_PY2_ATTR = r"AttributeError: 'module' object has no attribute '{attr}'"
_TF_MODULE = r"tensorflow(?:_core)?(?:\._api\.v[12])?"  # how TF 1.15/2.0/2.x name tf.compat.v2
_STACK_WHEEL = r"(?:tensorflow(?:_gpu|_cpu|_intel)?|tf_nightly|keras|tf_keras)"

CAUSES: tuple[Cause, ...] = (
    Cause("tf1-api-on-tf2", "The code (or an old library) uses the TensorFlow 1 API",
          "tf.get_default_graph, tf.Session, tf.placeholder and tf.contrib are TensorFlow 1;"
          " TensorFlow 2 has them only under tf.compat.v1 (contrib not at all).",
          'python -c "import tensorflow as tf; print(tf.__version__)"',
          "use tf.compat.v1.<name> (with tf.compat.v1.disable_v2_behavior()), or port to TF2",
          (), None, static=False,
          hints=(rf"module 'tensorflow' has no attribute '(?!get_default_graph')(?:{_TF1})'",
                 r"No module named ['\"]?tensorflow\.contrib"),
          sources=("https://github.com/tensorflow/tensorflow/issues/18538",
                   "https://github.com/tensorflow/tensorflow/issues/40236")),
    Cause("python-unsupported", "No release you asked for has wheels for this Python",
          "pip only sees wheels built for your interpreter: TensorFlow 2.N supports a window of"
          f" Python versions ({compat.python_windows_text()}), and"
          f" {compat.keras_python_floor_text()}. TensorFlow has never published 32-bit wheels.",
          'python -c "import sys, struct; print(sys.version, struct.calcsize(\'P\') * 8)"',
          "use a Python TensorFlow supports in a fresh environment (uv venv -p"
          f" {compat.dotted(compat.recommended_python())}), or pick a"
          " release that supports yours", ("no-tensorflow-wheels-for-python",), "S13",
          static=False,
          sources=("https://github.com/tensorflow/tensorflow/issues/10971",
                   "https://github.com/tensorflow/tensorflow/issues/30158",
                   "https://github.com/tensorflow/tensorflow/issues/79349")),
    Cause("index-unreachable", "pip could not reach a package index that has TensorFlow",
          "'(from versions: none)' also appears when pip's index is unreachable or a private"
          " mirror lacks the package.", "python -m pip index versions tensorflow",
          "check pip config (python -m pip config list), proxies and --index-url", (), None,
          static=False, sources=("https://github.com/psf/requests/issues/4607",
                                 "https://github.com/tensorflow/tensorflow/issues/11479")),
    Cause("tensorflow-gpu-retired", "The tensorflow-gpu package name was retired",
          "tensorflow itself has included GPU support since 2.1; tensorflow-gpu stopped at"
          f" {knowledge.minor_text(knowledge.TENSORFLOW_GPU_LAST)} and"
          f" {compat.tensorflow_gpu_refusing_release()}"
          " is a package that refuses to build.", PIP_LIST,
          'replace it with tensorflow (Linux GPU: "tensorflow[and-cuda]==2.N.*")',
          ("tensorflow-gpu-installed",), "S17", static=False,
          sources=("https://github.com/dionhaefner/pyhpc-benchmarks/issues/17",
                   "https://github.com/tryolabs/luminoth/issues/317")),
    Cause("tensorflow-missing", "TensorFlow is not installed where the code runs",
          "The interpreter running the code has no tensorflow/ package: it is another"
          " environment, a platform stub without its payload, or a half-finished uninstall.",
          'python -c "import sys; print(sys.executable)"; python -m pip show tensorflow',
          "install TensorFlow with the interpreter that runs the code: python -m pip install"
          ' "tensorflow==2.N.*"', ("tensorflow-stub-without-payload",
                                   "half-uninstalled-package/tensorflow"), "S21",
          sources=("https://github.com/keras-team/keras/issues/16602",
                   "https://github.com/udacity/sdc-issue-reports/issues/62")),
    Cause("tensorflow-damaged", "The TensorFlow install is missing files",
          "A package folder lost its __init__.py (an interrupted or overlapping install, an"
          " uninstall of a sibling build), or an empty folder named tensorflow sits on sys.path"
          " where no TensorFlow is installed: Python then imports a namespace package, which has"
          " no attributes and no file, hence '(unknown location)' and \"module 'tensorflow' has"
          " no attribute ...\". An empty tensorflow/ folder does not hide an intact install.",
          'python -c "import tensorflow as tf; print(tf.__path__, getattr(tf, \'__file__\','
          ' None))"', "reinstall TensorFlow: python -m pip install --force-reinstall --no-deps"
          ' "tensorflow==2.N.*" (kerasfix fix --strategy repair), or rename the stray'
          " tensorflow/ folder", ("damaged-install/tensorflow", "orphan-import-folder/tensorflow"),
          "S9", sources=("https://github.com/tensorflow/tensorflow/issues/32196",
                         "https://github.com/tensorflow/tensorflow/issues/7285", EXPERIMENT)),
    Cause("tensorflow-too-old", "TensorFlow is older than the code needs",
          "The code uses an API a later TensorFlow added: tf.keras (1.4), tf.io.gfile (1.13),"
          " tf.keras.layers.experimental.preprocessing (2.3), tf.__internal__ (2.5, which keras"
          " >= 2.5 needs). Python 2 wordings (\"'module' object has no attribute\") are from"
          " TensorFlow 1.x days.", 'python -c "import tensorflow as tf; print(tf.__version__)"',
          'upgrade TensorFlow in a fresh environment (python -m pip install "tensorflow==2.N.*"'
          " on a supported Python), or use the code's release written for your TensorFlow",
          (), None, static=False,
          hints=(r"'module' object has no attribute '(?:keras|gfile|io)'",),
          sources=("https://github.com/tensorflow/tensorflow/issues/16614",
                   "https://github.com/kwonmha/bert-vocab-builder/issues/8",
                   "https://github.com/keras-team/autokeras/issues/942",
                   "https://github.com/adalca/neurite/issues/43", EXPERIMENT)),
    Cause("editor-static-analysis", "The editor cannot follow tf.keras: the code itself runs",
          "tf.keras is a lazy loader that TensorFlow fills at run time from the keras package;"
          " there is no tensorflow/keras folder for Pylance, Pyright or PyCharm to read, so"
          " they flag `tensorflow.keras` imports while Python runs them. Nothing is broken.",
          'python -c "from tensorflow.keras import layers; print(layers)"',
          "ignore it, or write imports the editor can follow: `import keras` / `from keras"
          " import layers` (TensorFlow >= 2.16: Keras 3 is tf.keras), or `from tensorflow import"
          " keras` then keras.layers", (), None, static=False, personal=False,
          sources=("https://github.com/microsoft/pylance-release/issues/3753",
                   "https://github.com/microsoft/pylance-release/issues/5482",
                   "https://github.com/tensorflow/tensorflow/issues/57035",
                   "https://github.com/keras-team/keras/issues/14898")),
)

_KERAS_FAMILY = ("keras3-under-old-tf", "tensorflow-without-keras", "tensorflow-too-old",
                 "keras-folder-clobbered", "local-file-shadows", "tensorflow-damaged",
                 "pip-interrupted", "legacy-keras-without-tf-keras", "keras-standalone-too-old",
                 "wrong-environment")

SIGNATURES: tuple[Signature, ...] = (
    Signature("no-module-tensorflow-keras",
              (no_module(r"tensorflow\.keras"),
               r"\bno module named ['\"]?(?P<module2>tensorflow\.keras)['\"]?(?![\w.])"),
              "`from tensorflow.keras ...` found no usable Keras for tf.keras", _KERAS_FAMILY,
              sources=("https://github.com/adalca/neurite/issues/43", EXPERIMENT)),
    Signature("not-a-package",
              (r"No module named ['\"]?(?P<module>(?:tensorflow|keras|tf_keras)\.[\w.]+)['\"]?;"
               r" ['\"]?(?:tensorflow|keras|tf_keras)['\"]? is not a package",),
              "a file named tensorflow.py / keras.py is imported instead of the package",
              ("local-file-shadows",), priority=3,
              sources=("https://github.com/keras-team/keras/issues/687", EXPERIMENT)),
    Signature("tensorflow-unknown-location",
              (rf"cannot import name '?(?P<name>\w+)'? from '?(?P<module>{_TF_MODULE}"
               r"(?:\.[\w.]+)?)'? \(unknown location\)",),
              "a tensorflow folder without its __init__.py was imported (a namespace package)",
              ("tensorflow-damaged", "tensorflow-folder-clobbered", "pip-interrupted",
               "tensorflow-missing", "local-file-shadows"), priority=3, scenario="S9",
              sources=("https://github.com/tensorflow/tensorflow/issues/32196", EXPERIMENT)),
    Signature("keras-unknown-location",
              (r"cannot import name '?(?P<name>\w+)'? from '?(?P<module>keras(?:\.[\w.]+)?)'?"
               r" \(unknown location\)",),
              "a keras folder without its __init__.py was imported (a namespace package)",
              ("keras-folder-clobbered", "pip-interrupted", "tensorflow-without-keras",
               "local-file-shadows"), priority=3, scenario="S10", sources=(EXPERIMENT,)),
    Signature("tensorflow-parent-dir-none",
              (r"in get_parent_dir\n[\s\S]{0,600}?TypeError: expected str, bytes or"
               r" os\.PathLike object, not NoneType",),
              "tensorflow/keras lost its __init__.py, so TensorFlow's own import fails",
              ("tensorflow-damaged", "tensorflow-folder-clobbered"), priority=3,
              sources=(EXPERIMENT,)),
    Signature("keras-name-missing",
              (r"cannot import name '?(?P<name>\w+)'? from '?(?P<module>(?:tensorflow\.)?keras)'?"
               r" \((?![Uu]nknown location)[^)\n]+\)",),
              "the imported keras has no such name: another Keras line, or someone else's"
              " keras (the path in parentheses says which one was imported)",
              ("removed-keras-path", "keras3-code-for-keras2", "keras-minor-mismatch",
               "local-file-shadows"), sources=(EXPERIMENT,)),
    Signature("tf-too-old-preprocessing",
              (r"cannot import name '?(?P<feature>preprocessing|image_preprocessing)'? from"
               r" '?(?:tensorflow(?:_core)?\.(?:python\.)?keras\.layers\.(?:experimental|"
               r"preprocessing))'?",
               r"from tensorflow\.python\.keras\.layers\.preprocessing import (?P<feature2>\w+)"
               r"[^\n]*\n(?:[^\n]*\n)?[^\n]*ImportError: cannot import name",
               r"module '(?:tensorflow(?:_core)?|tensorflow\.python\.keras\.api\._v[12])\.keras"
               r"\.layers' has no attribute '(?P<feature3>experimental)'"),
              "TensorFlow before 2.3 has no tf.keras.layers.experimental.preprocessing (Keras 3"
              " says No module named ... instead)", ("tensorflow-too-old",), priority=3,
              sources=("https://github.com/keras-team/autokeras/issues/942",
                       "https://github.com/keras-team/autokeras/issues/1296", EXPERIMENT)),
    Signature("tf-too-old-attribute",
              (rf"module 'tensorflow' has no attribute '(?P<feature>{_TOO_OLD_ATTRS})'",
               r"module 'tensorflow\.io' has no attribute '(?P<feature2>gfile)'",
               r"module '(?P<feature3>tensorflow\.data)' has no attribute 'experimental'",
               r"tensorflow\.data has no attribute\s+experimental",
               _PY2_ATTR.format(attr=rf"(?P<feature4>{_TOO_OLD_ATTRS}|gfile)")),
              "this TensorFlow predates the API the code calls",
              ("tensorflow-too-old", "tensorflow-folder-clobbered", "tensorflow-damaged",
               "local-file-shadows"), priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/16614",
                       "https://github.com/tensorflow/tensorflow/issues/1121",
                       "https://github.com/alexanderkroner/saliency/issues/6", EXPERIMENT)),
    Signature("tf1-api",
              (rf"module 'tensorflow' has no attribute '(?P<attr>{_TF1})'",
               rf"tf\.(?P<attr2>{_TF1})\b[^\n]*\n[^\n]*{_PY2_ATTR.format(attr=r'(?P=attr2)')}",
               _PY2_ATTR.format(attr="(?P<attr3>get_default_graph)")),
              "TensorFlow 1 API called on TensorFlow 2",
              ("keras-standalone-too-old", "tf1-api-on-tf2"), priority=2, scenario="S6",
              sources=("https://github.com/tensorflow/tensorflow/issues/18538",
                       "https://github.com/apache/madlib/pull/446")),
    Signature("tensorflow-namespace",
              (rf"module 'tensorflow' has no attribute '(?!(?:{_TF1}|{_TOO_OLD_ATTRS})')"
               r"(?P<attr>\w+)'",),
              "`tensorflow` imported as an empty namespace or someone else's tensorflow.py",
              ("tensorflow-folder-clobbered", "tensorflow-damaged", "local-file-shadows",
               "pip-interrupted", "user-site-copy"), priority=2, scenario="S9",
              sources=("https://github.com/tensorflow/tensorflow/issues/7285", EXPERIMENT)),
    Signature("py2-tensorflow-attribute",
              (rf"tf\.(?P<attr>(?!(?:{_TF1}|{_TOO_OLD_ATTRS})\b)\w+)\b[^\n]*\n[^\n]*"
               + _PY2_ATTR.format(attr=r"(?P=attr)"),),
              "Python 2: `tf.X`, which every TensorFlow has, is missing, so `tensorflow` is"
              " someone else's tensorflow.py or an empty folder",
              ("local-file-shadows", "tensorflow-damaged", "tensorflow-folder-clobbered"),
              priority=2,
              sources=("https://github.com/tensorflow/tensorflow/issues/2370",)),
    Signature("no-module-tensorflow-contrib", (no_module(r"tensorflow\.contrib", children=True),),
              "tf.contrib was removed in TensorFlow 2", ("tf1-api-on-tf2",), priority=3,
              sources=("https://github.com/tensorflow/tensorflow/issues/40236",
                       "https://github.com/tensorflow/tensorflow/issues/35197")),
    Signature("keras-newer-than-tf",
              (rf"module '{_TF_MODULE}\.compat\.v2' has no attribute '__internal__'",
               rf"module '{_TF_MODULE}\.compat\.v2\.__internal__(?:\.[\w.]+)?' has no attribute"
               r" '(?!register_load_context_function')\w+'",
               rf"module '{_TF_MODULE}\.compat\.v2\.experimental' has no attribute 'dtensor'",
               r"[Cc]annot import name 'dtensor' from 'tensorflow\.compat\.v2\.experimental'"),
              "keras 2.x calls TensorFlow internals this TensorFlow does not have (keras is"
              " newer than TensorFlow)", ("keras-minor-mismatch", "tf-keras-mismatch",
                                          "tensorflow-too-old"), priority=3, scenario="S7",
              sources=("https://github.com/tensorflow/models/issues/10025",
                       "https://github.com/tensorflow/tensorflow/issues/48799",
                       "https://github.com/tensorflow/tensorflow/issues/51850",
                       "https://github.com/Yuchen413/text2image_safety/issues/9", EXPERIMENT)),
    Signature("no-matching-distribution",
              (r"(?i:could\s*not) find a version that satisfies the requirement"
               r" (?P<req>(?:tensorflow|tf-nightly|tf_nightly|intel-tensorflow|keras|tf-keras"
               r"|tf_keras)[^\s(]*)",
               r"No matching distribution found for (?P<req2>(?:tensorflow|keras|tf-keras)"
               r"[^\s(]*)",
               r"requires a different Python: (?P<pyver>[\d.]+) not in '(?P<spec>[^']+)'"),
              "pip found no release of it with a wheel for this interpreter",
              ("python-unsupported", "index-unreachable"), priority=3, scenario="S13"),
    Signature("unsupported-wheel",
              (rf"(?P<wheel>{_STACK_WHEEL}[\w.+-]*\.whl) is not a supported wheel on this\s*p\s*"
               r"latform",),
              "the wheel was built for another Python version, OS or a 64-bit Python",
              ("python-unsupported",), priority=3, scenario="S13",
              sources=("https://github.com/tensorflow/tensorflow/issues/10061",
                       "https://github.com/tensorflow/tensorflow/issues/30158")),
    Signature("index-connection",
              (r"connection broken by '(?:ProxyError|SSLError|NewConnectionError|"
               r"ConnectTimeoutError|ReadTimeoutError)[^\n]*/simple/(?:tensorflow|keras|tf-keras)",),
              "pip could not connect to its package index (proxy, TLS or network)",
              ("index-unreachable",), priority=3,
              sources=("https://github.com/psf/requests/issues/4607",)),
    Signature("tensorflow-gpu-removed",
              (r'The "(?:tensorflow-gpu|tf-nightly-gpu)" package has been removed',),
              "the tensorflow-gpu name is retired", ("tensorflow-gpu-retired",), priority=3,
              scenario="S17"),
    Signature("no-module-tensorflow",
              (no_module("tensorflow"), r"\bno module named ['\"]?(?P<module2>tensorflow)['\"]?"
                                        r"(?![\w.])"),
              "this interpreter has no TensorFlow: most often not the one it was installed into",
              ("wrong-environment", "tensorflow-missing", "pip-interrupted",
               "python-unsupported"),
              sources=("https://github.com/aymericdamien/TensorFlow-Examples/issues/37",
                       "https://github.com/tensorflow/tensorflow/issues/12256")),
    Signature("editor-tf-keras-unresolved",
              (r"(?i:import) ['\"]?(?P<module>tensorflow\.(?:python\.)?keras(?:\.[\w.]+)?)['\"]?"
               r"(?: as \w+)? could not be resolved",
               r"Cannot find reference '(?:keras|layers|models|optimizers|callbacks|utils"
               r"|preprocessing)' in '(?:__init__\.pyi?|lazy_loader\.py)'",
               r"['\"]keras['\"] is not a known (?:attribute|member) of module ['\"]tensorflow"),
              "the editor's static analysis cannot follow tf.keras (a run-time lazy loader)",
              ("editor-static-analysis",), priority=3,
              sources=("https://github.com/microsoft/pylance-release/issues/3753",
                       "https://github.com/tensorflow/tensorflow/issues/57035")),
)
