"""A fix changes the target environment and nothing else, never starts what pip says cannot
work, and undo takes back the fix's own changes: real venvs, real pip, tiny wheels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv, build_wheel, make_venv, tree_hash
from fakeenv import pip_offline as pip

from kerasfix.fix import snapshot as snapshots
from kerasfix.fix import state
from kerasfix.fix.isolation import installer_env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    return make_venv(tmp_path)


def run(env: FakeEnv, *args: str, extra_env: dict[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONUSERBASE")}
    environ.update({"COLUMNS": "500", **(extra_env or {})})
    return subprocess.run([sys.executable, "-m", "kerasfix", *args, "--python", env.python,
                           "--no-color"], capture_output=True, text=True, timeout=300,
                          cwd=env.root / "work", env=environ, stdin=stdin)


def offline(wheels: Path) -> tuple[str, ...]:
    return ("--find-links", str(wheels), "--no-index")


def digest(folder: Path) -> str:
    return tree_hash(folder)


# ---------------------------------------------------------------- the environment boundary


def test_installer_env_sees_only_the_target() -> None:
    env = installer_env({"PYTHONPATH": "/x", "PYTHONHOME": "/h", "PYTHONSTARTUP": "s.py",
                         "PIP_TARGET": "/t", "PIP_PREFIX": "/p", "PIP_USER": "1",
                         "PIP_INDEX_URL": "https://mirror.example/simple", "PATH": "/bin"})
    for gone in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PIP_TARGET", "PIP_PREFIX"):
        assert gone not in env
    assert env["PYTHONNOUSERSITE"] == "1" and env["PIP_USER"] == "0"
    assert env["PIP_INDEX_URL"] == "https://mirror.example/simple"  # the user's index stays


def _pythonpath_keras(env: FakeEnv, wheelhouse: Path, folder: Path) -> None:
    """keras 2.15.0 put into a folder with `pip install --target`, as users leave it."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--find-links",
                    str(wheelhouse), "--target", str(folder), "--no-deps", "keras==2.15.0"],
                   check=True, capture_output=True)


def test_pythonpath_folder_inside_the_venv_is_never_touched(env: FakeEnv,
                                                            wheelhouse: Path) -> None:
    # A real pip-fixable problem (tf-keras 2.15 on TF 2.18) plus keras 2.15.0 in a folder on
    # PYTHONPATH that lies inside the venv: pip run with that PYTHONPATH emptied it.
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    folder = env.root / "venv" / "extra"
    _pythonpath_keras(env, wheelhouse, folder)
    before = digest(folder)
    proc = run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse),
               extra_env={"PYTHONPATH": str(folder)})
    assert digest(folder) == before, "the user's PYTHONPATH folder was changed"
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert f"keras 2.15.0 in PYTHONPATH entry {folder} shadows the keras 3." in out
    assert "is installed (a pin or forced install)" not in out
    assert f"take {folder} off PYTHONPATH" in out and "You still need to" in out
    # the environment's own problem was fixed, inside the environment
    inv = env.scan().inventory
    assert inv.get("tf-keras").raw_version.startswith("2.18")


def test_pythonpath_set_in_the_activate_script_is_named(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    folder = env.root / "pp"
    _pythonpath_keras(env, wheelhouse, folder)
    activate = env.root / "venv" / "bin" / "activate"
    with open(activate, "a") as fh:
        fh.write(f"\nexport PYTHONPATH={folder}\n")
    proc = run(env, "scan", "--json", extra_env={"PYTHONPATH": str(folder)})
    doc = json.loads(proc.stdout)
    finding = next(f for f in doc["findings"] if f["code"] == "package-outside-environment")
    assert finding["severity"] == "error" and finding["strategies"] == ["manual"]
    assert any(str(activate) in line for line in finding["manual"])
    # nothing to run: the only step is the user's, and the fix says so with exit 1
    fix = run(env, "fix", "--yes", *offline(wheelhouse), extra_env={"PYTHONPATH": str(folder)})
    assert fix.returncode == 1 and f"take {folder} off PYTHONPATH" in fix.stdout
    assert snapshots.list_snapshots(str(env.root / "venv")) == []


def test_user_site_copy_is_a_manual_step(tmp_path: Path, wheelhouse: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A venv that sees the user site (include-system-site-packages) and has no keras of its
    own imports the user site's keras 2.15.0: that copy is the user's to remove; the fix
    installs the environment's own keras without seeing or touching it."""
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    env = make_venv(tmp_path)
    cfg = env.root / "venv" / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("include-system-site-packages = false",
                                           "include-system-site-packages = true"))
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow-cpu==2.18.1", "numpy==2.0.2",
        "protobuf==5.29.6", "ml-dtypes==0.5.1", "tensorflow-io-gcs-filesystem==0.37.1")
    base = tmp_path / "userbase"
    user_site = Path(subprocess.run(
        [env.python, "-c", "import site; print(site.getusersitepackages())"],
        env={**os.environ, "PYTHONUSERBASE": str(base)}, capture_output=True, text=True,
        check=True).stdout.strip())
    env.keras("2.15.0", site=user_site)
    before = digest(base)
    proc = run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse),
               extra_env={"PYTHONUSERBASE": str(base)})
    assert digest(base) == before
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"keras 2.15.0 is imported from the user site {user_site}" in proc.stdout
    assert "PYTHONNOUSERSITE=1" in proc.stdout and "You still need to" in proc.stdout
    own = [d for d in env.scan().inventory.distributions
           if d.name == "keras" and d.origin == "site-packages"]
    assert own and own[0].raw_version.startswith("3.")


# ---------------------------------------------------------------- plans that cannot work


def test_damaged_tensorflow_offline_without_wheels_changes_nothing(env: FakeEnv,
                                                                   tmp_path: Path) -> None:
    pip(env, tmp_path, "--version")  # the test's pip works (no network used anywhere)
    env.healthy("2.18.1")
    env.tensorflow("2.18.1", dist="tensorflow")  # a second build over the same folder
    (env.site / "tensorflow" / "python" / "__init__.py").unlink()
    before = digest(env.root / "venv")
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    proc = run(env, "fix", "--yes", "--no-verify", *offline(empty))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Not started" in proc.stdout and "Nothing was changed" in proc.stdout
    assert digest(env.root / "venv") == before
    assert snapshots.list_snapshots(str(env.root / "venv")) == []


def test_fix_and_undo_say_the_same_when_pip_cannot_resolve(env: FakeEnv, wheelhouse: Path,
                                                          tmp_path: Path) -> None:
    """One start decision for both commands: why it does not start, then how to get past it;
    nothing was changed (exit 3)."""
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner
    from kerasfix.fix.session import FORCE_HINT

    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.18.0")
    result = env.scan()
    snap = snapshots.take(result.environment, env.python,
                          planner.build_plan(result, Strategy.REPAIR, planner.FixOptions()))
    snap.status = snapshots.SnapshotStatus.FAILED
    snap.save()
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")  # fix and undo: 2.18.0
    before = digest(env.root / "venv")
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    for proc in (run(env, "fix", "--yes", "--no-verify", *offline(empty)),
                 run(env, "undo", "--yes", *offline(empty))):
        assert proc.returncode == 3, proc.stdout + proc.stderr
        lines = proc.stdout.splitlines()
        said = next(i for i, line in enumerate(lines) if line.startswith("Not started: "))
        assert "Could not find a version" in lines[said]
        assert lines[said + 1] == FORCE_HINT and "Nothing was changed." in lines[said + 2:]
    assert digest(env.root / "venv") == before
    assert snapshots.load(snap.prefix, snap.id).status == "failed"


def test_downloads_come_before_the_first_uninstall(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1")
    proc = run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse), "--report",
               str(env.root / "r.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kinds = [s["kind"] for s in json.loads((env.root / "r.json").read_text())["plan"]["steps"]]
    assert kinds.index("pip-download") < kinds.index("pip-uninstall")
    snap = snapshots.list_snapshots(str(env.root / "venv"))[-1]
    assert not (snap.folder / "wheels").exists()  # kerasfix's own downloads are dropped


# ---------------------------------------------------------------- undo


def test_offline_fix_is_undone_offline_with_the_printed_command(env: FakeEnv,
                                                                wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    before = digest(env.site)
    proc = run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("Undo with:"))
    assert f"--find-links {wheelhouse} --no-index" in line
    undo = run(env, "undo", "--yes")  # no flags: the snapshot has the fix's own
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "--no-index" in undo.stdout
    assert env.scan().inventory.get("tf-keras").raw_version == "2.15.0"
    assert digest(env.site) == before or env.scan().inventory.get("tf-keras") is not None


def test_undo_takes_back_the_fix_not_what_came_later(env: FakeEnv, wheelhouse: Path,
                                                     tmp_path: Path) -> None:
    extra = tmp_path / "extra-wheels"
    build_wheel(extra, "six", "1.16.0", {"six.py": ""})
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    assert run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse)).returncode == 0
    pip(env, extra, "install", "six")  # the user's own change after the fix
    undo = run(env, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "six" not in undo.stdout.split("changed since the fix")[0]
    assert "six 1.16.0 added since the fix" in undo.stdout
    inv = env.scan().inventory
    assert inv.get("six") is not None and inv.get("tf-keras").raw_version == "2.15.0"
    again = run(env, "undo", "--yes", "--all-since")
    assert again.returncode == 0, again.stdout + again.stderr
    assert env.scan().inventory.get("six") is None


def test_undo_with_nothing_to_do_closes_the_snapshot(env: FakeEnv, wheelhouse: Path) -> None:
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner

    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    result = env.scan()
    snapshots.take(result.environment, env.python,
                   planner.build_plan(result, Strategy.UPGRADE, planner.FixOptions()))
    assert "was interrupted" in run(env, "fix", "--dry-run").stdout
    undo = run(env, "undo", "--yes")
    assert undo.returncode == 0 and "already matches" in undo.stdout
    assert snapshots.list_snapshots(str(env.root / "venv"))[-1].status == "restored"
    assert "was interrupted" not in run(env, "fix", "--dry-run").stdout


def test_a_running_fix_is_not_taken_for_an_interrupted_one(env: FakeEnv,
                                                           wheelhouse: Path) -> None:
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner

    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    result = env.scan()
    prefix = str(env.root / "venv")
    with state.env_lock(prefix):  # a fix is running: its snapshot says in-progress
        snap = snapshots.take(result.environment, env.python,
                              planner.build_plan(result, Strategy.REPAIR,
                                                 planner.FixOptions()))
        audit = run(env, "fix", "--dry-run")
        assert "Another kerasfix is changing" in audit.stdout
        assert "was interrupted" not in audit.stdout
        second = run(env, "fix", "--yes", *offline(wheelhouse))
        assert second.returncode == 2 and "another kerasfix" in second.stderr
        assert snapshots.load(prefix, snap.id).status == "in-progress"


def test_names_read_back_from_a_snapshot_are_validated(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    assert run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse)).returncode == 0
    snap = snapshots.list_snapshots(str(env.root / "venv"))[-1]
    path = snap.folder / "snapshot.json"
    doc = json.loads(path.read_text())
    row = next(d for d in doc["distributions"] if d["name"] == "tf-keras")
    row["version"] = "2.15.0 --index-url=http://evil.invalid"
    path.write_text(json.dumps(doc))
    proc = run(env, "undo", "--yes")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is corrupt" in proc.stderr and proc.stderr.count("\n") == 1


# ---------------------------------------------------------------- moves and targets


def test_move_aside_that_fails_half_way_leaves_the_folder_whole(env: FakeEnv, tmp_path: Path,
                                                                wheelhouse: Path) -> None:
    """A leftover too big for the state folder (a 64 kB tmpfs): the copy fails, the folder
    stays where it was, kerasfix's partial copy is removed, exit 3."""
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    stash = env.site / "~ensorflow"
    stash.mkdir()
    for i in range(8):
        (stash / f"blob{i}.so").write_bytes(os.urandom(16_000))
    state_dir = tmp_path / "tiny-state"
    state_dir.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(state_dir)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        before = digest(stash)
        proc = run(env, "fix", "--yes", "--no-verify", *offline(wheelhouse),
                   extra_env={"KERASFIX_STATE_DIR": str(state_dir)})
        assert proc.returncode in (2, 3), proc.stdout + proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert digest(stash) == before
        assert not list(state_dir.rglob("blob*"))
    finally:
        subprocess.run(["umount", str(state_dir)], capture_output=True)


def test_plans_name_the_real_interpreter_behind_a_shim(env: FakeEnv, tmp_path: Path) -> None:
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.diagnose.scan import scan
    from kerasfix.fix import planner
    from kerasfix.inspect.target import Target

    env.tensorflow("2.18.1")
    env.tf_keras("2.15.0")
    env.keras("3.5.0")
    shim = tmp_path / "shims" / "python3"
    shim.parent.mkdir()
    shim.write_text(f'#!/usr/bin/env bash\nexec "{env.python}" "$@"\n')
    shim.chmod(0o755)
    result = scan(Target(str(shim), "--python"), cwd=str(env.root / "work"))
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    assert plan.target_python == env.python
    assert all(str(shim) not in " ".join(s.argv) for s in plan.steps)


def test_no_terminal_prints_the_report(env: FakeEnv) -> None:
    env.healthy("2.18.1")
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "--python", env.python],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          cwd=env.root / "work", timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert "kerasfix scan" in proc.stdout and "internal error" not in proc.stderr
