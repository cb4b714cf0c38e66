"""pyproject.toml: [project] dependencies and optional groups, [dependency-groups], uv's extra
lists, and Poetry's dependency tables (its `^`/`~`/bare-version constraints)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import tomlkit
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Array, InlineTable, Table

from kerasfix.fix.manifest.dialects import poetry_reading, poetry_text
from kerasfix.fix.manifest.model import LineChange, ManifestError, Want
from kerasfix.fix.manifest.reqline import parse_requirement
from kerasfix.fix.manifest.textio import Source
from kerasfix.fix.manifest.toml_edit import Context, LineFinder, edit_array, edit_table
from kerasfix.textsafe import one_line

# uv's lists that only restrict or override what is resolved: edited, never added to.
_UV_ARRAYS = (("dev-dependencies", True), ("constraint-dependencies", False),
              ("override-dependencies", False))


def parse_toml(source: Source) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(source.text)
    except (TOMLKitError, ValueError) as err:
        message = one_line(str(err).strip().replace("\n", " "))
        raise ManifestError(f"{source.name} does not parse: {message}") from None


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, (Table, InlineTable, tomlkit.TOMLDocument)):
            return None
        node = node.get(key)
    return node


class PyprojectDoc:
    kind = "pyproject"

    def __init__(self, source: Source) -> None:
        self.source = source
        self.doc = parse_toml(source)

    def arrays(self) -> Iterator[tuple[Array, bool]]:
        """(array of PEP 508 strings, whether an added requirement may go there)."""
        candidates = [(_get(self.doc, "project", "dependencies"), True)]
        for table in (_get(self.doc, "project", "optional-dependencies"),
                      _get(self.doc, "dependency-groups")):
            candidates += [(v, True) for v in (table.values() if table else ())]
        candidates += [(_get(self.doc, "tool", "uv", key), ok) for key, ok in _UV_ARRAYS]
        yield from ((a, ok) for a, ok in candidates if isinstance(a, Array))

    def tables(self) -> Iterator[Table | InlineTable]:
        """Poetry's dependency tables."""
        poetry = _get(self.doc, "tool", "poetry")
        found = [_get(poetry, "dependencies"), _get(poetry, "dev-dependencies")]
        groups = _get(poetry, "group")
        found += [_get(g, "dependencies") for g in (groups.values() if groups else ())]
        yield from (t for t in found if isinstance(t, (Table, InlineTable)))

    def names(self) -> set[str]:
        reqs = [parse_requirement(str(s)) for a, _ in self.arrays() for s in a
                if isinstance(s, str)]
        names = {r.name for r in reqs if r is not None}
        return names | {canonicalize_name(k) for t in self.tables() for k in t}

    def apply(self, wants: Mapping[str, Want],
              adds: Sequence[Want]) -> tuple[str, list[LineChange]]:
        ctx = Context(self.source.path, wants, adds, LineFinder(self.source.text))
        for array, add_ok in self.arrays():
            edit_array(array, ctx, add_ok)
        for table in self.tables():
            edit_table(table, poetry_reading, poetry_text, ctx, add_ok=True)
        after = tomlkit.dumps(self.doc)
        return after, ctx.finish(after)
