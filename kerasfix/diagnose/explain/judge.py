"""Judging an explanation's causes against a real scan of the environment that produced the
error: confirmed (with evidence), ruled out, or unknown; the first confirmed one is THE cause."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kerasfix.diagnose.explain.checkers import (
    CONFIRMED,
    RULED_OUT,
    UNKNOWN,
    CauseStatus,
    Context,
    foreign_roots,
)
from kerasfix.diagnose.explain.deciders import DECIDES
from kerasfix.diagnose.explain.match import Explanation
from kerasfix.diagnose.findings import Finding
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK
from kerasfix.knowledge.messages import Cause

if TYPE_CHECKING:
    from kerasfix.diagnose.scan import ScanResult
    from kerasfix.inspect.inventory import Inventory


@dataclass(frozen=True)
class CauseVerdict:
    cause: Cause
    status: CauseStatus
    evidence: tuple[str, ...]
    findings: tuple[Finding, ...] = ()  # the scan findings that back it
    is_the_cause: bool = False
    confirm: str = ""  # cause.confirm / cause.fix written for the scanned interpreter and
    fix: str = ""  # TensorFlow minor ("python" -> its path, "2.N" -> "2.18")


@dataclass(frozen=True)
class Diagnosis:
    verdicts: tuple[CauseVerdict, ...]
    cause: Cause | None  # the first confirmed cause
    notes: tuple[str, ...] = ()


def check_against(explanation: Explanation, scan_result: ScanResult) -> list[CauseVerdict]:
    return list(diagnose(explanation, scan_result).verdicts)


def exit_code(diagnosis: Diagnosis | None) -> int:
    """`explain`'s exit code: 1 when the scan confirms a cause (something to fix), else 0."""
    return EXIT_FINDINGS if diagnosis is not None and diagnosis.cause is not None else EXIT_OK


def diagnose(explanation: Explanation, scan_result: ScanResult) -> Diagnosis:
    ctx = Context(explanation, scan_result.inventory, list(scan_result.findings))
    env_note = _environment_note(ctx)
    if env_note:
        ctx.notes.append(env_note)
    verdicts = [_judge(cause, ctx) for cause in explanation.causes]
    rank = {CONFIRMED: 0, UNKNOWN: 1, RULED_OUT: 2}
    verdicts.sort(key=lambda v: rank[v.status])  # stable: keeps likelihood order within
    the_cause = next((v.cause for v in verdicts if v.status == CONFIRMED), None)
    verdicts = [CauseVerdict(v.cause, v.status, v.evidence, v.findings, v.cause is the_cause,
                             *_commands(v, ctx.inv)) for v in verdicts]
    if explanation.causes and the_cause is None:
        ctx.notes.append("No cause is confirmed by the static scan: run `kerasfix scan --deep`"
                         " (it imports TensorFlow in a subprocess), and check that the scanned"
                         " interpreter is the one that printed the error.")
    return Diagnosis(tuple(verdicts), the_cause, tuple(ctx.notes))


def _commands(verdict: CauseVerdict, inv: Inventory) -> tuple[str, str]:
    """(confirm, fix) for this target: a backing finding's exact manual steps win over the
    catalogue's generic fix."""
    cause = verdict.cause
    confirm = _personal(cause.confirm, inv) if cause.personal else cause.confirm
    manual = [m for f in verdict.findings for m in f.manual[:2]]
    fix = "; ".join(dict.fromkeys(manual)) if manual else _personal(cause.fix, inv)
    return confirm, fix


def _personal(text: str, inv: Inventory) -> str:
    """A catalogue command for this target: its interpreter, its TensorFlow minor."""
    exe = inv.interpreter.executable
    quoted = f'"{exe}"' if " " in exe else exe
    text = re.sub(r"(?<![\w/.-])python(?= -[mcI])", lambda _: quoted, text)
    tf = inv.tensorflow()
    if tf and tf.version and tf.version.major == 2:
        text = text.replace("2.N", f"2.{tf.version.minor}")
    return text


def _related(cause: Cause, findings: list[Finding]) -> list[Finding]:
    out = []
    for finding in findings:
        for entry in cause.findings:
            code, _, word = entry.partition("/")
            if finding.code == code and (not word or _names(finding, word)):
                out.append(finding)
                break
    return out


def _names(finding: Finding, word: str) -> bool:
    """Whether a finding is about `word` (tensorflow, keras, numpy): its title or dists."""
    labels = " ".join((finding.title, *finding.distributions)).lower()
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w])", labels) is not None


def _finding_evidence(findings: list[Finding]) -> tuple[str, ...]:
    out: list[str] = []
    for finding in findings:
        out.append(finding.title)
        out.extend(finding.evidence[:3])
    return tuple(out)


def _judge(cause: Cause, ctx: Context) -> CauseVerdict:
    """A checker that reads the inventory decides when it can (it knows, e.g., which way
    protobuf is off); otherwise the scan's findings do."""
    related = _related(cause, ctx.findings)
    check = DECIDES.get(cause.id)
    checked = check(ctx) if check else None
    if checked is not None and checked[0] != UNKNOWN:
        status, evidence = checked
        if status != CONFIRMED:
            related = []
    elif related:
        status, evidence = CONFIRMED, ()
    else:
        status, evidence = UNKNOWN, checked[1] if checked else ()
    evidence = tuple(dict.fromkeys((*evidence, *_finding_evidence(related))))
    if status == UNKNOWN and cause.static and cause.findings:
        status = RULED_OUT
        codes = ", ".join(sorted({e.split("/")[0] for e in cause.findings}))
        evidence = (*evidence, f"the scan reports none of: {codes}")
    return CauseVerdict(cause, status, evidence, tuple(related))


def _environment_note(ctx: Context) -> str | None:
    foreign = foreign_roots(ctx)
    if not foreign:
        return None
    return (f"The traceback ran in {foreign[0]}, which the scanned interpreter"
            f" ({ctx.inv.interpreter.executable}) does not use: scan the environment that"
            " printed the error (kerasfix scan --python PATH) for a verdict that counts.")
