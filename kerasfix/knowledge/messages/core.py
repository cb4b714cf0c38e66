"""The core catalogue: the causes and signatures kerasfix started with (the scenario list
of tf-keras-compat.md and the real-package tiers). Area modules beside it add their own.
"""
from __future__ import annotations

import re

from kerasfix import knowledge
from kerasfix.knowledge import compat, keras_layout
from kerasfix.knowledge.messages.records import Cause, Signature, no_module

# ---------------------------------------------------------------- causes


_VERSIONS = ('python -c "import tensorflow as tf, keras; print(tf.__version__, tf.__file__);'
             ' print(keras.__version__, keras.__file__)"')
_PIP_LIST = "python -m pip list | grep -i -E 'tensorflow|keras|numpy|protobuf'"

# The version boundaries the texts name, rendered from kerasfix.knowledge (today's values in
# the comments).
_FIXED_LAST = compat.last_fixed_route_line().minor_text  # 2.14: tf.keras hard-wired to Keras 2
_OLDEST = min(knowledge.TF_LINES.values(), key=lambda li: li.minor).minor_text  # 2.10
_KERAS2_LAST = compat.last_keras2_line().minor_text  # 2.15
_KERAS3_FIRST = compat.first_keras3_line().minor_text  # 2.16
_API_V2 = f"{knowledge.KERAS_API_V2_FIRST}-{keras_layout.last_keras2()}"  # keras 2.6-2.15
_NUMPY2_FIRST = compat.numpy2_first_line().minor_text  # 2.18
_OLD_GENCODE = compat.last_old_gencode_line()  # 2.11
_WARN_FIRST, _WARN_LAST = (li.minor_text for li in compat.warning_only_protobuf_lines())
_NEWEST = knowledge.TF_LINES[knowledge.NEWEST_LINE]
_TRANSFORMERS_TF_LAST = knowledge.TRANSFORMERS_TF_LAST.major  # transformers 5 dropped TF


CAUSES: tuple[Cause, ...] = (
    Cause("keras3-under-old-tf",
          f"Keras 3 is installed under TensorFlow {_FIXED_LAST} or older",
          f"TensorFlow {_OLDEST}-{_FIXED_LAST} always load tf.keras from keras.api._v2.keras, a"
          f" folder only Keras {_API_V2} ship. pip let Keras 3 in (no Keras release depends on"
          " TensorFlow), so `from tensorflow.keras ...` fails and tf.keras.X says No module named"
          " 'keras.api' or 'keras.api._v2'; `import keras` itself works.", _VERSIONS,
          'python -m pip install "keras~=2.N.0" (N = your TensorFlow minor; 2.13: keras>=2.13.1'
          f',<2.14), or move to TensorFlow >= {_KERAS3_FIRST}',
          ("keras3-under-tf-2.14-or-older",), "S2"),
    Cause("tensorflow-without-keras", "TensorFlow is installed without any Keras",
          "No distribution provides the keras package (it was uninstalled, or TensorFlow came"
          " with --no-deps or from a distro/conda package). `import tensorflow` works; tf.keras"
          " fails with No module named 'tensorflow.keras' or 'Keras cannot be imported'.",
          'python -c "import keras"', 'python -m pip install "keras~=2.N.0" (TF <='
          f' {_KERAS2_LAST}) or "keras>=3.K" (TF >= {_KERAS3_FIRST}, K from TensorFlow\'s own'
          " pin)",
          ("tensorflow-without-keras",), "S23"),
    Cause("pip-interrupted", "An interrupted pip run left a package half removed",
          "pip moves a package aside to a '~'-prefixed folder (~ensorflow, ~eras) while it"
          " uninstalls or upgrades it; when pip is killed the real folder is gone or"
          " half-replaced. pip then warns 'Ignoring invalid distribution ~...'.",
          "ls $(python -c \"import sysconfig;print(sysconfig.get_paths()['purelib'])\") |"
          " grep '^~'", "delete the ~-folders and reinstall the package with"
          " --force-reinstall --no-deps (kerasfix fix --strategy repair does both)",
          ("half-uninstalled-package", "interrupted-pip-leftovers"), "S16"),
    Cause("local-file-shadows", "A file or folder of yours shadows the installed package",
          "A keras.py / tensorflow.py (or a keras/ or tensorflow/ folder) in the script's folder,"
          " the current folder or PYTHONPATH is imported instead of the installed package.",
          'python -c "import keras; print(keras.__file__)"  vs  python -I -c "import keras;'
          ' print(keras.__file__)"',
          "rename the file or folder and delete the __pycache__/*.pyc next to it",
          ("local-file-shadows-package",), "S15",
          hints=(r"partially initialized module",)),
    Cause("user-site-copy", "A copy in your user site (~/.local) is imported",
          "`pip install --user` (or pip's fallback when site-packages was not writable) put a"
          " TensorFlow/Keras in the user site, which comes before the system site-packages.",
          "python -m pip list --user", "python -m pip uninstall <package> until it says 'not"
          " installed', or run with PYTHONNOUSERSITE=1", ("user-site-package",), "S14"),
    Cause("keras-folder-clobbered", "Two Keras distributions shared keras/ and clobbered it",
          "keras and keras-nightly (or two copies) install the same keras/ folder; the last"
          " install overwrote the other, and uninstalling either deleted files the other still"
          " lists, so keras/ imports as an empty namespace.", 'python -c "import keras;'
          ' print(keras.__path__, getattr(keras, \'__version__\', None))"',
          "uninstall every Keras distribution, delete leftover keras/, reinstall one",
          ("import-package-owned-twice/keras", "damaged-install/keras",
           "files-from-another-version/keras", "orphan-import-folder/keras",
           "duplicate-dist-info/keras"), "S10"),
    Cause("tensorflow-folder-clobbered", "Two TensorFlow builds shared tensorflow/",
          "tensorflow, tensorflow-cpu, tensorflow-gpu, tf-nightly... all install tensorflow/."
          " A second build overwrote the first one's files (native libraries from two builds do"
          " not load together), or uninstalling one emptied the folder the other still lists.",
          _PIP_LIST, "uninstall every TensorFlow build, delete leftover tensorflow/, reinstall"
          " one (kerasfix fix --strategy repair)",
          ("import-package-owned-twice/tensorflow", "damaged-install/tensorflow",
           "files-from-another-version/tensorflow", "orphan-import-folder/tensorflow",
           "duplicate-dist-info/tensorflow"), "S9"),
    Cause("legacy-keras-without-tf-keras", "TF_USE_LEGACY_KERAS is on but tf-keras is missing",
          "With TF_USE_LEGACY_KERAS=1/true/True TensorFlow routes tf.keras to tf_keras and does"
          " not fall back: tf.keras.X raises 'Keras cannot be imported' after the warning.",
          'python -c "import os, tf_keras; print(os.environ.get(\'TF_USE_LEGACY_KERAS\'))"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor), or unset'
          " TF_USE_LEGACY_KERAS (check shell profiles, .env files, conda env config vars)",
          ("legacy-keras-without-tf-keras",), "S4"),
    Cause("transformers-sets-legacy", "transformers switched TF_USE_LEGACY_KERAS on",
          "Importing a transformers TF model sets TF_USE_LEGACY_KERAS=1 inside the process, so"
          " tf.keras then needs tf-keras even though you never set the variable.",
          'python -c "import transformers, tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (pinned: a plain `pip install tf-keras` can'
          " replace TensorFlow)", ("transformers-needs-tf-keras",), "S3",
          hints=(r"transformers[/\\]",)),
    Cause("keras-standalone-too-old",
          f"The old multi-backend keras (< {knowledge.KERAS_API_V2_FIRST}) is installed",
          "keras 2.2-2.4 is the standalone multi-backend Keras. TensorFlow 2 loads tf.keras from"
          " keras.api._v2, which it does not have, and keras 2.4 itself imports tf.keras back:"
          " both fail, with messages that blame TensorFlow.", _VERSIONS,
          'python -m pip uninstall -y keras && python -m pip install "keras~=2.N.0" (TF <='
          f' {_KERAS2_LAST}) or "keras>=3" (TF >= {_KERAS3_FIRST}); port `import keras` code to'
          " tf.keras",
          ("keras-standalone-too-old",), "S6",
          hints=(r"Using TensorFlow backend", r"tensorflow_backend\.py")),
    Cause("keras-minor-mismatch", "keras 2.x is another minor than TensorFlow",
          "Keras 2 calls TensorFlow's private APIs, so keras 2.M with TensorFlow 2.N fails at"
          " import in ways that do not mention versions.", _VERSIONS,
          'python -m pip install "keras~=2.N.0" (N = TensorFlow minor)',
          ("keras-minor-mismatch",), "S7"),
    Cause("keras2-under-new-tf",
          f"Keras 2 is installed under TensorFlow {_KERAS3_FIRST} or newer",
          f"TensorFlow >= {_KERAS3_FIRST} is built for Keras 3; a keras 2.x forced over it calls"
          " TensorFlow internals that are gone (register_load_context_function).", _VERSIONS,
          'python -m pip install "keras>=3" (or Keras 2 the supported way: tf-keras~=2.N.0 and'
          " TF_USE_LEGACY_KERAS=1)", ("keras2-under-tf-2.16-or-newer",), "S24",
          hints=(r"[/\\]keras[/\\]src[/\\]saving[/\\]legacy",)),
    Cause("tf-keras-mismatch", "tf-keras is another minor than TensorFlow",
          "tf-keras 2.N only works with TensorFlow 2.N: it imports TensorFlow's private modules"
          " and has no version check. tf-keras 2.14.1/2.15.0 declare no TensorFlow requirement,"
          " so pip cannot prevent it.", 'python -c "import tensorflow as tf, tf_keras;'
          ' print(tf.__version__, tf_keras.__version__)"',
          'python -m pip install "tensorflow==2.N.*" "tf-keras~=2.N.0" (one command)',
          ("tf-keras-minor-mismatch",), "S5", hints=(r"tf_keras[/\\]",)),
    Cause("transformers-needs-tf-keras", "transformers' TensorFlow models need tf-keras",
          f"transformers < {_TRANSFORMERS_TF_LAST} supports only Keras 2 for its TF* models: it"
          " imports tf_keras and refuses Keras 3. PyTorch models are unaffected.",
          'python -c "import tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor; pin it, a plain'
          " `pip install tf-keras` can replace TensorFlow)", ("transformers-needs-tf-keras",),
          "S3"),
    Cause("numpy2-under-old-tf", "NumPy 2 under a TensorFlow compiled against NumPy 1",
          f"TensorFlow < {_NUMPY2_FIRST} (and ml-dtypes of that era) are compiled against NumPy"
          " 1.x; NumPy 2 changed the C ABI, so `import tensorflow` prints NumPy's banner and"
          f" fails. TensorFlow {compat.numpy_uncapped_text()} do not even cap NumPy, so"
          " pip installs NumPy 2.",
          'python -c "import numpy; print(numpy.__version__)"',
          f'python -m pip install "numpy<2" (or TensorFlow >= {_NUMPY2_FIRST})',
          ("numpy-incompatible",), "S11"),
    Cause("numpy1-under-numpy2-module", "NumPy 1.x under a package compiled for NumPy 2",
          "Some package (often ml-dtypes >= 0.5 or a fresh wheel) was built against NumPy 2 and"
          " cannot load with the NumPy 1.x installed.",
          'python -m pip check', "align NumPy with what TensorFlow and that package accept"
          " (kerasfix fix --strategy repair)",
          ("ml-dtypes-incompatible", "requirement-version-conflict/numpy"), "S11"),
    Cause("protobuf-too-new", "protobuf is newer than TensorFlow's generated code allows",
          f"TensorFlow <= {_OLD_GENCODE.minor_text} was generated with protoc <"
          f" {compat.protobuf_cap(_OLD_GENCODE)}; protobuf >= 4 refuses such *_pb2 modules"
          f" ('Descriptors cannot be created directly'). On TF {_WARN_FIRST}-{_WARN_LAST} a"
          " protobuf above the cap only prints 'GetPrototype' noise.",
          'python -c "import google.protobuf as p; print(p.__version__)"',
          f'python -m pip install "protobuf<{compat.protobuf_cap(_OLD_GENCODE)}" (TF <='
          f" {_OLD_GENCODE.minor_text}), or the range TensorFlow declares",
          ("protobuf-incompatible",), "S12"),
    Cause("protobuf-too-old", "protobuf is older than TensorFlow's generated code needs",
          f"TensorFlow {compat.first_new_gencode_line().minor_text}+ *_pb2 modules need"
          " google.protobuf.internal.builder (protobuf"
          f" >= {knowledge.PROTOBUF_BUILDER_FIRST}); TensorFlow {_NEWEST.minor_text} needs protobuf"
          f" >= {compat.protobuf_floor(_NEWEST)} and checks it (VersionError).",
          'python -c "import google.protobuf as p; print(p.__version__)"',
          "python -m pip install the protobuf range TensorFlow declares (python -m pip show"
          " tensorflow)", ("protobuf-incompatible",), "S12"),
    Cause("keras3-code-for-keras2", "tf.keras is Keras 3, but the code was written for Keras 2",
          f"Keras 3 (the default from TensorFlow {_KERAS3_FIRST}, or keras upgraded over TF"
          f" {_KERAS2_LAST}) dropped"
          " layers.experimental, TF1 backend helpers, optimizers.legacy and SavedModel folders;"
          " Keras 2 code fails on those names.", 'python -c "import tensorflow as tf;'
          ' print(tf.keras.__version__)"',
          "port the code (kerasfix scan --code DIR lists the places), or keep Keras 2:"
          ' python -m pip install "tf-keras~=2.N.0" and export TF_USE_LEGACY_KERAS=1',
          ("keras3-under-tf-2.15",), "S1", static=False),
    Cause("keras3-savedmodel", "Keras 3 cannot load or write a TensorFlow SavedModel folder",
          "Keras 3's load_model reads only .keras and .h5 files, and save() needs one of those"
          " extensions; folders saved by Keras 2's model.save('dir') are SavedModels.",
          'python -c "import keras; print(keras.__version__)"',
          'keras.layers.TFSMLayer(path, call_endpoint="serving_default") for inference, or'
          " load it with tf_keras (tf-keras + TF_USE_LEGACY_KERAS=1) and re-save as .keras",
          (), "S20", static=False),
    Cause("removed-keras-path", "The code imports a Keras path the installed Keras does not have",
          "keras.engine and keras.layers.core exist only up to keras"
          f" {keras_layout.last_flat_keras2()}, keras.src.engine only in"
          f" {keras_layout.KERAS_SRC_FIRST}-{keras_layout.last_keras2()}, keras.api._v2 only in"
          f" {_API_V2}; Keras 3 has none of them. Your code or"
          " a library written for another Keras imports it.", _VERSIONS,
          "use the public API (kerasfix scan --code DIR shows what to write), upgrade the"
          " library, or pin the Keras line it was written for", (), "S19", static=False),
    Cause("tf1-api-on-tf2", "The code (or an old library) uses the TensorFlow 1 API",
          "tf.get_default_graph, tf.Session, tf.placeholder and tf.contrib are TensorFlow 1;"
          " TensorFlow 2 has them only under tf.compat.v1 (contrib not at all).",
          'python -c "import tensorflow as tf; print(tf.__version__)"',
          "use tf.compat.v1.<name> (with tf.compat.v1.disable_v2_behavior()), or port to TF2",
          (), None, static=False),
    Cause("python-unsupported", "No release you asked for has wheels for this Python",
          "pip only sees wheels built for your interpreter: TensorFlow 2.N supports a window of"
          f" Python versions ({compat.python_windows_text()}), and"
          f" {compat.keras_python_floor_text()}.",
          'python -c "import sys, struct; print(sys.version, struct.calcsize(\'P\') * 8)"',
          "use a Python TensorFlow supports in a fresh environment (uv venv -p"
          f" {compat.dotted(compat.recommended_python())}), or pick a"
          " release that supports yours", ("no-tensorflow-wheels-for-python",), "S13",
          static=False),
    Cause("index-unreachable", "pip could not reach a package index that has TensorFlow",
          "'(from versions: none)' also appears when pip's index is unreachable or a private"
          " mirror lacks the package.", "python -m pip index versions tensorflow",
          "check pip config (python -m pip config list), proxies and --index-url", (), None,
          static=False),
    Cause("tensorflow-gpu-retired", "The tensorflow-gpu package name was retired",
          "tensorflow itself has included GPU support since 2.1; tensorflow-gpu stopped at"
          f" {knowledge.minor_text(knowledge.TENSORFLOW_GPU_LAST)} and"
          f" {compat.tensorflow_gpu_refusing_release()}"
          " is a package that refuses to build.", _PIP_LIST,
          'replace it with tensorflow (Linux GPU: "tensorflow[and-cuda]==2.N.*")',
          ("tensorflow-gpu-installed",), "S17", static=False),
    Cause("cpu-lacks-avx", "The CPU lacks instructions (AVX) TensorFlow's wheels are built for",
          "PyPI TensorFlow wheels use AVX; on an older CPU, a VM that hides AVX or an emulator,"
          " `import tensorflow` dies with SIGILL (Illegal instruction) and no traceback.",
          "grep -o -w -m1 avx /proc/cpuinfo", "run on a CPU with AVX, or use a TensorFlow built"
          " without it (conda-forge, or build from source)", (), None, static=False),
    Cause("x86-python-on-apple-silicon", "An x86_64 Python runs under Rosetta on Apple silicon",
          "Rosetta does not emulate AVX, so x86_64 TensorFlow wheels crash with SIGILL.",
          "python -c \"import platform; print(platform.machine())\"",
          "use an arm64 Python (it prints arm64) and a fresh environment", (), None,
          static=False),
    Cause("tensorflow-metal-mismatch", "A tensorflow-metal plugin built for another TensorFlow",
          "TensorFlow loads every library in tensorflow-plugins/ at import; a tensorflow-metal"
          " built against another TensorFlow fails with 'Symbol not found'.",
          "python -m pip show tensorflow-metal tensorflow",
          "python -m pip uninstall tensorflow-metal (reinstall a matching version later)",
          ("tensorflow-metal-plugin",), "S22"),
    Cause("wheel-for-another-python", "TensorFlow's binaries were built for another Python",
          "The environment was upgraded in place or copied: compiled extensions built for one"
          " CPython do not load in another.", _PIP_LIST,
          "reinstall the stack (or make a fresh environment)",
          ("wheel-for-another-python", "requires-python-unmet"), "S13"),
    Cause("keras-backend-missing", "Keras 3 is set to a backend that is not installed",
          "KERAS_BACKEND or ~/.keras/keras.json names jax/torch; Keras 3 (and tf.keras, which is"
          " Keras 3) imports that backend first. tf.keras.X then even says 'Keras cannot be"
          " imported', which misleads.", 'python -c "import os; print(os.environ.get('
          '\'KERAS_BACKEND\'))"; cat ~/.keras/keras.json',
          'unset KERAS_BACKEND, or set "backend": "tensorflow" in keras.json',
          ("keras-backend-not-tensorflow",), "S25", hints=(r"KERAS_BACKEND",
                                                          r"keras[/\\]src[/\\]backend")),
    Cause("tensorflow-missing", "TensorFlow is not installed where the code runs",
          "The interpreter running the code has no tensorflow/ package: it is another"
          " environment, a platform stub without its payload, or a half-finished uninstall.",
          'python -c "import sys; print(sys.executable)"; python -m pip show tensorflow',
          "install TensorFlow with the interpreter that runs the code: python -m pip install"
          ' "tensorflow==2.N.*"', ("tensorflow-stub-without-payload",
                                   "half-uninstalled-package/tensorflow"), "S21"),
    Cause("wrong-environment", "The code runs in another environment than the one you fixed",
          "A notebook kernel, IDE interpreter or `pip` from another Python: what you installed"
          " is not what runs.", 'python -c "import sys; print(sys.executable)"; python -m pip'
          " --version", "install with `<the python that runs the code> -m pip`, or scan that"
          " one (kerasfix scan --python PATH)", (), None, static=False, personal=False),
    Cause("pip-conflict", "pip reports a dependency conflict in the TensorFlow stack",
          "pip installed what you asked for and only printed the conflict: the versions that"
          " TensorFlow declares are not the ones installed.", "python -m pip check",
          "kerasfix fix (aligns the stack to TensorFlow's own requirements)",
          ("requirement-version-conflict", "keras3-under-tf-2.15", "keras-minor-mismatch",
           "keras3-under-tf-2.14-or-older", "numpy-incompatible", "protobuf-incompatible",
           "ml-dtypes-incompatible", "keras2-under-tf-2.16-or-newer"), None),
)


# ---------------------------------------------------------------- signatures


_TF1_NAMES = ("get_default_graph|Session|InteractiveSession|placeholder|contrib|ConfigProto|"
              "GPUOptions|set_random_seed|global_variables_initializer|reset_default_graph|"
              "variable_scope|get_variable|train\\.AdamOptimizer|logging\\.set_verbosity")

SIGNATURES: tuple[Signature, ...] = (
    Signature("no-module-tensorflow-keras", (no_module(r"tensorflow\.keras"),),
              "`from tensorflow.keras ...` found no usable Keras for tf.keras",
              ("keras3-under-old-tf", "tensorflow-without-keras", "local-file-shadows",
               "keras-folder-clobbered", "pip-interrupted", "legacy-keras-without-tf-keras",
               "keras-standalone-too-old", "wrong-environment")),
    Signature("no-module-keras-api", (no_module(r"keras\.api(?:\._v[12])?(?:\.keras)?"),),
              f"tf.keras looked for keras.api._v2, which only Keras {_API_V2} have",
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
    Signature("transformers-keras3",
              (r"Your currently installed version of Keras is Keras 3, but this is not yet"
               r"\s+supported in Transformers",),
              "transformers' TF models refuse Keras 3 and need tf-keras",
              ("transformers-needs-tf-keras",), priority=3, scenario="S3"),
    Signature("numpy-abi",
              (re.escape(knowledge.NUMPY_ABI_BANNER) + r"\s+NumPy 2", r"_ARRAY_API not found",
               r"numpy\.core\.umath failed to import",
               r"numpy\.core\._multiarray_umath failed to import",
               r"Unable to convert function return value to a Python type! The signature"
               r" was\s+\(\) -> handle"),
              "a module compiled against NumPy 1.x was imported with NumPy 2",
              ("numpy2-under-old-tf", "numpy1-under-numpy2-module"), priority=2,
              scenario="S11"),
    Signature("numpy-too-old",
              (r"module compiled against (?:ABI|API) version \w+ but this version of numpy is",),
              "a module built for a newer NumPy was imported with an older one",
              ("numpy1-under-numpy2-module",), priority=2, scenario="S11"),
    Signature("register-load-context-function",
              (r"has no attribute 'register_load_context_function'",),
              "a Keras 2 package (keras or tf-keras) from another TensorFlow minor",
              ("tf-keras-mismatch", "keras2-under-new-tf", "keras-minor-mismatch"), priority=2,
              scenario="S5"),
    Signature("protobuf-descriptors", (r"Descriptors cannot be created directly",),
              "protobuf is too new for TensorFlow's (or TensorBoard's) generated *_pb2 code",
              ("protobuf-too-new",), priority=2, scenario="S12"),
    Signature("protobuf-builder",
              (r"cannot import name 'builder' from 'google\.protobuf\.internal'",),
              "protobuf < 3.20 under a TensorFlow whose *_pb2 modules need protobuf >= 3.20",
              ("protobuf-too-old",), priority=2, scenario="S12"),
    Signature("protobuf-gencode",
              (r"VersionError: Detected incompatible Protobuf Gencode/Runtime versions",
               r"Detected incompatible Protobuf Gencode/Runtime versions",
               r"cannot import name 'runtime_version' from 'google\.protobuf'"),
              "protobuf is older than the one TensorFlow's *_pb2 modules were generated with",
              ("protobuf-too-old",), priority=2, scenario="S12"),
    Signature("protobuf-getprototype",
              (r"'MessageFactory' object has no attribute 'GetPrototype'",),
              "protobuf newer than TensorFlow's cap: noisy but not fatal",
              ("protobuf-too-new",), priority=0, scenario="S12"),
    Signature("tf1-api",
              (rf"module 'tensorflow' has no attribute '(?P<attr>{_TF1_NAMES})'",),
              "TensorFlow 1 API called on TensorFlow 2",
              ("keras-standalone-too-old", "tf1-api-on-tf2"), priority=2, scenario="S6"),
    Signature("tensorflow-namespace",
              (rf"module 'tensorflow' has no attribute '(?!(?:{_TF1_NAMES})')(?P<attr>\w+)'",),
              "`tensorflow` imported as an empty namespace or someone else's tensorflow.py",
              ("tensorflow-folder-clobbered", "local-file-shadows", "pip-interrupted",
               "user-site-copy"), priority=2, scenario="S9"),
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
    Signature("savedmodel-keras3",
              (r"File format not supported: filepath=", r"Keras 3 only supports V3 `?\.keras`?"
               r" files", r"Invalid filepath extension for saving",
               r"The `save_format` argument is deprecated in Keras 3"),
              "Keras 3 cannot read or write TensorFlow SavedModel folders",
              ("keras3-savedmodel",), priority=3, scenario="S20"),
    Signature("keras-engine", (no_module(r"keras\.engine", children=True),),
              "code written for keras <= 2.12 imports keras.engine",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19"),
    Signature("keras-src-engine", (no_module(r"keras\.src\.engine", children=True),),
              "code written for keras 2.13-2.15 imports the private keras.src.engine",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19"),
    Signature("keras-src",
              (r"No module named ['\"]?(?P<module>keras\.src(?:\.(?!engine\b)[\w.]+)?)['\"]?"
               r"(?![\w.])",),
              "code imports the private keras.src (keras >= 2.13 only)",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("keras-layers-core",
              (no_module(r"(?:tensorflow\.)?keras\.layers\.core", children=True),),
              "code written for keras <= 2.12 imports keras.layers.core",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("keras-private-submodule",
              (no_module(r"(?:tensorflow\.)?keras\.(?:utils\.(?:np_utils|generic_utils|"
                          r"data_utils|vis_utils|layer_utils|conv_utils|tf_utils)|wrappers"
                          r"(?:\.scikit_learn)?|optimizers\.legacy)", children=True),),
              "code imports a Keras 2 module that newer Keras removed",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("optimizers-legacy-keras3",
              (r"`?keras\.optimizers\.legacy`? is not supported in Keras 3",),
              "Keras 2 optimizer API used under Keras 3",
              ("keras3-code-for-keras2",), priority=3, scenario="S1"),
    Signature("keras3-missing-attribute",
              (r"module 'keras(?:\._tf_keras\.keras|\.api)?\.(?:layers|backend|preprocessing|"
               r"utils|optimizers|models|callbacks|wrappers|losses|metrics)[\w.]*' has no"
               r" attribute '(?P<attr>\w+)'", r"module 'keras\._tf_keras\.keras' has no"
               r" attribute '(?P<attr2>\w+)'"),
              "Keras 2 API used where tf.keras / keras is Keras 3",
              ("keras3-code-for-keras2", "keras-folder-clobbered"), priority=2, scenario="S1"),
    Signature("compat-v1-keras3",
              (r"`?tf\.compat\.v[12]\.keras`? is not available with Keras 3",),
              "TF1-style tf.compat.v1.keras used with Keras 3",
              ("keras3-code-for-keras2",), priority=3, scenario="S1"),
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
    Signature("no-matching-distribution",
              (r"Could not find a version that satisfies the requirement"
               r" (?P<req>(?:tensorflow|tf-nightly|tf_nightly|intel-tensorflow|keras|tf-keras"
               r"|tf_keras)[^\s(]*)",
               r"No matching distribution found for (?P<req2>(?:tensorflow|keras|tf-keras)"
               r"[^\s(]*)",
               r"requires a different Python: (?P<pyver>[\d.]+) not in '(?P<spec>[^']+)'"),
              "pip found no release of it with a wheel for this interpreter",
              ("python-unsupported", "index-unreachable"), priority=3, scenario="S13"),
    Signature("tensorflow-gpu-removed", (r'The "tensorflow-gpu" package has been removed',),
              "the tensorflow-gpu name is retired", ("tensorflow-gpu-retired",), priority=3,
              scenario="S17"),
    Signature("illegal-instruction",
              (r"(?i)\billegal instruction\b", r"\bSIGILL\b",
               r"exit (?:code|status) (?:132|-4)\b"),
              "the process died on a CPU instruction it cannot run",
              ("cpu-lacks-avx", "x86-python-on-apple-silicon", "tensorflow-folder-clobbered"),
              priority=3),
    Signature("undefined-symbol",
              (r"(?:libtfkernel\w*|_pywrap_\w+|libtensorflow\w*)\.so[\d.]*: undefined symbol",
               r"undefined symbol: \S*tensorflow"),
              "native libraries from two TensorFlow builds are mixed",
              ("tensorflow-folder-clobbered", "user-site-copy", "wheel-for-another-python"),
              priority=3, scenario="S9"),
    Signature("metal-symbol-not-found",
              (r"libmetal_plugin\.dylib[^\n]*Symbol not found",
               r"Symbol not found[^\n]*libmetal_plugin"),
              "tensorflow-metal does not match TensorFlow", ("tensorflow-metal-mismatch",),
              priority=3, scenario="S22"),
    Signature("native-runtime", (r"Failed to load the native TensorFlow runtime",),
              "TensorFlow's compiled core did not load",
              ("wheel-for-another-python", "tensorflow-folder-clobbered", "cpu-lacks-avx"),
              priority=2, scenario="S13"),
    Signature("pip-leftovers",
              (r"Ignoring invalid distribution [-~](?P<stash>\S+)",
               r"Ignoring incompletely removed distribution ~(?P<stash2>\S+)"),
              "an interrupted pip run left '~' folders in site-packages",
              ("pip-interrupted",), priority=0, scenario="S16"),
    Signature("backend-not-installed", (no_module(r"jax|torch|openvino"),),
              "Keras 3 is configured for a backend that is not installed",
              ("keras-backend-missing",), priority=3, scenario="S25"),
    Signature("no-module-tensorflow-python", (no_module(r"tensorflow\.python"),),
              "tensorflow/ lost its files (another build was uninstalled over it)",
              ("tensorflow-folder-clobbered", "pip-interrupted"), priority=2, scenario="S9"),
    Signature("no-module-tensorflow", (no_module("tensorflow"),),
              "this interpreter has no TensorFlow",
              ("tensorflow-missing", "pip-interrupted", "wrong-environment",
               "python-unsupported")),
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

