"""One PEP 508 requirement string (`Keras_Nightly[x] == 3.6.0 ; python_version < "3.12"`):
read it, and rewrite only its version part, keeping the name as written, extras and markers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from kerasfix.fix.manifest.rules import is_exact_pin, parse_specifier

_SHAPE = re.compile(r"""\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)
                        (?P<extras>\s*\[[^\]]*\])?
                        (?P<gap>\s*)
                        (?P<spec>[^;@]*?)
                        (?P<tail>\s*(?:;.*)?)$""", re.X | re.S)


@dataclass(frozen=True)
class ReqString:
    name: str  # canonical
    allowed: SpecifierSet
    url: bool  # `name @ url`: never rewritten
    marker: str  # as written, "" for none
    start: int  # the version part's span in the text (start == end: it has none)
    end: int
    parens: bool  # `name (>=1)`: the old form keeps its parentheses

    @property
    def pinned(self) -> bool:
        return is_exact_pin(self.allowed)


def parse_requirement(text: str) -> ReqString | None:
    """The requirement `text` holds, or None when packaging cannot parse it."""
    try:
        req = Requirement(text.strip())
    except InvalidRequirement:
        return None
    name = canonicalize_name(req.name)
    shape = _SHAPE.fullmatch(text)
    if req.url or shape is None:
        return ReqString(name, req.specifier, True, "", 0, 0, False)
    spec = shape.group("spec").rstrip()
    inner = spec[1:-1] if spec.startswith("(") and spec.endswith(")") else spec
    if parse_specifier(inner) != req.specifier:
        return None  # a shape this reader does not know: left as it is
    start = shape.start("spec") if spec else shape.start("gap")
    marker = shape.group("tail").strip().lstrip(";").strip()
    return ReqString(name, req.specifier, False, marker, start, start + len(spec),
                     inner != spec)


def with_spec(text: str, req: ReqString, spec: str) -> str:
    """`text` with its version part replaced by `spec`."""
    new = f"({spec})" if req.parens and spec else spec
    return text[:req.start] + new + text[req.end:]
