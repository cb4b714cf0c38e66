"""The decisions a fix and an undo make, in one place for the CLI and the app: whether a plan
may start, and which exit code its outcome is."""

from __future__ import annotations

from kerasfix.diagnose.scan import ScanResult
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK, EXIT_STEP_FAILED
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix import state
from kerasfix.fix.plan import Plan
from kerasfix.fix.preview import PlanPreview
from kerasfix.fix.runner import RunResult
from kerasfix.fix.verify import Comparison
from kerasfix.textsafe import plural


def start_blocker(preview: PlanPreview) -> str | None:
    """Why this plan must not start (None: it may, once confirmed)."""
    plan = preview.plan
    if plan.blocked:
        return plan.blocked
    if not plan.automatic_steps:
        return "nothing kerasfix can run"
    return preview.unresolved


def exit_code(before: ScanResult, preview: PlanPreview, *, dry_run: bool = False,
              run: RunResult | None = None, comparison: Comparison | None = None) -> int:
    """0: nothing remains; 1: findings or manual steps remain (or nothing was run);
    3: the plan cannot run here (blocked, or pip cannot resolve it), or a step failed or was
    cancelled."""
    plan = preview.plan
    if run is not None:
        if run.status != "complete":
            return EXIT_STEP_FAILED
        clean = comparison is not None and comparison.clean
        return EXIT_OK if clean and not plan.manual_steps else EXIT_FINDINGS
    if plan.blocked or preview.unresolved:  # this plan cannot run here; nothing was changed
        return EXIT_STEP_FAILED
    if before.has_errors or plan.manual_steps:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if plan.automatic_steps and not dry_run else EXIT_OK


def manual_lines(plan: Plan) -> list[str]:
    """What the user still has to do, each with its exact instruction."""
    return [f"You still need to: {s.instruction or s.title}" for s in plan.manual_steps]



def interrupted_notice(prefix: str) -> str | None:
    """What to say about a fix that is running now, or was killed half-way (read only: the
    lock is not taken, nothing is marked)."""
    if state.lock_held(prefix):
        return f"Another kerasfix is changing {prefix} right now."
    stuck = snapshots.interrupted(prefix)
    return None if stuck is None else interrupted_message(stuck)


def interrupted_message(stuck: snapshots.Snapshot) -> str:
    return (f"A fix started {stuck.created} was interrupted after {stuck.steps_done} of"
            f" {plural(stuck.steps_total, 'step')}. Restore it with: {stuck.undo_command()}")
