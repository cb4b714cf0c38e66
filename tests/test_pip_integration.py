"""Real pip, offline, installing tiny wheels that carry real TF / Keras / tf-keras metadata.

These show the scan is right about what pip *really* leaves behind: pip's resolver, its silent
overwrite of a shared folder, and its uninstall that removes files another distribution needs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv


def pip(env: FakeEnv, wheels: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The user's pip, offline: `pip --python <target>` (the venv itself has no pip)."""
    return subprocess.run([sys.executable, "-m", "pip", "--isolated", "--python", env.python,
                           *args, *(["--no-index", "--find-links", str(wheels)]
                                    if args[0] == "install" else [])],
                          capture_output=True, text=True, check=True)


@pytest.fixture
def env(tmp_path: Path) -> FakeEnv:
    return make_venv(tmp_path)


def test_resolved_install_is_clean(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    result = env.scan()
    assert [f.code for f in result.findings if f.severity.value != "info"] == []
    assert result.inventory.get("keras").raw_version == "3.15.1"


def test_second_tensorflow_owner_then_uninstall(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1")  # pip says nothing
    assert "import-package-owned-twice" in env.codes()
    pip(env, wheelhouse, "uninstall", "-y", "tensorflow")  # takes the shared files with it
    check = subprocess.run([sys.executable, "-m", "pip", "--python", env.python, "check"],
                           capture_output=True, text=True)
    assert check.returncode == 0  # pip check is blind to this
    damaged = next(f for f in env.scan().findings if f.code == "damaged-install")
    assert damaged.severity.value == "error"
    assert "tensorflow/__init__.py is gone" in damaged.detail


def test_tf_keras_tracks_who_wrote_last(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.15.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1")
    tf = env.scan().inventory.tensorflow()
    assert (tf.name, tf.raw_version) == ("tensorflow", "2.18.1")  # it wrote __init__.py last


def test_unpinned_tf_keras_215_is_caught_though_pip_is_happy(env: FakeEnv,
                                                            wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "tf-keras==2.15.0")
    check = subprocess.run([sys.executable, "-m", "pip", "--python", env.python, "check"],
                           capture_output=True, text=True)
    assert check.returncode == 0
    assert env.codes()["tf-keras-minor-mismatch"] == "error"


def test_keras3_over_215_matches_what_pip_reports(env: FakeEnv, wheelhouse: Path) -> None:
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.15.1")
    pip(env, wheelhouse, "install", "keras==3.15.1")
    check = subprocess.run([sys.executable, "-m", "pip", "--python", env.python, "check"],
                           capture_output=True, text=True)
    assert "keras<2.16,>=2.15.0" in check.stdout
    assert env.codes()["keras3-under-tf-2.15"] == "warning"
