"""The knowledge table against the researched PyPI metadata, and tf.keras routing rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from kerasfix import knowledge

MATRIX = Path(__file__).resolve().parents[2] / "shared" / "reference" / "tf-keras-matrix.json"
LINUX_311 = {"python_version": "3.11", "platform_system": "Linux", "platform_machine": "x86_64",
             "sys_platform": "linux", "extra": ""}


@pytest.fixture(scope="module")
def matrix() -> dict:
    if not MATRIX.exists():
        pytest.skip("shared/reference is not beside this checkout")
    return json.loads(MATRIX.read_text())["packages"]


def _linux_requires(matrix: dict, dist: str, version: str) -> dict[str, SpecifierSet]:
    entry = next(v for v in matrix[dist] if v["version"] == version)
    wheel = next(w for w in entry["wheels_read"] if w["kind"] in ("linux-x86", "any"))
    out = {}
    for line in wheel["requires_dist"]:
        req = Requirement(line.replace(" (", " ").replace(")", "") if "(" in line else line)
        if req.marker is None or Marker(str(req.marker)).evaluate(LINUX_311):
            out[req.name] = req.specifier
    return out


@pytest.mark.parametrize("minor", sorted(knowledge.TF_LINES))
def test_tf_line_matches_pypi_metadata(matrix: dict, minor: int) -> None:
    line = knowledge.TF_LINES[minor]
    reqs = _linux_requires(matrix, "tensorflow", line.newest_patch)
    assert reqs["keras"] == SpecifierSet(line.keras)
    assert reqs["protobuf"] == SpecifierSet(line.protobuf)
    if not knowledge.numpy_uncapped_release(Version(line.newest_patch)):
        assert reqs["numpy"] == SpecifierSet(line.numpy)
    entry = next(v for v in matrix["tensorflow"] if v["version"] == line.newest_patch)
    tags = entry["cp_tags_by_platform"]["manylinux-x86_64"]
    pythons = sorted((int(t[2]), int(t[3:])) for t in tags)
    assert (pythons[0], pythons[-1]) == (line.python_min, line.python_max)


@pytest.mark.parametrize("minor", [m for m in knowledge.TF_LINES if knowledge.TF_LINES[m].tf_keras])
def test_tf_keras_pin_names_a_release_that_requires_this_tf(matrix: dict, minor: int) -> None:
    line = knowledge.TF_LINES[minor]
    spec = SpecifierSet(line.tf_keras or "")
    releases = [v["version"] for v in matrix["tf-keras"] if Version(v["version"]) in spec]
    assert releases, f"no tf-keras release fits {spec}"
    newest = max(releases, key=Version)
    tf_req = _linux_requires(matrix, "tf-keras", newest).get("tensorflow")
    assert tf_req is not None and Version(line.newest_patch) in tf_req


def test_uncapped_numpy_releases_are_the_ones_the_metadata_leaves_open(matrix: dict) -> None:
    for version in ("2.10.1", "2.11.1"):
        assert "<" not in str(_linux_requires(matrix, "tensorflow", version)["numpy"])
    assert knowledge.numpy_uncapped_release(Version("2.14.0"))
    assert not knowledge.numpy_uncapped_release(Version("2.14.1"))


@pytest.mark.parametrize("tf,keras,env,tfk,kind", [
    ("2.14.1", "2.14.0", None, False, "keras2"),
    ("2.14.1", "3.3.3", "1", True, "fail"),  # TF 2.14 ignores the variable
    ("2.13.1", "2.3.1", None, False, "fail"),
    ("2.15.1", "2.15.0", None, False, "keras2"),
    ("2.15.1", "3.15.1", None, False, "keras3"),
    ("2.18.1", "3.15.1", None, False, "keras3"),
    ("2.18.1", "3.15.1", "1", True, "tf_keras"),
    ("2.18.1", "3.15.1", "True", False, "fail"),
    ("2.18.1", "3.15.1", "TRUE", False, "keras3"),
    ("2.18.1", None, None, False, "fail"),
    ("2.18.1", "2.15.0", None, False, "keras2"),
])
def test_tf_keras_routing(tf: str, keras: str | None, env: str | None, tfk: bool,
                          kind: str) -> None:
    route = knowledge.route_tf_keras(Version(tf), Version(keras) if keras else None, env, tfk)
    assert route.kind == kind


def test_route_from_loaded_module_file() -> None:
    site = "/v/lib/python3.11/site-packages/"
    assert knowledge.route_kind_from_file(site + "keras/_tf_keras/keras/__init__.py") == "keras3"
    assert knowledge.route_kind_from_file(site + "keras/api/_v2/keras/__init__.py") == "keras2"
    assert knowledge.route_kind_from_file(site + "tf_keras/api/_v2/keras/__init__.py") == \
        "tf_keras"


def test_newest_tensorflow_for_each_python() -> None:
    assert knowledge.newest_line_for_python((3, 8)).minor == 13
    assert knowledge.newest_line_for_python((3, 9)).minor == 20
    assert knowledge.newest_line_for_python((3, 13)).minor == 21
    assert knowledge.newest_line_for_python((3, 14)) is None


def test_variant_families_share_one_folder() -> None:
    assert knowledge.family_of("tensorflow_cpu") == "tensorflow"
    assert knowledge.family_of("TF-Nightly") == "tensorflow"
    assert knowledge.family_of("keras-nightly") == "keras"
    assert knowledge.family_of("tf_keras") == "tf_keras"
    assert knowledge.family_of("keras-core") is None  # keras_core/ never collides
