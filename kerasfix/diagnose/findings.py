"""What a check reports: a finding with a stable code, a severity and the strategies that fix it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kerasfix.enums import TextEnum
from kerasfix.inspect.runtime_steps import RuntimeStep as RuntimeStep  # findings predict these
from kerasfix.inspect.runtime_steps import RuntimeVerdict


class Severity(TextEnum):
    ERROR = "error"  # broken, or will break
    WARNING = "warning"  # risky, or silently different from what the user likely means
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Strategy(TextEnum):
    """The fix routes the fix engine knows; findings name the ones that resolve them."""

    REPAIR = "repair"  # keep the TF line, align the rest, remove duplicates and leftovers
    UPGRADE = "upgrade"  # newest TF with wheels for this interpreter, with its Keras 3
    LEGACY = "legacy"  # Keras 2 semantics on a current TF: tf-keras + TF_USE_LEGACY_KERAS=1
    FRESH_VENV = "fresh-venv"  # a new virtual environment with a known-good stack
    MANUAL = "manual"  # something only the user can do (rename their keras.py, unset a variable)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    title: str
    detail: str
    symptom: str | None = None  # the message the user will see
    evidence: tuple[str, ...] = ()
    distributions: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    strategies: tuple[Strategy, ...] = ()
    scenario: str | None = None  # scenario id, e.g. "S1" (as on the Causes in knowledge/messages)
    predicts: tuple[RuntimeStep, ...] = ()  # runtime steps this finding says will fail
    runtime: RuntimeVerdict | None = None  # set by the deep check
    runtime_note: str | None = None
    manual: tuple[str, ...] = field(default=())  # exact instructions for the user's own action

    def with_runtime(self, verdict: RuntimeVerdict, note: str) -> Finding:
        return replace(self, runtime=verdict, runtime_note=note)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.code))
