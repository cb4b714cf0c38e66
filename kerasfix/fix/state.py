"""kerasfix's own state: snapshots, moved-aside files, the audit log, one lock per environment.

Lives in $KERASFIX_STATE_DIR, else $XDG_STATE_HOME/kerasfix, else ~/.local/state/kerasfix — the
user's own folder, so an admin's and a colleague's fixes never mix. What kerasfix creates there
is private (folders 0700, files 0600, whatever the umask): snapshots name every package and path,
and moved-aside files may be anything. A state that cannot be written (read-only, full, not a
folder) is a StateError, one line and exit 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from kerasfix.errors import KerasfixError
from kerasfix.textsafe import one_line


class LockedError(KerasfixError):
    """Another kerasfix is changing this environment."""


class StateError(KerasfixError):
    """kerasfix's own state cannot be written: a read-only or full disk, a file in the way."""


@contextmanager
def writing() -> Iterator[None]:
    """Turn an OSError while writing the state into a one-line StateError."""
    try:
        yield
    except OSError as err:
        raise StateError(f"cannot write state in {one_line(str(state_root()))}:"
                         f" {err.strerror or err} (KERASFIX_STATE_DIR chooses another"
                         " folder)") from None


def private_dir(path: Path) -> Path:
    """`mkdir -p` whose new folders are 0700 whatever the umask (existing ones are left be)."""
    missing = []
    folder = path
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():  # a file in the way: say so, not "File exists"
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR),
                                         str(folder)) from None
            continue  # another kerasfix made it meanwhile
        os.chmod(folder, 0o700)
    return path


def open_private(path: Path, flags: int, mode: str) -> IO[str]:
    """Open (creating it 0600) a state file; never through a symlink."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, mode, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def state_root() -> Path:
    if os.environ.get("KERASFIX_STATE_DIR"):
        return Path(os.environ["KERASFIX_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return Path(base) / "kerasfix"


def env_key(prefix: str) -> str:
    """A stable folder name for one environment: readable tail plus a hash of the full path."""
    digest = hashlib.sha256(os.path.abspath(prefix).encode()).hexdigest()[:10]
    tail = os.path.basename(os.path.abspath(prefix).rstrip(os.sep)) or "root"
    return f"{tail}-{digest}"


def env_dir(prefix: str, *, create: bool = True) -> Path:
    """The environment's state folder. Readers pass create=False: listing snapshots must work,
    and change nothing, when the state is missing or cannot be written."""
    path = state_root() / "envs" / env_key(prefix)
    if create:
        with writing():
            private_dir(path)
    return path


@contextmanager
def env_lock(prefix: str) -> Iterator[None]:
    """An exclusive, non-blocking lock: two fixers on one environment is an error, not a wait."""
    with writing():  # held for the duration of the with block
        fh = open_private(env_dir(prefix) / "lock", os.O_RDWR | os.O_APPEND, "a+")
    try:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise LockedError(f"another kerasfix ({holder}) is changing {prefix}; try again when"
                              " it has finished") from None
        except ImportError:  # no fcntl (Windows): best effort via an exclusive file
            pass
        with writing():
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
            fh.flush()
        yield
    finally:
        with suppress(OSError):  # a lock line that could not be flushed (full disk) is moot
            fh.close()


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def audit(prefix: str, record: dict[str, Any]) -> None:
    """Append one line to the environment's audit log (never rewritten)."""
    line = {"time": now(), "user": who(), "host": socket.gethostname(), "target": prefix,
            **record}
    with writing(), open_private(env_dir(prefix) / "audit.jsonl", os.O_WRONLY | os.O_APPEND,
                                 "a") as fh:
        fh.write(json.dumps(line) + "\n")


def lock_held(prefix: str) -> bool:
    """Whether another kerasfix is changing this environment now (creates nothing)."""
    path = state_root() / "envs" / env_key(prefix) / "lock"
    try:
        import fcntl

        with open(path) as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except (OSError, ImportError):
        return False
    return False
