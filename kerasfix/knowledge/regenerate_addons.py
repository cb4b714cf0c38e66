"""Rebuild data/addons.json: what the TensorFlow add-ons declare, read from PyPI.

    python -m kerasfix.knowledge.regenerate_addons            # rewrite the committed file
    python -m kerasfix.knowledge.regenerate_addons --check    # exit 1 if PyPI says otherwise

For every release in SELECTION (the add-ons' releases of the TF 2.10+ era), one wheel is read
(the Linux x86_64 cp311 wheel, else the pure-Python one) with HTTP range requests, like
``kerasfix.knowledge.regenerate`` does (its helpers are reused; PYPI_URL names a PEP 691
mirror): its Requires-Python and Requires-Dist, the CPython tags of its Linux x86_64 wheels, and
the package files that state what the metadata does not (RUNTIME_FILES):

* tensorflow-addons: ``tensorflow_addons/version.py`` holds INCLUSIVE_MIN_TF_VERSION and
  EXCLUSIVE_MAX_TF_VERSION, the range it warns about at import ("TensorFlow Addons supports
  using Python ops for all Tensorflow versions above or equal to X and strictly below Y");
* tensorflow-probability: ``tensorflow_probability/python/__init__.py`` holds
  ``required_tensorflow_version`` (it raises ImportError below it) and, from 0.24, imports
  ``tf_keras`` on TensorFlow 2;
* tensorflow-hub (``tensorflow_hub/__init__.py``) and tensorflow-model-optimization
  (``.../core/keras/compat.py``) import ``tf_keras`` when tf.keras is Keras 3;
* tensorflow-recommenders (``tensorflow_recommenders/__init__.py``) raises ImportError when
  tf.keras is Keras 3 ("requires tf.keras to be Keras version 2"): it needs
  TF_USE_LEGACY_KERAS=1 on TensorFlow 2.16+.

Each such fact is stored with the file it was read from (``runtime``). About 20 s (8
connections; only zip central directories and a few small members are fetched).
"""

from __future__ import annotations

import email.parser
import io
import re
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from kerasfix.knowledge import regenerate as base

OUTPUT = Path(__file__).parent / "data" / "addons.json"

# The releases covered: every final release from the one built for TF 2.10 on (keras-nlp,
# keras-cv: the last patch of each minor). Order is kept.
SELECTION: dict[str, list[str]] = {
    "tensorflow-text": ["2.10.0", "2.11.0", "2.12.0", "2.12.1", "2.13.0", "2.14.0", "2.15.0",
                        "2.16.1", "2.17.0", "2.18.0", "2.18.1", "2.19.0", "2.20.0", "2.20.1",
                        "2.21.0", "2.21.1"],
    "tensorflow-io": ["0.27.0", "0.28.0", "0.29.0", "0.30.0", "0.31.0", "0.32.0", "0.33.0",
                      "0.34.0", "0.35.0", "0.36.0", "0.37.0", "0.37.1"],
    "tensorflow-addons": ["0.18.0", "0.19.0", "0.20.0", "0.21.0", "0.22.0", "0.23.0"],
    "tensorflow-probability": ["0.18.0", "0.19.0", "0.20.1", "0.21.0", "0.22.1", "0.23.0",
                               "0.24.0", "0.25.0"],
    "tensorflow-hub": ["0.12.0", "0.13.0", "0.14.0", "0.15.0", "0.16.0", "0.16.1"],
    "tensorflow-decision-forests": ["1.0.1", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0",
                                    "1.6.0", "1.7.0", "1.8.1", "1.9.0", "1.9.1", "1.9.2",
                                    "1.10.0", "1.10.1", "1.11.0", "1.12.0"],
    "tensorflow-model-optimization": ["0.7.3", "0.7.4", "0.7.5", "0.8.0", "0.8.1"],
    "tensorflow-recommenders": ["0.7.2", "0.7.3", "0.7.6", "0.7.7"],
    "keras-nlp": ["0.4.1", "0.5.2", "0.6.4", "0.7.0", "0.8.2", "0.9.3", "0.10.0", "0.11.1",
                  "0.12.1", "0.14.4", "0.15.1", "0.16.1", "0.17.0", "0.18.1", "0.19.3", "0.20.0",
                  "0.21.1", "0.22.2", "0.23.0", "0.24.0", "0.25.1", "0.26.0", "0.27.1",
                  "0.28.0", "0.29.1", "0.30.0", "0.31.1", "0.32.0"],
    "keras-cv": ["0.3.5", "0.4.2", "0.5.1", "0.6.4", "0.7.2", "0.8.2", "0.9.0"],
    "keras-hub": ["0.16.1", "0.17.0", "0.18.1", "0.19.3", "0.20.0", "0.21.1", "0.22.2",
                  "0.23.0", "0.24.0", "0.25.1", "0.26.0", "0.27.1", "0.28.0", "0.29.1",
                  "0.30.0", "0.31.1", "0.32.0"],
}

Extractor = Callable[[str], dict[str, Any]]


def _tfa_range(text: str) -> dict[str, Any]:
    low = re.search(r'INCLUSIVE_MIN_TF_VERSION\s*=\s*["\']([^"\']+)', text)
    high = re.search(r'EXCLUSIVE_MAX_TF_VERSION\s*=\s*["\']([^"\']+)', text)
    if not (low and high):
        return {}
    return {"tensorflow": f">={low.group(1)},<{high.group(1)}"}


def _tfp_floor(text: str) -> dict[str, Any]:
    # The first assignment is the live one; a commented-out 1.15 line follows it.
    floor = re.search(r"^\s*required_tensorflow_version\s*=\s*'([^']+)'", text, re.M)
    out: dict[str, Any] = {"tensorflow": f">={floor.group(1)}"} if floor else {}
    return {**out, **_imports_tf_keras(text)}


def _imports_tf_keras(text: str) -> dict[str, Any]:
    return {"imports_tf_keras": True} if re.search(r"^\s*import tf_keras\b", text, re.M) else {}


def _refuses_keras3(text: str) -> dict[str, Any]:
    found = re.search(r"requires tf\.keras to be Keras", text)
    return {"refuses_keras3_tf_keras": True} if found else {}


# Package files that state a runtime need, and how each is read.
RUNTIME_FILES: dict[str, tuple[str, Extractor]] = {
    "tensorflow-addons": ("tensorflow_addons/version.py", _tfa_range),
    "tensorflow-probability": ("tensorflow_probability/python/__init__.py", _tfp_floor),
    "tensorflow-hub": ("tensorflow_hub/__init__.py", _imports_tf_keras),
    "tensorflow-model-optimization": (
        "tensorflow_model_optimization/python/core/keras/compat.py", _imports_tf_keras),
    "tensorflow-recommenders": ("tensorflow_recommenders/__init__.py", _refuses_keras3),
}


def _chosen_wheel(row: dict[str, Any]) -> dict[str, Any]:
    wheels = {w["kind"]: w for w in row["wheels_read"]}
    chosen: dict[str, Any] | None = wheels.get("linux-x86") or wheels.get("any")
    if chosen is None:
        raise LookupError(f"{row['version']}: no Linux x86_64 or pure-Python wheel")
    return chosen


def read_addon_wheel(project: str, url: str, size: int) -> dict[str, Any]:
    """Requires-Python, Requires-Dist and the runtime facts of one remote wheel."""
    remote = base.RangeFile(url, size)
    with zipfile.ZipFile(io.BufferedReader(remote, buffer_size=base.BLOCK)) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names
                         if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        meta = email.parser.HeaderParser().parsestr(zf.read(meta_name).decode("utf-8"))
        runtime: dict[str, Any] = {}
        if project in RUNTIME_FILES:
            member, extract = RUNTIME_FILES[project]
            if member in names:
                runtime = extract(zf.read(member).decode("utf-8"))
                runtime = {**runtime, "source": member} if runtime else {}
    return {"requires_python": meta.get("Requires-Python"),
            "requires_dist": meta.get_all("Requires-Dist") or [],
            "runtime": runtime}


def _row(project: str, planned: dict[str, Any]) -> dict[str, Any]:
    wheel = _chosen_wheel(planned)
    read = read_addon_wheel(project, wheel["url"], wheel["size"])
    tags = planned["cp_tags_by_platform"]
    row: dict[str, Any] = {
        "version": planned["version"],
        "wheel": wheel["filename"],
        "linux_x86_64_pythons": tags.get("manylinux-x86_64", tags.get("any", [])),
        "requires_python": read["requires_python"],
        "requires_dist": read["requires_dist"],
    }
    if read["runtime"]:
        row["runtime"] = read["runtime"]
    return row


def build(log: Any = sys.stderr) -> dict[str, Any]:
    started = time.monotonic()
    with ThreadPoolExecutor(base.WORKERS) as pool:
        indexes = dict(zip(SELECTION, pool.map(base.project_files, SELECTION)))
        jobs = [(project, base.plan_release(project, version, indexes[project]))
                for project, versions in SELECTION.items() for version in versions]
        rows = list(pool.map(lambda job: _row(*job), jobs))
    addons: dict[str, list[dict[str, Any]]] = {project: [] for project in SELECTION}
    for (project, _), row in zip(jobs, rows):
        addons[project].append(row)
    print(f"{len(rows)} releases read, {time.monotonic() - started:.0f} s", file=log)
    return {
        "generated": date.today().isoformat(),
        "source": "PyPI simple JSON index + wheel METADATA and the package files named in"
                  " each row's runtime.source, read via HTTP range requests"
                  " (python -m kerasfix.knowledge.regenerate_addons)",
        "addons": addons,
    }


def main(argv: list[str] | None = None) -> int:
    return base.command(argv, module="kerasfix.knowledge.regenerate_addons", doc=__doc__,
                        output=OUTPUT, build_data=build, key="addons")


if __name__ == "__main__":
    sys.exit(main())
