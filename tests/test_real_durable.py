"""Durable fixes with real packages (issue 13): a uv-made venv without pip is repaired through
uv, and a project's requirements.txt / pyproject.toml is repaired with its environment, and
both come back with undo. Real tensorflow-cpu from the realtf tier's caches."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from realenv import BaseEnv, Installer, RealEnv, log, run, scenario_env

from kerasfix.fix.installers import find_uv

pytestmark = [
    pytest.mark.realtf,
    pytest.mark.skipif(not (sys.platform.startswith("linux")
                            and platform.machine() in ("x86_64", "AMD64")),
                       reason="uses tensorflow-cpu wheels for Linux x86_64"),
]

TRAIN = """\
import numpy as np
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Input((3,)), tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
print("TRAINED", tf.__version__, np.__version__)
"""
REQUIREMENTS = "# pinned by the team\ntensorflow-cpu==2.15.1\nkeras==3.6.0\n"
PYPROJECT = """[project]
name = "demo"
version = "0.1"
# TF 2.15 with the new Keras: what most users end up with
dependencies = ["tensorflow-cpu==2.15.1", "keras==3.6.0"]
"""


def kerasfix(env: RealEnv, *args: str) -> subprocess.CompletedProcess[str]:
    cli = {**env.user_env(), **Installer.pip_vars(), "KERASFIX_STATE_DIR": str(env.root / "st"),
           "KERASFIX_DEBUG": "1"}
    proc = subprocess.run([sys.executable, "-m", "kerasfix", *args, "--python", env.python],
                          capture_output=True, text=True, timeout=1200, env=cli, cwd=env.work,
                          stdin=subprocess.DEVNULL)
    log(f"{env.name}: kerasfix {' '.join(args)} -> exit {proc.returncode}")
    return proc


def said(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"


def trains(env: RealEnv) -> str:
    proc = run([env.python, "-c", TRAIN], env=env.user_env(), cwd=env.work, check=False,
               timeout=600)
    assert "TRAINED" in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture
def uv_no_pip(tf215: BaseEnv) -> Iterator[RealEnv]:
    """`uv venv` (no pip at all) holding the base's TF 2.15.1, then NumPy 2 forced in by uv."""
    uv = find_uv()
    if uv is None:
        pytest.skip("needs uv")
    env = scenario_env(tf215, "uvnopip")
    try:
        frozen = env.root / "frozen.txt"
        frozen.write_text("".join(line + "\n" for line in tf215.frozen.read_text().splitlines()
                                  if line.split("==")[0].lower() not in
                                  ("pip", "setuptools", "wheel")))
        run(["rm", "-rf", str(env.venv)])
        uvenv = Installer.pip_vars()
        run([uv, "venv", "-q", "--python", tf215.installer.python, str(env.venv)],
            env={**env.user_env(), **uvenv})
        run([uv, "pip", "install", "-q", "--python", env.python, "--no-deps", "-r", str(frozen)],
            env={**env.user_env(), **uvenv})
        run([uv, "pip", "install", "-q", "--python", env.python, "numpy==2.1.3"],
            env={**env.user_env(), **uvenv})
        yield env
    finally:
        env.remove()


def test_uv_venv_without_pip_is_repaired_through_uv(uv_no_pip: RealEnv) -> None:
    env = uv_no_pip
    site = env.site_packages()
    assert not list(site.glob("pip-*.dist-info"))
    proc = kerasfix(env, "fix", "--yes")
    assert proc.returncode == 0, said(proc)
    assert " pip install --python " in proc.stdout and "Managed by" in proc.stdout
    (numpy,) = site.glob("numpy-*.dist-info")
    assert numpy.name.startswith("numpy-1.") and (numpy / "INSTALLER").read_text().strip() == "uv"
    assert not list(site.glob("pip-*.dist-info"))  # no pip appeared in it
    assert "TRAINED 2.15.1 1." in trains(env)


@pytest.fixture
def keras3_over_215(tf215: BaseEnv) -> Iterator[RealEnv]:
    """TF 2.15 with keras 3 over it, as `pip install -r requirements.txt` leaves it."""
    env = scenario_env(tf215, "project")
    try:
        env.pip("install", "--no-deps", "keras==3.6.0")
        yield env
    finally:
        env.remove()


@pytest.mark.parametrize("name,text", [("requirements.txt", REQUIREMENTS),
                                       ("pyproject.toml", PYPROJECT)])
def test_project_manifest_is_repaired_with_its_environment(keras3_over_215: RealEnv, name: str,
                                                          text: str) -> None:
    env = keras3_over_215
    manifest = env.work / name
    manifest.write_text(text)
    proc = kerasfix(env, "fix", "--yes", "--strategy", "repair")
    assert proc.returncode == 0, said(proc)
    assert f"+++ b/{name}" in proc.stdout  # the diff was shown before the run
    assert "keras==2.15.0" in manifest.read_text()  # pinned as it was, to what pip chose
    assert "keras3-under-tf-2.15" not in kerasfix(env, "scan").stdout
    audit = kerasfix(env, "scan", "--requirements", str(manifest))
    assert audit.returncode == 0, said(audit)
    assert "TRAINED 2.15.1" in trains(env)
    undo = kerasfix(env, "undo", "--yes")
    assert undo.returncode == 0, said(undo)
    assert manifest.read_text() == text
    (keras,) = Path(env.site_packages()).glob("keras-*.dist-info")
    assert keras.name == "keras-3.6.0.dist-info"
