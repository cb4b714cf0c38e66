"""Explain an error message or traceback: which known signature it is and what likely causes it.

API (core: no textual/rich; `kerasfix explain TEXT|FILE|-` and the TUI paste box build on it):

    explain_text(text) -> Explanation
        Matches the text (one message or a whole traceback / pip log) against SIGNATURES.
        Explanation.matches: the signatures found, most telling first; .causes: the candidate
        Causes, most likely first; .paths: file paths in the traceback that reveal a shadowing
        file or a user-site install; .notes: harmless lines recognised (CUDA/oneDNN start-up
        noise); .message: one line for the user. Unmatched text gives no causes and a message
        saying what to paste instead.
    check_against(explanation, scan_result) -> list[CauseVerdict]
        Judges each cause against a real scan (kerasfix.diagnose.scan.scan) of the environment that
        produced the error: "confirmed" (with evidence from the scan's findings and inventory),
        "ruled-out", or "unknown" (the scan cannot tell statically). Confirmed first; the first
        confirmed one has is_the_cause=True.
    diagnose(explanation, scan_result) -> Diagnosis
        The same verdicts plus `cause` (THE cause, or None) and notes, e.g. that the traceback
        ran in another environment than the one scanned.
    read_source(arg, stdin=None) -> str
        "-" reads stdin, an existing file path is read, anything else is the text itself.

The catalogue is data: CAUSES (id, title, why, how to confirm, fix, related scan finding codes,
scenario id of the research notes) and SIGNATURES (regexes over the text, the
ordered cause ids). Message texts are the ones observed with real installs (work/lab/FINDINGS.md)
where available, else the reference's.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose import code_audit as codescan
from kerasfix.diagnose.findings import Finding
from kerasfix.errors import KerasfixError

if TYPE_CHECKING:
    from kerasfix.diagnose.scan import ScanResult
    from kerasfix.inspect.inventory import Distribution, Inventory

CONFIRMED, RULED_OUT, UNKNOWN = "confirmed", "ruled-out", "unknown"
MAX_TEXT = 2_000_000  # a pasted log beyond this is cut to its tail (the final error is there)


# ---------------------------------------------------------------- the catalogue: causes


@dataclass(frozen=True)
class Cause:
    id: str
    title: str
    why: str  # plain explanation
    confirm: str  # a command that shows whether it holds
    fix: str
    findings: tuple[str, ...] = ()  # scan finding codes; "code/word": the title must name word
    scenario: str | None = None
    static: bool = True  # a static scan decides it: no related finding means ruled out
    check: str | None = None  # name of an inventory checker in CHECKERS
    hints: tuple[str, ...] = ()  # regexes: text that makes this cause likelier
    personal: bool = True  # write `confirm` for the scanned interpreter (not when the point is
    #                        to ask whichever `python` runs the code)


_VERSIONS = ('python -c "import tensorflow as tf, keras; print(tf.__version__, tf.__file__);'
             ' print(keras.__version__, keras.__file__)"')
_PIP_LIST = "python -m pip list | grep -i -E 'tensorflow|keras|numpy|protobuf'"

CAUSES: dict[str, Cause] = {c.id: c for c in (
    Cause("keras3-under-old-tf", "Keras 3 is installed under TensorFlow 2.14 or older",
          "TensorFlow 2.10-2.14 always load tf.keras from keras.api._v2.keras, a folder only"
          " Keras 2.6-2.15 ship. pip let Keras 3 in (no Keras release depends on TensorFlow), so"
          " `from tensorflow.keras ...` fails and tf.keras.X says No module named 'keras.api'"
          " or 'keras.api._v2'; `import keras` itself works.", _VERSIONS,
          'python -m pip install "keras~=2.N.0" (N = your TensorFlow minor; 2.13: keras>=2.13.1'
          ',<2.14), or move to TensorFlow >= 2.16',
          ("keras3-under-tf-2.14-or-older",), "S2", check="keras3_old_tf"),
    Cause("tensorflow-without-keras", "TensorFlow is installed without any Keras",
          "No distribution provides the keras package (it was uninstalled, or TensorFlow came"
          " with --no-deps or from a distro/conda package). `import tensorflow` works; tf.keras"
          " fails with No module named 'tensorflow.keras' or 'Keras cannot be imported'.",
          'python -c "import keras"', 'python -m pip install "keras~=2.N.0" (TF <= 2.15) or'
          ' "keras>=3.K" (TF >= 2.16, K from TensorFlow\'s own pin)',
          ("tensorflow-without-keras",), "S23", check="no_keras"),
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
          ("local-file-shadows-package",), "S15", check="shadow",
          hints=(r"partially initialized module",)),
    Cause("user-site-copy", "A copy in your user site (~/.local) is imported",
          "`pip install --user` (or pip's fallback when site-packages was not writable) put a"
          " TensorFlow/Keras in the user site, which comes before the system site-packages.",
          "python -m pip list --user", "python -m pip uninstall <package> until it says 'not"
          " installed', or run with PYTHONNOUSERSITE=1", ("user-site-package",), "S14",
          check="user_site"),
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
          ("legacy-keras-without-tf-keras",), "S4", check="legacy"),
    Cause("transformers-sets-legacy", "transformers switched TF_USE_LEGACY_KERAS on",
          "Importing a transformers TF model sets TF_USE_LEGACY_KERAS=1 inside the process, so"
          " tf.keras then needs tf-keras even though you never set the variable.",
          'python -c "import transformers, tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (pinned: a plain `pip install tf-keras` can'
          " replace TensorFlow)", ("transformers-needs-tf-keras",), "S3",
          check="transformers", hints=(r"transformers[/\\]",)),
    Cause("keras-standalone-too-old", "The old multi-backend keras (< 2.6) is installed",
          "keras 2.2-2.4 is the standalone multi-backend Keras. TensorFlow 2 loads tf.keras from"
          " keras.api._v2, which it does not have, and keras 2.4 itself imports tf.keras back:"
          " both fail, with messages that blame TensorFlow.", _VERSIONS,
          'python -m pip uninstall -y keras && python -m pip install "keras~=2.N.0" (TF <= 2.15)'
          ' or "keras>=3" (TF >= 2.16); port `import keras` code to tf.keras',
          ("keras-standalone-too-old",), "S6", check="old_keras",
          hints=(r"Using TensorFlow backend", r"tensorflow_backend\.py")),
    Cause("keras-minor-mismatch", "keras 2.x is another minor than TensorFlow",
          "Keras 2 calls TensorFlow's private APIs, so keras 2.M with TensorFlow 2.N fails at"
          " import in ways that do not mention versions.", _VERSIONS,
          'python -m pip install "keras~=2.N.0" (N = TensorFlow minor)',
          ("keras-minor-mismatch",), "S7"),
    Cause("keras2-under-new-tf", "Keras 2 is installed under TensorFlow 2.16 or newer",
          "TensorFlow >= 2.16 is built for Keras 3; a keras 2.x forced over it calls"
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
          "transformers < 5 supports only Keras 2 for its TF* models: it imports tf_keras and"
          " refuses Keras 3. PyTorch models are unaffected.", 'python -c "import tf_keras"',
          'python -m pip install "tf-keras~=2.N.0" (N = TensorFlow minor; pin it, a plain'
          " `pip install tf-keras` can replace TensorFlow)", ("transformers-needs-tf-keras",),
          "S3", check="transformers"),
    Cause("numpy2-under-old-tf", "NumPy 2 under a TensorFlow compiled against NumPy 1",
          "TensorFlow < 2.18 (and ml-dtypes of that era) are compiled against NumPy 1.x; NumPy 2"
          " changed the C ABI, so `import tensorflow` prints NumPy's banner and fails."
          " TensorFlow 2.10, 2.11 and 2.14.0 do not even cap NumPy, so pip installs NumPy 2.",
          'python -c "import numpy; print(numpy.__version__)"',
          'python -m pip install "numpy<2" (or TensorFlow >= 2.18)', ("numpy-incompatible",),
          "S11"),
    Cause("numpy1-under-numpy2-module", "NumPy 1.x under a package compiled for NumPy 2",
          "Some package (often ml-dtypes >= 0.5 or a fresh wheel) was built against NumPy 2 and"
          " cannot load with the NumPy 1.x installed.",
          'python -m pip check', "align NumPy with what TensorFlow and that package accept"
          " (kerasfix fix --strategy repair)",
          ("ml-dtypes-incompatible", "requirement-version-conflict/numpy"), "S11",
          check="numpy_one"),
    Cause("protobuf-too-new", "protobuf is newer than TensorFlow's generated code allows",
          "TensorFlow <= 2.11 was generated with protoc < 3.20; protobuf >= 4 refuses such"
          " *_pb2 modules ('Descriptors cannot be created directly'). On TF 2.12-2.19 a protobuf"
          " above the cap only prints 'GetPrototype' noise.",
          'python -c "import google.protobuf as p; print(p.__version__)"',
          'python -m pip install "protobuf<3.20" (TF <= 2.11), or the range TensorFlow declares',
          ("protobuf-incompatible",), "S12", check="protobuf_new"),
    Cause("protobuf-too-old", "protobuf is older than TensorFlow's generated code needs",
          "TensorFlow 2.12+ *_pb2 modules need google.protobuf.internal.builder (protobuf"
          " >= 3.20); TensorFlow 2.21 needs protobuf >= 6.31.1 and checks it (VersionError).",
          'python -c "import google.protobuf as p; print(p.__version__)"',
          "python -m pip install the protobuf range TensorFlow declares (python -m pip show"
          " tensorflow)", ("protobuf-incompatible",), "S12", check="protobuf_old"),
    Cause("keras3-code-for-keras2", "tf.keras is Keras 3, but the code was written for Keras 2",
          "Keras 3 (the default from TensorFlow 2.16, or keras upgraded over TF 2.15) dropped"
          " layers.experimental, TF1 backend helpers, optimizers.legacy and SavedModel folders;"
          " Keras 2 code fails on those names.", 'python -c "import tensorflow as tf;'
          ' print(tf.keras.__version__)"',
          "port the code (kerasfix scan --code DIR lists the places), or keep Keras 2:"
          ' python -m pip install "tf-keras~=2.N.0" and export TF_USE_LEGACY_KERAS=1',
          ("keras3-under-tf-2.15",), "S1", static=False, check="keras3_active"),
    Cause("keras3-savedmodel", "Keras 3 cannot load or write a TensorFlow SavedModel folder",
          "Keras 3's load_model reads only .keras and .h5 files, and save() needs one of those"
          " extensions; folders saved by Keras 2's model.save('dir') are SavedModels.",
          'python -c "import keras; print(keras.__version__)"',
          'keras.layers.TFSMLayer(path, call_endpoint="serving_default") for inference, or'
          " load it with tf_keras (tf-keras + TF_USE_LEGACY_KERAS=1) and re-save as .keras",
          (), "S20", static=False, check="keras3_active"),
    Cause("removed-keras-path", "The code imports a Keras path the installed Keras does not have",
          "keras.engine and keras.layers.core exist only up to keras 2.12, keras.src.engine only"
          " in 2.13-2.15, keras.api._v2 only in 2.6-2.15; Keras 3 has none of them. Your code or"
          " a library written for another Keras imports it.", _VERSIONS,
          "use the public API (kerasfix scan --code DIR shows what to write), upgrade the"
          " library, or pin the Keras line it was written for", (), "S19", static=False,
          check="keras_path"),
    Cause("tf1-api-on-tf2", "The code (or an old library) uses the TensorFlow 1 API",
          "tf.get_default_graph, tf.Session, tf.placeholder and tf.contrib are TensorFlow 1;"
          " TensorFlow 2 has them only under tf.compat.v1 (contrib not at all).",
          'python -c "import tensorflow as tf; print(tf.__version__)"',
          "use tf.compat.v1.<name> (with tf.compat.v1.disable_v2_behavior()), or port to TF2",
          (), None, static=False, check="tf2_installed"),
    Cause("python-unsupported", "No release you asked for has wheels for this Python",
          "pip only sees wheels built for your interpreter: TensorFlow 2.N supports a window of"
          " Python versions (2.15: 3.9-3.11, 2.16-2.19: 3.9-3.12, 2.20: 3.9-3.13, 2.21:"
          " 3.10-3.13; none for 3.14 or 32-bit), and keras >= 3.13 needs Python >= 3.11.",
          'python -c "import sys, struct; print(sys.version, struct.calcsize(\'P\') * 8)"',
          "use a Python TensorFlow supports in a fresh environment (uv venv -p 3.12), or pick a"
          " release that supports yours", ("no-tensorflow-wheels-for-python",), "S13",
          static=False, check="python_support"),
    Cause("index-unreachable", "pip could not reach a package index that has TensorFlow",
          "'(from versions: none)' also appears when pip's index is unreachable or a private"
          " mirror lacks the package.", "python -m pip index versions tensorflow",
          "check pip config (python -m pip config list), proxies and --index-url", (), None,
          static=False),
    Cause("tensorflow-gpu-retired", "The tensorflow-gpu package name was retired",
          "tensorflow itself has included GPU support since 2.1; tensorflow-gpu stopped at 2.11"
          " and 2.12.0 is a package that refuses to build.", _PIP_LIST,
          'replace it with tensorflow (Linux GPU: "tensorflow[and-cuda]==2.N.*")',
          ("tensorflow-gpu-installed",), "S17", static=False, check="self_evident"),
    Cause("cpu-lacks-avx", "The CPU lacks instructions (AVX) TensorFlow's wheels are built for",
          "PyPI TensorFlow wheels use AVX; on an older CPU, a VM that hides AVX or an emulator,"
          " `import tensorflow` dies with SIGILL (Illegal instruction) and no traceback.",
          "grep -o -w -m1 avx /proc/cpuinfo", "run on a CPU with AVX, or use a TensorFlow built"
          " without it (conda-forge, or build from source)", (), None, static=False,
          check="cpu_flags"),
    Cause("x86-python-on-apple-silicon", "An x86_64 Python runs under Rosetta on Apple silicon",
          "Rosetta does not emulate AVX, so x86_64 TensorFlow wheels crash with SIGILL.",
          "python -c \"import platform; print(platform.machine())\"",
          "use an arm64 Python (it prints arm64) and a fresh environment", (), None,
          static=False, check="rosetta"),
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
          ("keras-backend-not-tensorflow",), "S25", check="backend", hints=(r"KERAS_BACKEND",
                                                          r"keras[/\\]src[/\\]backend")),
    Cause("tensorflow-missing", "TensorFlow is not installed where the code runs",
          "The interpreter running the code has no tensorflow/ package: it is another"
          " environment, a platform stub without its payload, or a half-finished uninstall.",
          'python -c "import sys; print(sys.executable)"; python -m pip show tensorflow',
          "install TensorFlow with the interpreter that runs the code: python -m pip install"
          ' "tensorflow==2.N.*"', ("tensorflow-stub-without-payload",
                                   "half-uninstalled-package/tensorflow"), "S21",
          check="tensorflow_missing"),
    Cause("wrong-environment", "The code runs in another environment than the one you fixed",
          "A notebook kernel, IDE interpreter or `pip` from another Python: what you installed"
          " is not what runs.", 'python -c "import sys; print(sys.executable)"; python -m pip'
          " --version", "install with `<the python that runs the code> -m pip`, or scan that"
          " one (kerasfix scan --python PATH)", (), None, static=False, check="traceback_env",
          personal=False),
    Cause("pip-conflict", "pip reports a dependency conflict in the TensorFlow stack",
          "pip installed what you asked for and only printed the conflict: the versions that"
          " TensorFlow declares are not the ones installed.", "python -m pip check",
          "kerasfix fix (aligns the stack to TensorFlow's own requirements)",
          ("requirement-version-conflict", "keras3-under-tf-2.15", "keras-minor-mismatch",
           "keras3-under-tf-2.14-or-older", "numpy-incompatible", "protobuf-incompatible",
           "ml-dtypes-incompatible", "keras2-under-tf-2.16-or-newer"), None),
)}


# ---------------------------------------------------------------- the catalogue: signatures


@dataclass(frozen=True)
class Signature:
    id: str
    patterns: tuple[str, ...]  # any one matching is enough
    summary: str  # what the message means, one line
    causes: tuple[str, ...]  # cause ids, most likely first
    priority: int = 1  # 3 decisive ... 0 secondary (a warning next to the real error)
    scenario: str | None = None
    noise: bool = False  # harmless log lines: a note, never a cause

    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.patterns)


_COMPILED: dict[tuple[str, ...], tuple[re.Pattern[str], ...]] = {}


def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    if patterns not in _COMPILED:
        _COMPILED[patterns] = tuple(re.compile(p, re.MULTILINE) for p in patterns)
    return _COMPILED[patterns]


def _no_module(module: str, children: bool = False) -> str:
    """`No module named 'x.y'` (Python 3 quotes it; Python 2 did not)."""
    tail = r"(?:\.[\w.]+)?" if children else ""
    return rf"No module named ['\"]?(?P<module>{module}{tail})['\"]?(?![\w.])"


_TF1_NAMES = ("get_default_graph|Session|InteractiveSession|placeholder|contrib|ConfigProto|"
              "GPUOptions|set_random_seed|global_variables_initializer|reset_default_graph|"
              "variable_scope|get_variable|train\\.AdamOptimizer|logging\\.set_verbosity")

SIGNATURES: tuple[Signature, ...] = (
    Signature("no-module-tensorflow-keras", (_no_module(r"tensorflow\.keras"),),
              "`from tensorflow.keras ...` found no usable Keras for tf.keras",
              ("keras3-under-old-tf", "tensorflow-without-keras", "local-file-shadows",
               "keras-folder-clobbered", "pip-interrupted", "legacy-keras-without-tf-keras",
               "keras-standalone-too-old", "wrong-environment")),
    Signature("no-module-keras-api", (_no_module(r"keras\.api(?:\._v[12])?(?:\.keras)?"),),
              "tf.keras looked for keras.api._v2, which only Keras 2.6-2.15 have",
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
              (r"compiled using NumPy 1\.x cannot be run in\s+NumPy 2", r"_ARRAY_API not found",
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
    Signature("keras-engine", (_no_module(r"keras\.engine", children=True),),
              "code written for keras <= 2.12 imports keras.engine",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19"),
    Signature("keras-src-engine", (_no_module(r"keras\.src\.engine", children=True),),
              "code written for keras 2.13-2.15 imports the private keras.src.engine",
              ("removed-keras-path", "keras3-code-for-keras2"), priority=2, scenario="S19"),
    Signature("keras-src",
              (r"No module named ['\"]?(?P<module>keras\.src(?:\.(?!engine\b)[\w.]+)?)['\"]?"
               r"(?![\w.])",),
              "code imports the private keras.src (keras >= 2.13 only)",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("keras-layers-core",
              (_no_module(r"(?:tensorflow\.)?keras\.layers\.core", children=True),),
              "code written for keras <= 2.12 imports keras.layers.core",
              ("removed-keras-path",), priority=2, scenario="S19"),
    Signature("keras-private-submodule",
              (_no_module(r"(?:tensorflow\.)?keras\.(?:utils\.(?:np_utils|generic_utils|"
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
    Signature("backend-not-installed", (_no_module(r"jax|torch|openvino"),),
              "Keras 3 is configured for a backend that is not installed",
              ("keras-backend-missing",), priority=3, scenario="S25"),
    Signature("no-module-tensorflow-python", (_no_module(r"tensorflow\.python"),),
              "tensorflow/ lost its files (another build was uninstalled over it)",
              ("tensorflow-folder-clobbered", "pip-interrupted"), priority=2, scenario="S9"),
    Signature("no-module-tensorflow", (_no_module("tensorflow"),),
              "this interpreter has no TensorFlow",
              ("tensorflow-missing", "pip-interrupted", "wrong-environment",
               "python-unsupported")),
    Signature("no-module-keras", (_no_module("keras"),),
              "this interpreter has no keras package",
              ("tensorflow-without-keras", "pip-interrupted", "wrong-environment")),
    Signature("no-module-tf-keras", (_no_module("tf_keras"),),
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


# ---------------------------------------------------------------- traceback paths


@dataclass(frozen=True)
class TracebackPaths:
    files: tuple[str, ...] = ()  # every file path in the text, first seen first
    shadowing: tuple[str, ...] = ()  # keras.py, tensorflow/__init__.py ... outside site-packages
    user_site: tuple[str, ...] = ()  # TF/Keras files loaded from a user site
    site_packages: tuple[str, ...] = ()  # the site-packages folders the traceback ran through


_PATH_RES = (
    re.compile(r'File "(?P<p>[^"\n]+)", line \d+'),
    re.compile(r"from '(?P<p>(?:[A-Za-z]:[\\/]|/)[^'\n]+)'"),
    re.compile(r"\((?P<p>(?:[A-Za-z]:[\\/]|/)[^()\n]+?\.(?:py|so|pyd|dll|dylib)[\d.]*)\)"),
    re.compile(r"(?:^|[\s'\"])(?P<p>(?:[A-Za-z]:\\|/)[^\s'\"():]+\.(?:py|so|pyd|dll|dylib)"
               r"(?:\.\d+)*)"),
)
_SITE_RE = re.compile(r"^(?P<root>.*?[/\\](?:site|dist)-packages)(?=[/\\])")
_USER_SITE_RE = re.compile(
    r"(?:[/\\]\.local[/\\]lib[/\\]python\d\.\d+[/\\]site-packages"
    r"|[/\\]AppData[/\\]Roaming[/\\]Python[/\\]Python\d+[/\\]site-packages"
    r"|[/\\]Library[/\\]Python[/\\]\d\.\d+[/\\]lib[/\\]python[/\\]site-packages)"
    r"[/\\](?:tensorflow|keras|tf_keras)[/\\.]")
_SHADOW_NAMES = ("tensorflow", "keras", "tf_keras", "numpy")
_SHADOW_RE = re.compile(rf"[/\\](?:{'|'.join(_SHADOW_NAMES)})(?:\.py|[/\\]__init__\.py)$")


def traceback_paths(text: str) -> TracebackPaths:
    files: list[str] = []
    for pattern in _PATH_RES:
        for match in pattern.finditer(text):
            path = match.group("p").strip()
            if path not in files:
                files.append(path)
    outside = [p for p in files if not _SITE_RE.match(p)]
    shadowing = tuple(p for p in outside if _SHADOW_RE.search(p) and not _is_stdlib(p))
    user_site = tuple(p for p in files if _USER_SITE_RE.search(p))
    roots: list[str] = []
    for path in files:
        match = _SITE_RE.match(path)
        if match and match.group("root") not in roots:
            roots.append(match.group("root"))
    return TracebackPaths(tuple(files), shadowing, user_site, tuple(roots))


def _is_stdlib(path: str) -> bool:
    return bool(re.search(r"[/\\]lib[/\\]python\d\.\d+[/\\][^/\\]+$", path))


# ---------------------------------------------------------------- explaining


@dataclass(frozen=True)
class SignatureMatch:
    signature: Signature
    excerpt: str  # the line that matched
    line: int  # 1-based line of the last match in the text
    groups: dict[str, str]


@dataclass(frozen=True)
class Explanation:
    text: str
    matches: tuple[SignatureMatch, ...]  # most telling first
    causes: tuple[Cause, ...]  # most likely first
    support: dict[str, tuple[str, ...]]  # cause id -> the signature ids and hints behind it
    paths: TracebackPaths
    notes: tuple[str, ...]
    message: str

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def group(self, name: str) -> str | None:
        """A named regex group from the matches, e.g. 'module' of No module named '...'."""
        for match in self.matches:
            for key in (name, f"{name}2"):
                if match.groups.get(key):
                    return match.groups[key]
        return None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
UNMATCHED = ("No known TensorFlow/Keras error signature in this text. Paste the whole traceback"
             " (its last lines name the real error) or pip's output, or run `kerasfix scan`,"
             " which finds most causes without an error message.")


def _normalise(text: str) -> str:
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text[-MAX_TEXT:]


def _find(signature: Signature, text: str) -> SignatureMatch | None:
    last: re.Match[str] | None = None
    for pattern in signature.compiled():
        for match in pattern.finditer(text):
            if last is None or match.start() > last.start():
                last = match
    if last is None:
        return None
    line = text.count("\n", 0, last.start()) + 1
    start = text.rfind("\n", 0, last.start()) + 1
    end = text.find("\n", last.end())
    excerpt = text[start:end if end != -1 else len(text)].strip()
    groups = {k: v for k, v in last.groupdict().items() if v}
    return SignatureMatch(signature, excerpt[:500], line, groups)


def explain_text(text: str) -> Explanation:
    text = _normalise(text or "")
    found = [m for s in SIGNATURES if (m := _find(s, text))]
    notes = tuple(m.signature.summary for m in found if m.signature.noise)
    matches = sorted((m for m in found if not m.signature.noise),
                     key=lambda m: (-m.signature.priority, -m.line))
    paths = traceback_paths(text)
    causes, support = _rank_causes(matches, text, paths)
    if matches:
        message = f"{matches[0].signature.summary} ({len(causes)} possible cause(s))"
    elif notes:
        message = ("Only harmless TensorFlow start-up messages here; the real error is"
                   " elsewhere. " + UNMATCHED)
    else:
        message = UNMATCHED
    return Explanation(text, tuple(matches), causes, support, paths, notes, message)


def _rank_causes(matches: list[SignatureMatch], text: str, paths: TracebackPaths
                 ) -> tuple[tuple[Cause, ...], dict[str, tuple[str, ...]]]:
    """Causes named by more matched signatures, or favoured by text hints, come first;
    otherwise the order of the most telling signature's list."""
    order: list[str] = []
    support: dict[str, list[str]] = {}
    for match in matches:
        for cause_id in match.signature.causes:
            if cause_id not in order:
                order.append(cause_id)
            support.setdefault(cause_id, []).append(match.signature.id)
    if matches and paths.shadowing:  # a keras.py in the traceback outweighs everything
        if "local-file-shadows" not in order:
            order.append("local-file-shadows")
        support.setdefault("local-file-shadows", []).append(f"path: {paths.shadowing[0]}")
    if matches and paths.user_site and "user-site-copy" in order:
        support["user-site-copy"].append(f"path: {paths.user_site[0]}")
    for cause_id in order:
        for hint in CAUSES[cause_id].hints:
            if re.search(hint, text):
                support[cause_id].append(f"text: /{hint}/")

    def key(cause_id: str) -> tuple[int, int, int]:
        items = support[cause_id]
        favoured = sum(1 for s in items if s.startswith(("path:", "text:")))
        return (-favoured, -len(items), order.index(cause_id))

    ranked = sorted(order, key=key)
    return tuple(CAUSES[c] for c in ranked), {c: tuple(support[c]) for c in ranked}


TEXT_SUFFIXES = (".txt", ".log", ".out", ".err", ".md", ".py", ".ipynb", ".json")


def read_source(arg: str, stdin: TextIO | None = None) -> str:
    """The CLI's TEXT|FILE|- argument as text. What is clearly meant as a file but cannot be
    read, or leaves nothing to explain, is an error (exit 2), never a guess about the text."""
    if arg == "-":
        stream = stdin or sys.stdin
        if stream is None:
            raise KerasfixError("explain -: there is no standard input to read (pass the"
                                " message, or a file holding it)")
        text = stream.read()
    elif len(arg) < 4096 and "\n" not in arg and os.path.isdir(arg):
        raise KerasfixError(f"explain {arg}: a folder; pass a file, the message itself, or -")
    elif len(arg) < 4096 and "\n" not in arg and os.path.isfile(arg):
        with open(arg, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    elif _looks_like_a_path(arg):
        raise KerasfixError(f"explain {arg}: no such file")
    else:
        text = arg
    if not text.strip():
        raise KerasfixError("explain: nothing to explain (the text is empty)")
    return text


def _looks_like_a_path(arg: str) -> bool:
    """One word with a folder separator or a text-file suffix: a file name, not a message."""
    return bool(arg) and not any(c.isspace() for c in arg) and (
        os.sep in arg or arg.lower().endswith(TEXT_SUFFIXES))


# ---------------------------------------------------------------- checking against a scan


@dataclass(frozen=True)
class CauseVerdict:
    cause: Cause
    status: str  # CONFIRMED, RULED_OUT or UNKNOWN
    evidence: tuple[str, ...]
    findings: tuple[Finding, ...] = ()  # the scan findings that back it
    is_the_cause: bool = False
    confirm: str = ""  # cause.confirm / cause.fix written for the scanned interpreter and
    fix: str = ""  # TensorFlow minor ("python" -> its path, "2.N" -> "2.18")


@dataclass(frozen=True)
class Diagnosis:
    verdicts: tuple[CauseVerdict, ...]
    cause: Cause | None  # the first confirmed cause
    notes: tuple[str, ...] = ()


@dataclass
class _Context:
    explanation: Explanation
    inv: Inventory
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)


Check = tuple[str, tuple[str, ...]]  # (status, evidence)
Checker = Callable[[_Context], "Check | None"]


def check_against(explanation: Explanation, scan_result: ScanResult) -> list[CauseVerdict]:
    return list(diagnose(explanation, scan_result).verdicts)


def diagnose(explanation: Explanation, scan_result: ScanResult) -> Diagnosis:
    ctx = _Context(explanation, scan_result.inventory, list(scan_result.findings))
    env_note = _environment_note(ctx)
    if env_note:
        ctx.notes.append(env_note)
    verdicts = [_judge(cause, ctx) for cause in explanation.causes]
    rank = {CONFIRMED: 0, UNKNOWN: 1, RULED_OUT: 2}
    verdicts.sort(key=lambda v: rank[v.status])  # stable: keeps likelihood order within
    the_cause = next((v.cause for v in verdicts if v.status == CONFIRMED), None)
    verdicts = [CauseVerdict(v.cause, v.status, v.evidence, v.findings, v.cause is the_cause,
                             *_commands(v, ctx.inv)) for v in verdicts]
    if explanation.causes and the_cause is None:
        ctx.notes.append("No cause is confirmed by the static scan: run `kerasfix scan --deep`"
                         " (it imports TensorFlow in a subprocess), and check that the scanned"
                         " interpreter is the one that printed the error.")
    return Diagnosis(tuple(verdicts), the_cause, tuple(ctx.notes))


def _commands(verdict: CauseVerdict, inv: Inventory) -> tuple[str, str]:
    """(confirm, fix) for this target: a backing finding's exact manual steps win over the
    catalogue's generic fix."""
    cause = verdict.cause
    confirm = _personal(cause.confirm, inv) if cause.personal else cause.confirm
    manual = [m for f in verdict.findings for m in f.manual[:2]]
    fix = "; ".join(dict.fromkeys(manual)) if manual else _personal(cause.fix, inv)
    return confirm, fix


def _personal(text: str, inv: Inventory) -> str:
    """A catalogue command for this target: its interpreter, its TensorFlow minor."""
    exe = inv.interpreter.executable
    quoted = f'"{exe}"' if " " in exe else exe
    text = re.sub(r"(?<![\w/.-])python(?= -[mcI])", lambda _: quoted, text)
    tf = inv.tensorflow()
    if tf and tf.version and tf.version.major == 2:
        text = text.replace("2.N", f"2.{tf.version.minor}")
    return text


def _related(cause: Cause, findings: list[Finding]) -> list[Finding]:
    out = []
    for finding in findings:
        for entry in cause.findings:
            code, _, word = entry.partition("/")
            if finding.code == code and (not word or _names(finding, word)):
                out.append(finding)
                break
    return out


def _names(finding: Finding, word: str) -> bool:
    """Whether a finding is about `word` (tensorflow, keras, numpy): its title or dists."""
    labels = " ".join((finding.title, *finding.distributions)).lower()
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w])", labels) is not None


def _finding_evidence(findings: list[Finding]) -> tuple[str, ...]:
    out: list[str] = []
    for finding in findings:
        out.append(finding.title)
        out.extend(finding.evidence[:3])
    return tuple(out)


def _judge(cause: Cause, ctx: _Context) -> CauseVerdict:
    """A checker that reads the inventory decides when it can (it knows, e.g., which way
    protobuf is off); otherwise the scan's findings do."""
    related = _related(cause, ctx.findings)
    checked = CHECKERS[cause.check](ctx) if cause.check else None
    if checked is not None and checked[0] != UNKNOWN:
        status, evidence = checked
        if status != CONFIRMED:
            related = []
    elif related:
        status, evidence = CONFIRMED, ()
    else:
        status, evidence = UNKNOWN, checked[1] if checked else ()
    evidence = tuple(dict.fromkeys((*evidence, *_finding_evidence(related))))
    if status == UNKNOWN and cause.static and cause.findings:
        status = RULED_OUT
        codes = ", ".join(sorted({e.split("/")[0] for e in cause.findings}))
        evidence = (*evidence, f"the scan reports none of: {codes}")
    return CauseVerdict(cause, status, evidence, tuple(related))


# ---------------------------------------------------------------- inventory checkers


def _at(dist: Distribution) -> str:
    return f"{dist.label} is installed at {dist.location}"


def _keras3_old_tf(ctx: _Context) -> Check | None:
    tf, keras = ctx.inv.tensorflow(), ctx.inv.keras()
    if not (tf and tf.version):
        return None
    if keras and keras.version and keras.version.major >= 3 and tf.version < Version("2.15"):
        return CONFIRMED, (f"{_at(keras)}; it has no keras/api/_v2, where TensorFlow"
                           f" {tf.raw_version} loads tf.keras from, so tensorflow.keras cannot"
                           " load",)
    what = f"installed: TensorFlow {tf.raw_version}, " + (keras.label if keras else "no keras")
    return RULED_OUT, (what,)


def _no_keras(ctx: _Context) -> Check | None:
    tf, keras = ctx.inv.tensorflow(), ctx.inv.keras()
    if keras:
        return RULED_OUT, (_at(keras),)
    if tf:
        return CONFIRMED, (f"{_at(tf)}, and no distribution provides keras/",)
    return None


def _old_keras(ctx: _Context) -> Check | None:
    keras = ctx.inv.keras()
    if not (keras and keras.version):
        return None
    if keras.version < Version("2.6"):
        return CONFIRMED, (f"{_at(keras)}, which has no api/_v2, so tensorflow.keras cannot"
                           " load",)
    return RULED_OUT, (_at(keras),)


def _shadow(ctx: _Context) -> Check | None:
    evidence: list[str] = []
    for finding in ctx.findings:
        if finding.code == "local-file-shadows-package":
            name = finding.title.rsplit(" ", 1)[-1]
            evidence.extend(f"{p} shadows {name}" for p in finding.paths)
    for path in ctx.explanation.paths.shadowing:
        evidence.append(f"the traceback runs through {path}, outside site-packages")
    if evidence:
        return CONFIRMED, tuple(evidence)
    return None


def _user_site(ctx: _Context) -> Check | None:
    paths = ctx.explanation.paths.user_site
    if paths:
        return CONFIRMED, (f"the traceback loads {paths[0]} from a user site",)
    return None


def _legacy(ctx: _Context) -> Check | None:
    """The legacy warning itself proves the variable was set when the error happened (maybe in
    the code, or by transformers), even if the scanned shell does not have it."""
    tf_keras = ctx.inv.tf_keras()
    if tf_keras:
        return RULED_OUT, (_at(tf_keras),)
    proven = any(m.signature.id == "legacy-keras-without-tf-keras"
                 for m in ctx.explanation.matches)
    if proven:
        tf = ctx.inv.tensorflow()
        where = f" next to {tf.label}" if tf else ""
        return CONFIRMED, (f"no tf-keras distribution is installed{where}, and the message"
                           " shows TF_USE_LEGACY_KERAS was on",)
    return None  # the scan's legacy-keras-without-tf-keras finding decides


def _transformers(ctx: _Context) -> Check | None:
    transformers, tf_keras = ctx.inv.get("transformers"), ctx.inv.tf_keras()
    if transformers and not tf_keras:
        env = ctx.inv.legacy_keras_env
        return CONFIRMED, (f"{_at(transformers)} and tf-keras is not"
                           + (f" (TF_USE_LEGACY_KERAS={env!r} in the scanned environment)"
                              if env else "; TF_USE_LEGACY_KERAS is not set in the scanned"
                              " environment, so transformers set it at run time"),)
    if not transformers:
        return RULED_OUT, ("transformers is not installed",)
    return None


def _keras3_active(ctx: _Context) -> Check | None:
    major = codescan.keras_major_for(ctx.inv)
    keras = ctx.inv.keras()
    if major == 3 and keras:
        return CONFIRMED, (f"tf.keras is Keras 3 here: {_at(keras)}",)
    if major == 2:
        return RULED_OUT, ("tf.keras is Keras 2 in the scanned environment",)
    return None


def _keras_path(ctx: _Context) -> Check | None:
    module = ctx.explanation.group("module")
    rule = codescan.rule_for(module.replace("tensorflow.keras.", "keras.")) if module else None
    keras = ctx.inv.keras()
    if not (rule and keras and keras.version):
        return None
    if rule.exists_in(keras.version):
        return RULED_OUT, (f"{_at(keras)}, which has {module}: the error came from another"
                           " environment or another keras",)
    return CONFIRMED, (f"{_at(keras)}; {module} exists only in keras {rule.present}",)


def _tf2_installed(ctx: _Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    if tf and tf.version and tf.version.major >= 2:
        return CONFIRMED, (f"{_at(tf)}: TensorFlow 2 has the TF1 API only under"
                           " tf.compat.v1",)
    return None


def _python_support(ctx: _Context) -> Check | None:
    interp = ctx.inv.interpreter
    py = interp.short_version
    pyver = ctx.explanation.group("pyver")
    if pyver:
        return CONFIRMED, (f"pip reports Python {pyver} outside the release's Requires-Python",)
    lines = knowledge.lines_for_python(py)
    if interp.bits == 32 or not lines:
        return CONFIRMED, (f"{interp.executable} is Python {interp.version_text}"
                           f" ({interp.bits}-bit): no stable TensorFlow has wheels for it",)
    name, wanted = _requested(ctx.explanation.group("req") or "")
    if name in knowledge.KERAS_VARIANTS and wanted is not None:
        floor = knowledge.keras_python_floor(wanted)
        if floor > py:
            return CONFIRMED, (f"keras {wanted} needs Python >= {_dotted(floor)}; this is"
                               f" {interp.version_text}",)
        return RULED_OUT, (f"keras {wanted} installs on Python {interp.version_text}",)
    if wanted is None:
        return RULED_OUT, (f"Python {interp.version_text} has TensorFlow wheels up to"
                           f" {lines[-1].minor_text}",)
    line = knowledge.tf_line(wanted)
    if line is None:
        return UNKNOWN, (f"kerasfix has no wheel data for TensorFlow {wanted}",)
    window = f"{_dotted(line.python_min)}-{_dotted(line.python_max)}"
    if line.supports_python(py):
        return RULED_OUT, (f"TensorFlow {line.minor_text} has wheels for Python {window},"
                           f" including {interp.version_text}",)
    return CONFIRMED, (f"TensorFlow {line.minor_text} has wheels for Python {window}; this is"
                       f" {interp.version_text}",)


def _dotted(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def _requested(req: str) -> tuple[str, Version | None]:
    """('tensorflow-cpu', 2.15.1) from 'tensorflow-cpu==2.15.1' in pip's message."""
    match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:===?\s*([\w.]+))?", req)
    if not match:
        return "", None
    name = match.group(1).lower().replace("_", "-")
    return name, knowledge.parse_version(match.group(2))


def _self_evident(ctx: _Context) -> Check | None:
    return CONFIRMED, ("the message itself says so",)


def _cpu_flags(ctx: _Context) -> Check | None:
    if ctx.inv.interpreter.platform.startswith("linux") and os.path.isfile("/proc/cpuinfo"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                flags = next((line for line in handle if line.startswith("flags")), "")
        except OSError:
            return None
        if " avx " in f" {flags.split(':', 1)[-1].strip()} ":
            return RULED_OUT, ("this CPU reports avx in /proc/cpuinfo",)
        return CONFIRMED, ("this CPU does not report avx in /proc/cpuinfo",)
    return None


def _rosetta(ctx: _Context) -> Check | None:
    interp = ctx.inv.interpreter
    if not interp.platform.startswith("macosx"):
        return RULED_OUT, (f"the interpreter is not macOS ({interp.platform})",)
    if interp.platform.endswith("arm64"):
        return RULED_OUT, ("the interpreter is arm64",)
    return None


def _numpy_one(ctx: _Context) -> Check | None:
    numpy = ctx.inv.get("numpy")
    if numpy and numpy.version and numpy.version.major >= 2:
        return RULED_OUT, (f"{_at(numpy)}: modules built for NumPy 2 load with it",)
    return None


def _backend(ctx: _Context) -> Check | None:
    """The variable may live in the code or notebook only: a scan without it cannot rule the
    cause out, but can say whether the backend package is there."""
    if any(f.code == "keras-backend-not-tensorflow" for f in ctx.findings):
        return None  # the finding confirms it
    module = ctx.explanation.group("module")
    if module in ("jax", "torch", "openvino") and ctx.inv.get(module) is None:
        return UNKNOWN, (f"{module} is not installed; KERAS_BACKEND is not set in the scanned"
                         " environment and keras.json does not name it: look for"
                         " os.environ['KERAS_BACKEND'] in the code or notebook",)
    return None


def _tensorflow_missing(ctx: _Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    first = ctx.inv.first_import("tensorflow")
    if tf is None and first is None:
        return CONFIRMED, (f"{ctx.inv.interpreter.executable} has no TensorFlow on sys.path",)
    if tf is not None and first is None:
        return CONFIRMED, (f"{tf.label} is recorded, but no tensorflow/ folder is importable",)
    return RULED_OUT, (f"tensorflow is importable from {first.path}" if first else
                       "TensorFlow is installed",)


def _traceback_env(ctx: _Context) -> Check | None:
    foreign = _foreign_roots(ctx)
    if foreign:
        return CONFIRMED, (f"the traceback ran in {foreign[0]}, which is not on the scanned"
                           f" interpreter's sys.path ({ctx.inv.interpreter.executable})",)
    if ctx.explanation.paths.site_packages:
        return RULED_OUT, ("the traceback's site-packages is the scanned environment's",)
    return None


def _protobuf_direction(ctx: _Context, newer: bool) -> Check | None:
    tf, pb = ctx.inv.tensorflow(), ctx.inv.get("protobuf")
    if not (tf and pb and pb.version):
        return None
    line = knowledge.tf_line(tf.version)
    if line is None:
        return None
    spec = SpecifierSet(line.protobuf)
    if pb.version in spec:
        return RULED_OUT, (f"protobuf {pb.raw_version} is inside TensorFlow {line.minor_text}'s"
                           f" range ({spec})",)
    above = any(s.operator in ("<", "<=") and not s.contains(pb.version) for s in spec)
    if above == newer:
        return CONFIRMED, (f"protobuf {pb.raw_version} is {'above' if newer else 'below'}"
                           f" TensorFlow {tf.raw_version}'s range ({spec})",)
    return RULED_OUT, (f"protobuf {pb.raw_version} is {'below' if newer else 'above'} the"
                       " range, not the other way round",)


CHECKERS: dict[str, Checker] = {
    "keras3_old_tf": _keras3_old_tf,
    "no_keras": _no_keras,
    "old_keras": _old_keras,
    "shadow": _shadow,
    "user_site": _user_site,
    "legacy": _legacy,
    "transformers": _transformers,
    "keras3_active": _keras3_active,
    "keras_path": _keras_path,
    "tf2_installed": _tf2_installed,
    "python_support": _python_support,
    "self_evident": _self_evident,
    "cpu_flags": _cpu_flags,
    "rosetta": _rosetta,
    "tensorflow_missing": _tensorflow_missing,
    "backend": _backend,
    "numpy_one": _numpy_one,
    "traceback_env": _traceback_env,
    "protobuf_new": lambda ctx: _protobuf_direction(ctx, newer=True),
    "protobuf_old": lambda ctx: _protobuf_direction(ctx, newer=False),
}


def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(path)).rstrip("/\\")


def _foreign_roots(ctx: _Context) -> list[str]:
    """site-packages folders in the traceback that the scanned interpreter does not use."""
    known = {_norm(e.path) for e in ctx.inv.path_entries}
    return [root for root in ctx.explanation.paths.site_packages if _norm(root) not in known]


def _environment_note(ctx: _Context) -> str | None:
    foreign = _foreign_roots(ctx)
    if not foreign:
        return None
    return (f"The traceback ran in {foreign[0]}, which the scanned interpreter"
            f" ({ctx.inv.interpreter.executable}) does not use: scan the environment that"
            " printed the error (kerasfix scan --python PATH) for a verdict that counts.")
