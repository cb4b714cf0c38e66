"""Which Python the commands on PATH run: `pip`, `python`, `jupyter` ... found first on a PATH,
each resolved to its interpreter without running it.

- an interpreter (python, python3.11) runs itself: the path as found, not symlink-resolved
  (a venv's bin/python is a symlink to its base Python, and is still the venv);
- a console script (pip, jupyter) names its interpreter in its shebang: `#!/x/bin/python`,
  `#!/usr/bin/env python3` (resolved on the same PATH), or pip's long-path form
  `#!/bin/sh` + `'''exec' "/x/bin/python" "$0" "$@"`;
- anything else (a pyenv shim, a Windows .exe launcher, an unreadable file) is unknown: None.

`same_environment` compares interpreters by their environment folder (the real path of the
folder holding bin/ or Scripts/), so /bin/python3 and /usr/bin/python3 on a merged-/usr system
are one environment and a venv is never its base Python.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass

from kerasfix.inspect.discovery import prefix_of

_PYTHON_NAME = re.compile(r"^python(?:\d+(?:\.\d+)?)?[tmw]?(?:\.exe)?$", re.IGNORECASE)
_SHEBANG = re.compile(r"^#!\s*(?P<program>\S+)(?:[ \t]+(?P<arg>\S+))?")
_EXEC_LINE = re.compile(r"""^'''exec' ['"]?(?P<program>[^'"\s]+)""", re.MULTILINE)


@dataclass(frozen=True)
class Command:
    name: str  # as looked up: pip, python3, jupyter
    path: str  # where PATH found it
    python: str | None  # the interpreter it runs, None when that cannot be told
    how: str  # "interpreter", "shebang", "env shebang", "exec line" or why it is unknown


def find_command(name: str, path_var: str) -> Command | None:
    """The first `name` on `path_var`, with the interpreter it runs."""
    found = shutil.which(name, path=path_var)
    if not found:
        return None
    found = os.path.abspath(found)
    if _PYTHON_NAME.match(os.path.basename(found)) and not _is_script(found):
        return Command(name, found, found, "interpreter")
    python, how = _script_python(found, path_var)
    return Command(name, found, python, how)


def _head(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(4096)
    except OSError:
        return ""
    return data.decode("utf-8", "replace") if data.startswith(b"#!") else ""


def _is_script(path: str) -> bool:
    """A shell or Python script named like an interpreter (a pyenv shim, a wrapper)."""
    return bool(_head(path))


def _script_python(path: str, path_var: str) -> tuple[str | None, str]:
    head = _head(path)
    match = _SHEBANG.match(head)
    if not match:
        return None, "not a script (a binary launcher?)"
    program, arg = match.group("program"), match.group("arg")
    if os.path.basename(program) == "env" and arg:
        found = shutil.which(arg, path=path_var)
        return (os.path.abspath(found), "env shebang") if found else (None, f"{arg} not on PATH")
    if _PYTHON_NAME.match(os.path.basename(program)):
        return program, "shebang"
    exec_line = _EXEC_LINE.search(head)  # pip's form for interpreter paths too long for #!
    if exec_line and _PYTHON_NAME.match(os.path.basename(exec_line.group("program"))):
        return exec_line.group("program"), "exec line"
    return None, f"runs {program}, not a Python (a shim or wrapper)"


def environment_key(python: str) -> str:
    """The real path of the environment folder an interpreter path belongs to."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(python)))
    if os.path.basename(folder) in ("bin", "Scripts"):
        folder = os.path.dirname(folder)
    return os.path.normcase(folder)


def same_environment(python: str, other: str) -> bool:
    return environment_key(python) == environment_key(other)


def environment_prefix(python: str) -> str:
    """The environment folder as the interpreter path names it (for messages)."""
    return prefix_of(python)
