"""environment.yml: the top-level `dependencies:` list, edited line by line (no YAML library:
indentation, quoting and comments stay as written).

Conda items are match specs (`tensorflow=2.15` means 2.15.*, `==2.15.1`, `keras>=3`, `numpy`,
`conda-forge::numpy 1.26.*`); a rewritten one becomes `[channel::]name<PEP 440 spec>`
(`name==X`, `name>=a,<b`: conda reads those), dropping a build string. Items of the nested
`- pip:` list are pip requirement strings. Flow-style lists (`[a, b]`), the `name[version=..]`
form, `-r`/`-e` lines and URLs are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from kerasfix.fix.manifest.dialects import conda_reading
from kerasfix.fix.manifest.model import TENSORFLOW_NAMES, LineChange, Want
from kerasfix.fix.manifest.reqline import parse_requirement, with_spec
from kerasfix.fix.manifest.rules import REMOVE, decide
from kerasfix.fix.manifest.textio import Source, ending, join_lines, line_ending, split_lines

_DEPS = re.compile(r"dependencies\s*:\s*(?:#.*)?")
_PIP = re.compile(r"\s*-\s+pip\s*:\s*(?:#.*)?")
_ITEM = re.compile(r"""(?P<lead>\s*-\s+)(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^#]*?))
                       (?P<rest>\s*(?:\#.*)?)""", re.X)
_CONDA = re.compile(r"(?P<channel>[^\s:]+::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9._-]*)(?P<spec>.*)")


@dataclass(frozen=True)
class _Item:
    index: int  # physical line
    pip: bool  # in the `- pip:` list
    lead: str  # indentation and dash
    text: str  # the item, unquoted
    start: int  # its span in the line
    end: int


@dataclass(frozen=True)
class _Judged:
    name: str
    new: str | None  # REMOVE, the new item text, or None
    add_line: str | None  # a requirement added after it: how its item text is written


def _body(line: str) -> str:
    return line[:len(line) - len(ending(line))]


def _items(lines: list[str]) -> list[_Item]:
    items: list[_Item] = []
    in_deps, pip_indent = False, -1
    for i, line in enumerate(lines):
        body = _body(line)
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(body) - len(body.lstrip())
        if indent == 0 and not stripped.startswith("-"):  # the next top-level key
            in_deps, pip_indent = bool(_DEPS.fullmatch(body)), -1
            continue
        if not in_deps:
            continue
        if _PIP.fullmatch(body):
            pip_indent = indent
            continue
        match = _ITEM.fullmatch(body)
        if match is None:
            continue
        pip_indent = pip_indent if indent > pip_indent else -1
        group = next(g for g in ("dq", "sq", "bare") if match[g] is not None)
        items.append(_Item(i, pip_indent >= 0, match["lead"], match[group],
                           match.start(group), match.end(group)))
    return items


def _judge_conda(item: _Item, wants: Mapping[str, Want]) -> _Judged | None:
    match = _CONDA.fullmatch(item.text.strip())
    if match is None or match["spec"].lstrip().startswith("["):
        return None
    name = canonicalize_name(match["name"])
    reading = conda_reading(match["spec"])
    want = wants.get(name)
    new = decide(want, *reading) if want and reading else None
    if new not in (None, REMOVE):
        new = f"{match['channel'] or ''}{match['name']}{new}"
    return _Judged(name, new, "")


def _judge_pip(item: _Item, wants: Mapping[str, Want]) -> _Judged | None:
    req = None if item.text.startswith("-") else parse_requirement(item.text)
    if req is None or req.url:
        return None
    want = wants.get(req.name)
    new = decide(want, [req.allowed], req.pinned) if want else None
    if new not in (None, REMOVE):
        new = with_spec(item.text, req, new)
    return _Judged(req.name, new, f"; {req.marker}" if req.marker else "")


class CondaEnvDoc:
    kind = "conda-env"

    def __init__(self, source: Source) -> None:
        self.source = source
        self.lines = split_lines(source.text)
        self.items = _items(self.lines)

    def _judged(self, wants: Mapping[str, Want]) -> list[tuple[_Item, _Judged]]:
        out = []
        for item in self.items:
            judged = (_judge_pip if item.pip else _judge_conda)(item, wants)
            if judged is not None:
                out.append((item, judged))
        return out

    def names(self) -> set[str]:
        return {judged.name for _, judged in self._judged({})}

    def apply(self, wants: Mapping[str, Want],
              adds: Sequence[Want]) -> tuple[str, list[LineChange]]:
        lines = list(self.lines)
        changes: list[LineChange] = []
        anchor: tuple[_Item, _Judged] | None = None
        for item, judged in self._judged(wants):
            if judged.new is not None:
                lines[item.index] = self._replaced(item, judged.new, changes)
            if judged.new != REMOVE and judged.name in TENSORFLOW_NAMES and anchor is None:
                anchor = (item, judged)
        if anchor is not None and adds:
            item, judged = anchor
            eol = ending(self.lines[item.index]) or line_ending(self.source.text)
            new = [f"{w.name}{w.added_spec()}{judged.add_line}" for w in adds]
            base = lines[item.index] if ending(lines[item.index]) else lines[item.index] + eol
            lines[item.index] = base + "".join(f"{item.lead}{text}{eol}" for text in new)
            changes += [LineChange(self.source.path, item.index + 2 + n, "", text)
                        for n, text in enumerate(new)]
        return join_lines(_flatten(lines), self.source.text), changes

    def _replaced(self, item: _Item, new: str, changes: list[LineChange]) -> str:
        line = self.lines[item.index]
        if new == REMOVE:
            changes.append(LineChange(self.source.path, item.index + 1, item.text.strip(), ""))
            return ""
        changes.append(LineChange(self.source.path, item.index + 1, item.text.strip(),
                                  new.strip()))
        return line[:item.start] + new.strip() + line[item.end:]


def _flatten(lines: list[str]) -> list[str]:
    """Lines again after additions joined onto their anchors (a removed line is "")."""
    return [part for line in lines for part in split_lines(line)]
