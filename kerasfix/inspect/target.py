"""Choosing the interpreter to diagnose: --python, then VIRTUAL_ENV, CONDA_PREFIX, PATH.

kerasfix usually lives in its own venv (pipx, uv tool), so its own interpreter is never assumed
to be the target. Paths are kept as given (absolute, not resolved): a venv's python is a symlink
to the base interpreter, and resolving it would leave the venv.

A launcher script is different: a pyenv shim (~/.pyenv/shims/python3) is a bash script that execs
the interpreter .python-version or PYENV_VERSION picks, so it may run another one tomorrow. The
interpreter a scan really ran is the probe's sys.executable (`Inventory.python`); `resolved` says
so in the target's reason, and commands use that interpreter, never the script.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace

from kerasfix.errors import TargetError

_CANDIDATES_POSIX = ("bin/python", "bin/python3")
_CANDIDATES_WINDOWS = ("Scripts/python.exe", "python.exe")


@dataclass(frozen=True)
class Target:
    python: str
    reason: str  # how it was chosen, said to the user

    def describe(self) -> str:
        return f"{self.python} ({self.reason})"

    def resolved(self, executable: str) -> Target:
        """This target, its reason naming the interpreter a launcher script ran (if it did)."""
        if not executable or _same_file(self.python, executable):
            return self
        kind = launcher_kind(self.python) or "launcher"
        return replace(self, reason=f"{self.reason}; {self.python} is a {kind} that ran"
                                    f" {executable}")


def launcher_kind(path: str) -> str | None:
    """What kind of script `path` is ("pyenv shim", "asdf shim", "launcher script"), or None
    for a binary. Only the first bytes are read."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    for tool in ("pyenv", "asdf", "mise"):
        if tool.encode() in head or f"/.{tool}/shims/" in path or f"/{tool}/shims/" in path:
            return f"{tool} shim"
    return "launcher script"


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def interpreter_in(folder: str) -> str | None:
    """The interpreter of an environment folder (venv, conda env, prefix)."""
    names = _CANDIDATES_WINDOWS if os.name == "nt" else _CANDIDATES_POSIX
    for rel in names:
        candidate = os.path.join(folder, rel)
        if os.path.isfile(candidate):
            return candidate
    return None


def _from_path_argument(value: str) -> str:
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.lexists(path):
        found = shutil.which(value)
        if found:
            return found
        raise TargetError(f"--python {value}: no such file or folder")
    if os.path.isdir(path):
        found = interpreter_in(path)
        if not found:
            raise TargetError(f"--python {value}: a folder without bin/python or Scripts/python.exe"
                              " (not an environment)")
        return found
    if not os.path.exists(path):
        raise TargetError(f"--python {value}: a broken symlink (its interpreter was removed)")
    if not os.access(path, os.X_OK):
        raise TargetError(f"--python {value}: not executable")
    return path


def _from_env_folder(var: str, folder: str) -> str:
    found = interpreter_in(folder)
    if not found:
        raise TargetError(f"{var}={folder} has no interpreter (bin/python); deactivate it or"
                          " pass --python")
    return found


def select_target(python: str | None, environ: Mapping[str, str] | None = None) -> Target:
    env = os.environ if environ is None else environ
    if python:
        return Target(_from_path_argument(python), "--python")
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if env.get(var):
            return Target(_from_env_folder(var, env[var]), f"${var}")
    path = env.get("PATH", os.defpath)
    for name in ("python3", "python"):
        found = shutil.which(name, path=path)
        if found:
            return Target(found, f"{name} on PATH")
    raise TargetError("no Python found: pass --python, or activate an environment")
