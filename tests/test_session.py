"""FixSession and UndoSession driven directly, over real venvs, real pip and tiny local wheels
(offline: --find-links DIR --no-index), as the CLI and the app drive them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv, tree_hash
from fakeenv import pip_offline as pip

from kerasfix.diagnose.findings import Strategy
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK, EXIT_STEP_FAILED
from kerasfix.fix import planner
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix.plan import Step
from kerasfix.fix.runner import RunResult, StepOutcome
from kerasfix.fix.session import (
    FORCE_HINT,
    FORCE_QUESTION,
    FixSession,
    Line,
    RunEvents,
    StartDecision,
    UndoSession,
)
from kerasfix.report.fix_report import write_report


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    return make_venv(tmp_path / "e")


def broken(env: FakeEnv, wheels: Path) -> FakeEnv:
    """tensorflow-cpu 2.18.1 with tf-keras 2.15.0 and a pip leftover: repair fixes it."""
    pip(env, wheels, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheels, "install", "--no-deps", "tf-keras==2.15.0")
    (env.site / "~f_keras").mkdir()
    return env


def offline(wheels: Path) -> planner.FixOptions:
    return planner.FixOptions(find_links=(str(wheels),), no_index=True)


class Recorder(RunEvents):
    """Every event of a run, in order; and whether the session knew the result when it said
    the run had finished."""

    def __init__(self, session: FixSession | UndoSession) -> None:
        self.session = session
        self.seen: list[tuple[str, object]] = []

    def step_started(self, index: int, step: Step) -> None:
        self.seen.append(("started", index))

    def output(self, index: int, line: str) -> None:
        self.seen.append(("line", index))

    def step_finished(self, outcome: StepOutcome) -> None:
        self.seen.append(("finished", outcome.index))

    def run_finished(self, result: RunResult) -> None:
        self.seen.append(("run", result.status))
        assert self.session.run_result is result  # recorded before anyone hears of it


def texts(lines: list[Line]) -> str:
    return "\n".join(line.text for line in lines)


def snaps_of(env: FakeEnv) -> list[snapshots.Snapshot]:
    return snapshots.list_snapshots(str(env.root / "venv"))


# ---------------------------------------------------------------- fix


def test_full_fix_runs_verifies_reports_and_says_how_to_undo(env: FakeEnv, wheelhouse: Path,
                                                             tmp_path: Path) -> None:
    broken(env, wheelhouse)
    report = tmp_path / "fix.json"
    session = FixSession(env.scan(), None, offline(wheelhouse), report_path=report,
                         verify_deep=False)
    assert session.strategy is Strategy.REPAIR and not session.nothing_to_fix
    preview = session.prepare()
    assert session.preview is preview and session.blocker is None
    decision = session.start_decision()
    assert session.runnable and decision == StartDecision(True, (), None,
                                                          session.confirm_question)
    assert session.confirm_question.startswith("Apply ") and session.prefix in \
        session.confirm_question
    events = Recorder(session)
    result = session.run(events)
    assert result.status == "complete" and session.completed
    steps = len(preview.plan.automatic_steps)
    assert [e for e in events.seen if e[0] == "started"] == [("started", i) for i in range(steps)]
    assert [e for e in events.seen if e[0] == "finished"] == [("finished", i)
                                                              for i in range(steps)]
    assert events.seen[-1] == ("run", "complete") and events.seen.count(("run", "complete")) == 1
    after, comparison = session.verify()
    assert comparison.clean and "tf-keras-minor-mismatch" in {f.code for f in
                                                              comparison.resolved}
    assert after.inventory.get("tf-keras").raw_version == "2.18.0"
    lines = texts(session.outcome_lines())
    assert session.undo_command is not None and session.undo_command.startswith("kerasfix undo")
    assert f"Undo with: {session.undo_command}" in lines
    assert session.finish(write_report) == EXIT_OK == session.exit_code
    assert session.report_written == report and session.report_line is not None
    doc = json.loads(report.read_text())
    assert doc["schema"] == "kerasfix.fix/1" and doc["exit_code"] == 0
    assert doc["run"]["status"] == "complete" and doc["undo"] == session.undo_command
    assert "tf-keras-minor-mismatch" in doc["comparison"]["resolved"]
    assert doc["findings_after"] is not None
    session.finish(write_report)  # once: a second finish writes nothing new
    assert json.loads(report.read_text())["generated_at"] == doc["generated_at"]


def test_plan_pip_cannot_resolve_does_not_start(env: FakeEnv, wheelhouse: Path,
                                                tmp_path: Path) -> None:
    broken(env, wheelhouse)
    before = tree_hash(env.root / "venv")
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    report = tmp_path / "blocked.md"
    session = FixSession(env.scan(), None, offline(empty), report_path=report,
                         verify_deep=False)
    session.prepare()
    assert session.blocker is not None and "Could not find a version" in session.blocker
    said = Line(f"Not started: {session.blocker}", "error")
    assert session.runnable
    # the CLI says why and how to get past it; the app (no --force) only why
    assert session.start_decision() == StartDecision(False, (said, Line(FORCE_HINT)))
    assert session.start_decision(offer_force=False) == StartDecision(False, (said,))
    # --force may start it, after asking once more, then the usual question
    assert session.start_decision(force=True) == StartDecision(
        True, (said,), FORCE_QUESTION, session.confirm_question)
    with pytest.raises(RuntimeError):
        session.run()
    assert texts(session.outcome_lines()) == "Nothing was changed."
    assert session.finish(write_report) == EXIT_STEP_FAILED
    assert "Exit code: 3" in report.read_text()
    assert tree_hash(env.root / "venv") == before and snaps_of(env) == []


def test_blocked_strategy_is_not_runnable(env: FakeEnv, wheelhouse: Path) -> None:
    from dataclasses import replace

    broken(env, wheelhouse)
    result = env.scan()
    result.inventory.interpreter = replace(result.inventory.interpreter,
                                           externally_managed=True,
                                           externally_managed_path="/x/EXTERNALLY-MANAGED")
    session = FixSession(result, Strategy.REPAIR, offline(wheelhouse))
    assert session.plans[Strategy.REPAIR].blocked and not session.plans[
        Strategy.FRESH_VENV].blocked
    session.prepare()
    assert not session.runnable and session.start_decision(force=True) == StartDecision(False)
    assert not session.can_choose(Strategy.REPAIR) and session.can_choose(Strategy.FRESH_VENV)
    assert session.exit_code == EXIT_STEP_FAILED
    assert session.finish(write_report) == EXIT_STEP_FAILED and session.report_written is None


def test_dry_run_of_a_blocked_plan_writes_the_audit_with_its_blocker(
        env: FakeEnv, wheelhouse: Path, tmp_path: Path) -> None:
    """An auditor wants the report of a plan that cannot run too: the CLI writes it, the app
    offers the strategy and its "Write audit report" (both from the session), and the report
    says why the plan cannot run."""
    from dataclasses import replace

    broken(env, wheelhouse)
    result = env.scan()
    result.inventory.interpreter = replace(result.inventory.interpreter,
                                           externally_managed=True,
                                           externally_managed_path="/x/EXTERNALLY-MANAGED")
    for name in ("audit.md", "audit.json"):
        session = FixSession(result, Strategy.REPAIR, offline(wheelhouse), dry_run=True,
                             report_path=tmp_path / name)
        assert session.can_choose(Strategy.REPAIR)  # the app lists it in a dry run
        session.prepare()
        blocker = session.plan.blocked if session.plan else None
        assert blocker and "externally managed" in blocker
        assert session.report_due and session.start_decision() == StartDecision(False)
        assert session.finish(write_report) == EXIT_STEP_FAILED
        assert session.report_written == tmp_path / name
    markdown = (tmp_path / "audit.md").read_text()
    assert "dry-run audit" in markdown and f"— blocked: {blocker}" in markdown
    assert "Exit code: 3" in markdown
    doc = json.loads((tmp_path / "audit.json").read_text())
    assert doc["dry_run"] is True and doc["plan"]["blocked"] == blocker
    assert doc["plan"]["strategy"] == "repair" and doc["exit_code"] == EXIT_STEP_FAILED


def test_dry_run_changes_nothing_and_writes_the_audit(env: FakeEnv, wheelhouse: Path,
                                                      tmp_path: Path) -> None:
    broken(env, wheelhouse)
    before = tree_hash(env.root / "venv")
    report = tmp_path / "audit.json"
    session = FixSession(env.scan(), None, offline(wheelhouse), dry_run=True,
                         report_path=report)
    told: list[str] = []
    assert session.check_interrupted(told.append, lambda: pytest.fail("a dry run asks nothing"))
    assert told == []
    session.prepare()
    assert session.blocker is None and not session.runnable
    assert session.start_decision() == StartDecision(False) and session.report_due
    assert session.finish(write_report) == EXIT_FINDINGS  # problems remain: it is an audit
    doc = json.loads(report.read_text())
    assert doc["dry_run"] is True and doc["run"] is None and doc["exit_code"] == 1
    assert tree_hash(env.root / "venv") == before and snaps_of(env) == []


def test_app_report_lands_in_the_working_folder_for_an_audit(env: FakeEnv,
                                                             wheelhouse: Path) -> None:
    broken(env, wheelhouse)
    session = FixSession(env.scan(), None, offline(wheelhouse), dry_run=True,
                         always_report=True)
    session.prepare()
    session.finish(write_report)
    assert session.report_written is not None
    assert session.report_written.parent == env.root / "work"
    assert session.report_written.name.startswith("kerasfix-audit-")
    assert "dry-run audit" in session.report_written.read_text()


def test_failed_step_stops_the_run_with_exit_3_and_the_undo_command(
        env: FakeEnv, wheelhouse: Path, tmp_path: Path) -> None:
    """The wheels vanish between the preview and the run (a network that fails mid-run): the
    first step (moving the leftover aside) runs, the install really fails, and the undo the
    session names puts the leftover back."""
    broken(env, wheelhouse)
    wheels = tmp_path / "wheels"
    shutil.copytree(wheelhouse, wheels)
    session = FixSession(env.scan(), None, offline(wheels), report_path=tmp_path / "r.json")
    session.prepare()
    assert session.start_decision().may_start
    shutil.rmtree(wheels)
    wheels.mkdir()
    events = Recorder(session)
    result = session.run(events)
    assert result.status == "failed" and result.failed is not None
    assert [o.ok for o in result.outcomes] == [True, False]
    assert not (env.site / "~f_keras").exists()  # the first step changed something
    assert events.seen[-1] == ("run", "failed")
    with pytest.raises(RuntimeError):
        session.verify()  # only a completed run is verified
    lines = session.outcome_lines()
    assert lines[0].text.startswith("The run stopped (failed) at step 2: ")
    assert lines[0].tone == "error" and "nothing further was run" in lines[0].text
    said = [line.text.strip() for line in lines[1:-1]]
    assert said and said[0].startswith("ERROR:"), said  # pip's own words say why
    assert all(line.tone == "dim" for line in lines[1:-1])
    assert session.undo_command and lines[-1].text == f"Undo with: {session.undo_command}"
    assert session.finish(write_report) == EXIT_STEP_FAILED
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["run"]["status"] == "failed" and doc["undo"] == session.undo_command
    assert snaps_of(env)[-1].status == "failed"
    undo = UndoSession(env.scan(), session.undo_command.split()[2],
                       index_flags=offline(wheelhouse).index_flags)
    undo.choose()
    undo.prepare()
    assert undo.run().status == "complete" and undo.exit_code == EXIT_OK
    assert (env.site / "~f_keras").exists()


def test_declined_fix_changes_nothing_and_writes_no_report(env: FakeEnv, wheelhouse: Path,
                                                           tmp_path: Path) -> None:
    broken(env, wheelhouse)
    session = FixSession(env.scan(), None, offline(wheelhouse), report_path=tmp_path / "r.md")
    session.prepare()
    session.decline()
    assert texts(session.outcome_lines()) == "Nothing was changed."
    assert session.finish(write_report) == EXIT_FINDINGS
    assert session.report_written is None and not (tmp_path / "r.md").exists()


def test_nothing_to_fix(env: FakeEnv, tmp_path: Path) -> None:
    env.healthy()
    session = FixSession(env.scan(), None, report_path=tmp_path / "r.md")
    assert session.nothing_to_fix and session.plan is None
    assert texts(session.outcome_lines()) == "Nothing to fix."
    assert session.finish(write_report) == EXIT_OK and not (tmp_path / "r.md").exists()
    assert set(session.plans) == {Strategy.REPAIR, Strategy.LEGACY, Strategy.UPGRADE,
                                  Strategy.FRESH_VENV}


def test_interrupted_fix_is_told_and_either_abandoned_or_kept(env: FakeEnv,
                                                              wheelhouse: Path) -> None:
    broken(env, wheelhouse)
    result = env.scan()
    stuck = snapshots.take(result.environment, env.python,
                           planner.build_plan(result, Strategy.REPAIR, planner.FixOptions()))
    told: list[str] = []
    session = FixSession(result, None, offline(wheelhouse))
    assert not session.check_interrupted(told.append, lambda: False)
    assert "was interrupted" in told[0] and f"kerasfix undo {stuck.id}" in told[0]
    assert session.exit_code == EXIT_FINDINGS and session.finish(write_report) == EXIT_FINDINGS
    assert snapshots.load(stuck.prefix, stuck.id).status == "in-progress"
    again = FixSession(result, None, offline(wheelhouse))
    assert again.check_interrupted(told.append, lambda: True)
    assert snapshots.load(stuck.prefix, stuck.id).status == "abandoned"


def test_a_run_that_cannot_start_is_the_outcome(env: FakeEnv, wheelhouse: Path,
                                                tmp_path: Path) -> None:
    """Another fixer holds the environment's lock: run raises (the CLI's `kerasfix: error:`
    line, exit 2), and the session keeps it as its outcome, for the app, in the same words;
    no report is written, as in the CLI."""
    from kerasfix.errors import EXIT_USAGE
    from kerasfix.fix import state

    broken(env, wheelhouse)
    before = tree_hash(env.root / "venv")
    session = FixSession(env.scan(), None, offline(wheelhouse), report_path=tmp_path / "r.md")
    session.prepare()
    with state.env_lock(session.prefix), pytest.raises(state.LockedError) as raised:
        session.run()
    assert session.run_error is raised.value and session.run_result is None
    assert session.outcome_lines() == [Line(f"error: {raised.value}", "error")]
    assert session.finish(write_report) == EXIT_USAGE and session.report_written is None
    assert tree_hash(env.root / "venv") == before and snaps_of(env) == []


def test_switching_strategy_drops_the_old_preview(env: FakeEnv, wheelhouse: Path) -> None:
    broken(env, wheelhouse)
    session = FixSession(env.scan(), None, offline(wheelhouse))
    session.prepare()
    legacy = session.choose(Strategy.LEGACY)
    assert session.preview is None and session.plan is legacy
    assert session.plans[Strategy.LEGACY] is legacy  # one plan per strategy, kept
    with pytest.raises(RuntimeError):
        session.run()


# ---------------------------------------------------------------- undo


def test_undo_restores_the_snapshot_then_has_nothing_to_do(env: FakeEnv, wheelhouse: Path
                                                           ) -> None:
    broken(env, wheelhouse)
    fix = FixSession(env.scan(), None, offline(wheelhouse), verify_deep=False)
    fix.prepare()
    assert fix.run().status == "complete"
    assert env.scan().inventory.get("tf-keras").raw_version == "2.18.0"

    undo = UndoSession(env.scan())
    rows = texts(undo.rows())
    snap_id = snaps_of(env)[-1].id
    assert snap_id in rows and "complete" in rows
    plan = undo.choose()
    assert undo.snapshot is not None and undo.snapshot.id == snap_id
    assert plan.steps and not undo.nothing_to_do
    undo.prepare()
    assert undo.blocker is None
    assert undo.start_decision() == StartDecision(True, (), None,
                                                  f"Restore snapshot {snap_id}?")
    events = Recorder(undo)
    assert undo.run(events).status == "complete"
    assert events.seen[-1] == ("run", "complete")
    assert texts(undo.outcome_lines()) == f"Restored snapshot {snap_id}."
    assert undo.exit_code == EXIT_OK
    assert snapshots.load(undo.prefix, snap_id).status == "restored"
    inv = env.scan().inventory
    assert inv.get("tf-keras").raw_version == "2.15.0" and (env.site / "~f_keras").exists()


def test_undo_with_nothing_to_do_closes_the_snapshot_unless_dry_run(env: FakeEnv,
                                                                   wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    result = env.scan()
    stuck = snapshots.take(result.environment, env.python,
                           planner.build_plan(result, Strategy.UPGRADE, planner.FixOptions()))
    dry = UndoSession(env.scan(), dry_run=True)
    dry.choose()
    assert dry.nothing_to_do
    # a dry run changes nothing, kerasfix's own state included
    assert snapshots.load(stuck.prefix, stuck.id).status == "in-progress"
    session = UndoSession(env.scan())
    session.choose()  # the session closes it: presenters only show the lines
    assert "already matches snapshot" in texts(session.outcome_lines())
    assert session.exit_code == EXIT_OK
    assert snapshots.load(stuck.prefix, stuck.id).status == "restored"


def test_undo_dry_run_and_declined_change_nothing(env: FakeEnv, wheelhouse: Path) -> None:
    broken(env, wheelhouse)
    result = env.scan()
    stuck = snapshots.take(result.environment, env.python,
                           planner.build_plan(result, Strategy.REPAIR, planner.FixOptions()))
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.18.0")  # "the fix" half done
    before = tree_hash(env.root / "venv")
    dry = UndoSession(env.scan(), dry_run=True)
    dry.choose()
    dry.prepare()
    assert not dry.runnable and dry.exit_code == EXIT_FINDINGS
    with pytest.raises(RuntimeError):
        dry.run()
    declined = UndoSession(env.scan(), stuck.id, index_flags=offline(wheelhouse).index_flags)
    declined.choose()
    declined.prepare()
    assert declined.start_decision().may_start
    declined.decline()
    assert declined.exit_code == EXIT_FINDINGS
    assert texts(declined.outcome_lines()) == "Nothing was changed."
    assert tree_hash(env.root / "venv") == before
    assert snapshots.load(stuck.prefix, stuck.id).status == "in-progress"


def test_undo_without_snapshots(env: FakeEnv) -> None:
    from kerasfix.errors import KerasfixError

    session = UndoSession(env.scan())
    assert "No snapshots for" in texts(session.rows())
    assert session.exit_code == EXIT_OK
    with pytest.raises(KerasfixError, match="no snapshots"):
        session.choose()


def test_failure_words_are_pip_errors_else_the_last_lines() -> None:
    from kerasfix.fix.session import failure_words

    out = ["Looking in links: /w", "Processing ./x.whl", "ERROR: Could not install x",
           "  because of y", "", "hint: z", "more", "and more"]
    assert failure_words(out) == ["ERROR: Could not install x", "because of y", "hint: z",
                                  "more"]
    assert failure_words(["a", "b", "", "c", "d", "e"], most=2) == ["d", "e"]
    assert failure_words([]) == []
