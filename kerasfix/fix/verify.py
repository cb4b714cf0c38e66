"""After a fix: scan again (with the runtime check) and compare findings before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.scan import ScanResult, scan
from kerasfix.inspect.runtime_steps import RuntimeVerdict
from kerasfix.inspect.target import Target


@dataclass
class Comparison:
    resolved: list[Finding]
    remaining: list[Finding]
    new: list[Finding]

    @property
    def clean(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.remaining + self.new)


def _problems(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.INFO]


def compare(before: list[Finding], after: list[Finding]) -> Comparison:
    """Matched by code: titles carry versions, which a fix is expected to change."""
    after_codes = {f.code for f in _problems(after)}
    before_codes = {f.code for f in _problems(before)}
    # A runtime failure that a remaining static finding predicted is that finding's symptom.
    explained = {step for f in after if f.runtime == RuntimeVerdict.CONFIRMED and
                 not f.code.startswith("runtime-") for step in f.predicts}
    consequence = {f.code for f in after if f.code.startswith("runtime-") and
                   set(f.predicts) & explained}
    return Comparison(
        resolved=[f for f in _problems(before) if f.code not in after_codes],
        remaining=[f for f in _problems(after) if f.code in before_codes | consequence],
        new=[f for f in _problems(after) if f.code not in before_codes | consequence],
    )


def verify(python: str, before: ScanResult, *, deep: bool = True, timeout: float = 120.0,
           env: Mapping[str, str] | None = None, cwd: str | None = None
           ) -> tuple[ScanResult, Comparison]:
    after = scan(Target(python, "verification"), deep=deep, deep_timeout=timeout,
                 env=env if env is not None else before.env,
                 cwd=cwd if cwd is not None else before.cwd)
    return after, compare(before.findings, after.findings)
