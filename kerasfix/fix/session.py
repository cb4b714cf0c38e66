"""A fix and an undo from start to end, the same for the CLI and the app.

`FixSession`: plan (one strategy, or every one for the app's list) → preview (pip's own
dry-run) → may it start → run → verify → report → exit code. `UndoSession`: the snapshots →
the one to restore → its undo plan → preview → may it start → run → exit code.

A presenter shows what a session produces (previews, `Line`s, run events) and asks the
questions its `StartDecision` names; the session decides the rest: whether a plan may start
and what to say and ask first, the exit code (through kerasfix.fix.workflow, the one place),
whether and where the report is written and what it holds, and the words of an outcome.
Engine code: neither textual nor rich, and no output format (the presenter hands `finish` the
writer from kerasfix.report.fix_report).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kerasfix.diagnose.findings import Strategy
from kerasfix.diagnose.scan import ScanResult
from kerasfix.errors import KerasfixError
from kerasfix.fix import conda, installers, planner, state, workflow
from kerasfix.fix import snapshot as snaps
from kerasfix.fix.manifest_steps import refine as refine_manifest_edits
from kerasfix.fix.plan import Plan, Step
from kerasfix.fix.preview import PlanPreview, preview_plan
from kerasfix.fix.runner import Events, RunResult, RunStatus, StepOutcome, run_plan
from kerasfix.fix.verify import Comparison, verify
from kerasfix.inspect.inventory import Inventory
from kerasfix.textsafe import one_line, plural

Tone = Literal["plain", "bold", "ok", "warn", "error", "dim"]
STRATEGIES = (Strategy.REPAIR, Strategy.LEGACY, Strategy.UPGRADE, Strategy.FRESH_VENV)
FORCE_QUESTION = "pip says this plan cannot work. Run it anyway?"
FORCE_HINT = ("Fix the cause (an index or --find-links DIR --no-index), or pass --force to run"
              " it anyway.")
CONTINUE_QUESTION = "Continue with a new fix anyway?"  # after an interrupted fix


@dataclass(frozen=True)
class Line:
    """One line for the user, in the same words in the CLI and the app; `tone` says how it
    should stand out (a renderer turns it into a style)."""

    text: str
    tone: Tone = "plain"


@dataclass(frozen=True)
class StartDecision:
    """Whether a previewed plan may start, and what a presenter says and asks first.

    Show `lines` (why it may not start, or what --force overrides), then ask `force_question`
    and `confirm_question`, those that are set, in that order; the run starts only when
    `may_start` and every answer is yes. A "no" to the force question leaves the plan not
    started (exit 3, pip cannot resolve it); a "no" to the confirmation is the user's
    `decline()` (exit 1). The app's Run and Restore buttons are `may_start` (pressing one is
    the confirmation; the app offers no --force)."""

    may_start: bool
    lines: tuple[Line, ...] = ()
    force_question: str | None = None
    confirm_question: str | None = None


class RunEvents(Events):
    """What a presenter hears of a run, in order: for each step `step_started`, its `output`
    lines and `step_finished` (from the runner, on the thread that runs the plan), then
    `run_finished` once (from the session, after the result is recorded in it)."""

    def run_finished(self, result: RunResult) -> None: ...


class _Recorder(Events):
    """Passes every event on and keeps the last lines each step printed: when a step fails,
    the app's outcome must say why in pip's own words, after the run log is gone."""

    KEEP = 40

    def __init__(self, events: Events) -> None:
        self.events = events
        self.lines: dict[int, deque[str]] = {}

    def step_started(self, index: int, step: Step) -> None:
        self.lines[index] = deque(maxlen=self.KEEP)
        self.events.step_started(index, step)

    def output(self, index: int, line: str) -> None:
        self.lines.setdefault(index, deque(maxlen=self.KEEP)).append(line)
        self.events.output(index, line)

    def step_finished(self, outcome: StepOutcome) -> None:
        self.events.step_finished(outcome)


def failure_words(lines: Sequence[str], most: int = 4) -> list[str]:
    """What a failed step said that matters: pip's ERROR lines (and what follows them),
    else its last non-empty lines."""
    text = [line.strip() for line in lines if line.strip()]
    first_error = next((i for i, line in enumerate(text)
                        if line.startswith(("ERROR:", "error:"))), None)
    chosen = text[first_error:] if first_error is not None else text
    return chosen[:most] if first_error is not None else chosen[-most:]


@dataclass
class FixReport:
    """Everything a fix (or dry-run audit) report holds; assembled by FixSession only, written
    as Markdown or `kerasfix.fix/1` JSON by kerasfix.report.fix_report."""

    before: ScanResult
    preview: PlanPreview
    dry_run: bool
    run: RunResult | None = None
    after: ScanResult | None = None
    comparison: Comparison | None = None
    exit_code: int = 0
    undo_command: str | None = None


ReportWriter = Callable[[FixReport, Path], None]  # kerasfix.report.fix_report.write_report


def interrupted_notice(prefix: str) -> str | None:
    """What to say, before any session starts, about a fix running in this environment now
    or killed half-way (read only: the app's first screen)."""
    return workflow.interrupted_notice(prefix)


def interrupted_message(stuck: snaps.Snapshot) -> str:
    """What to say about the snapshot of a fix that was interrupted, and how to restore it."""
    return workflow.interrupted_message(stuck)


def error_line(err: Exception) -> Line:
    """An error that kept a run from starting (another kerasfix holds the environment's lock,
    the state folder cannot be written, a folder vanished) in the words the CLI prints for it,
    without its `kerasfix: ` (kerasfix.cli.main): `error: …`, or `internal error: …` for a
    kerasfix bug."""
    if isinstance(err, KerasfixError):
        return Line(f"error: {one_line(str(err))}", "error")
    return Line(f"internal error: {type(err).__name__}: {one_line(str(err))}", "error")


def default_report_path(before: ScanResult, kind: str, folder: Path | None = None) -> Path:
    """Where the app keeps a report nobody named: beside the run's snapshot, else the
    folder kerasfix was started in, else the environment's state folder."""
    stamp = state.now().replace(":", "").replace("-", "").replace("+0000", "Z")
    name = f"kerasfix-{kind}-{stamp}.md"
    if folder is not None:
        return folder / name
    cwd = Path(before.inventory.interpreter.cwd)
    if os.access(cwd, os.W_OK):
        return cwd / name
    return state.env_dir(before.inventory.interpreter.prefix) / name


def stopped_line(run: RunResult, what: str = "run") -> Line:
    """A run that did not complete: where it stopped, and that nothing after it ran."""
    failed = run.failed
    if failed is not None:
        where = f"at step {failed.index + 1}: {failed.step.title}"
    else:
        where = f"after {plural(len(run.outcomes), 'step')}"
    return Line(f"The {what} stopped ({run.status}) {where}; nothing further was run.",
                "error")


def said_lines(run: RunResult, output: Mapping[int, Sequence[str]]) -> list[Line]:
    """The failed step's own words, under the line saying where the run stopped."""
    if run.failed is None:
        return []
    words = failure_words(output.get(run.failed.index, ()))
    return [Line(f"  {word}", "dim") for word in words]


class _Starting:
    """What a fix and an undo decide alike once their plan is previewed: may it start, what to
    say and ask first, and the run (which records the result, or the error that kept it from
    starting)."""

    dry_run: bool
    declined: bool
    run_result: RunResult | None
    run_error: Exception | None
    step_output: Mapping[int, Sequence[str]]

    def _previewed(self) -> PlanPreview:
        raise NotImplementedError

    @property
    def runnable(self) -> bool:
        raise NotImplementedError

    @property
    def confirm_question(self) -> str:
        raise NotImplementedError

    @property
    def blocker(self) -> str | None:
        """Why the plan must not start (None: it may, once confirmed)."""
        return workflow.start_blocker(self._previewed())

    def start_decision(self, force: bool = False, *, offer_force: bool = True) -> StartDecision:
        """May the previewed plan start, and what to say and ask first. `force`: the user asked
        to run it although pip cannot resolve it (--force); `offer_force` False: the presenter
        has no --force (the app), so the lines do not mention it."""
        if not self.runnable:  # a dry run, a blocked strategy, nothing kerasfix can run
            return StartDecision(False)
        confirm = self.confirm_question
        blocker = self.blocker
        if blocker is None:
            return StartDecision(True, confirm_question=confirm)
        said = Line(f"Not started: {blocker}", "error")
        if force:
            return StartDecision(True, (said,), FORCE_QUESTION, confirm)
        return StartDecision(False, (said, Line(FORCE_HINT)) if offer_force else (said,))

    def decline(self) -> None:
        """The user said no: nothing was changed, no report is written (exit 1)."""
        self.declined = True

    def _run(self, plan: Plan, inv: Inventory, events: RunEvents | None,
             cancel: threading.Event | None, force: bool,
             snapshot: snaps.Snapshot | None = None) -> RunResult:
        if not self.start_decision(force).may_start:  # a presenter that skipped the decision
            raise RuntimeError("this plan may not start (see start_decision)")
        events = events or RunEvents()
        recorder = _Recorder(events)
        try:
            result = run_plan(plan, inv, events=recorder, snapshot=snapshot, cancel=cancel)
        except Exception as err:  # the lock, the state folder: the outcome says so
            self.run_error = err
            raise
        self.run_result = result
        self.step_output = recorder.lines
        return result


class FixSession(_Starting):
    """One fix of one scanned environment.

    `strategy` None takes the recommended one (None again: nothing to fix); the app lists
    `plans` and calls `choose`. `report_path` names the report; `always_report` (the app)
    writes one anyway, beside the run. `verify_deep` runs the runtime check after the fix,
    within `timeout` seconds."""

    def __init__(self, before: ScanResult, strategy: Strategy | None = None,
                 options: planner.FixOptions | None = None, *, dry_run: bool = False,
                 report_path: str | Path | None = None, always_report: bool = False,
                 verify_deep: bool = True, timeout: float = 120.0) -> None:
        self.before = before
        self.options = options or planner.FixOptions()
        self.dry_run = dry_run
        self.report_path = report_path
        self.always_report = always_report
        self.verify_deep = verify_deep
        self.timeout = timeout
        self.recommended = planner.recommend(before)
        self.strategy = strategy or self.recommended
        self._plans: dict[Strategy, Plan] = {}
        self.preview: PlanPreview | None = None
        self.run_result: RunResult | None = None
        self.step_output: Mapping[int, Sequence[str]] = {}  # each step's last lines
        self.after: ScanResult | None = None
        self.comparison: Comparison | None = None
        self.declined = False  # asked, and the user said no: nothing ran, no report
        self.run_error: Exception | None = None  # what kept the run from starting
        self.report_written: Path | None = None

    @property
    def prefix(self) -> str:
        return self.before.inventory.interpreter.prefix

    # ------------------------------------------------------------ plans
    @property
    def plans(self) -> dict[Strategy, Plan]:
        """Every strategy's plan, in the order the app lists them."""
        return {strategy: self._plan_for(strategy) for strategy in STRATEGIES}

    def _plan_for(self, strategy: Strategy) -> Plan:
        if strategy not in self._plans:
            self._plans[strategy] = planner.build_plan(self.before, strategy, self.options)
        return self._plans[strategy]

    @property
    def plan(self) -> Plan | None:
        return None if self.strategy is None else self._plan_for(self.strategy)

    @property
    def nothing_to_fix(self) -> bool:
        return self.strategy is None

    def can_choose(self, strategy: Strategy) -> bool:
        """Whether the app's list offers this strategy: one that can work here, and any in a
        dry run (its audit report says why it cannot run)."""
        return self.dry_run or not self._plan_for(strategy).blocked

    def choose(self, strategy: Strategy) -> Plan:
        """Another strategy (the app's list): the last one's preview is dropped."""
        self.strategy = strategy
        self.preview = None
        return self._plan_for(strategy)

    def check_interrupted(self, tell: Callable[[str], None], ask: Callable[[], bool]) -> bool:
        """Tell of a fix that was killed half-way (or runs right now) and `ask` whether to go
        on with a new one, which marks the old snapshot abandoned. Looked at under the
        environment's lock, so a fix running now is never taken for an interrupted one. A dry
        run only tells: it changes nothing, kerasfix's own state included. False: the user
        would rather undo it; the session ends there (exit 1)."""
        if self.dry_run:
            notice = workflow.interrupted_notice(self.prefix)
            if notice:
                tell(notice)
            return True
        with state.env_lock(self.prefix):  # ours now: an in-progress snapshot is not running
            stuck = snaps.interrupted(self.prefix)
            if stuck is None:
                return True
            tell(interrupted_message(stuck))
            if not ask():
                self.declined = True
                return False
            stuck.status = snaps.SnapshotStatus.ABANDONED
            stuck.save()
        return True

    # ------------------------------------------------------------ preview, start
    def prepare(self) -> PlanPreview:
        """pip's dry-run of the plan: slow (the app runs it in a worker)."""
        plan = self.plan
        if plan is None:
            raise RuntimeError("nothing to fix: there is no plan to preview")
        preview = preview_plan(plan, self.before.environment)
        refine_manifest_edits(preview, self.before.environment, self.before.project)
        if plan is self.plan:  # the app may have chosen another strategy meanwhile
            self.preview = preview
        return preview

    def _previewed(self) -> PlanPreview:
        if self.preview is None:
            raise RuntimeError("prepare() the plan first")
        return self.preview

    @property
    def runnable(self) -> bool:
        """Whether this session runs anything at all: not a dry run (an audit), a strategy
        that can work here, and a step kerasfix can run."""
        plan = self._previewed().plan
        return not self.dry_run and not plan.blocked and bool(plan.automatic_steps)

    @property
    def confirm_question(self) -> str:
        steps = len(self._previewed().plan.automatic_steps)
        return f"Apply {plural(steps, 'step')} to {self.prefix}?"

    # ------------------------------------------------------------ run, verify
    def run(self, events: RunEvents | None = None, cancel: threading.Event | None = None,
            *, force: bool = False) -> RunResult:
        """Run the plan (lock, snapshot, each step); the events hear every step, then the
        result once it is recorded here. An error that keeps the run from starting (the
        lock) is raised, and recorded for the outcome."""
        result = self._run(self._previewed().plan, self.before.environment, events, cancel,
                           force)
        (events or RunEvents()).run_finished(result)
        return result

    @property
    def completed(self) -> bool:
        return self.run_result is not None and self.run_result.status is RunStatus.COMPLETE

    def verify(self) -> tuple[ScanResult, Comparison]:
        """Scan again (the runtime check too, when `verify_deep`) and compare."""
        if not self.completed:
            raise RuntimeError("only a completed run is verified")
        python = planner.python_after(self._previewed().plan)
        self.after, self.comparison = verify(python, self.before, deep=self.verify_deep,
                                             timeout=self.timeout)
        return self.after, self.comparison

    # ------------------------------------------------------------ outcome
    @property
    def undo_command(self) -> str | None:
        run = self.run_result
        return run.snapshot.undo_command() if run is not None and run.snapshot else None

    @property
    def manual_lines(self) -> list[Line]:
        """What the user still has to do, each with its exact instruction."""
        plan = self.plan
        return [] if plan is None else [Line(text, "warn") for text in
                                         workflow.manual_lines(plan, self.comparison)]

    @property
    def exit_code(self) -> int:
        return workflow.exit_code(self.before, self.preview, dry_run=self.dry_run,
                                  run=self.run_result, comparison=self.comparison,
                                  declined=self.declined, error=self.run_error)

    @property
    def report(self) -> FixReport:
        """The report as the session stands (the only place one is assembled)."""
        return FixReport(self.before, self._previewed(), self.dry_run, run=self.run_result,
                         after=self.after, comparison=self.comparison,
                         exit_code=self.exit_code, undo_command=self.undo_command)

    def outcome_lines(self) -> list[Line]:
        """What to say once the session has stopped (after the verification, if any)."""
        if self.declined:
            return [Line("Nothing was changed.")]
        if self.run_error is not None:
            return [error_line(self.run_error)]
        if self.nothing_to_fix:
            return [Line("Nothing to fix.", "ok")]
        if self.preview is None:
            return []
        run = self.run_result
        if run is None:
            return self._not_run_lines()
        undo = f"Undo with: {self.undo_command}"
        if run.status is not RunStatus.COMPLETE:
            return [stopped_line(run), *said_lines(run, self.step_output), Line(undo, "bold")]
        notes = [Line(note, "bold") for note in self._previewed().plan.notes]
        return [*self.manual_lines, *notes, Line(undo)]

    def _not_run_lines(self) -> list[Line]:
        if not self.runnable:  # a dry run, a blocked strategy, or only manual steps
            return self.manual_lines
        if self.blocker is not None:  # pip cannot resolve it: not started
            return [Line("Nothing was changed.")]
        return []

    def finish(self, writer: ReportWriter) -> int:
        """Write the report (once) when one is due, with `writer` (the format), and return
        the exit code."""
        path = self._report_target()
        if path is not None and self.report_written is None:
            writer(self.report, path)
            self.report_written = path
        return self.exit_code

    @property
    def report_due(self) -> bool:
        """Whether there is a report to write (where: --report, or the app's always): once the
        plan is previewed, unless the user said no or the run could not start. A dry run of a
        plan that cannot run here too: the audit report says why (its blocker)."""
        return self.preview is not None and not self.declined and self.run_error is None

    def _report_target(self) -> Path | None:
        if not self.report_due:
            return None
        if self.report_path is not None:
            return Path(self.report_path)
        if not self.always_report:
            return None
        run = self.run_result
        folder = run.snapshot.folder if run is not None and run.snapshot else None
        return default_report_path(self.before, "audit" if self.dry_run else "fix", folder)

    @property
    def report_line(self) -> Line | None:
        if self.report_written is None:
            return None
        kind = "Audit report" if self.dry_run else "Report"
        return Line(f"{kind}: {self.report_written}")


def snapshot_row(snap: snaps.Snapshot) -> str:
    """One snapshot in a list: id (it starts with when it was taken), strategy, status, how
    far it got, by whom."""
    return (f"{snap.id}  {snap.strategy:<10} {snap.status:<12}"
            f" {snap.steps_done}/{plural(snap.steps_total, 'step')}  by {snap.user}")


class UndoSession(_Starting):
    """Taking one fix back in one scanned environment.

    `snapshot_id` None: the newest snapshot (or the one `choose` is given). `index_flags`
    None: the fix's own --find-links / --no-index, kept in its snapshot. `all_since`: also
    take back what changed after the fix."""

    def __init__(self, current: ScanResult, snapshot_id: str | None = None, *,
                 index_flags: tuple[str, ...] | None = None, all_since: bool = False,
                 dry_run: bool = False, installer: str = "auto") -> None:
        self.current = current
        self.installer = installer  # auto: the route the fix ran through
        self.snapshot_id = snapshot_id
        self.index_flags = index_flags
        self.all_since = all_since
        self.dry_run = dry_run
        self._listed: list[snaps.Snapshot] | None = None
        self.snapshot: snaps.Snapshot | None = None
        self.plan: Plan | None = None
        self.preview: PlanPreview | None = None
        self.run_result: RunResult | None = None
        self.run_error: Exception | None = None  # what kept the run from starting
        self.step_output: Mapping[int, Sequence[str]] = {}  # each step's last lines
        self.declined = False

    @property
    def prefix(self) -> str:
        return self.current.inventory.interpreter.prefix

    @property
    def snapshots(self) -> list[snaps.Snapshot]:
        """Every snapshot of the environment, oldest first (unreadable ones too, listed)."""
        if self._listed is None:
            self._listed = snaps.list_snapshots(self.prefix)
        return self._listed

    def rows(self) -> list[Line]:
        """The snapshot list, as `kerasfix undo --list` prints it."""
        if not self.snapshots:
            return [Line(f"No snapshots for {self.prefix}: kerasfix has not changed it.")]
        return [Line(snapshot_row(snap)) for snap in self.snapshots]

    def choose(self, snapshot_id: str | None = None) -> Plan:
        """Plan the restore of a snapshot: this id, else the one the session was given, else
        the newest. When the environment already matches it, the snapshot is closed there and
        then (marked restored: later runs stop warning about it; not in a dry run, which
        changes nothing), and `outcome_lines` say so."""
        wanted = snapshot_id or self.snapshot_id
        if wanted:
            snap = snaps.load(self.prefix, wanted)
        elif self.snapshots:
            snap = self.snapshots[-1]
        else:
            raise KerasfixError(f"no snapshots for {self.prefix}")
        inv = self.current.environment
        self.snapshot = snap
        route = installers.route(inv, self.current.python, self.installer, snap.installer)
        if route.missing:
            raise KerasfixError(route.missing)
        self.plan = snaps.plan_undo(snap, inv, route, index_flags=self.index_flags,
                                    all_since=self.all_since)
        manager = self.current.manager
        if manager.name == "conda":  # what conda owns goes back through conda too
            conda.route_conda(self.plan, inv, manager.conda_owned, conda.conda_exe(inv))
        self.preview, self.run_result, self.run_error, self.declined = None, None, None, False
        if not self.plan.steps and not self.dry_run:
            snaps.close(snap)
        return self.plan

    def _planned(self) -> tuple[snaps.Snapshot, Plan]:
        if self.snapshot is None or self.plan is None:
            raise RuntimeError("choose() a snapshot first")
        return self.snapshot, self.plan

    @property
    def nothing_to_do(self) -> bool:
        """The environment already matches the snapshot."""
        return not self._planned()[1].steps

    def matches_lines(self) -> list[Line]:
        snap, plan = self._planned()
        return [Line(f"{self.prefix} already matches snapshot {snap.id}.", "ok"),
                *(Line(note, "dim") for note in plan.notes[1:])]

    def prepare(self) -> PlanPreview:
        """pip's dry-run of the restore: slow (the app runs it in a worker)."""
        _snap, plan = self._planned()
        preview = preview_plan(plan, self.current.environment)
        if plan is self.plan:
            self.preview = preview
        return preview

    def _previewed(self) -> PlanPreview:
        if self.preview is None:
            raise RuntimeError("prepare() the restore first")
        return self.preview

    @property
    def runnable(self) -> bool:
        return not self.dry_run and bool(self._previewed().plan.automatic_steps)

    @property
    def confirm_question(self) -> str:
        return f"Restore snapshot {self._planned()[0].id}?"

    def run(self, events: RunEvents | None = None, cancel: threading.Event | None = None,
            *, force: bool = False) -> RunResult:
        """Restore the snapshot; when every step ran it is marked restored. An error that
        keeps the run from starting (the lock) is raised, and recorded for the outcome."""
        snap, plan = self._planned()
        result = self._run(plan, self.current.environment, events, cancel, force, snap)
        if result.status is RunStatus.COMPLETE:
            snap.status = snaps.SnapshotStatus.RESTORED
            snap.save()
        (events or RunEvents()).run_finished(result)
        return result

    @property
    def exit_code(self) -> int:
        return workflow.undo_exit_code(self.preview, run=self.run_result,
                                       declined=self.declined, error=self.run_error)

    def outcome_lines(self) -> list[Line]:
        if self.declined:
            return [Line("Nothing was changed.")]
        if self.run_error is not None:
            return [error_line(self.run_error)]
        if self.plan is not None and self.nothing_to_do:
            return self.matches_lines()
        run = self.run_result
        if run is not None:
            if run.status is not RunStatus.COMPLETE:
                return [stopped_line(run, "restore"), *said_lines(run, self.step_output)]
            return [Line(f"Restored snapshot {self._planned()[0].id}.", "ok")]
        if self.preview is not None and self.runnable and self.blocker is not None:
            return [Line("Nothing was changed.")]
        return []
