"""Running part of a test as an unprivileged user, so file permissions apply even under root.

As root, chmod 000 stops nobody: the permission tests run the target interpreter as `nobody`
(setpriv, else runuser) through a launcher script, under a folder nobody can traverse.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fakeenv import FakeEnv

_PREFIXES = (
    ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
    ("runuser", "-u", "nobody", "--"),
)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _runs_as_nobody(prefix: tuple[str, ...], python: str) -> bool:
    try:
        # It must also see its own file: a venv linked into /root's pyenv is not reachable.
        out = subprocess.run([*prefix, python, "-c", "import os, sys; print(os.geteuid() if"
                              " os.path.exists(sys.executable) else 0)"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() not in ("", "0")


def nobody(*pythons: str) -> tuple[list[str], str]:
    """A command prefix that runs Python as nobody ([] when not root), and the first of
    `pythons` nobody can run (a pyenv Python under /root is not); skips if there is none."""
    if not is_root():
        return [], pythons[0]
    for prefix in _PREFIXES:
        if shutil.which(prefix[0]) is None:
            continue
        for python in pythons:
            if os.path.exists(python) and _runs_as_nobody(prefix, python):
                return list(prefix), python
    pytest.skip("root, and neither setpriv nor runuser can run Python as nobody")


def launcher(prefix: list[str], python: str, where: Path) -> str:
    """A script in `where` that runs `python` with `prefix` (python itself for no prefix)."""
    if not prefix:
        return python
    script = where / "python-as-nobody"
    script.write_text("#!/bin/sh\nexec " + " ".join([*prefix, python]) + ' "$@"\n')
    script.chmod(0o755)
    return str(script)


@contextmanager
def shared_tmp() -> Iterator[Path]:
    """A folder (0755, outside pytest's 0700 tmp root) that nobody can traverse."""
    path = Path(tempfile.mkdtemp(prefix="kerasfix-shared-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for sub in [path, *path.rglob("*")]:  # chmod 000 folders must be deletable again
            if sub.is_dir() and not sub.is_symlink() and not stat.S_IMODE(sub.stat().st_mode):
                sub.chmod(0o755)
        shutil.rmtree(path, ignore_errors=True)


def nobody_venv(root: Path) -> FakeEnv:
    """A fabricated venv under `root` whose interpreter runs as nobody when we are root (the
    probe then meets chmod 000 as a user does); skips if nobody cannot run the probe."""
    from fakeenv import make_venv

    from kerasfix.inspect.probe import PROBE_FILE

    prefix, base = nobody(sys.executable, "/usr/bin/python3", "/usr/local/bin/python3")
    env = make_venv(root, python=base)
    env.python = launcher(prefix, env.python, root)
    readable = subprocess.run([env.python, "-c", f"open({str(PROBE_FILE)!r}).close()"],
                              capture_output=True)
    if readable.returncode:
        pytest.skip(f"nobody cannot read {PROBE_FILE}")
    return env
