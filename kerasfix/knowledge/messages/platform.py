"""Catalogue area: platform (see the package docstring).

Native loading (Windows DLLs, CPUs, Apple silicon), interpreters that are not the target (a
`pip`, `python` or Jupyter kernel of another environment), and errors that are the code's own:
signatures with `outside=True` and no causes, so explain says no environment change fixes them.
An outside signature never hides a cause: explain lists the causes of every matched signature.
"""

from __future__ import annotations

from kerasfix.knowledge.messages.records import Cause, Signature
from kerasfix.knowledge.messages.texts import PIP_LIST

# The Microsoft C++ runtime DLLs TensorFlow's Windows wheels check for before loading
# (tensorflow/python/platform/self_check.py: MSVCP_DLL_NAMES of build_info).
MSVC_DLLS = "msvcp140.dll / msvcp140_1.dll"
VC_REDIST = "https://aka.ms/vs/17/release/vc_redist.x64.exe"
LONG_PATHS_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\FileSystem"

# The ImportError TensorFlow's Windows self-check raises names the missing DLLs.
_TF_SELF_CHECK = ("https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/"
                  "platform/self_check.py")

CAUSES: tuple[Cause, ...] = (
    Cause("cpu-lacks-avx", "The CPU lacks instructions (AVX) TensorFlow's wheels are built for",
          "PyPI TensorFlow wheels use AVX; on an older CPU, a VM that hides AVX or an emulator,"
          " `import tensorflow` dies with SIGILL (Illegal instruction) and no traceback.",
          "grep -o -w -m1 avx /proc/cpuinfo", "run on a CPU with AVX, or use a TensorFlow built"
          " without it (conda-forge, or build from source)", (), None, static=False,
          # not "AVX2": TensorFlow's start-up line names it on CPUs that have it
          hints=(r"Illegal instruction \(core dumped\)", r"initialization routine failed",
                 r"-1073741795|0xC000001D"),
          sources=("https://github.com/tensorflow/tensorflow/issues/19104",
                   "https://github.com/fo40225/tensorflow-windows-wheel/issues/48",
                   "https://github.com/tensorflow/tensorflow/issues/5949")),
    Cause("x86-python-on-apple-silicon", "An x86_64 Python runs under Rosetta on Apple silicon",
          "Rosetta does not emulate AVX, so x86_64 TensorFlow wheels crash with SIGILL (zsh:"
          " 'illegal hardware instruction', bash: 'Illegal instruction: 4').",
          "python -c \"import platform; print(platform.machine())\"",
          "use an arm64 Python (it prints arm64) and a fresh environment", (), None,
          static=False,
          hints=(r"(?i)illegal hardware instruction", r"Illegal instruction: 4",
                 r"\bon darwin\b", r"\bM[1-4](?: (?:Pro|Max|Ultra))?\b|Apple silicon|Rosetta",
                 r"Mach-O 64-bit executable x86_64"),
          sources=("https://github.com/apple/tensorflow_macos/issues/81",
                   "https://github.com/tensorflow/tensorflow/issues/45323",
                   "https://github.com/tensorflow/tensorflow/issues/46178")),
    Cause("tensorflow-metal-mismatch", "A tensorflow-metal plugin built for another TensorFlow",
          "TensorFlow loads every library in tensorflow-plugins/ at import; a tensorflow-metal"
          " built against another TensorFlow fails with 'Symbol not found'.",
          "python -m pip show tensorflow-metal tensorflow",
          "python -m pip uninstall tensorflow-metal (reinstall a matching version later)",
          ("tensorflow-metal-plugin",), "S22",
          sources=("https://github.com/tensorflow/tensorflow/issues/81987",
                   "https://github.com/tensorflow/tensorflow/issues/84167",
                   "https://github.com/tensorflow/tensorflow/issues/50541")),
    Cause("wheel-for-another-python", "TensorFlow's binaries were built for another Python",
          "The environment was upgraded in place or copied: compiled extensions built for one"
          " CPython do not load in another.", PIP_LIST,
          "reinstall the stack (or make a fresh environment)",
          ("wheel-for-another-python", "requires-python-unmet"), "S13",
          sources=("tests/test_checks.py::test_s13_wheel_built_for_another_python",)),
    Cause("wrong-environment", "The code runs in another environment than the one you fixed",
          "A notebook kernel, IDE interpreter or `pip` from another Python: what you installed"
          " is not what runs.", 'python -c "import sys; print(sys.executable)"; python -m pip'
          " --version", "install with `<the python that runs the code> -m pip`, or scan that"
          " one (kerasfix scan --python PATH)", (), None, static=False, personal=False,
          # Only what shows the user comparing interpreters: notebook and editor markers are in
          # every Colab traceback, whatever its cause (they live in signatures below instead).
          hints=(r"^pip \S+ from \S+ \(python [\d.]+\)", r"sys\.executable"),
          sources=("https://github.com/jupyter/notebook/issues/3451",
                   "https://github.com/aymericdamien/TensorFlow-Examples/issues/37",
                   "https://github.com/tensorflow/tensorflow/issues/12256",
                   "https://github.com/ageron/handson-ml/issues/574")),
    Cause("jupyter-kernel-other-env", "The Jupyter kernel runs another Python than the"
          " environment",
          "A notebook runs the interpreter its kernelspec's argv[0] names (or the Python Jupyter"
          " itself was installed in), not the environment that was activated or fixed: packages"
          " installed there are not importable in the notebook.",
          "jupyter kernelspec list; in the notebook: import sys; print(sys.executable)",
          "register the environment as a kernel and pick it in the notebook: python -m pip"
          " install ipykernel && python -m ipykernel install --user --name <env-name>",
          ("jupyter-kernel-other-interpreter",), None, static=False,
          sources=("https://github.com/jupyter/notebook/issues/2120",
                   "https://github.com/jupyter/jupyter/issues/359",
                   "https://github.com/ContinuumIO/anaconda-issues/issues/9818")),
    Cause("msvc-runtime-missing", "The Microsoft Visual C++ runtime TensorFlow needs is missing",
          f"TensorFlow's Windows wheels link against the Visual C++ runtime ({MSVC_DLLS});"
          " without the Visual C++ Redistributable (x64) Windows cannot load"
          " _pywrap_tensorflow_internal.pyd: 'DLL load failed: The specified module could not"
          " be found'. (A CPU without AVX fails differently: 'A dynamic link library (DLL)"
          " initialization routine failed'.)",
          r"dir C:\Windows\System32\msvcp140_1.dll",
          f"install the latest Microsoft Visual C++ Redistributable for x64 ({VC_REDIST}),"
          " then start a new terminal", (), None, static=False, personal=False,
          # a DLL that is not found (a CPU without AVX fails in initialisation instead)
          hints=(r"msvcp140|vcruntime140|Visual C\+\+|\bMSVC\b",
                 r"Could not find the DLL\(s\)",
                 r"DLL load failed[^\n]*The specified module could not be found"),
          sources=("https://github.com/tensorflow/tensorflow/issues/39502",
                   "https://github.com/tensorflow/tensorflow/issues/39096",
                   _TF_SELF_CHECK)),
    Cause("windows-long-paths", "Windows long paths are disabled, so pip cannot write"
          " TensorFlow's deepest files",
          "TensorFlow's wheel has files whose full path passes Windows' 260-character limit"
          " (MAX_PATH) once the environment's folder is added; pip fails with '[Errno 2] No"
          " such file or directory' on one of them and the install is left incomplete.",
          f'reg query "{LONG_PATHS_KEY}" /v LongPathsEnabled',
          "enable long paths (as administrator, PowerShell: New-ItemProperty -Path"
          ' "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\FileSystem" -Name LongPathsEnabled'
          " -Value 1 -PropertyType DWORD -Force) and reinstall, or make the environment in a"
          " short folder (C:\\venvs\\tf)", (), None, static=False, personal=False,
          hints=(r"Long Path", r"LocalCache\\\\local-packages", r"PythonSoftwareFoundation"),
          sources=("https://github.com/pypa/pip/issues/7398",
                   "https://github.com/tensorflow/tensorflow/issues/35935")),
)

# Keras module names users mistype: the singular of a real plural module never existed.
_KERAS_PLURALS = ("model|layer|optimizer|loss|metric|callback|dataset|application|activation|"
                  "initializer|regularizer|constraint|preprocessings")
_KERAS_ROOT = r"(?:tensorflow\.(?:python\.)?keras|tf\.keras|keras)"
_QUOTE = r"['\"]?"

SIGNATURES: tuple[Signature, ...] = (
    Signature("illegal-instruction",
              (r"(?i)\billegal instruction\b(?!: 4)", r"\bSIGILL\b",
               r"exit (?:code|status) (?:132|-4)\b", r"-1073741795|0xC000001D"),
              "the process died on a CPU instruction it cannot run",
              ("cpu-lacks-avx", "x86-python-on-apple-silicon", "tensorflow-folder-clobbered"),
              priority=3,
              sources=("https://github.com/tensorflow/tensorflow/issues/19104",
                       "https://github.com/tensorflow/tensorflow/issues/5949")),
    Signature("illegal-hardware-instruction",
              (r"(?i)illegal hardware instruction", r"^Illegal instruction: 4\b"),
              "a macOS shell saw the process die on an instruction the CPU cannot run"
              " (on Apple silicon: an x86_64 Python under Rosetta)",
              ("x86-python-on-apple-silicon", "cpu-lacks-avx"), priority=3,
              sources=("https://github.com/apple/tensorflow_macos/issues/81",
                       "https://github.com/tensorflow/tensorflow/issues/62860",
                       "https://github.com/tensorflow/tensorflow/issues/46178")),
    Signature("metal-symbol-not-found",
              (r"libmetal_plugin\.dylib[^\n]*Symbol not found",
               r"Symbol not found[^\n]*libmetal_plugin"),
              "tensorflow-metal does not match TensorFlow", ("tensorflow-metal-mismatch",),
              priority=3, scenario="S22",
              sources=("https://github.com/tensorflow/tensorflow/issues/81987",
                       "https://github.com/tensorflow/tensorflow/issues/50541")),
    Signature("native-runtime", (r"Failed to load the native TensorFlow runtime",),
              "TensorFlow's compiled core did not load",
              ("wheel-for-another-python", "tensorflow-folder-clobbered", "cpu-lacks-avx"),
              priority=2, scenario="S13",
              sources=("https://github.com/tensorflow/tensorflow/issues/39502",
                       "https://github.com/tensorflow/tensorflow/issues/37863")),
    Signature("msvc-dll-not-found",
              (r"Could not find the DLL\(s\) '(?:msvcp|vcruntime)\d+",),
              "TensorFlow's own check found the Visual C++ runtime DLLs missing",
              ("msvc-runtime-missing",), priority=3, sources=(_TF_SELF_CHECK,)),
    Signature("dll-module-not-found",
              (r"DLL load failed(?: while importing \w+)?: The specified module could not be"
               r" found",),
              "Windows could not find a DLL that TensorFlow's compiled core links against",
              ("msvc-runtime-missing", "wheel-for-another-python"), priority=3,
              sources=("https://github.com/tensorflow/tensorflow/issues/39502",
                       "https://github.com/tensorflow/tensorflow/issues/42600",
                       "https://github.com/tensorflow/tensorflow/issues/10033")),
    Signature("dll-init-failed",
              (r"DLL load failed(?: while importing \w+)?: A dynamic link library \(DLL\)"
               r" initiali[sz]ation routine failed",
               r"DLL load failed with error code -1073741795"),
              "TensorFlow's DLL started and failed at once: the CPU lacks AVX (or AVX2 for the"
              " build), or the Visual C++ runtime is too old",
              ("cpu-lacks-avx", "msvc-runtime-missing"), priority=3,
              sources=("https://github.com/fo40225/tensorflow-windows-wheel/issues/48",
                       "https://github.com/tensorflow/tensorflow/issues/63082",
                       "https://github.com/tensorflow/tensorflow/issues/79362")),
    Signature("windows-long-path",
              (r"does not have Windows Long Path support enabled",
               r"Could not install packages due to an (?:OSError|EnvironmentError): \[Errno 2\]"
               r" No such file or directory: '[A-Za-z]:\\[^'\n]{170,}'"),
              "pip could not write a file whose path is longer than Windows allows",
              ("windows-long-paths",), priority=3,
              sources=("https://github.com/pypa/pip/issues/7398",
                       "https://github.com/FengWei2000/CBIR/issues/2",
                       "https://github.com/tensorflow/tensorflow/issues/51841")),
    Signature("editor-package-unresolved",
              (r"Import \"(?P<module>tensorflow|keras|tf_keras)\" could not be resolved",),
              "the editor's interpreter has no such package (the whole package, not"
              " tensorflow.keras: the editor runs another environment)",
              ("wrong-environment",), priority=2,
              sources=("https://github.com/microsoft/pylance-release/issues/2980",)),
    Signature("no-module-in-notebook",
              (r"(?s)(?:<ipython-input-|Cell In\s?\[\d+\]|ipykernel|[Jj]upyter|IPython)[^\0]*?"
               r"No module named ['\"]?(?P<module>tensorflow|keras|tf_keras)['\"]?(?![\w.])",
               r"(?s)No module named ['\"]?(?P<module2>tensorflow|keras|tf_keras)['\"]?(?![\w.])"
               r"[^\0]*?(?:in (?:a |the |my )?(?:[Jj]upyter|notebook)|ipykernel)"),
              "a notebook (or IPython) runs an interpreter without the package: usually not the"
              " environment it was installed in",
              ("wrong-environment", "jupyter-kernel-other-env"), priority=2,
              sources=("https://github.com/jupyter/notebook/issues/2120",
                       "https://github.com/ContinuumIO/anaconda-issues/issues/10473",
                       "https://github.com/tensorflow/tensorflow/issues/26429")),
    # ---- the code's own errors: no environment change fixes them
    Signature("typo-keras-module",
              (rf"No module named {_QUOTE}(?P<module>{_KERAS_ROOT}\.(?:{_KERAS_PLURALS}))"
               rf"{_QUOTE}(?![\w.])",
               rf"No module named {_QUOTE}(?P<module2>tensorflow\.keras\.topology)"),
              "the import names a module Keras never had (a typo: keras.models, keras.layers,"
              " keras.optimizers ... are plural)", (), priority=1, outside=True,
              sources=("https://github.com/keras-team/keras/issues/8897",
                       "https://github.com/ialhashim/DenseDepth/issues/196")),
    Signature("miscapitalised-import",
              (rf"No module named {_QUOTE}(?P<module>(?:TensorFlow|Tensorflow|TENSORFLOW|tensorFlow"
               r"|Keras|KERAS|TF|Tf|Numpy|NumPy)(?:\.[\w.]+)?)" + _QUOTE + r"(?![\w.])",
               rf"No module named {_QUOTE}(?P<module2>tf|tf\.keras(?:\.[\w.]+)?|"
               r"tensorflow[-_]gpu|tensorflow[-_]cpu)" + _QUOTE + r"(?![\w.])",
               r"cannot import name '?tf'?(?: from '?tensorflow'?)?(?![\w.])"),
              "the import is spelt differently from the module (module names are case-sensitive;"
              " the module is tensorflow, imported as tf: `import tensorflow as tf`)", (),
              priority=1, outside=True,
              sources=("https://github.com/tensorflow/tensorflow/issues/46072",
                       "https://github.com/tensorflow/tensorflow/issues/16265")),
    Signature("name-not-defined",
              (r"NameError: (?:global )?name '(?P<name>\w+)' is not defined",),
              "the code uses a name it never imported or defined (add the import, e.g. `from"
              " tensorflow.keras import layers, models`)", (), priority=0, outside=True,
              sources=("https://github.com/keras-team/keras/issues/11793",
                       "https://github.com/llSourcell/Make_Money_with_Tensorflow_2.0/issues/14",
                       "https://github.com/dronedeploy/dd-ml-segmentation-benchmark/issues/23")),
    Signature("shape-mismatch",
              (r"Input \d+ (?:of layer \S+ )?is incompatible with (?:the )?layer",
               r"Error when checking (?:target|input|model input|model target)",
               r"Shapes \([^)\n]*\) and \([^)\n]*\) are incompatible",
               r"logits and labels must have the same (?:first dimension|shape)",
               r"Incompatible shapes: \[", r"Dimensions must be equal, but are \d+ and \d+",
               r"Failed to convert a NumPy array to a Tensor \(Unsupported object type"),
              "the data's shape or type does not fit the model (an input_shape, the number of"
              " classes, one-hot vs integer labels)", (), priority=0, outside=True,
              sources=("https://github.com/keras-team/keras/issues/19367",
                       "https://github.com/gussow/seeker/issues/5",
                       "https://github.com/NLeSC/mcfly/issues/188")),
    Signature("out-of-memory",
              (r"OOM when allocating tensor", r"\bResourceExhaustedError\b",
               r"Resource exhausted: OOM"),
              "the model or batch does not fit in the GPU's (or the machine's) memory: reduce"
              " the batch size or the model, or free the GPU", (), priority=0, outside=True,
              sources=("https://github.com/zhengyang-wang/Deeplab-v2--ResNet-101--Tensorflow/"
                       "issues/22", "https://github.com/tensorflow/models/issues/1993",
                       "https://github.com/hizhangp/yolo_tensorflow/issues/71")),
)
