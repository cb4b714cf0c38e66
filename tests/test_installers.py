"""Fixes through the environment's own installer: uv for a uv-made venv (which has no pip),
pip otherwise, `--installer` to choose. Real uv and real pip, offline, with tiny wheels."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv
from fakeenv import kerasfix_offline as kerasfix

from kerasfix.diagnose.findings import Strategy
from kerasfix.fix import installers, planner
from kerasfix.fix.plan import StepKind
from kerasfix.fix.preview import _pip_error, uv_report

UV = installers.find_uv()
pytestmark = pytest.mark.skipif(UV is None, reason="uv is a dev dependency; it is missing")


def uv_venv(root: Path) -> FakeEnv:
    """A venv made by `uv venv`: no pip, and pyvenv.cfg says uv."""
    assert UV is not None
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([UV, "venv", "-q", "--python", sys.executable, str(root / "venv")],
                   check=True)
    py = root / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig;print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    for sub in ("work", "home"):
        (root / sub).mkdir(exist_ok=True)
    return FakeEnv(root=root, python=str(py), site=site)


def uv_pip(env: FakeEnv, wheels: Path, *args: str) -> None:
    assert UV is not None
    subprocess.run([UV, "pip", "install", "-q", "--python", env.python, "--no-index",
                    "--find-links", str(wheels), *args], check=True, capture_output=True)


def installer_of(env: FakeEnv, name: str) -> str:
    dist = next(env.site.glob(f"{name.replace('-', '_')}-*.dist-info"))
    return (dist / "INSTALLER").read_text().strip()


@pytest.fixture
def uv_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEnv:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    return uv_venv(tmp_path)


def test_uv_made_venv_is_managed_by_uv(uv_env: FakeEnv, wheelhouse: Path) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    manager = uv_env.scan().manager
    assert manager.name == "uv" and manager.installer == "uv"
    assert any(e.startswith("pyvenv.cfg: uv = ") for e in manager.evidence)


def test_numpy2_under_tf215_is_fixed_through_uv(uv_env: FakeEnv, wheelhouse: Path) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    uv_pip(uv_env, wheelhouse, "--no-deps", "numpy==2.0.2")
    proc = kerasfix(uv_env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{UV} pip install --python {uv_env.python}" in proc.stdout  # the preview said so
    inv = uv_env.scan().inventory
    assert inv.get("numpy").raw_version == "1.26.4"
    assert installer_of(uv_env, "numpy") == "uv"
    assert inv.get("pip") is None  # no pip was bootstrapped into it
    undo = kerasfix(uv_env, wheelhouse, "undo", "--yes")
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert uv_env.scan().inventory.get("numpy").raw_version == "2.0.2"


def test_two_builds_prefetch_into_uv_cache_before_the_first_uninstall(
        uv_env: FakeEnv, wheelhouse: Path) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.18.1")
    uv_pip(uv_env, wheelhouse, "--no-deps", "tensorflow==2.18.1")
    result = uv_env.scan()
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions(
        find_links=(str(wheelhouse),), no_index=True))
    kinds = [s.kind for s in plan.steps]
    assert kinds.index(StepKind.PIP_DOWNLOAD) < kinds.index(StepKind.PIP_UNINSTALL)
    fetch = next(s for s in plan.steps if s.kind is StepKind.PIP_DOWNLOAD)
    assert fetch.argv[1:3] == ("pip", "install") and "--target" in fetch.argv
    installs = [s for s in plan.steps if s.kind is StepKind.PIP_INSTALL]
    assert installs and all("--offline" in s.argv for s in installs)
    proc = kerasfix(uv_env, wheelhouse, "fix", "--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    owners = [d.name for d in uv_env.scan().inventory.distributions
              if "tensorflow" in d.owns_init]
    assert len(owners) == 1  # exactly one build owns tensorflow/ again
    assert installer_of(uv_env, owners[0]) == "uv"
    state = Path(os.environ["KERASFIX_STATE_DIR"])
    assert not list(state.glob("envs/*/snapshots/*/prefetch"))  # its throwaway folder is gone


def test_installer_pip_on_a_uv_venv_uses_pip(uv_env: FakeEnv, wheelhouse: Path) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    uv_pip(uv_env, wheelhouse, "--no-deps", "numpy==2.0.2")
    plan = planner.build_plan(uv_env.scan(), Strategy.REPAIR,
                              planner.FixOptions(installer="pip"))
    install = next(s for s in plan.steps if s.kind is StepKind.PIP_INSTALL)
    assert install.argv[:5] == (sys.executable, "-m", "pip", "--python", uv_env.python)
    assert plan.installer == "pip"


def test_missing_uv_blocks_the_plan_with_one_line(uv_env: FakeEnv, wheelhouse: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    uv_pip(uv_env, wheelhouse, "--no-deps", "numpy==2.0.2")
    result = uv_env.scan()
    monkeypatch.setattr(installers, "find_uv", lambda inv=None: None)
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    assert plan.blocked and plan.blocked.startswith("uv is not installed")
    assert "\n" not in plan.blocked and "--installer pip" in plan.blocked


def test_fresh_venv_through_uv_makes_the_venv_with_uv(uv_env: FakeEnv, wheelhouse: Path
                                                      ) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    uv_pip(uv_env, wheelhouse, "--no-deps", "numpy==2.0.2")
    plan = planner.build_plan(uv_env.scan(), Strategy.FRESH_VENV, planner.FixOptions(
        venv_path=str(uv_env.root / "fresh")))
    create, install = plan.steps[:2]
    assert create.argv[1] == "venv" and create.argv[0] == UV
    new_python = str(uv_env.root / "fresh" / "bin" / "python")
    assert install.argv[:5] == (UV, "pip", "install", "--python", new_python)
    assert planner.python_after(plan) == new_python


def test_uv_dry_run_output_reads_as_pip_report() -> None:
    text = ("Using Python 3.11.7 environment at: v\nResolved 2 packages in 5ms\n"
            "Would uninstall 1 package\nWould install 2 packages\n - numpy==2.0.2\n"
            " + numpy==1.26.4\n + tensorflow[and-cuda]==2.15.1\n")
    got = [(i["metadata"]["name"], i["metadata"]["version"]) for i in uv_report(text)["install"]]
    assert got == [("numpy", "1.26.4"), ("tensorflow", "2.15.1")]
    err = ("error: No solution found when resolving dependencies\n  cause: Because there is no"
           " version of six==9.9 and you require six==9.9, we can conclude that your"
           " requirements are unsatisfiable.\n")
    assert _pip_error(err).startswith("error: No solution found when resolving dependencies:"
                                      " Because there is no version of six==9.9")


def test_scan_json_names_the_manager(uv_env: FakeEnv, wheelhouse: Path) -> None:
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    proc = kerasfix(uv_env, wheelhouse, "scan", "--json")
    doc = json.loads(proc.stdout)
    assert doc["target"]["manager"]["name"] == "uv"
    text = kerasfix(uv_env, wheelhouse, "scan").stdout
    assert re.search(r"Managed by +uv \(pyvenv.cfg: uv = ", text), text


def test_a_uv_venv_gets_uv_commands_in_findings(uv_env: FakeEnv, wheelhouse: Path) -> None:
    """The instruction a finding shows runs in a venv that has no pip: uv's."""
    uv_pip(uv_env, wheelhouse, "tensorflow-cpu==2.15.1")
    uv_pip(uv_env, wheelhouse, "--no-deps", "keras==3.5.0")
    from kerasfix.diagnose.checks.base import pip_cmd

    inv = uv_env.scan().inventory
    assert pip_cmd(inv, "install", "keras~=2.15.0") == \
        f'uv pip install --python {uv_env.python} "keras~=2.15.0"'
    assert pip_cmd(inv, "uninstall", "-y", "keras") == \
        f"uv pip uninstall --python {uv_env.python} keras"
