"""The TensorFlow add-ons and the libraries built on Keras: which TensorFlow line each release
is built for, what it needs from Keras, and which projects have ended.

Where each fact comes from (the `source` a TFRange carries says which one applied):
* Requires-Dist, read from the installed distribution or, for releases the scan does not have,
  from data/addons.json (PyPI, `python -m kerasfix.knowledge.regenerate_addons`):
  tensorflow-text, tensorflow-decision-forests, tensorflow-recommenders declare TensorFlow
  itself; tensorflow-io and tensorflow-addons declare it under extras (`[tensorflow]`), which
  pip ignores unless asked but which name the line the compiled ops were built against.
* A package file, read from the wheel by the same script and stored with its path
  (row["runtime"]["source"]): tensorflow-addons' version.py range (the same as its extras),
  tensorflow-probability's `required_tensorflow_version` floor (it declares nothing on
  TensorFlow before 0.24), and whether tensorflow-probability / tensorflow-hub /
  tensorflow-model-optimization import `tf_keras`.
* Experiments on real installs (tests/test_real_addons.py and the records below): what happens
  where neither says (tensorflow-probability without tf_keras on a Keras 3 TensorFlow).
* Public threads: the projects that have ended (END_OF_LIFE).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from kerasfix import knowledge
from kerasfix.knowledge import TFLine, compat

ADDONS_FILE = "addons.json"

# Add-ons built against one TensorFlow line (compiled ops, or a stated TensorFlow floor).
TF_ADDONS: tuple[str, ...] = (
    "tensorflow-text", "tensorflow-io", "tensorflow-addons", "tensorflow-probability",
    "tensorflow-hub", "tensorflow-decision-forests", "tensorflow-model-optimization",
    "tensorflow-recommenders")
# Libraries written for Keras 3 (keras-nlp 0.16+ is a shim over keras-hub of the same version).
KERAS_LIBS: tuple[str, ...] = ("keras-nlp", "keras-cv", "keras-hub")
# Add-ons with compiled ops linked against TensorFlow's C++ library: another line's TensorFlow
# fails with "undefined symbol" (e.g. https://github.com/tensorflow/io/issues/2104,
# https://github.com/tensorflow/io/issues/1871).
COMPILED: frozenset[str] = frozenset({
    "tensorflow-text", "tensorflow-io", "tensorflow-addons", "tensorflow-decision-forests"})


@dataclass(frozen=True)
class EndOfLife:
    last: str  # the last release
    source: str  # where the project said so
    successor: str  # what to use instead


END_OF_LIFE: dict[str, EndOfLife] = {
    # "TFA has entered a minimal maintenance and release mode until a planned end of life in
    # May 2024" (the package's own tfa_eol_msg.py warns so at import).
    "tensorflow-addons": EndOfLife(
        "0.23.0", "https://github.com/tensorflow/addons/issues/2807",
        "Keras 3 / KerasCV / KerasNLP (keras-hub) or the tf.keras built-ins"),
    # No release after 0.37.1 (TF 2.16); asked "Is this project abandoned?", a TensorFlow
    # maintainer answered "Yes, it is." (2025-09-12).
    "tensorflow-io": EndOfLife(
        "0.37.1", "https://github.com/tensorflow/io/issues/2160",
        "tf.data and tf.io (tensorflow-io-gcs-filesystem for gs:// alone)"),
}

# Experiment (tests/test_real_addons.py::test_tfp_without_tf_keras_import on tensorflow-cpu
# 2.18.1; run by hand for the record): a tensorflow-probability that does not import tf_keras
# itself (<= 0.23) fails on a TensorFlow built for Keras 3 at `import tensorflow_probability`
# with "AttributeError: module 'keras._tf_keras.keras' has no attribute '__internal__'"; 0.24+
# without tf-keras installed fails with "ModuleNotFoundError: No module named 'tf_keras'".
KERAS2_ONLY_WITHOUT_TF_KERAS: frozenset[str] = frozenset({"tensorflow-probability"})

# What a Keras 2 add-on prints on a Keras 3 TensorFlow without tf-keras (experiments on
# tensorflow-cpu 2.18.1, recorded in tests/test_real_addons.py's module docstring):
# tensorflow-model-optimization sets TF_USE_LEGACY_KERAS=1 itself (core/keras/compat.py), so
# tf.keras then fails as legacy mode without tf_keras does; tensorflow-recommenders raises its
# own ImportError while tf.keras is Keras 3, even with tf-keras installed.
NO_TF_KERAS = "ModuleNotFoundError: No module named 'tf_keras'"
TF_KERAS_SYMPTOMS: dict[str, str] = {
    "tensorflow-probability": NO_TF_KERAS,
    "tensorflow-hub": NO_TF_KERAS,
    "tensorflow-model-optimization": knowledge.KERAS_MISSING_MESSAGE,
    "tensorflow-recommenders": ("ImportError: Package tensorflow_recommenders requires tf.keras"
                                " to be Keras version 2 but got version 3."),
}


# Experiment (tensorflow-cpu 2.15.1 with keras 2.15.0, tests/test_real_addons.py's docstring):
# keras-nlp 0.14.0 and 0.15.1 and keras-hub 0.18.1 fail at import under Keras 2 with
# "ImportError: cannot import name 'ops' from 'keras'" although they declare no keras
# requirement; keras-nlp 0.12.1 (which requires keras-core, its Keras 2 bridge) imports. keras-hub
# 0.16-0.18 are keras-nlp 0.15 renamed. From 0.19 keras-hub declares keras>=3.5 itself.
KERAS3_FROM: dict[str, Version] = {"keras-nlp": Version("0.14"), "keras-hub": Version("0.16")}
KERAS3_EXPERIMENT = "experiment: cannot import name 'ops' from 'keras' under Keras 2"


@dataclass(frozen=True)
class TFRange:
    """The TensorFlow a release works with, and where that was read."""

    spec: SpecifierSet
    source: str  # "Requires-Dist", "Requires-Dist [tensorflow] extra", a package file ...

    @property
    def text(self) -> str:
        return str(self.spec)


# ---------------------------------------------------------------- the committed data


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """data/addons.json: {"generated", "source", "addons": {name: [release row, ...]}}."""
    text = files("kerasfix.knowledge").joinpath("data").joinpath(ADDONS_FILE).read_text(
        encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def releases(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = load()["addons"].get(canonicalize_name(name), [])
    return rows


def release(name: str, version: Version | str) -> dict[str, Any] | None:
    wanted = Version(str(version))
    return next((r for r in releases(name) if Version(r["version"]) == wanted), None)


def parse_requirements(lines: Iterable[str]) -> tuple[Requirement, ...]:
    out = []
    for line in lines:
        try:
            out.append(Requirement(line))
        except InvalidRequirement:
            continue
    return tuple(out)


def _requires(name: str, version: Version, declared: Sequence[Requirement]) -> \
        tuple[Requirement, ...]:
    """The installed distribution's own Requires-Dist, else the committed release's."""
    if declared:
        return tuple(declared)
    row = release(name, version)
    return parse_requirements(row["requires_dist"]) if row else ()


def _extra_of(req: Requirement) -> str | None:
    marker = str(req.marker or "")
    if "extra" not in marker:
        return None
    return marker.split("extra", 1)[1].split("=", 2)[-1].strip(" '\"")


# ---------------------------------------------------------------- TensorFlow line


def _declared_tf(requires: Sequence[Requirement]) -> TFRange | None:
    """The declared TensorFlow requirement: on `tensorflow` itself first (tensorflow-text's
    tensorflow-cpu extra carries a stale range in 2.13-2.16), unconditional before extras."""
    tf_reqs = [r for r in requires
               if canonicalize_name(r.name) in knowledge.TENSORFLOW_VARIANTS and r.specifier]
    if not tf_reqs:
        return None
    best = min(tf_reqs, key=lambda r: (_extra_of(r) is not None,
                                       canonicalize_name(r.name) != "tensorflow"))
    extra = _extra_of(best)
    return TFRange(best.specifier, "Requires-Dist" + (f" [{extra}] extra" if extra else ""))


def tf_range(name: str, version: Version, declared: Sequence[Requirement] = ()) -> \
        TFRange | None:
    """The TensorFlow this release works with (None: it states none)."""
    row = release(name, version) or {}
    runtime = row.get("runtime") or {}
    found: TFRange | None = None
    if runtime.get("tensorflow"):
        found = TFRange(SpecifierSet(runtime["tensorflow"]), runtime["source"])
    else:
        found = _declared_tf(_requires(name, version, declared))
    if canonicalize_name(name) in KERAS2_ONLY_WITHOUT_TF_KERAS and row and \
            not runtime.get("imports_tf_keras"):
        first = compat.first_keras3_line()
        cap = SpecifierSet(f"<{first.minor_text}")
        base = found.spec if found else SpecifierSet()
        found = TFRange(base & cap, (found.source + " + " if found else "")
                        + "experiment: no tf_keras import, so no Keras 3 TensorFlow")
    return found


def admits_line(spec: SpecifierSet, tf_version: Version) -> bool:
    """Whether `spec` takes this TensorFlow's line: the version itself, or an exact pin on
    another patch of the same line (tensorflow-decision-forests pins `==2.18.0`; the line's
    other patches share its C++ ABI)."""
    if spec.contains(tf_version, prereleases=True):
        return True
    pins = [Version(s.version) for s in spec if s.operator == "==" and "*" not in s.version]
    return any(knowledge.minor_of(p) == knowledge.minor_of(tf_version)
               and spec.contains(p, prereleases=True) for p in pins)


def fits(name: str, version: Version, tf_version: Version,
         declared: Sequence[Requirement] = ()) -> compat.Verdict | None:
    """Whether this add-on release works with this TensorFlow (None: it states no range)."""
    found = tf_range(name, version, declared)
    if found is None:
        return None
    label = f"{canonicalize_name(name)} {version}"
    if admits_line(found.spec, tf_version):
        return compat.Verdict(True, f"{label} works with TensorFlow {tf_version}", found.text)
    side = compat.side_of(found.spec, tf_version)
    return compat.Verdict(False, f"{label} is built for TensorFlow {found.text} ({found.source});"
                          f" TensorFlow {tf_version} is {side.value} it", found.text, side,
                          compat.Misfit.OUTSIDE_PIN)


def has_wheel_for(row: dict[str, Any], cp_tag: str | None) -> bool:
    pythons = row.get("linux_x86_64_pythons") or []
    compiled = any(p.startswith("cp") for p in pythons)
    return cp_tag is None or not compiled or cp_tag in pythons


def fitting_release(name: str, tf_version: Version, cp_tag: str | None = None) -> str | None:
    """The newest committed release of this add-on that works with this TensorFlow (and has a
    wheel for this CPython when it is compiled)."""
    for row in sorted(releases(name), key=lambda r: Version(r["version"]), reverse=True):
        found = tf_range(name, Version(row["version"]))
        if found is not None and admits_line(found.spec, tf_version) and \
                has_wheel_for(row, cp_tag):
            return str(row["version"])
    return None


def fitting_tf_line(name: str, version: Version, declared: Sequence[Requirement] = (),
                    python: tuple[int, int] | None = None) -> TFLine | None:
    """The newest TensorFlow line this release works with (and that has wheels for Python)."""
    found = tf_range(name, version, declared)
    if found is None:
        return None
    lines = [li for li in knowledge.TF_LINES.values() if admits_line(found.spec, li.version)
             and (python is None or li.supports_python(python))]
    return max(lines, key=lambda li: li.minor, default=None)


def past_last_release(name: str, tf_version: Version) -> bool:
    """An ended project none of whose releases works with this TensorFlow."""
    return canonicalize_name(name) in END_OF_LIFE and fitting_release(name, tf_version) is None


# ---------------------------------------------------------------- Keras


def needs_tf_keras(name: str, version: Version, tf_version: Version,
                   declared: Sequence[Requirement] = ()) -> str | None:
    """Why this release needs tf-keras beside this TensorFlow (None: it does not). Only on a
    TensorFlow built for Keras 3: there tf.keras is Keras 3, and these add-ons are Keras 2."""
    if not compat.keras3_line(tf_version):
        return None
    for req in _requires(name, version, declared):
        if canonicalize_name(req.name) in knowledge.TF_KERAS_VARIANTS and \
                _extra_of(req) is None:
            return f"Requires-Dist: {req}"
    runtime = (release(name, version) or {}).get("runtime") or {}
    if runtime.get("imports_tf_keras"):
        return f"{runtime['source']} imports tf_keras"
    return None


def _keras_spec(requires: Sequence[Requirement]) -> SpecifierSet | None:
    for req in requires:
        if canonicalize_name(req.name) in knowledge.KERAS_VARIANTS and _extra_of(req) is None:
            return req.specifier
    return None


def keras_requirement(name: str, version: Version, declared: Sequence[Requirement] = ()) -> \
        tuple[SpecifierSet, str] | None:
    """The Keras a Keras library declares, directly or through the keras-hub it is a shim
    for (keras-nlp 0.16+ requires keras-hub==<its own version>); None: it declares none."""
    requires = _requires(name, version, declared)
    spec = _keras_spec(requires)
    if spec is not None:
        return spec, f"Requires-Dist: keras{spec}"
    hub = next((r for r in requires if canonicalize_name(r.name) == "keras-hub"), None)
    pinned = next((Version(s.version) for s in hub.specifier if s.operator == "=="), None) \
        if hub else None
    inner = _keras_spec(_requires("keras-hub", pinned, ())) if pinned else None
    if inner is not None:
        return inner, f"Requires-Dist: {hub} (keras-hub {pinned}: keras{inner})"
    first = KERAS3_FROM.get(canonicalize_name(name))
    if first is not None and version >= first:
        return SpecifierSet(f">={knowledge.KERAS_3}"), KERAS3_EXPERIMENT
    return None


def needs_keras3(name: str, version: Version, keras_version: Version,
                 declared: Sequence[Requirement] = ()) -> str | None:
    """Why this Keras library does not work with this (Keras 2) keras (None: it does)."""
    if compat.is_keras3(keras_version):
        return None
    found = keras_requirement(name, version, declared)
    if found is None:
        return None
    spec, source = found
    if spec.contains(keras_version, prereleases=True):
        return None
    return source


def newest_keras2_release(name: str) -> str | None:
    """The newest committed release of a Keras library that declares no Keras 3 requirement."""
    rows = sorted(releases(name), key=lambda r: Version(r["version"]), reverse=True)
    for row in rows:
        found = keras_requirement(name, Version(row["version"]))
        if found is None or not compat.is_keras3(_floor(found[0])):
            return str(row["version"])
    return None


def _floor(spec: SpecifierSet) -> Version:
    floors = [Version(s.version) for s in spec if s.operator in (">=", ">", "~=", "==")]
    return max(floors, default=Version("0"))


def parse_version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def needs_legacy_keras(name: str, version: Version, tf_version: Version) -> str | None:
    """Why this release needs tf.keras itself to be Keras 2 (TF_USE_LEGACY_KERAS=1 with
    tf-keras) on this TensorFlow; None: tf-keras installed beside it is enough."""
    if not compat.keras3_line(tf_version):
        return None
    runtime = (release(name, version) or {}).get("runtime") or {}
    if runtime.get("refuses_keras3_tf_keras"):
        return f"{runtime['source']} raises ImportError when tf.keras is Keras 3"
    return None
