"""requirements.txt / constraints.txt: pip's own line rules, edited line by line.

Logical lines are joined like pip joins them (a trailing backslash continues, a whole-line
comment never does); the requirement part is what comes before a ` #` comment and before the
first ` -` option. Only the version part of a requirement is rewritten, in place: the name as
written, extras, markers, comments, continuations and line endings stay. Left untouched: blank
and comment lines, option lines, `-e` / URL / VCS requirements, a line packaging cannot parse, a
requirement split over several lines. A rewritten line with `--hash` options loses them (the
hashes are for the old version): a LineChange says to regenerate them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from kerasfix.fix.manifest.model import (
    HASHES_NOTE,
    TENSORFLOW_NAMES,
    LineChange,
    ManifestError,
    Want,
)
from kerasfix.fix.manifest.reqline import ReqString, parse_requirement, with_spec
from kerasfix.fix.manifest.rules import REMOVE, decide
from kerasfix.fix.manifest.textio import Source, ending, join_lines, split_lines
from kerasfix.textsafe import one_line

_COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's COMMENT_RE
_INCLUDE = re.compile(r"(?P<opt>-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=-[rc]))"
                      r"(?P<file>\S.*?)\s*")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class _Logical:
    first: int  # physical line indexes, inclusive
    last: int
    content: str  # joined, comments removed, stripped


@dataclass(frozen=True)
class _Entry:
    logical: _Logical
    req: ReqString | None  # None: no requirement this reader edits (but maybe a name)
    args: str  # the requirement part, a prefix of the first physical line
    options: tuple[str, ...]  # per-requirement options (--hash ...)
    named: str | None  # the canonical name it mentions, editable/URL lines included


def _body(line: str) -> str:
    return line[:len(line) - len(ending(line))]


def logical_lines(lines: list[str]) -> list[_Logical]:
    """pip's join_lines, keeping where each logical line starts and ends."""
    out: list[_Logical] = []
    start: int | None = None
    parts: list[str] = []
    for i, line in enumerate(lines):
        body = _body(line)
        if body.endswith("\\") and not _COMMENT.match(body):
            start = i if start is None else start
            parts.append(body.rstrip("\\"))
            continue
        parts.append(body)
        content = _COMMENT.sub("", "".join(parts)).strip()
        out.append(_Logical(i if start is None else start, i, content))
        start, parts = None, []
    if parts and start is not None:  # a backslash on the last line
        out.append(_Logical(start, len(lines) - 1, _COMMENT.sub("", "".join(parts)).strip()))
    return out


def _break_args_options(text: str) -> tuple[str, list[str]]:
    """pip's break_args_options: the requirement before the first `-` token, then options."""
    tokens = text.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:i]), " ".join(tokens[i:]).split()
    return text, []


def includes(source: Source) -> list[tuple[str, str, str]]:
    """(option as written, absolute path, kind) for each local -r / -c include."""
    found = []
    for logical in logical_lines(split_lines(source.text)):
        match = _INCLUDE.fullmatch(logical.content)
        if match is None or "://" in match["file"] or "${" in match["file"]:
            continue
        kind = "constraints" if match["opt"] in ("-c", "--constraint") else "requirements"
        target = os.path.join(os.path.dirname(source.path), match["file"])
        found.append((f"{match['opt']} {match['file']}", os.path.abspath(target), kind))
    return found


class RequirementsDoc:
    """One requirements or constraints file, read and ready to edit."""

    def __init__(self, source: Source, kind: str) -> None:
        self.source = source
        self.kind = kind
        self.lines = split_lines(source.text)
        self.entries = [_entry(self.lines, lg) for lg in logical_lines(self.lines)]

    def names(self) -> set[str]:
        return {e.named for e in self.entries if e.named}

    def apply(self, wants: Mapping[str, Want],
              adds: Sequence[Want]) -> tuple[str, list[LineChange]]:
        replaced: dict[int, list[str]] = {}
        changes: list[LineChange] = []
        for i, entry in enumerate(self.entries):
            want = wants.get(entry.req.name) if entry.req and not entry.req.url else None
            if want is not None:
                self._judge(i, want, replaced, changes)
        inserted = self._adds(adds, replaced, changes)
        out: list[str] = []
        for i, entry in enumerate(self.entries):
            lg = entry.logical
            out += replaced.get(i, self.lines[lg.first:lg.last + 1]) + inserted.get(i, [])
        return join_lines(out, self.source.text), changes

    def _judge(self, i: int, want: Want, replaced: dict[int, list[str]],
               changes: list[LineChange]) -> None:
        entry = self.entries[i]
        assert entry.req is not None
        new = decide(want, [entry.req.allowed], entry.req.pinned)
        if new is None:
            return
        line = entry.logical.first + 1
        before = entry.args.strip()
        if new == REMOVE:
            replaced[i] = []
            changes.append(LineChange(self.source.path, line, before, ""))
            return
        replaced[i], hashes = _rewritten(self.lines, entry, new)
        changes.append(LineChange(self.source.path, line, before,
                                  with_spec(entry.args, entry.req, new).strip()))
        if hashes:
            changes.append(LineChange(self.source.path, line, f"--hash options ({hashes})",
                                      HASHES_NOTE))

    def _adds(self, adds: Sequence[Want], replaced: dict[int, list[str]],
              changes: list[LineChange]) -> dict[int, list[str]]:
        """New requirements, each after the first TensorFlow line that stays."""
        anchor = next((i for i, e in enumerate(self.entries)
                       if e.req and not e.req.url and e.req.name in TENSORFLOW_NAMES
                       and replaced.get(i) != []), None)
        if anchor is None or not adds:
            return {}
        tf = self.entries[anchor]
        assert tf.req is not None
        marker = f"; {tf.req.marker}" if tf.req.marker else ""
        eol = ending(self.lines[tf.logical.last]) or "\n"
        new = [f"{w.name}{w.added_spec()}{marker}" for w in adds]
        for n, text in enumerate(new):
            changes.append(LineChange(self.source.path, tf.logical.last + 2 + n, "", text))
        return {anchor: [text + eol for text in new]}


def _entry(lines: list[str], logical: _Logical) -> _Entry:
    content = logical.content
    if not content or content.startswith("-"):
        egg = _EGG.search(content) if content.startswith(("-e", "--editable")) else None
        return _Entry(logical, None, "", (), canonicalize_name(egg[1]) if egg else None)
    args, options = _break_args_options(content)
    first = _COMMENT.sub("", _body(lines[logical.first]).rstrip("\\"))
    first_args, _ = _break_args_options(first)
    if first_args.strip() != args.strip():  # split over lines: named, never edited
        req = parse_requirement(args)
        return _Entry(logical, None, "", (), req.name if req else None)
    req = parse_requirement(first_args)  # its spans are the first physical line's
    return _Entry(logical, req, first_args, tuple(options), req.name if req else None)


def _rewritten(lines: list[str], entry: _Entry, spec: str) -> tuple[list[str], int]:
    """The physical lines of `entry` with the new version part; the hashes dropped (count)."""
    assert entry.req is not None
    lg = entry.logical
    kept, hashes = _without_hashes(entry.options)
    first = lines[lg.first]
    if not hashes:
        body = _body(first)
        new = with_spec(body[:len(entry.args)], entry.req, spec) + body[len(entry.args):]
        return [new + ending(first), *lines[lg.first + 1:lg.last + 1]], 0
    comment = _COMMENT.search(_body(first).rstrip("\\"))
    text = with_spec(entry.args, entry.req, spec).rstrip()
    text += "".join(f" {option}" for option in kept)
    text += comment.group() if comment and comment.group().strip() else ""
    return [text + ending(lines[lg.last])], hashes


def _without_hashes(options: Sequence[str]) -> tuple[list[str], int]:
    kept: list[str] = []
    hashes = 0
    skip_next = False
    for option in options:
        if skip_next:
            skip_next = False
        elif option == "--hash":
            hashes, skip_next = hashes + 1, True
        elif option.startswith("--hash="):
            hashes += 1
        else:
            kept.append(option)
    return kept, hashes


def closure(manifests: Sequence[tuple[str, str]], root: str,
            read: Callable[[str], Source]) -> dict[str, str]:
    """Every requirements file the manifests reach through -r / -c, with its kind (a file
    used as constraints anywhere is constraints); ManifestError on a loop or a missing file."""
    kinds: dict[str, str] = {}
    done: set[str] = set()

    def rel(path: str) -> str:
        return one_line(os.path.relpath(path, root))

    def visit(path: str, kind: str, stack: list[str]) -> None:
        if path in stack:
            chain = " -> ".join(rel(p) for p in [*stack[stack.index(path):], path])
            raise ManifestError(f"{rel(stack[0])}: -r loop: {chain}")
        if kinds.get(path) != "constraints":
            kinds[path] = kind
        if path in done:
            return
        for option, target, sub in includes(read(path)):
            if not os.path.isfile(target):
                raise ManifestError(f"{rel(path)}: {one_line(option)}: no such file")
            visit(target, "constraints" if kind == "constraints" else sub, [*stack, path])
        done.add(path)

    for path, kind in manifests:
        visit(path, kind, [])
    return kinds
