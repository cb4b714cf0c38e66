"""Reading a manifest as bytes, the unified diff of an edit, and writing it atomically.

A manifest is read as bytes (the snapshot keeps them for undo), decoded as UTF-8 with its byte
order mark set aside (parsers never see it; the new text gets it back) and its line endings
kept: editors add lines with the file's own ending.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import stat
import tempfile
from dataclasses import dataclass

from kerasfix.fix.manifest.model import LineChange, ManifestEdit, ManifestError
from kerasfix.textsafe import one_line

BOM = "\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class Source:
    path: str
    raw: bytes
    text: str  # decoded, without the BOM
    bom: bool

    @property
    def name(self) -> str:
        return one_line(os.path.basename(self.path))


def read_source(path: str) -> Source:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise ManifestError(f"{one_line(path)}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ManifestError(f"{one_line(os.path.basename(path))}: not UTF-8"
                            f" (byte {err.start})") from None
    bom = text.startswith(BOM)
    return Source(path, raw, text[1:] if bom else text, bom)


def split_lines(text: str) -> list[str]:
    """The lines with their endings (only \\n, \\r\\n and \\r end a line: what editors and
    `patch` count, unlike str.splitlines)."""
    return _LINE.findall(text)


def ending(line: str) -> str:
    """The line's own ending ("" for a last line without one)."""
    return "\r\n" if line.endswith("\r\n") else line[-1:] if line[-1:] in ("\r", "\n") else ""


def line_ending(text: str) -> str:
    """The file's own line ending (its first), \\n for a file with none."""
    for line in split_lines(text):
        if ending(line):
            return ending(line)
    return "\n"


def join_lines(lines: list[str], like: str) -> str:
    """`lines` as one text: a line that lost its place at the end gets the file's ending, and
    the text ends with a newline only when `like` (the old text) did."""
    eol = line_ending(like)
    text = "".join(line if ending(line) else line + eol for line in lines)
    if like and not ending(like) and lines:
        last = split_lines(text)[-1]
        text = text[:len(text) - len(ending(last))]
    return text


def make_edit(root: str, source: Source, after: str,
              changes: list[LineChange]) -> ManifestEdit:
    full = (BOM if source.bom else "") + after
    before = (BOM if source.bom else "") + source.text
    label = os.path.relpath(source.path, root).replace(os.sep, "/")
    return ManifestEdit(source.path, source.raw, full, unified_diff(before, full, label),
                        tuple(sorted(changes, key=lambda change: change.line)))


def unified_diff(before: str, after: str, label: str) -> str:
    """difflib's unified diff that `patch -p1` applies, a missing final newline included."""
    out: list[str] = []
    for line in difflib.unified_diff(split_lines(before), split_lines(after),
                                     f"a/{label}", f"b/{label}"):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def write_atomic(path: str, text_or_bytes: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` (keeping its mode).

    A kill or a full disk never leaves half a manifest; ManifestError (one line) when the
    folder is not writable.
    """
    data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    folder = os.path.dirname(os.path.abspath(path))
    shown = one_line(os.path.basename(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o644
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as err:
        raise ManifestError(f"{shown}: cannot write: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ManifestError(f"{shown}: cannot write: {err.strerror or err}") from None
