"""Real PyPI metadata of the TensorFlow / Keras / tf-keras releases kerasfix knows.

``tf-keras-matrix.json`` (committed, shipped in the wheel) holds, per distribution and version:
the files on PyPI (name, size, yanked), the Python tags per platform, and for one wheel per
platform kind its Requires-Python, full Requires-Dist, zip top-level entries and top_level.txt.
``python -m kerasfix.knowledge.regenerate`` rebuilds it from PyPI (see that module).
The tests check kerasfix/knowledge/__init__.py against it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

MATRIX_FILE = "tf-keras-matrix.json"


@lru_cache(maxsize=1)
def load_matrix() -> dict[str, Any]:
    """The whole file: {"generated", "source", "packages": {distribution: [release, ...]}}."""
    text = files("kerasfix.knowledge").joinpath("data").joinpath(MATRIX_FILE).read_text(
        encoding="utf-8")
    matrix: dict[str, Any] = json.loads(text)  # the committed file: one JSON object
    return matrix


def releases(distribution: str) -> list[dict[str, Any]]:
    """The rows of one distribution ([] for one the file does not cover)."""
    rows: list[dict[str, Any]] = load_matrix()["packages"].get(distribution, [])
    return rows


def release(distribution: str, version: str) -> dict[str, Any] | None:
    """One release's row, or None."""
    return next((r for r in releases(distribution) if r["version"] == version), None)
