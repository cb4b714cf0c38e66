"""Text from the outside world made safe to show: control characters become visible escapes.

Package metadata, folder names, pasted tracebacks and pip's output are written by others. An
ESC or a C1 control in them would be obeyed by the terminal (colours, cursor moves, a new
window title, hidden text), so every renderer passes them through `visible` first. JSON needs
nothing: json.dumps escapes every control character itself (with ensure_ascii, also C1).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar, cast

T = TypeVar("T")

# C0 controls, DEL, C1 controls, the bidirectional overrides that reorder what is shown, and
# lone surrogates: a file name that is not UTF-8 decodes to \udc80-\udcff (surrogateescape),
# which stdout writes back as the raw byte, 0x9b (a C1 CSI) included.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name: shown as that byte
        code -= 0xDC00
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, keep: str = "\n\t") -> str:
    """`text` with every control character except those in `keep` written as `\\x1b` etc."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def one_line(text: str) -> str:
    """`visible` for a line that must stay one line (error messages, Markdown cells)."""
    return visible(text, keep="\t")


def visible_data(obj: T, keep: str = "\n\t") -> T:
    """A copy of strings, lists, tuples, dicts and dataclasses with every string `visible`.

    Renderers call it once on what they are given (their one choke point). Objects that need
    no change are returned as they are, so the common case copies nothing; a shared object is
    copied once (identity is kept). Other types (enums, versions, requirements) pass through.
    """
    # The walk rebuilds every container as its own type (a dict as a dict, a dataclass through
    # dataclasses.replace), so what comes back has the type that went in.
    return cast(T, _Walk(keep).walk(obj))


# How each type is walked, decided once per type (renderers walk whole inventories).
_PASS, _STR, _DICT, _SEQ, _DATA = 1, 2, 3, 4, 5
_KINDS: dict[type, int] = {}
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _kind(cls: type) -> int:
    kind = _PASS  # str subclasses too: enums keep their identity
    if cls is str:
        kind = _STR
    elif issubclass(cls, dict):
        kind = _DICT
    elif issubclass(cls, (list, tuple)):
        kind = _SEQ
    elif dataclasses.is_dataclass(cls):
        kind = _DATA
        _FIELDS[cls] = tuple((f.name, f.init) for f in dataclasses.fields(cls))
    _KINDS[cls] = kind
    return kind


class _Walk:
    def __init__(self, keep: str) -> None:
        self.keep = keep
        self.memo: dict[int, Any] = {}

    def walk(self, obj: Any) -> Any:
        cls = type(obj)
        kind = _KINDS.get(cls) or _kind(cls)
        if kind == _STR:
            return visible(obj, self.keep) if _UNSAFE.search(obj) else obj
        if kind == _PASS:
            return obj
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = obj  # a cycle sees the original instead of recursing forever
        self.memo[key] = out = self._copy(obj, kind)
        return out

    def _copy(self, obj: Any, kind: int) -> Any:
        if kind == _DICT:
            return self._copy_dict(obj)
        if kind == _SEQ:
            return self._copy_seq(obj)
        return self._copy_dataclass(obj)

    def _copy_dict(self, obj: dict[Any, Any]) -> dict[Any, Any]:
        walk = self.walk
        items = [(walk(k), walk(v)) for k, v in obj.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, obj.items())):
            return obj
        return type(obj)(items) if type(obj) is dict else dict(items)

    def _copy_seq(self, obj: list[Any] | tuple[Any, ...]) -> Any:
        values = [self.walk(v) for v in obj]
        if all(v is v0 for v, v0 in zip(values, obj)):
            return obj
        if type(obj) in (list, tuple):
            return type(obj)(values)
        return type(obj)(*values) if hasattr(obj, "_fields") else type(obj)(values)

    def _copy_dataclass(self, obj: Any) -> Any:
        changed: dict[str, tuple[bool, Any]] = {}
        for name, init in _FIELDS[type(obj)]:
            value = getattr(obj, name)
            new = self.walk(value)
            if new is not value:
                changed[name] = (init, new)
        if not changed:
            return obj
        copy = dataclasses.replace(obj, **{n: v for n, (init, v) in changed.items() if init})
        for name, (init, new) in changed.items():
            if not init:
                object.__setattr__(copy, name, new)
        return copy


def plural(count: int, noun: str) -> str:
    """"1 step", "2 steps": counts read as words."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
