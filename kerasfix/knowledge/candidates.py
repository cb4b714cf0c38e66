"""The releases pip chooses among, for reasoning about a requirements file's specifiers.

Keras and tf-keras come from the committed PyPI metadata (data/tf-keras-matrix.json, see
releases.py). NumPy and protobuf are not in that file: their lists below are data, the last
patch of each minor that matters for TensorFlow's pins, from the projects' PyPI release histories
(https://pypi.org/project/numpy/#history, https://pypi.org/project/protobuf/#history).
A version a pin names itself is added by the caller on the fly.
"""

from __future__ import annotations

from functools import lru_cache

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from kerasfix.knowledge import releases

# numpy: the last patch of every minor from 1.19 (1.24.3 is TF 2.12/2.13's own cap).
NUMPY_RELEASES: tuple[str, ...] = (
    "1.19.5", "1.20.3", "1.21.6", "1.22.4", "1.23.5", "1.24.3", "1.24.4", "1.25.2", "1.26.4",
    "2.0.2", "2.1.3", "2.2.6", "2.3.5", "2.4.6")
# protobuf: the releases at and around TensorFlow's protobuf bounds (3.9.2 floor, 3.20 builder,
# 4.21.0-4.21.5 excluded, the 5/6/7 caps).
PROTOBUF_RELEASES: tuple[str, ...] = (
    "3.9.2", "3.19.6", "3.20.3", "4.21.12", "4.23.4", "4.25.9", "5.26.1", "5.28.3", "5.29.6",
    "6.30.2", "6.31.1", "6.33.6", "7.36.2")
# transformers releases with TensorFlow models (a sample across 4.x; 5 dropped them).
TRANSFORMERS_WITH_TF: tuple[str, ...] = ("4.30.0", "4.49.0", "4.57.0")


@lru_cache(maxsize=1)
def keras_releases() -> tuple[str, ...]:
    """Every keras release in the committed metadata (one per line, latest patch)."""
    return tuple(row["version"] for row in releases.releases("keras"))


@lru_cache(maxsize=1)
def tensorflow_gpu_releases() -> tuple[str, ...]:
    """tensorflow-gpu releases in the committed metadata (the last, 2.12.0, refuses to build)."""
    return tuple(row["version"] for row in releases.releases("tensorflow-gpu"))


def _declares_tensorflow(row: dict[str, object]) -> bool:
    wheels = row.get("wheels_read") or []
    assert isinstance(wheels, list)
    return any(canonicalize_name(Requirement(line).name) == "tensorflow"
               for wheel in wheels for line in wheel.get("requires_dist") or ())


@lru_cache(maxsize=1)
def tf_keras_releases() -> tuple[tuple[str, bool], ...]:
    """tf-keras releases and whether they declare their TensorFlow requirement (2.14.1 and
    2.15.0 do not: pip installs them beside any TensorFlow)."""
    return tuple((row["version"], _declares_tensorflow(row))
                 for row in releases.releases("tf-keras"))


def first_tf_keras_declaring_tensorflow() -> Version | None:
    """The first tf-keras release whose metadata requires `tensorflow` by name (2.15.1 in the
    committed data): from it on, tf-keras beside tensorflow-cpu pulls a second TensorFlow."""
    return min((Version(v) for v, d in tf_keras_releases() if d), default=None)


def tf_keras_declares_tensorflow(version: Version) -> bool:
    """For a tf-keras version the data may not list: releases from the first one that
    declares its TensorFlow requirement do."""
    known = dict((Version(v), d) for v, d in tf_keras_releases())
    if version in known:
        return known[version]
    first = first_tf_keras_declaring_tensorflow()
    return first is not None and version >= first
