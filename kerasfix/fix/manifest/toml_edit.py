"""Editing TOML manifests in place with tomlkit: arrays of PEP 508 strings ([project]
dependencies, dependency groups) and tables of name = constraint (Poetry, Pipfile).

tomlkit round-trips: only the strings and entries changed are written anew (in the quoting style
they had); comments, spacing and order elsewhere stay byte for byte. Entries that are not a
version constraint (git/path/url tables) are only ever removed, never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomlkit
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, InlineTable, String, Table

from kerasfix.fix.manifest.dialects import Reading
from kerasfix.fix.manifest.model import TENSORFLOW_NAMES, LineChange, Want
from kerasfix.fix.manifest.reqline import ReqString, parse_requirement, with_spec
from kerasfix.fix.manifest.rules import REMOVE, decide
from kerasfix.fix.manifest.textio import split_lines

Reader = Callable[[str], "Reading | None"]  # a table value's constraint -> what it allows
Writer = Callable[[str, str], str]  # (new PEP 440 spec, old value) -> the value to write


class LineFinder:
    """The 1-based line an item sits on (0 when not found), for human-readable changes; a line
    found once is not found again, so repeated names are told apart in file order."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        self.used: set[int] = set()

    def find(self, pattern: str) -> int:
        regex = re.compile(pattern)
        for n, line in enumerate(self.lines):
            if n not in self.used and regex.search(line):
                self.used.add(n)
                return n + 1
        return 0

    def text(self, needle: str) -> int:
        return self.find(re.escape(needle))

    def key(self, key: str) -> int:
        return self.find(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") or self.text(key)


@dataclass
class Context:
    path: str
    wants: Mapping[str, Want]
    adds: Sequence[Want]
    lines: LineFinder
    changes: list[LineChange] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)  # (text to find after, shown)

    def change(self, line: int, before: str, after: str) -> None:
        self.changes.append(LineChange(self.path, line, before, after))

    def finish(self, after: str) -> list[LineChange]:
        """The changes, added entries located in the new text."""
        finder = LineFinder(after)
        return self.changes + [LineChange(self.path, finder.text(needle), "", shown)
                               for needle, shown in self.added]


def like(old: String, text: str) -> String:
    """A string item holding `text`, quoted like `old` when that quoting can hold it."""
    try:
        return String.from_raw(text, type_=old.type)
    except TOMLKitError:
        return tomlkit.string(text)


def edit_array(arr: Array, ctx: Context, add_ok: bool) -> None:
    """Rewrite, remove and add PEP 508 strings in one array."""
    removed: list[int] = []
    anchor: tuple[int, String, ReqString] | None = None
    for i, item in enumerate(list(arr)):
        req = parse_requirement(str(item)) if isinstance(item, String) else None
        if req is None or req.url:
            continue
        if _edit_array_item(arr, i, req, ctx):
            removed.append(i)
        elif anchor is None and req.name in TENSORFLOW_NAMES:
            anchor = (i, item, req)
    for i in reversed(removed):
        del arr[i]
    if add_ok and anchor is not None and ctx.adds:
        index, tf_item, tf_req = anchor
        pos = index + 1 - sum(1 for r in removed if r < index)
        marker = f"; {tf_req.marker}" if tf_req.marker else ""
        for n, want in enumerate(ctx.adds):
            new = like(tf_item, f"{want.name}{want.added_spec()}{marker}")
            arr.insert(pos + n, new)
            ctx.added.append((new.as_string(), str(new)))


def _edit_array_item(arr: Array, i: int, req: ReqString, ctx: Context) -> bool:
    """Whether the item goes; a rewrite happens in place."""
    want = ctx.wants.get(req.name)
    new = decide(want, [req.allowed], req.pinned) if want else None
    if new is None:
        return False
    item = arr[i]
    line = ctx.lines.text(item.as_string())
    if new == REMOVE:
        ctx.change(line, str(item), "")
        return True
    text = with_spec(str(item), req, new)
    arr[i] = like(item, text)
    ctx.change(line, str(item), text)
    return False


def edit_table(table: Table | InlineTable, read: Reader, write: Writer, ctx: Context,
               add_ok: bool) -> None:
    """Rewrite, remove and add `name = constraint` entries (Poetry's python is not a package)."""
    removed: list[str] = []
    anchor: str | None = None
    for key in list(table.keys()):
        name = canonicalize_name(key)
        want = ctx.wants.get(name)
        if name == "python":
            continue
        if want is not None and _edit_entry(table, key, want, read, write, ctx):
            removed.append(key)
        elif anchor is None and name in TENSORFLOW_NAMES:
            anchor = key
    for key in removed:
        del table[key]
    if add_ok and anchor is not None and ctx.adds:
        for want in reversed(ctx.adds):
            value = tomlkit.string(write(want.added_spec(), ""))
            table.value._insert_after(anchor, want.name, value)
            ctx.added.append((f"{want.name} = {value.as_string()}",
                              f"{want.name} = {value.as_string()}"))


def _edit_entry(table: Table | InlineTable, key: str, want: Want, read: Reader, write: Writer,
                ctx: Context) -> bool:
    """Whether the entry goes; a rewrite of its constraints happens in place."""
    value: Any = table[key]
    line = ctx.lines.key(key)
    if want.remove:
        ctx.change(line, f"{key} = {_shown(value)}", "")
        return True
    for holder, slot in _constraints(table, key):
        constraint = holder[slot]
        reading = read(str(constraint))
        new = decide(want, *reading) if reading is not None else None
        if new is None or new == REMOVE:
            continue  # fits, or a constraint this reader cannot judge
        text = write(new, str(constraint))
        holder[slot] = like(constraint, text)
        ctx.change(line, f"{key} = {constraint}", f"{key} = {text}")
    return False


def _constraints(table: Table | InlineTable, key: str) -> list[tuple[Any, str]]:
    """Where the entry's version constraints sit: the value itself, its `version` key, or
    the `version` of each table in a list of constraints per marker (Poetry)."""
    value: Any = table[key]
    if isinstance(value, String):
        return [(table, key)]
    tables = ([value] if isinstance(value, (InlineTable, Table))
              else list(value) if isinstance(value, (Array, AoT)) else [])
    return [(t, "version") for t in tables
            if isinstance(t, (InlineTable, Table)) and isinstance(t.get("version"), String)]


def _shown(value: Any) -> str:
    return str(value) if isinstance(value, String) else " ".join(value.as_string().split())
