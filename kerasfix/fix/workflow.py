"""The decisions a fix and an undo make, in one place (the sessions in kerasfix.fix.session
call them; the CLI and the app go through the sessions): why a plan must not start, and which
exit code an outcome is."""

from __future__ import annotations

from kerasfix.diagnose.scan import ScanResult
from kerasfix.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_STEP_FAILED, KerasfixError
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix import state
from kerasfix.fix.plan import Plan, Step
from kerasfix.fix.preview import PlanPreview
from kerasfix.fix.runner import RunResult, RunStatus
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


def error_exit_code(error: Exception) -> int:
    """An error that kept a run from starting: its own code (2: another kerasfix holds the
    lock, the state folder cannot be written), or 4 for a kerasfix bug (as kerasfix.cli.main
    exits)."""
    return error.exit_code if isinstance(error, KerasfixError) else EXIT_INTERNAL


def exit_code(before: ScanResult, preview: PlanPreview | None, *, dry_run: bool = False,
              run: RunResult | None = None, comparison: Comparison | None = None,
              declined: bool = False, error: Exception | None = None) -> int:
    """0: nothing remains (or nothing to fix: no preview); 1: findings or manual steps remain,
    nothing was run, or the user declined; 2 (or 4): `error` kept the run from starting; 3: the
    plan cannot run here (blocked, or pip cannot resolve it), or a step failed or was
    cancelled."""
    if error is not None:
        return error_exit_code(error)
    if run is not None:
        return _run_exit_code(preview, run, comparison)
    if declined:  # asked, and said no (to the fix, or to going on past an interrupted one)
        return EXIT_FINDINGS
    if preview is None:  # no strategy: nothing to fix
        return EXIT_OK
    plan = preview.plan
    if plan.blocked or preview.unresolved:  # this plan cannot run here; nothing was changed
        return EXIT_STEP_FAILED
    if before.has_errors or plan.manual_steps:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if plan.automatic_steps and not dry_run else EXIT_OK


def _run_exit_code(preview: PlanPreview | None, run: RunResult,
                   comparison: Comparison | None) -> int:
    if run.status is not RunStatus.COMPLETE:
        return EXIT_STEP_FAILED
    clean = comparison is not None and comparison.clean
    manual = preview is not None and pending_manual(preview.plan, comparison)
    return EXIT_OK if clean and not manual else EXIT_FINDINGS


def pending_manual(plan: Plan, comparison: Comparison | None = None) -> list[Step]:
    """The manual steps still to do: a step for a finding the run resolved anyway (pip
    installed the missing `wheel` while aligning the stack) is done, unless a finding after
    the run still names one of its paths (a keras in the user site that no longer shadows is
    still there, and still the user's to remove)."""
    if comparison is None:
        return list(plan.manual_steps)
    resolved = {f.title for f in comparison.resolved}
    still = {p for f in comparison.remaining + comparison.new for p in f.paths}
    return [s for s in plan.manual_steps
            if s.title not in resolved or set(s.paths) & still]


def undo_exit_code(preview: PlanPreview | None, *, run: RunResult | None = None,
                   declined: bool = False, error: Exception | None = None) -> int:
    """0: restored, or nothing to restore (no preview, or no step); 1: not run (a dry run,
    declined); 2 (or 4): `error` kept the restore from starting; 3: pip cannot resolve the
    restore (nothing was changed), or a step failed or was cancelled."""
    if error is not None:
        return error_exit_code(error)
    if run is not None:
        return EXIT_OK if run.status is RunStatus.COMPLETE else EXIT_STEP_FAILED
    if declined:
        return EXIT_FINDINGS
    if preview is None or not preview.plan.steps:
        return EXIT_OK
    return EXIT_STEP_FAILED if start_blocker(preview) is not None else EXIT_FINDINGS


def manual_lines(plan: Plan, comparison: Comparison | None = None) -> list[str]:
    """What the user still has to do, each with its exact instruction."""
    return [f"You still need to: {s.instruction or s.title}"
            for s in pending_manual(plan, comparison)]


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
