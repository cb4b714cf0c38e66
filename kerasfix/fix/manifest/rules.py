"""When a manifest's requirement must change, and what its version part becomes.

The rule (one for every manifest format):
- `remove`: the requirement goes.
- `exact` known: the requirement stays when it allows that version. The repaired environment
  has it, and `pip install -r` / a resolver keeping installed versions leaves it alone, so a
  looser requirement that allows it is not touched (a minimal edit).
- only `spec`: the requirement stays when every version it allows is one `spec` allows, judged
  on the versions either side names and their neighbours (0, the next patch/minor/major, a far
  future release). Without the installed version a looser requirement could resolve outside the
  stack on the next fresh install, so `keras` or `keras>=2` is rewritten for `keras<3`.
- otherwise only the version part is rewritten: an exact pin (`==`, `===`, a bare Poetry
  version) becomes `==exact` (`spec` when the exact version is unknown); anything else becomes
  `spec` (`==exact` when `spec` is empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from kerasfix.fix.manifest.model import Want

REMOVE: Final = "<remove>"  # decide()'s answer for a requirement that goes

Allowed = Sequence[SpecifierSet]  # a union: Poetry's `||` and conda's `|` have branches


def decide(want: Want, allowed: Allowed, pinned: bool) -> str | None:
    """REMOVE, the new version part, or None to leave the requirement as it is."""
    if want.remove:
        return REMOVE
    if _acceptable(want, allowed):
        return None
    if pinned:
        return f"=={want.exact}" if want.exact else want.spec or None
    return want.spec or (f"=={want.exact}" if want.exact else None)


def _acceptable(want: Want, allowed: Allowed) -> bool:
    if want.exact:
        return any(s.contains(want.exact, prereleases=True) for s in allowed)
    if not want.spec:
        return True
    return within(allowed, SpecifierSet(want.spec))


def within(allowed: Allowed, target: SpecifierSet) -> bool:
    """Whether every probed version some branch of `allowed` takes, `target` takes too."""
    named = [_spec_version(s) for branch in allowed for s in branch]
    named += [_spec_version(s) for s in target]
    for probe in _probes(v for v in named if v is not None):
        if any(s.contains(probe) for s in allowed) and not target.contains(probe):
            return False
    return True


def _spec_version(spec: Specifier) -> Version | None:
    try:
        return Version(spec.version.removesuffix(".*"))
    except InvalidVersion:
        return None


def _probes(versions: Iterable[Version]) -> set[Version]:
    probes = {Version("0"), Version("0.0.1"), Version("99999")}
    for v in versions:
        release = list(v.release)
        probes.add(v)
        for i in range(len(release)):
            bumped = [*release[:i], release[i] + 1]
            probes.add(Version(".".join(map(str, bumped))))
            probes.add(Version(".".join(map(str, [*bumped, 0, 0][:3]))))
        probes.add(Version(".".join(map(str, [*release, 0, 1]))))
    return probes


def is_exact_pin(allowed: SpecifierSet) -> bool:
    """`==X` / `===X` (not a `==X.*` wildcard)."""
    specs = list(allowed)
    return (len(specs) == 1 and specs[0].operator in ("==", "===")
            and not specs[0].version.endswith(".*"))


def parse_specifier(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None
