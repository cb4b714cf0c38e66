"""kerasfix's own state: snapshots, moved-aside files, the audit log, one lock per environment.

Lives in $KERASFIX_STATE_DIR, else $XDG_STATE_HOME/kerasfix, else ~/.local/state/kerasfix — the
user's own folder, so an admin's and a colleague's fixes never mix.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kerasfix.errors import KerasfixError


class LockedError(KerasfixError):
    """Another kerasfix is changing this environment."""


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


def env_dir(prefix: str) -> Path:
    path = state_root() / "envs" / env_key(prefix)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def env_lock(prefix: str) -> Iterator[None]:
    """An exclusive, non-blocking lock: two fixers on one environment is an error, not a wait."""
    path = env_dir(prefix) / "lock"
    fh = open(path, "a+")  # noqa: SIM115  (held for the duration of the with block)
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
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        yield
    finally:
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
    with open(env_dir(prefix) / "audit.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def read_audit(prefix: str) -> list[dict[str, Any]]:
    path = env_dir(prefix) / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
