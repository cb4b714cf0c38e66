"""A conda environment (a fabricated conda-meta/): the packages conda owns are changed with
conda commands, the ones pip installed with pip, and without conda the conda half is a manual
step with the exact command."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv

from kerasfix.diagnose.findings import Strategy
from kerasfix.fix import planner
from kerasfix.fix.plan import StepKind
from kerasfix.fix.preview import preview_plan


def conda_record(env: FakeEnv, name: str, version: str) -> None:
    meta = env.root / "venv" / "conda-meta"
    meta.mkdir(exist_ok=True)
    site = env.site.relative_to(env.root / "venv")
    (meta / f"{name}-{version}-py311_0.json").write_text(json.dumps(
        {"name": name, "version": version, "channel": "conda-forge",
         "files": [f"{site}/{name.replace('-', '_')}/__init__.py"]}))


@pytest.fixture
def conda_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    """TF 2.15 from pip; NumPy 2 from conda (INSTALLER conda, a conda-meta record)."""
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no conda, unless a test puts one there
    monkeypatch.delenv("CONDA_EXE", raising=False)
    env = make_venv(tmp_path)
    env.tensorflow("2.15.1")
    env.keras("2.15.0")
    env.simple("numpy", "2.0.2", installer="conda")
    conda_record(env, "numpy", "2.0.2")
    env.simple("protobuf", "4.25.9")
    env.simple("ml-dtypes", "0.3.2")
    return env


def fake_conda(folder: Path) -> Path:
    """A stand-in conda that answers the dry run as conda does (`--json` actions)."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "conda"
    exe.write_text("#!/bin/sh\ncase \"$*\" in *--dry-run*) echo '{\"actions\": {\"LINK\": "
                   "[{\"name\": \"numpy\", \"version\": \"1.26.4\"}], \"UNLINK\": [{\"name\":"
                   " \"numpy\", \"version\": \"2.0.2\"}]}}';; esac\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_manager_is_conda_and_knows_what_conda_owns(conda_env: FakeEnv) -> None:
    manager = conda_env.scan().manager
    assert manager.name == "conda"
    assert manager.conda_owned == frozenset({"numpy"})


def test_conda_owned_numpy_gets_a_conda_command(conda_env: FakeEnv, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    exe = fake_conda(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{exe.parent}{os.pathsep}/usr/bin:/bin")
    result = conda_env.scan()
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    conda_steps = [s for s in plan.steps if s.kind is StepKind.CONDA_INSTALL]
    assert len(conda_steps) == 1
    prefix = result.inventory.interpreter.prefix
    assert conda_steps[0].argv == (str(exe), "install", "-p", prefix, "-y",
                                   "numpy<2.0.0,>=1.23.5")  # TensorFlow 2.15.1's own bounds
    pip_steps = [s for s in plan.steps if s.kind is StepKind.PIP_INSTALL]
    assert all(not a.startswith("numpy") for s in pip_steps for a in s.argv)
    assert any("conda owns numpy" in note for note in plan.notes)
    preview = preview_plan(plan, result.environment)
    step = next(p for p in preview.steps if p.step is conda_steps[0])
    assert [(c.name, c.before, c.after) for c in step.changes] == [("numpy", "2.0.2", "1.26.4")]
    assert preview.unresolved is None


def test_without_conda_the_conda_half_is_a_manual_step(conda_env: FakeEnv) -> None:
    result = conda_env.scan()
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    manual = [s for s in plan.manual_steps if "conda" in s.instruction]
    prefix = result.inventory.interpreter.prefix
    assert manual and manual[0].instruction == (f"run `conda install -p {prefix} -y"
                                                f' "numpy<2.0.0,>=1.23.5"`'
                                                " (conda owns these packages)")
    assert not any(s.kind is StepKind.CONDA_INSTALL for s in plan.steps)
