"""A fix carried into the project's recipe: the preview shows the diff, the run edits the file
after every install succeeded, `scan --requirements` is clean afterwards, and undo restores the
environment and the file byte for byte. Real pip, offline, tiny wheels; real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv
from fakeenv import kerasfix_offline as kerasfix
from fakeenv import pip_offline as pip

REQUIREMENTS = "# the team's pins\r\ntensorflow-cpu==2.15.1\r\nkeras==3.5.0  # new Keras\r\n"
PYPROJECT = """[project]
name = "demo"   # odd spacing kept
version = "0.1"
dependencies = [
    "tensorflow-cpu==2.15.1",
    "keras>=3",  # why not
]
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheelhouse: Path) -> FakeEnv:
    """TF 2.15 with Keras 3 over it (pip warns and installs it anyway)."""
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    env = make_venv(tmp_path)
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.15.1")
    pip(env, wheelhouse, "install", "--no-deps", "keras==3.5.0")
    return env


def keras_version(env: FakeEnv) -> str | None:
    return env.scan().inventory.get("keras").raw_version


def test_requirements_txt_is_fixed_with_the_environment_and_undone(
        env: FakeEnv, wheelhouse: Path) -> None:
    req = env.root / "work" / "requirements.txt"
    req.write_bytes(REQUIREMENTS.encode())
    assert kerasfix(env, wheelhouse, "scan", "--requirements", str(req)).returncode == 1
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "-keras==3.5.0  # new Keras" in proc.stdout  # the diff, before anything ran
    assert proc.stdout.index("+++ b/requirements.txt") < proc.stdout.index("[1/")
    assert keras_version(env) == "2.15.0"
    text = req.read_bytes().decode()
    assert text.startswith("# the team's pins\r\ntensorflow-cpu==2.15.1\r\n")
    assert text.endswith("\r\nkeras==2.15.0  # new Keras\r\n"), text  # `==` stays `==`
    after = kerasfix(env, wheelhouse, "scan", "--requirements", str(req))
    assert after.returncode == 0, after.stdout
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "+keras==3.5.0  # new Keras" in undo.stdout  # the restore's diff, previewed
    assert req.read_bytes() == REQUIREMENTS.encode()  # byte for byte
    assert keras_version(env) == "3.5.0"


def test_pyproject_is_fixed_keeping_its_comments(env: FakeEnv, wheelhouse: Path) -> None:
    project = env.root / "work" / "pyproject.toml"
    project.write_text(PYPROJECT)
    before = kerasfix(env, wheelhouse, "scan", "--requirements", str(project))
    assert before.returncode == 1 and "req-keras3-with-tf-2.15-or-older" in before.stdout
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = project.read_text()
    assert 'name = "demo"   # odd spacing kept' in text and "# why not" in text
    assert '"keras>=3"' not in text and "keras" in text
    after = kerasfix(env, wheelhouse, "scan", "--requirements", str(project))
    assert after.returncode == 0, after.stdout
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert project.read_text() == PYPROJECT


def test_no_manifest_leaves_the_file(env: FakeEnv, wheelhouse: Path) -> None:
    req = env.root / "work" / "requirements.txt"
    req.write_bytes(REQUIREMENTS.encode())
    proc = kerasfix(env, wheelhouse, "fix", "--yes", "--no-manifest")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert req.read_bytes() == REQUIREMENTS.encode()
    assert keras_version(env) == "2.15.0"


def test_project_option_names_the_folder(env: FakeEnv, wheelhouse: Path, tmp_path: Path
                                         ) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    req = elsewhere / "requirements.txt"
    req.write_bytes(REQUIREMENTS.encode())
    dry = kerasfix(env, wheelhouse, "fix", "--dry-run", "--project", str(elsewhere))
    assert "+++ b/requirements.txt" in dry.stdout
    assert req.read_bytes() == REQUIREMENTS.encode()  # a dry run changes nothing
    bad = kerasfix(env, wheelhouse, "fix", "--dry-run", "--project", str(tmp_path / "nope"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not a folder" in bad.stderr


def test_a_manifest_that_does_not_parse_is_a_manual_step(env: FakeEnv, wheelhouse: Path
                                                         ) -> None:
    project = env.root / "work" / "pyproject.toml"
    project.write_text('[project]\ndependencies = ["keras>=3"\n')  # no closing bracket
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a manual step remains
    assert "pyproject.toml does not parse" in proc.stdout
    assert keras_version(env) == "2.15.0"  # the environment is fixed all the same
    assert project.read_text() == '[project]\ndependencies = ["keras>=3"\n'


def test_a_file_changed_after_the_preview_is_not_overwritten(env: FakeEnv, wheelhouse: Path
                                                             ) -> None:
    from kerasfix.fix import planner
    from kerasfix.fix.plan import StepKind
    from kerasfix.fix.runner import run_plan

    req = env.root / "work" / "requirements.txt"
    req.write_bytes(REQUIREMENTS.encode())
    result = env.scan()
    plan = planner.build_plan(result, result_strategy(result), planner.FixOptions(
        find_links=(str(wheelhouse),), no_index=True))
    assert any(s.kind is StepKind.EDIT_MANIFEST for s in plan.steps)
    req.write_text("keras==3.5.0\n")  # the user saves the file meanwhile
    run = run_plan(plan, result.environment)
    assert run.status.value == "failed"
    assert req.read_text() == "keras==3.5.0\n"


def result_strategy(result):  # type: ignore[no-untyped-def]
    from kerasfix.fix import planner

    return planner.recommend(result)


def fake_locker(folder: Path, name: str) -> Path:
    """A stand-in for `uv lock` / `poetry lock`: records that it ran and rewrites the lock."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text(f"#!{sys.executable}\nimport sys, pathlib\n"
                   "root = pathlib.Path(sys.argv[3])\n"
                   f"(root / '{name}.lock').write_text('relocked ' + ' '.join(sys.argv[1:]))\n")
    exe.chmod(0o755)
    return exe


def test_the_lock_file_follows_and_comes_back_with_undo(env: FakeEnv, wheelhouse: Path,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    work = env.root / "work"
    (work / "pyproject.toml").write_text(PYPROJECT + "[tool.poetry]\npackage-mode = false\n")
    (work / "poetry.lock").write_text("# the old lock\n")
    exe = fake_locker(tmp_path / "bin", "poetry")
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    proc = kerasfix(env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{exe} lock --directory {work}" in proc.stdout  # previewed, then run
    assert (work / "poetry.lock").read_text() == f"relocked lock --directory {work}"
    assert "poetry manages this project" in proc.stdout  # what keeps the fix
    undo = kerasfix(env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert (work / "poetry.lock").read_text() == "# the old lock\n"
    assert (work / "pyproject.toml").read_text().startswith(PYPROJECT)


def test_without_the_tool_the_lock_is_a_manual_step(env: FakeEnv, wheelhouse: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    work = env.root / "work"
    (work / "pyproject.toml").write_text(PYPROJECT)
    (work / "pdm.lock").write_text("# lock\n")
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin")
    proc = kerasfix(env, wheelhouse, "fix", "--dry-run")
    assert f"run `pdm lock` in {work} (pdm is not found here)" in proc.stdout


def test_the_app_takes_the_same_project_options(env: FakeEnv, wheelhouse: Path,
                                                tmp_path: Path) -> None:
    """`kerasfix --project DIR` (the app; without a terminal, its scan report) names it too."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "requirements.txt").write_text("keras==3.5.0\n")
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "--python", env.python,
                           "--project", str(tmp_path / "p"), "--installer", "pip",
                           "--no-manifest", "--no-color"], capture_output=True, text=True,
                          timeout=120, cwd=env.root / "work", stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "200"})
    assert f"{tmp_path / 'p'}: requirements.txt" in proc.stdout, proc.stdout + proc.stderr
    bad = subprocess.run([sys.executable, "-m", "kerasfix", "--python", env.python,
                          "--project", str(tmp_path / "nope")], capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert bad.returncode == 2 and "not a folder" in bad.stderr
