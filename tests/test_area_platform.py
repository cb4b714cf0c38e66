"""Catalogue area "platform": Windows DLLs and long paths, CPUs and Apple silicon, interpreters
that are not the target (commands on PATH, Jupyter kernels), and errors that are the code's own.

Messages are quoted from the public threads each signature records; the scan checks run for
real on fabricated environments (tests/fakeenv.py) with a PATH and kernelspecs built here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.explain import CONFIRMED, RULED_OUT, UNKNOWN, diagnose, explain_text
from kerasfix.diagnose.explain.match import OUTSIDE
from kerasfix.inspect.commands import find_command, same_environment
from kerasfix.inspect.winhost import missing_msvc_dlls

DLL_NOT_FOUND = (
    '  File "C:\\Users\\Acer\\anaconda3\\envs\\mytfenv\\lib\\site-packages\\tensorflow\\python'
    '\\pywrap_tensorflow.py", line 64, in <module>\n'
    "    from tensorflow.python._pywrap_tensorflow_internal import *\n"
    "ImportError: DLL load failed while importing _pywrap_tensorflow_internal: The specified"
    " module could not be found.\n\nFailed to load the native TensorFlow runtime.")
NOTEBOOK = ("ModuleNotFoundError                       Traceback (most recent call last)\n"
            "<ipython-input-1-cdfb01024084> in <module>\n      4 import sys\n"
            "----> 6 import tensorflow as tf\n\nModuleNotFoundError: No module named"
            " 'tensorflow'")


@pytest.mark.parametrize("text,signature,first", [
    (DLL_NOT_FOUND, "dll-module-not-found", "msvc-runtime-missing"),
    ("ImportError: DLL load failed: The specified module could not be found.",
     "dll-module-not-found", "msvc-runtime-missing"),
    ("ImportError: Could not find the DLL(s) 'msvcp140_1.dll'. TensorFlow requires that these"
     " DLLs be installed in a directory that is named in your %PATH% environment variable.",
     "msvc-dll-not-found", "msvc-runtime-missing"),
    ("ImportError: DLL load failed: A dynamic link library (DLL) initialization routine failed",
     "dll-init-failed", "cpu-lacks-avx"),
    ("ImportError: DLL load failed with error code -1073741795", "dll-init-failed",
     "cpu-lacks-avx"),
    ("ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory:"
     " \nHINT: This error might have occurred since this system does not have Windows Long Path"
     " support enabled. You can find information on how to enable this at"
     " https://pip.pypa.io/warnings/enable-long-paths", "windows-long-path",
     "windows-long-paths"),
    ("zsh: illegal hardware instruction  python3", "illegal-hardware-instruction",
     "x86-python-on-apple-silicon"),
    ("Python 3.11.7 (main, Dec  4 2023, 18:10:11) [Clang 15.0.0] on darwin\n>>> import"
     " tensorflow\nIllegal instruction: 4", "illegal-hardware-instruction",
     "x86-python-on-apple-silicon"),
    ("Illegal instruction (core dumped)", "illegal-instruction", "cpu-lacks-avx"),
    (NOTEBOOK, "no-module-in-notebook", "wrong-environment"),
    ('Import "tensorflow" could not be resolvedPylancereportMissingImports',
     "editor-package-unresolved", "wrong-environment"),
])
def test_platform_messages_name_their_cause(text: str, signature: str, first: str) -> None:
    explanation = explain_text(text)
    assert signature in {m.signature.id for m in explanation.matches}
    assert explanation.causes[0].id == first


def test_a_notebook_offers_its_kernel_as_the_next_cause() -> None:
    causes = [c.id for c in explain_text(NOTEBOOK).causes]
    assert "jupyter-kernel-other-env" in causes[:3]
    # the same message outside a notebook keeps its usual first cause
    bare = [c.id for c in explain_text("ModuleNotFoundError: No module named 'tensorflow'").causes]
    assert "jupyter-kernel-other-env" not in bare


@pytest.mark.parametrize("text", [
    "ImportError: No module named 'keras.model'",
    "ModuleNotFoundError: No module named 'tensorflow.keras.layer'",
    "ModuleNotFoundError: No module named 'tensorflow.keras.topology'",
    "ModuleNotFoundError: No module named 'TensorFlow'",
    "ModuleNotFoundError: No module named 'tf'",
    "ImportError: cannot import name tf",
    "NameError: name 'models' is not defined",
    "NameError: global name 'Sequential' is not defined",
    'ValueError: Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of'
    " input shape to have value 784, but received input with shape (None, 28, 28)",
    "ValueError: Shapes (None, 1) and (None, 10) are incompatible",
    "ResourceExhaustedError: OOM when allocating tensor with shape[64,512,28,28]",
])
def test_the_codes_own_errors_have_no_environment_cause(text: str) -> None:
    explanation = explain_text(text)
    assert explanation.matched and not explanation.causes
    assert explanation.message.endswith(OUTSIDE)


@pytest.mark.parametrize("text", [
    "ModuleNotFoundError: No module named 'keras.models'",
    "ModuleNotFoundError: No module named 'tensorflow.keras'",
    "ModuleNotFoundError: No module named 'keras.layers.core'",
    "ModuleNotFoundError: No module named 'tensorflow'",
    "ImportError: cannot import name 'tf_utils' from 'keras.utils'",
])
def test_real_module_names_are_not_taken_for_typos(text: str) -> None:
    assert not any(m.signature.outside for m in explain_text(text).matches)


def test_an_outside_error_never_hides_an_environment_cause() -> None:
    text = ("ResourceExhaustedError: OOM when allocating tensor with shape[64,512]\n"
            "ModuleNotFoundError: No module named 'tensorflow.keras'")
    explanation = explain_text(text)
    assert explanation.causes
    assert not explanation.message.endswith(OUTSIDE)


# ------------------------------------------------------------------ checkers against a scan


def _verdicts(text: str, fake: FakeEnv) -> dict[str, object]:
    return {v.cause.id: v for v in diagnose(explain_text(text), fake.scan()).verdicts}


def test_windows_causes_are_ruled_out_on_linux(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    verdicts = _verdicts(DLL_NOT_FOUND, fake)
    assert verdicts["msvc-runtime-missing"].status == RULED_OUT
    assert "not Windows" in verdicts["msvc-runtime-missing"].evidence[0]
    long_path = _verdicts("does not have Windows Long Path support enabled", fake)
    assert long_path["windows-long-paths"].status == RULED_OUT


def test_missing_msvc_dlls_reads_system32(tmp_path: Path) -> None:
    (tmp_path / "System32").mkdir()
    assert "msvcp140_1.dll" in missing_msvc_dlls(str(tmp_path))
    for dll in ("msvcp140.dll", "msvcp140_1.dll", "vcruntime140.dll", "vcruntime140_1.dll"):
        (tmp_path / "System32" / dll).write_bytes(b"MZ")
    assert missing_msvc_dlls(str(tmp_path)) == []


# ------------------------------------------------------------------ commands on PATH


def _script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def _other_python(tmp_path: Path) -> Path:
    """Another environment's interpreter (a symlink to this Python, in its own bin/)."""
    other = tmp_path / "other" / "bin"
    other.mkdir(parents=True)
    (other / "python3").symlink_to(sys.executable)
    return other / "python3"


def test_pip_on_path_of_another_python_is_reported(fake: FakeEnv, tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    other = _other_python(tmp_path)
    bin_dir = tmp_path / "path"
    _script(bin_dir, "pip", f"#!{other}\nimport sys\n")
    # the venv (made without pip) first: `python3` is the target, `pip` comes from further on
    fake.env["PATH"] = os.pathsep.join([str(Path(fake.python).parent), str(bin_dir)])
    found = [f for f in fake.scan().findings if f.code == "command-other-interpreter"]
    assert len(found) == 1
    assert found[0].severity.value == "warning"  # `pip install` here misses `python3`
    assert str(other) in found[0].title and "`pip`" in found[0].title
    assert found[0].manual[0].startswith(f"install with `{fake.python} -m pip install")


def test_a_path_unrelated_to_the_environment_is_not_judged(fake: FakeEnv,
                                                           tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    other = _other_python(tmp_path)
    _script(other.parent, "pip", f"#!{other}\n")
    fake.env["PATH"] = str(other.parent)  # neither activated nor its python on PATH
    assert "command-other-interpreter" not in {f.code for f in fake.scan().findings}


def test_an_activated_environment_whose_pip_is_elsewhere_is_a_warning(
        fake: FakeEnv, tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    other = _other_python(tmp_path)
    bin_dir = tmp_path / "path"
    # pip's own form for interpreter paths too long for a shebang line
    _script(bin_dir, "pip3", f"#!/bin/sh\n'''exec' \"{other}\" \"$0\" \"$@\"\n' '''\n")
    fake.env.update(PATH=str(bin_dir), VIRTUAL_ENV=str(Path(fake.python).parent.parent))
    found = {f.code: f for f in fake.scan().findings}
    assert found["command-other-interpreter"].severity.value == "warning"
    assert "exec line" in found["command-other-interpreter"].evidence[0]


def test_commands_of_the_environment_itself_are_fine(fake: FakeEnv, tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    venv_bin = Path(fake.python).parent
    _script(venv_bin, "pip", f"#!{fake.python}\n")
    fake.env["PATH"] = str(venv_bin)  # python, python3 and pip: the venv's own
    codes = {f.code for f in fake.scan().findings}
    assert "command-other-interpreter" not in codes


def test_a_venv_python_is_its_own_environment_not_its_base(fake: FakeEnv) -> None:
    venv_bin = str(Path(fake.python).parent)
    command = find_command("python", venv_bin)
    assert command is not None and command.how == "interpreter"
    assert same_environment(command.python or "", fake.python)
    assert not same_environment(fake.python, os.path.realpath(fake.python))


def test_env_shebang_resolves_on_the_same_path(tmp_path: Path) -> None:
    other = _other_python(tmp_path)
    _script(tmp_path / "bin", "jupyter", "#!/usr/bin/env python3\n")
    path_var = os.pathsep.join([str(tmp_path / "bin"), str(other.parent)])
    command = find_command("jupyter", path_var)
    assert command is not None and command.python == str(other) and command.how == "env shebang"


def test_a_shim_is_unknown_not_guessed(tmp_path: Path) -> None:
    _script(tmp_path / "shims", "pip", '#!/usr/bin/env bash\nexec "/x/libexec/pyenv" exec'
                                       ' "$program" "$@"\n')
    command = find_command("pip", str(tmp_path / "shims"))
    assert command is not None and command.python is None


# ------------------------------------------------------------------ Jupyter kernels


def _kernel(home: Path, name: str, python: str) -> None:
    folder = home / ".local" / "share" / "jupyter" / "kernels" / name
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": name, "language": "python"}))


def test_jupyter_without_a_kernel_for_the_environment(fake: FakeEnv, tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    other = _other_python(tmp_path)
    _script(other.parent, "jupyter", f"#!{other}\n")
    _kernel(fake.root / "home", "base", str(other))
    fake.env.update(PATH=str(other.parent), VIRTUAL_ENV=str(Path(fake.python).parent.parent))
    found = {f.code: f for f in fake.scan().findings}
    kernel = found["jupyter-kernel-other-interpreter"]
    assert kernel.severity.value == "info"
    assert f"kernel 'base' runs {other}" in kernel.evidence
    assert kernel.manual[0].startswith(f"{fake.python} -m pip install ipykernel &&")
    assert "-m ipykernel install --user --name venv" in kernel.manual[0]
    verdicts = _verdicts(NOTEBOOK, fake)
    assert verdicts["jupyter-kernel-other-env"].status == CONFIRMED
    # the commands on PATH are evidence for the wrong environment, not proof
    assert found["command-other-interpreter"].severity.value == "info"  # python3 only
    assert verdicts["wrong-environment"].status == UNKNOWN
    assert any("another Python" in e for e in verdicts["wrong-environment"].evidence)


def test_a_kernel_that_runs_the_environment_is_enough(fake: FakeEnv, tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    other = _other_python(tmp_path)
    _script(other.parent, "jupyter", f"#!{other}\n")
    _kernel(fake.root / "home", "base", str(other))
    _kernel(fake.root / "home", "tf", fake.python)
    fake.simple("ipykernel", "6.29.5")  # meant for notebooks, and registered
    fake.env["PATH"] = str(other.parent)
    assert "jupyter-kernel-other-interpreter" not in {f.code for f in fake.scan().findings}
