from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakeenv import FakeEnv, make_venv


@pytest.fixture
def fake(tmp_path: Path) -> FakeEnv:
    return make_venv(tmp_path)
