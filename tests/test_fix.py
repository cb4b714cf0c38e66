"""The fix engine over real venvs and real pip, offline, with tiny wheels carrying real metadata.

The venvs have no pip of their own, so every pip step also exercises `pip --python <target>`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv, tree_hash
from fakeenv import pip_offline as pip

from kerasfix.diagnose.findings import Strategy
from kerasfix.fix import planner
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix.plan import StepKind
from kerasfix.fix.preview import preview_plan


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    return make_venv(tmp_path)




def kerasfix(env: FakeEnv, wheels: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kerasfix", *args, "--python", env.python, "--no-color"]
    if args[0] == "fix":
        cmd += ["--find-links", str(wheels), "--no-index", "--no-verify"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          cwd=env.root / "work", env={**os.environ, "COLUMNS": "120"})




def owners_of_tensorflow(env: FakeEnv) -> list[str]:
    inv = env.scan().inventory
    return sorted(d.name for d in inv.distributions if "tensorflow" in d.owns_init)


def test_dry_run_changes_nothing_and_exits_1(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1", "tf-keras==2.15.0")
    (env.site / "~ensorflow").mkdir()
    before = tree_hash(env.root / "venv")
    report = env.root / "audit.json"
    proc = kerasfix(env, wheelhouse, "fix", "--dry-run", "--report", str(report))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DRY RUN" in proc.stdout
    assert tree_hash(env.root / "venv") == before
    doc = json.loads(report.read_text())
    assert doc["schema"] == "kerasfix.fix/1" and doc["dry_run"] is True
    kinds = [s["kind"] for s in doc["plan"]["steps"]]
    # wheels first: nothing is uninstalled before the reinstall is known to be possible
    first_change = kinds.index("move-aside")
    assert set(kinds[:first_change]) == {"pip-download"}
    assert kinds[first_change:first_change + 3] == ["move-aside", "pip-uninstall", "move-aside"]
    assert not doc["plan"]["unresolved"]
    uninstall = doc["plan"]["steps"][first_change + 1]
    assert {c["name"] for c in uninstall["changes"]} == {"tensorflow", "tensorflow-cpu"}
    assert not (Path(os.environ["KERASFIX_STATE_DIR"]) / "envs").exists() or not list(
        (Path(os.environ["KERASFIX_STATE_DIR"]) / "envs").rglob("snapshot.json"))


def test_repair_clobbered_tensorflow_then_undo(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1")
    assert owners_of_tensorflow(env) == ["tensorflow", "tensorflow-cpu"]
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # both were asked for by name; the one installed last (whose files are on disk) stays
    assert owners_of_tensorflow(env) == ["tensorflow"]
    assert not env.scan().has_errors
    assert "kerasfix undo" in proc.stdout
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert owners_of_tensorflow(env) == ["tensorflow", "tensorflow-cpu"]


def test_repair_tf_keras_on_cpu_build_does_not_pull_a_second_tensorflow(
        env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    result = env.scan()
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    step = next(s for s in plan.steps if "tf-keras~=2.18.0" in s.argv)
    assert "--no-deps" in step.argv
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = env.scan()
    assert after.inventory.get("tf-keras").raw_version == "2.18.0"
    assert after.inventory.get("tensorflow") is None  # only tensorflow-cpu owns tensorflow/


def test_upgrade_moves_tensorflow_and_keras_together(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.15.1")
    pip(env, wheelhouse, "install", "--no-deps", "keras==3.5.0")
    proc = kerasfix(env, wheelhouse, "fix", "--yes", "--strategy", "upgrade")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inv = env.scan().inventory
    assert inv.tensorflow().raw_version == "2.21.0"
    assert inv.keras().raw_version == "3.15.1"


def test_legacy_route_sets_the_variable_where_the_env_is_activated(
        env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow==2.18.1")
    env.env["TF_USE_LEGACY_KERAS"] = "1"
    assert "legacy-keras-without-tf-keras" in env.codes()
    proc = kerasfix(env, wheelhouse, "fix", "--yes", "--strategy", "legacy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    activate = (env.root / "venv" / "bin" / "activate").read_text()
    assert "export TF_USE_LEGACY_KERAS=1" in activate
    assert env.scan().inventory.get("tf-keras").raw_version == "2.18.0"
    assert not env.scan().has_errors
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0
    assert "TF_USE_LEGACY_KERAS" not in (env.root / "venv" / "bin" / "activate").read_text()


def test_fresh_venv_leaves_the_old_one_untouched(env: FakeEnv, wheelhouse: Path,
                                                 tmp_path: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    before = tree_hash(env.root / "venv")
    new = tmp_path / "fresh"
    proc = kerasfix(env, wheelhouse, "fix", "--yes", "--strategy", "fresh-venv", "--venv",
                    str(new))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tree_hash(env.root / "venv") == before
    fresh = FakeEnv(root=tmp_path, python=str(new / "bin" / "python"), site=new)
    result = fresh.scan()
    assert result.inventory.tensorflow().raw_version == "2.21.0"
    assert not result.has_errors


def test_unresolvable_plan_does_not_start(env: FakeEnv, tmp_path: Path) -> None:
    """Offline with no wheels: pip's dry-run says no, so nothing is touched (exit 3)."""
    env.tensorflow("2.18.1")
    env.tf_keras("2.15.0")
    (env.site / "~eras").mkdir()
    before = tree_hash(env.root / "venv")
    empty = tmp_path / "empty-wheels"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "fix", "--python", env.python,
                           "--yes", "--no-index", "--find-links", str(empty), "--no-verify"],
                          capture_output=True, text=True, cwd=env.root / "work")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Not started" in proc.stdout and "Could not find a version" in proc.stdout
    assert "Nothing was changed" in proc.stdout
    assert tree_hash(env.root / "venv") == before
    assert snapshots.list_snapshots(str(env.root / "venv")) == []


def test_failing_step_stops_and_undo_restores(env: FakeEnv, wheelhouse: Path) -> None:
    """A step that fails after an earlier one changed something: the run stops there, and
    undo puts back what the earlier step moved. The failure is real: pip cannot remove a file
    the filesystem refuses to delete (chattr +i, which binds root too)."""
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    (env.site / "~eras").mkdir()
    locked = env.site / "tf_keras"  # immutable: pip can neither rename nor empty it
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        proc = kerasfix(env, wheelhouse, "fix", "--yes")
    finally:
        subprocess.run(["chattr", "-i", str(locked)], capture_output=True)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "nothing further was run" in proc.stdout
    assert not (env.site / "~eras").exists()  # the move ran before the failing install
    snap = snapshots.list_snapshots(str(env.root / "venv"))[-1]
    assert snap.status == "failed" and snap.steps_done == 2  # the move, then the install
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert (env.site / "~eras").exists()


def test_interrupted_fix_is_noticed_and_can_be_undone(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    result = env.scan()
    plan = planner.build_plan(result, Strategy.UPGRADE, planner.FixOptions())
    snapshots.take(result.inventory, env.python, plan)  # then the process "was killed"
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.21.0", "keras==3.15.1")
    proc = kerasfix(env, wheelhouse, "fix", "--dry-run")
    assert "was interrupted" in proc.stdout and "kerasfix undo" in proc.stdout
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert env.scan().inventory.tensorflow().raw_version == "2.18.1"


def test_two_fixers_at_once(env: FakeEnv, wheelhouse: Path) -> None:
    from kerasfix.fix import state

    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    with state.env_lock(str(env.root / "venv")):
        proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 2
    assert "another kerasfix" in proc.stderr and proc.stderr.count("\n") == 1


def test_offline_preview_says_why(env: FakeEnv, wheelhouse: Path, tmp_path: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    empty = tmp_path / "nothing"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "fix", "--python", env.python,
                           "--dry-run", "--no-index", "--find-links", str(empty)],
                          capture_output=True, text=True, cwd=env.root / "work",
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 3  # the audit says the plan could not run as it stands
    assert "cannot be resolved" in proc.stdout and "Could not find a version" in proc.stdout


def test_non_interactive_without_yes_refuses(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "fix", "--python", env.python,
                           "--find-links", str(wheelhouse), "--no-index"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert env.scan().inventory.get("tf-keras").raw_version == "2.15.0"


def test_externally_managed_or_unwritable_env_gets_fresh_venv(env: FakeEnv,
                                                              wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    result = env.scan()
    interp = replace(result.inventory.interpreter, externally_managed=True,
                     externally_managed_path="/usr/lib/python3.11/EXTERNALLY-MANAGED")
    result.inventory.interpreter = interp
    assert planner.recommend(result) is Strategy.FRESH_VENV
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    assert plan.blocked and "fresh-venv" in plan.blocked
    readonly = replace(interp, externally_managed=False, site_writable=False)
    result.inventory.interpreter = readonly
    assert planner.recommend(result) is Strategy.FRESH_VENV


def test_manual_steps_end_with_exit_1_and_the_exact_instruction(env: FakeEnv,
                                                                wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    shadow = env.root / "work" / "keras.py"
    shadow.write_text("x = 1\n")
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"rename or move {shadow}" in proc.stdout.replace("\n", "")
    assert shadow.exists()  # never touched: it is the user's file


def test_every_step_is_an_argv_list(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1", "keras==2.15.0")
    result = env.scan()
    for strategy in Strategy:
        if strategy is Strategy.MANUAL:
            continue
        plan = planner.build_plan(result, strategy, planner.FixOptions())
        preview_plan(plan, result.inventory, timeout=60)
        for step in plan.steps:
            assert isinstance(step.argv, tuple)
            if step.kind in (StepKind.PIP_INSTALL, StepKind.PIP_UNINSTALL):
                assert step.argv[1:3] == ("-m", "pip")
