from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))

if TYPE_CHECKING:
    from realenv import BaseEnv, Installer

from fakeenv import TF_KERAS_REQUIRES, TF_REQUIRES, FakeEnv, build_wheel, make_venv


@pytest.fixture
def fake(tmp_path: Path) -> FakeEnv:
    return make_venv(tmp_path)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    tf_files = lambda v: {"tensorflow/__init__.py": f"__version__ = '{v}'\n",  # noqa: E731
                          "tensorflow/python/__init__.py": "", "tensorflow/shared.py": f"V='{v}'"}
    for dist in ("tensorflow", "tensorflow-cpu"):
        for version in ("2.15.1", "2.18.1", "2.21.0"):
            build_wheel(out, dist, version, tf_files(version), TF_REQUIRES[version])
    for version in ("3.15.1", "3.5.0"):
        build_wheel(out, "keras", version, {"keras/__init__.py": "",
                                             "keras/src/version.py": f'__version__ = "{version}"'})
    build_wheel(out, "keras", "2.15.0", {"keras/__init__.py": '__version__ = "2.15.0"',
                                         "keras/api/_v2/keras/__init__.py": ""})
    for version, requires in TF_KERAS_REQUIRES.items():
        build_wheel(out, "tf-keras", version, {"tf_keras/__init__.py":
                                               f'__version__ = "{version}"'}, requires)
    for name, versions in {"numpy": ["1.26.4", "2.0.2"],
                           "protobuf": ["4.25.9", "5.29.6", "6.31.1"],
                           "ml-dtypes": ["0.3.2", "0.5.1"],
                           "tensorflow-io-gcs-filesystem": ["0.37.1"]}.items():
        for version in versions:
            build_wheel(out, name, version, {f"{name.replace('-', '_')}/__init__.py": ""})
    return out


# The real-package tiers share their base environments (built once per session, cached).
@pytest.fixture(scope="session")
def inst() -> Installer:
    from realenv import installer, log, remove_stale_scenarios

    found = installer()
    if found is None:
        pytest.skip("needs uv, or CPython 3.9-3.11 (set KERASFIX_REALTF_PYTHON)")
    remove_stale_scenarios()
    log(f"venvs by {found.name}, Python {found.python}")
    return found


@pytest.fixture(scope="session")
def tf215(inst: Installer) -> BaseEnv:
    from realenv import base_env

    return base_env(inst, "2.15.1")


@pytest.fixture(scope="session")
def tf218(inst: Installer) -> BaseEnv:
    from realenv import base_env

    return base_env(inst, "2.18.1")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """`make test` prints explain's accuracy on the message corpus whenever the corpus test
    ran (issue 12's measure: top-1 and top-3 on real messages from public threads)."""
    stats = terminalreporter.stats
    ran = [r for key in ("passed", "failed") for r in stats.get(key, ())
           if getattr(r, "when", "") == "call" and "test_explain_names_the_established_cause"
           in getattr(r, "nodeid", "")]
    if ran:
        import corpus_score

        terminalreporter.write_line(corpus_score.score(corpus_score.entries()).line())
