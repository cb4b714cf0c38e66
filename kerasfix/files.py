"""Writing the files a user names (`--report FILE`): checked before any change, written whole.

kerasfix often runs as root or as an admin over other people's environments, so a report path
is never followed through a symlink (someone could point it at a file worth keeping), and a
report is written to a temporary file in the same folder and renamed over the old one: a kill or
a full disk never leaves half a report, and the rename replaces a symlink rather than its target.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from kerasfix.errors import KerasfixError
from kerasfix.textsafe import one_line

REPORT_SUFFIXES = (".md", ".json", "")


class ReportPathError(KerasfixError):
    """The report cannot be written where the user asked (exit 2, one line)."""


def validate_report_path(path: str | os.PathLike[str]) -> Path:
    """The report path, if a report can be written there; otherwise ReportPathError."""
    out = Path(path)
    shown = one_line(str(path))

    def refuse(why: str) -> ReportPathError:
        return ReportPathError(f"--report {shown}: {why}")

    if not str(path):
        raise refuse("empty file name")
    if out.suffix.lower() not in REPORT_SUFFIXES:
        raise refuse("use a .md or .json file name (or none, for Markdown)")
    if out.is_symlink():
        raise refuse("is a symlink; kerasfix does not write through symlinks")
    if out.is_dir():
        raise refuse("is a folder; name a file")
    if out.exists() and not out.is_file():
        raise refuse("is not a regular file")
    parent = out.parent
    if not parent.exists():
        raise refuse(f"the folder {one_line(str(parent))} does not exist")
    if not parent.is_dir():
        raise refuse(f"{one_line(str(parent))} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise refuse(f"the folder {one_line(str(parent))} is not writable")
    return out


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    out = validate_report_path(path)  # again: the folder may have changed since the start
    mode = _mode_for(out)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, out)  # a symlink put at `out` meanwhile is replaced, not followed
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ReportPathError(f"cannot write {one_line(str(out))}:"
                              f" {err.strerror or err}") from None


def _mode_for(out: Path) -> int:
    """An existing report keeps its mode; a new one gets what open() would give it."""
    try:
        return stat.S_IMODE(out.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux says it without changing it (os.umask would, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
