"""The catalogue's record types: a Cause of a TensorFlow/Keras error, and a Signature (regexes
over a pasted text) that points at causes."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    id: str
    title: str
    why: str  # plain explanation
    confirm: str  # a command that shows whether it holds
    fix: str
    findings: tuple[str, ...] = ()  # scan finding codes; "code/word": the title must name word
    scenario: str | None = None
    static: bool = True  # a static scan decides it: no related finding means ruled out
    hints: tuple[str, ...] = ()  # regexes: text that makes this cause likelier
    personal: bool = True  # write `confirm` for the scanned interpreter (not when the point is
    #                        to ask whichever `python` runs the code)
    sources: tuple[str, ...] = ()  # where the rule was established: public threads (URLs) or
    #                                a real-install experiment (the test that shows it)


@dataclass(frozen=True)
class Signature:
    id: str
    patterns: tuple[str, ...]  # any one matching is enough
    summary: str  # what the message means, one line
    causes: tuple[str, ...]  # cause ids, most likely first
    priority: int = 1  # 3 decisive ... 0 secondary (a warning next to the real error)
    scenario: str | None = None
    noise: bool = False  # harmless log lines: a note, never a cause
    outside: bool = False  # an error in the code or the data, not in the environment: said so,
    #                        never a cause (causes must be empty)
    sources: tuple[str, ...] = ()  # threads where users pasted this message

    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return _compile(self.patterns)


_COMPILED: dict[tuple[str, ...], tuple[re.Pattern[str], ...]] = {}


def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    if patterns not in _COMPILED:
        _COMPILED[patterns] = tuple(re.compile(p, re.MULTILINE) for p in patterns)
    return _COMPILED[patterns]


def no_module(module: str, children: bool = False) -> str:
    """`No module named 'x.y'` (Python 3 quotes it; Python 2 did not; users retyping it often
    write `no module named`)."""
    tail = r"(?:\.[\w.]+)?" if children else ""
    return rf"[Nn]o module named ['\"]?(?P<module>{module}{tail})['\"]?(?![\w.])"


