"""`--installer poetry|pdm|pipenv`: the project's tool runs the installs into the target, with
its manifest and lock kept in the snapshot; blocked when the tool's environment is another."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv
from fakeenv import pip_offline as pip

from kerasfix.diagnose.findings import Strategy
from kerasfix.fix import installers, planner, project_tools
from kerasfix.fix.plan import StepKind
from kerasfix.fix.preview import preview_plan

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1"\ndependencies = ["keras>=3"]\n'


def fake_tool(folder: Path, name: str, env_path: str) -> Path:
    """A stand-in for poetry/pdm: says which environment it uses, dry-runs as poetry prints,
    and on `add` rewrites pyproject.toml and writes its lock (what the real tools do)."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    where = env_path if name == "poetry" else f"{env_path}/bin/python"
    exe.write_text(f"""#!{sys.executable}
import sys, pathlib
args = sys.argv[1:]
if args[:2] in (["env", "info"], ["info", "--python"]):
    print({where!r}); sys.exit(0)
if "--dry-run" in args:
    print("Package operations: 0 installs, 1 update, 0 removals")
    print("  - Downgrading keras (3.5.0 -> 2.15.0)"); sys.exit(0)
root = pathlib.Path(args[2])
(root / "pyproject.toml").write_text("[project]\\ndependencies = ['keras (>=2.15.0,<2.16)']\\n")
(root / "{'poetry' if name == 'poetry' else 'pdm'}.lock").write_text("# lock\\n")
""")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheelhouse: Path) -> FakeEnv:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    env = make_venv(tmp_path)
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.15.1")
    pip(env, wheelhouse, "install", "--no-deps", "keras==3.5.0")
    (env.root / "work" / "pyproject.toml").write_text(PYPROJECT)
    return env


def plan_for(env: FakeEnv, tool: str, strategy: Strategy = Strategy.REPAIR):
    result = env.scan()
    return result, planner.build_plan(result, strategy, planner.FixOptions(installer=tool))


@pytest.mark.parametrize("tool", ["poetry", "pdm"])
def test_the_tool_runs_the_installs_into_the_target(env: FakeEnv, tmp_path: Path, tool: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    exe = fake_tool(tmp_path / "bin", tool, str(env.root / "venv"))
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    result, plan = plan_for(env, tool)
    assert plan.blocked is None, plan.blocked
    (step,) = [s for s in plan.steps if s.kind is StepKind.PROJECT_TOOL]
    flag = "--directory" if tool == "poetry" else "-p"
    assert step.argv[:4] == (str(exe), "add", flag, str(env.root / "work"))
    assert "tensorflow-cpu==2.15.1" in step.argv  # TensorFlow held in the same call
    assert not [s for s in plan.steps if s.kind is StepKind.PIP_INSTALL]
    assert not [s for s in plan.steps if s.kind is StepKind.EDIT_MANIFEST]  # the tool edits
    assert plan.installer == tool
    if tool == "poetry":
        preview = preview_plan(plan, result.environment)
        changes = [(c.name, c.before, c.after) for p in preview.steps for c in p.changes]
        assert changes == [("keras", "3.5.0", "2.15.0")]


def test_the_tool_run_is_undone_with_its_files(env: FakeEnv, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    exe = fake_tool(tmp_path / "bin", "poetry", str(env.root / "venv"))
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    project = env.root / "work" / "pyproject.toml"
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "fix", "--yes", "--no-verify",
                           "--installer", "poetry", "--python", env.python, "--no-color"],
                          capture_output=True, text=True, cwd=env.root / "work", timeout=300)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # the stand-in installs nothing
    assert "poetry add" in proc.stdout
    assert project.read_text() != PYPROJECT  # the tool wrote it
    undo = subprocess.run([sys.executable, "-m", "kerasfix", "undo", "--yes", "--python",
                           env.python, "--no-color"], capture_output=True, text=True,
                          cwd=env.root / "work", timeout=300)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert project.read_text() == PYPROJECT


def test_another_environment_of_the_tool_blocks_the_plan(env: FakeEnv, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    exe = fake_tool(tmp_path / "bin", "poetry", "/somewhere/else/.venv")
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    _result, plan = plan_for(env, "poetry")
    assert plan.blocked and "/somewhere/else/.venv, not the target" in plan.blocked


def test_missing_tool_or_project_blocks_with_one_line(env: FakeEnv,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    _result, plan = plan_for(env, "poetry")
    assert plan.blocked == "poetry is not installed here (not on PATH): install it, or pass" \
                           " --installer pip"
    (env.root / "work" / "pyproject.toml").unlink()
    _result, plan = plan_for(env, "pdm")
    assert plan.blocked and plan.blocked.startswith("--installer pdm needs a project with a"
                                                    " pyproject.toml")
    _result, plan = plan_for(env, "poetry", Strategy.FRESH_VENV)
    assert plan.blocked and "fresh-venv makes a new environment" in plan.blocked


def test_pipenv_is_a_manual_step_in_the_project_folder(env: FakeEnv, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (env.root / "work" / "Pipfile").write_text('[packages]\nkeras = ">=3"\n')
    exe = fake_tool(tmp_path / "bin", "pipenv", str(env.root / "venv"))
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    _result, plan = plan_for(env, "pipenv")
    (manual,) = [s for s in plan.manual_steps if "pipenv install" in s.instruction]
    assert manual.instruction.startswith(f"in {env.root / 'work'}, run `pipenv install")


def test_poetry_dry_run_lines_are_read() -> None:
    text = ("Package operations: 1 install, 2 updates, 1 removal\n\n"
            "  - Installing tf-keras (2.15.1)\n  - Updating numpy (2.0.2 -> 1.26.4)\n"
            "  - Downgrading keras (3.6.0 -> 2.15.0)\n  - Removing keras-nightly (3.7.0)\n")
    assert project_tools.poetry_changes(text) == [
        ("tf-keras", None, "2.15.1"), ("numpy", "2.0.2", "1.26.4"),
        ("keras", "3.6.0", "2.15.0"), ("keras-nightly", "3.7.0", None)]


def test_real_poetry_names_the_project_environment(tmp_path: Path) -> None:
    """The environment check against the real tool: `poetry env info --path --directory`."""
    uv = installers.find_uv()
    assert uv is not None
    tools = tmp_path / "tools"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(tools)], check=True)
    got = subprocess.run([uv, "pip", "install", "-q", "--python", str(tools / "bin" / "python"),
                          "poetry>=2"], capture_output=True, text=True)
    if got.returncode != 0:
        pytest.skip(f"poetry could not be installed here: {got.stderr.strip()[-200:]}")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n'
                                            '[tool.poetry]\npackage-mode = false\n')
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(project / ".venv")],
                   check=True)
    env = {**os.environ, "POETRY_CACHE_DIR": str(tmp_path / "pc"),
           "POETRY_VIRTUALENVS_IN_PROJECT": "true"}
    found = project_tools.environment_of("poetry", str(tools / "bin" / "poetry"),
                                         str(project), env)
    assert found is not None and os.path.samefile(found, project / ".venv")
