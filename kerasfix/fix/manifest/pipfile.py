"""Pipfile: [packages] and [dev-packages], values `"*"`, `"==2.15.1"`, `{version = "..."}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tomlkit
from packaging.utils import canonicalize_name
from tomlkit.items import InlineTable, Table

from kerasfix.fix.manifest.dialects import pipfile_reading
from kerasfix.fix.manifest.model import LineChange, Want
from kerasfix.fix.manifest.pyproject import parse_toml
from kerasfix.fix.manifest.textio import Source
from kerasfix.fix.manifest.toml_edit import Context, LineFinder, edit_table


def _pipfile_text(new: str, old: str) -> str:  # noqa: ARG001 - a Writer
    return new or "*"


class PipfileDoc:
    kind = "pipfile"

    def __init__(self, source: Source) -> None:
        self.source = source
        self.doc = parse_toml(source)

    def tables(self) -> list[Table | InlineTable]:
        found = [self.doc.get(name) for name in ("packages", "dev-packages")]
        return [t for t in found if isinstance(t, (Table, InlineTable))]

    def names(self) -> set[str]:
        return {canonicalize_name(key) for table in self.tables() for key in table}

    def apply(self, wants: Mapping[str, Want],
              adds: Sequence[Want]) -> tuple[str, list[LineChange]]:
        ctx = Context(self.source.path, wants, adds, LineFinder(self.source.text))
        for table in self.tables():
            edit_table(table, pipfile_reading, _pipfile_text, ctx, add_ok=True)
        after = tomlkit.dumps(self.doc)
        return after, ctx.finish(after)
