"""Version constraints that are not PEP 440 specifiers: Poetry's and conda's, read as a union
of SpecifierSets (the rules judge them like any other) and written back in their own style."""

from __future__ import annotations

import re

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from kerasfix.fix.manifest.rules import Allowed, is_exact_pin, parse_specifier

Reading = tuple[Allowed, bool]  # (the versions allowed, whether it is an exact pin)

_POETRY_PART = re.compile(r"(?P<op>\^|~=|~|===|==|!=|<=|>=|<|>|=)?\s*(?P<ver>\*|[0-9][^\s,]*)")
_POETRY_SPLIT = re.compile(r"\s*,\s*|\s+(?=[<>=!~^])")


def poetry_reading(text: str) -> Reading | None:
    """`^2.15`, `~2.15.1`, `2.15.1` (exact), `>=2.15,<2.16`, `>=1 <2 || >=3`, `*`."""
    branches: list[SpecifierSet] = []
    for branch in text.split("||"):
        parts = [p for p in _POETRY_SPLIT.split(branch.strip()) if p]
        pep = [_poetry_part(p) for p in parts]
        if any(p is None for p in pep):
            return None
        spec = parse_specifier(",".join(p for p in pep if p))
        if spec is None:
            return None
        branches.append(spec)
    return branches, len(branches) == 1 and is_exact_pin(branches[0])


def _poetry_part(part: str) -> str | None:
    match = _POETRY_PART.fullmatch(part)
    if match is None:
        return None
    op, ver = match["op"], match["ver"]
    if ver == "*":
        return "" if op in (None, "==", "=") else None
    if op in ("^", "~"):
        try:
            release = list(Version(ver).release)
        except InvalidVersion:
            return None
        return f">={ver},<{_caret(release) if op == '^' else _tilde(release)}"
    return f"=={ver}" if op in (None, "=") else f"{op}{ver}"


def _caret(release: list[int]) -> str:
    """^1.2.3 < 2.0.0, ^0.2.3 < 0.3.0, ^0.0.3 < 0.0.4: bump the first non-zero part."""
    i = next((n for n, part in enumerate(release) if part), len(release) - 1)
    return ".".join(map(str, [*release[:i], release[i] + 1]))


def _tilde(release: list[int]) -> str:
    """~1.2.3 < 1.3, ~1.2 < 1.3, ~1 < 2."""
    if len(release) == 1:
        return str(release[0] + 1)
    return f"{release[0]}.{release[1] + 1}"


def poetry_text(new: str, old: str) -> str:
    """The new constraint, a bare version when the old exact pin was written bare."""
    bare = _POETRY_PART.fullmatch(old.strip())
    if bare and bare["op"] is None and new.startswith("==") and "," not in new:
        return new[2:]
    return new or "*"


def pipfile_reading(text: str) -> Reading | None:
    """`*`, `==2.15.1`, `>=2.15,<2.16`."""
    spec = parse_specifier("" if text.strip() == "*" else text)
    return None if spec is None else ([spec], is_exact_pin(spec))


def conda_reading(text: str) -> Reading | None:
    """A conda match spec's version part: `=2.15` (2.15.*), `==2.15.1`, `>=2.15,<2.16`,
    ` 1.26.*` / ` 1.26.4` (space form), `=1.26=py311_0` (build string: ignored), `>=1|<0.5`."""
    text = re.sub(r"\s*,\s*", ",", text.strip())
    if not text:
        return [SpecifierSet()], False
    if text[0] not in "<>=!~":  # `name 1.26.*` or `name 1.26.4 build`
        text = "==" + text.split()[0]
    elif " " in text:
        text = text.split()[0]
    if text.startswith("=") and not text.startswith("=="):
        version = text[1:].split("=")[0].rstrip("*").rstrip(".")
        spec = parse_specifier(f"=={version}.*")
        return None if spec is None else ([spec], False)
    if text.startswith("=="):
        text = "==" + text[2:].split("=")[0]
    branches = [parse_specifier(_conda_glob(b)) for b in text.split("|")]
    if any(b is None for b in branches):
        return None
    allowed = [b for b in branches if b is not None]
    return allowed, len(allowed) == 1 and is_exact_pin(allowed[0])


def _conda_glob(branch: str) -> str:
    """`==1.2*` / `==1.2.*` -> `==1.2.*` (conda's prefix match)."""
    if branch.endswith("*") and not branch.endswith(".*"):
        return branch[:-1].rstrip(".") + ".*"
    return branch
