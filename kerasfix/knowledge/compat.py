"""Compatibility predicates: every "does X fit this TensorFlow" fact, judged in one place.

The scan's checks (installed environment), the requirements audit (a file's pins) and explain
(an error message against a scan) all ask these functions and turn the answer into their own
finding or cause; none of them compares versions against a threshold of its own. The facts come
from the release-line table in kerasfix/knowledge/__init__.py (held to the committed PyPI
metadata by tests/test_knowledge.py) and its named thresholds.

Each predicate returns a Verdict: ok or not, which way a version is off (`side`), which known
misfit it is (`misfit`), a one-sentence reason, and the requirement it was judged against (the
installed wheel's own Requires-Dist when the caller passes it as `declared`, else the TF line's
pin). Callers look the predicates up on this module at call time (`compat.keras_fits(...)`), so
a test that replaces one sees every consumer change with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.knowledge import TFLine


class Side(str, Enum):
    ABOVE = "above"
    BELOW = "below"


class Misfit(str, Enum):
    """Which known way a pairing is wrong (consumers map these to their own codes)."""

    KERAS3_UNDER_FIXED_ROUTE = "keras3-under-fixed-route"  # TF < 2.15: tf.keras cannot load
    KERAS3_UNDER_KERAS2_LINE = "keras3-under-keras2-line"  # TF 2.15: tf.keras silently Keras 3
    KERAS2_UNDER_KERAS3_LINE = "keras2-under-keras3-line"  # TF >= 2.16 built for Keras 3
    STANDALONE_KERAS = "standalone-keras"  # keras < 2.6 (multi-backend)
    KERAS_MINOR = "keras-minor"  # another Keras line than TensorFlow's pin
    TF_KERAS_MINOR = "tf-keras-minor"  # tf-keras 2.N with TensorFlow 2.M
    NUMPY_ABI = "numpy-abi"  # NumPy 2 under a build compiled against NumPy 1
    OUTSIDE_PIN = "outside-pin"  # outside the range TensorFlow declares
    PYTHON = "python"  # no wheels / Requires-Python for this interpreter


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # one sentence
    requirement: str  # what it was judged against, e.g. "numpy<2.0.0,>=1.23.5"
    side: Side | None = None  # for a version outside a range: which way
    misfit: Misfit | None = None
    declared_allows: bool = False  # not ok, although the declared requirement lets it in


def _fits(reason: str, requirement: str) -> Verdict:
    return Verdict(True, reason, requirement)


def _text(spec: SpecifierSet | None) -> str:
    return str(spec) if spec is not None else ""


def side_of(spec: SpecifierSet, version: Version) -> Side:
    """Which way a version outside `spec` is off: above if an upper bound excludes it."""
    above = any(s.operator in ("<", "<=", "==", "~=") and not s.contains(version, prereleases=True)
                and version > Version(s.version.rstrip(".*"))
                for s in spec)
    return Side.ABOVE if above else Side.BELOW


# ---------------------------------------------------------------- Keras


def is_keras3(keras_version: Version) -> bool:
    return keras_version >= knowledge.KERAS_3


def standalone_keras(keras_version: Version) -> bool:
    """keras < 2.6: the multi-backend Keras without keras.api._v2."""
    return keras_version < knowledge.KERAS_API_V2_FIRST


def routes_by_installed_keras(tf_version: Version) -> bool:
    """TF 2.15+: tf.keras is whichever Keras is installed, and TF_USE_LEGACY_KERAS is read."""
    return tf_version >= knowledge.KERAS_LOADER_FIRST


def keras_major_for(tf_version: Version) -> int:
    """The Keras major a TensorFlow release is built for (its own keras pin)."""
    line = knowledge.tf_line(tf_version)
    if line is not None:
        return line.keras_major
    lines = sorted(knowledge.TF_LINES.values(), key=lambda li: li.minor)
    if tf_version > lines[-1].version:
        return lines[-1].keras_major
    return lines[0].keras_major if tf_version < lines[0].version else 2


def keras3_line(tf_version: Version) -> bool:
    """Whether this TensorFlow is built for Keras 3 (its own keras pin)."""
    return keras_major_for(tf_version) >= knowledge.KERAS_3.major


def keras_imported_eagerly(tf_version: Version) -> bool:
    """Whether `import tensorflow` itself imports keras (so a broken keras fails it)."""
    return tf_version.major == knowledge.KERAS_EAGER_IMPORT_LAST.major and \
        knowledge.minor_of(tf_version) <= knowledge.minor_of(knowledge.KERAS_EAGER_IMPORT_LAST)


def last_fixed_route_line() -> TFLine:
    """'2.14': the newest line whose tf.keras is hard-wired to keras.api._v2 (no Keras 3)."""
    return max((li for li in knowledge.TF_LINES.values()
                if not routes_by_installed_keras(li.version)), key=lambda li: li.minor)


def first_keras3_line() -> TFLine:
    return min((li for li in knowledge.TF_LINES.values() if keras3_line(li.version)),
               key=lambda li: li.minor)


def last_keras2_line() -> TFLine:
    return max((li for li in knowledge.TF_LINES.values() if not keras3_line(li.version)),
               key=lambda li: li.minor)


def keras_fits(tf_version: Version, keras_version: Version,
               declared: SpecifierSet | None = None) -> Verdict:
    """Whether `keras` works as tf.keras under this TensorFlow. `declared`: the installed TF's
    own Requires-Dist on keras (None: the TF line's pin, or the same-minor rule)."""
    line = knowledge.tf_line(tf_version)
    spec = declared if declared is not None else SpecifierSet(line.keras) if line else None
    requirement = _text(spec) or f"keras {tf_version.major}.{tf_version.minor}"
    if is_keras3(keras_version) and not keras3_line(tf_version):
        if routes_by_installed_keras(tf_version):
            return Verdict(False, f"TensorFlow {tf_version} pins Keras 2 but routes tf.keras to"
                           " the installed Keras 3", requirement, Side.ABOVE,
                           Misfit.KERAS3_UNDER_KERAS2_LINE)
        return Verdict(False, f"TensorFlow {tf_version} loads tf.keras from keras.api._v2,"
                       " which Keras 3 does not have", requirement, Side.ABOVE,
                       Misfit.KERAS3_UNDER_FIXED_ROUTE)
    if not is_keras3(keras_version) and keras3_line(tf_version):
        return Verdict(False, f"TensorFlow {tf_version} is built for Keras 3", requirement,
                       Side.BELOW, Misfit.KERAS2_UNDER_KERAS3_LINE)
    if spec is not None:
        inside = keras_version in spec
    else:  # no pin known: Keras 3 lines take any Keras 3, Keras 2 lines their own minor
        inside = keras3_line(tf_version) or knowledge.minor_of(keras_version) == knowledge.minor_of(
            tf_version)
    if inside and not standalone_keras(keras_version):
        return _fits(f"keras {keras_version} fits TensorFlow {tf_version}", requirement)
    misfit = Misfit.STANDALONE_KERAS if standalone_keras(keras_version) else Misfit.KERAS_MINOR
    side = Side.BELOW if keras_version < tf_version else Side.ABOVE
    return Verdict(False, f"keras {keras_version} is not TensorFlow {tf_version}'s Keras line"
                   f" ({requirement})", requirement, side, misfit, declared_allows=inside)


# Adjacent late Keras 2 lines that still import and train together (checked with real installs:
# keras 2.14 on TF 2.15 and 2.15 on 2.14, 2.13 with 2.14); earlier pairs broke on private APIs.
_TOLERATED_KERAS2_NEIGHBOURS = ({(2, 14), (2, 15)}, {(2, 13), (2, 14)})


def keras2_neighbours_tolerated(tf_version: Version, keras_version: Version) -> bool:
    pair = {knowledge.minor_of(tf_version), knowledge.minor_of(keras_version)}
    return pair in _TOLERATED_KERAS2_NEIGHBOURS


def tf_keras_fits(tf_version: Version, tf_keras_version: Version) -> Verdict:
    """tf-keras 2.N works only with TensorFlow 2.N (the patch may differ)."""
    line = knowledge.tf_line(tf_version)
    requirement = (knowledge.tf_keras_requirement_for(line) if line else None) or \
        f"tf-keras {tf_version.major}.{tf_version.minor}"
    if knowledge.minor_of(tf_keras_version) == knowledge.minor_of(tf_version):
        return _fits(f"tf-keras {tf_keras_version} matches TensorFlow {tf_version}",
                     requirement)
    side = Side.BELOW if tf_keras_version < tf_version else Side.ABOVE
    return Verdict(False, f"tf-keras {tf_keras_version} is not TensorFlow {tf_version}'s minor",
                   requirement, side, Misfit.TF_KERAS_MINOR)


def transformers_has_tf_models(version: Version) -> bool:
    return version < knowledge.TRANSFORMERS_TF_LAST


# ---------------------------------------------------------------- NumPy


def is_numpy2(numpy_version: Version) -> bool:
    return numpy_version >= knowledge.NUMPY_2


def numpy2_supported(tf_version: Version) -> bool:
    """Whether this TensorFlow is built against NumPy 2 (its line's numpy range admits one)."""
    line = knowledge.tf_line(tf_version)
    if line is not None:
        return SpecifierSet(line.numpy).contains(knowledge.NUMPY_2)
    first = min((li for li in knowledge.TF_LINES.values()
                 if SpecifierSet(li.numpy).contains(knowledge.NUMPY_2)),
                key=lambda li: li.minor)
    return tf_version >= first.version


def numpy2_first_line() -> TFLine:
    return min((li for li in knowledge.TF_LINES.values() if numpy2_supported(li.version)),
               key=lambda li: li.minor)


def numpy_fits(tf_version: Version, numpy_version: Version,
               declared: SpecifierSet | None = None) -> Verdict:
    """Whether this NumPy loads under this TensorFlow. `declared`: the installed TF's own
    Requires-Dist on numpy (None: the TF line's range, which is what really works)."""
    line = knowledge.tf_line(tf_version)
    spec = declared if declared is not None else SpecifierSet(line.numpy) if line else \
        SpecifierSet()
    inside = spec.contains(numpy_version, prereleases=True)
    if is_numpy2(numpy_version) and not numpy2_supported(tf_version):
        return Verdict(False, f"TensorFlow {tf_version} is compiled against NumPy 1.x",
                       str(spec), Side.ABOVE, Misfit.NUMPY_ABI, declared_allows=inside)
    if inside:
        return _fits(f"numpy {numpy_version} fits TensorFlow {tf_version}", str(spec))
    return Verdict(False, f"numpy {numpy_version} is outside TensorFlow {tf_version}'s range"
                   f" ({spec})", str(spec), side_of(spec, numpy_version), Misfit.OUTSIDE_PIN)


def numpy_uncapped(tf_version: Version) -> bool:
    """This release's metadata lets NumPy 2 in although the build needs NumPy 1."""
    return not numpy2_supported(tf_version) and knowledge.numpy_uncapped_release(tf_version)


def numpy_uncapped_releases() -> tuple[str, ...]:
    """('2.10', '2.11', '2.14.0'): the lines (or single releases) whose metadata lets NumPy 2
    in although the build needs NumPy 1."""
    names = []
    for line in sorted(knowledge.TF_LINES.values(), key=lambda li: li.minor):
        first = Version(f"{line.minor_text}.0")
        if numpy_uncapped(first):
            names.append(line.minor_text if numpy_uncapped(line.version) else str(first))
    return tuple(names)


def numpy_uncapped_text() -> str:
    """'2.10, 2.11 and 2.14.0'."""
    names = numpy_uncapped_releases()
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def numpy2_installable(python: tuple[int, int]) -> bool:
    return python >= knowledge.NUMPY_2_PYTHON_FLOOR


# ---------------------------------------------------------------- protobuf


def protobuf_side(tf_version: Version, protobuf_version: Version,
                  declared: SpecifierSet | None = None) -> Verdict:
    """Whether this protobuf loads TensorFlow's generated *_pb2 modules, and if not, which way
    it is off. `declared`: the installed TF's own Requires-Dist (None: the TF line's pin)."""
    line = knowledge.tf_line(tf_version)
    spec = declared if declared is not None else SpecifierSet(line.protobuf) if line else \
        SpecifierSet()
    if spec.contains(protobuf_version, prereleases=True):
        return _fits(f"protobuf {protobuf_version} is inside TensorFlow {tf_version}'s range"
                     f" ({spec})", str(spec))
    side = side_of(spec, protobuf_version)
    return Verdict(False, f"protobuf {protobuf_version} is {side.value} TensorFlow"
                   f" {tf_version}'s range ({spec})", str(spec), side, Misfit.OUTSIDE_PIN)


def protobuf_above_is_fatal(tf_version: Version) -> bool:
    """TF <= 2.11's *_pb2 refuse a newer protobuf; from 2.12 one above the cap only warns."""
    return tf_version < knowledge.PROTOBUF_NEW_GENCODE_TF


def last_old_gencode_line() -> TFLine:
    """'2.11': the newest line whose *_pb2 refuse a protobuf above their cap."""
    return max((li for li in knowledge.TF_LINES.values() if protobuf_above_is_fatal(li.version)),
               key=lambda li: li.minor)


def first_new_gencode_line() -> TFLine:
    """'2.12': the oldest line whose *_pb2 only warn about a protobuf above their cap."""
    return min((li for li in knowledge.TF_LINES.values()
                if not protobuf_above_is_fatal(li.version)), key=lambda li: li.minor)


def _bound(spec: str, operators: tuple[str, ...]) -> str | None:
    return next((s.version for s in SpecifierSet(spec) if s.operator in operators), None)


def protobuf_cap(line: TFLine) -> str | None:
    """The protobuf a line's pin stops below ('3.20' for '<3.20,>=3.9.2'); None: uncapped."""
    return _bound(line.protobuf, ("<", "<="))


def keras_cap(line: TFLine) -> str | None:
    """The keras a line's pin stops below ('2.16' for '<2.16,>=2.15.0'); None: uncapped."""
    return _bound(line.keras, ("<", "<="))


def protobuf_floor(line: TFLine) -> str | None:
    """The oldest protobuf a line's pin accepts ('6.31.1' for '<8.0.0,>=6.31.1')."""
    return _bound(line.protobuf, (">=", ">", "~="))


def warning_only_protobuf_lines() -> tuple[TFLine, TFLine]:
    """(2.12, 2.19): the run of lines, from the first new-gencode line on, whose pin caps
    protobuf and whose *_pb2 only warn about a newer one."""
    run = [first_new_gencode_line()]
    while (nxt := knowledge.TF_LINES.get(run[-1].minor + 1)) and protobuf_cap(nxt):
        run.append(nxt)
    return run[0], run[-1]


def protobuf_lacks_builder(protobuf_version: Version) -> bool:
    return protobuf_version < knowledge.PROTOBUF_BUILDER_FIRST


# ---------------------------------------------------------------- Python and builds


def _dotted(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def python_window(line: TFLine) -> str:
    return f"{_dotted(line.python_min)}-{_dotted(line.python_max)}"


def recommended_python() -> tuple[int, int]:
    """The Python to suggest for a fresh environment: the newest one every Keras 3 line has
    wheels for (3.12), so the newest TensorFlow and the older Keras 3 lines all install."""
    lines = [li for li in knowledge.TF_LINES.values() if keras3_line(li.version)]
    return min(li.python_max for li in lines)


def dotted(version: tuple[int, int]) -> str:
    """(3, 12) -> '3.12'."""
    return _dotted(version)


def python_fits(line: TFLine, python: tuple[int, int], *, bits: int = 64,
                implementation: str = "cpython") -> Verdict:
    """Whether a TF line has Linux x86_64 wheels for this interpreter."""
    window = python_window(line)
    if implementation == "cpython" and bits == 64 and line.supports_python(python):
        return _fits(f"TensorFlow {line.minor_text} has wheels for Python {window}, including"
                     f" {_dotted(python)}", window)
    side = Side.ABOVE if python > line.python_max else Side.BELOW
    return Verdict(False, f"TensorFlow {line.minor_text} has wheels for Python {window}",
                   window, side, Misfit.PYTHON)


def keras_python_fits(keras_version: Version, python: tuple[int, int]) -> Verdict:
    floor = knowledge.keras_python_floor(keras_version)
    if python >= floor:
        return _fits(f"keras {keras_version} installs on Python {_dotted(python)}",
                     f">={_dotted(floor)}")
    return Verdict(False, f"keras {keras_version} needs Python >= {_dotted(floor)}",
                   f">={_dotted(floor)}", Side.BELOW, Misfit.PYTHON)


def _keras_python_rows() -> list[tuple[Version, tuple[int, int]]]:
    """(first keras release, its Python floor), oldest first, from KERAS_PYTHON_FLOOR."""
    return sorted((Version(next(iter(SpecifierSet(spec))).version), floor)
                  for spec, floor in knowledge.KERAS_PYTHON_FLOOR)


def keras_python_floors_text() -> str:
    """'keras 3.11-3.12 need Python >= 3.10 and keras 3.13+ need >= 3.11' from the table."""
    rows = _keras_python_rows()[1:]  # the first row is every Keras 3's floor
    parts = []
    for (first, floor), (following, _) in zip(rows, rows[1:]):
        parts.append(f"keras {first.major}.{first.minor}-{following.major}."
                     f"{following.minor - 1} need Python >= {_dotted(floor)}")
    first, floor = rows[-1]
    parts.append(f"keras {first.major}.{first.minor}+ need >= {_dotted(floor)}")
    return " and ".join(parts)


def keras_python_caps_text() -> str:
    """'keras<3.13 (Python 3.10) / keras<3.11 (Python 3.9)': what each older Python can use."""
    rows = _keras_python_rows()
    return " / ".join(f"keras<{first.major}.{first.minor} (Python {_dotted(older)})"
                      for (first, _), (_, older) in zip(rows[:0:-1], rows[-2::-1]))


def keras_python_floor_text() -> str:
    """'keras >= 3.13 needs Python >= 3.11': the newest Keras' Python floor."""
    first, floor = _keras_python_rows()[-1]
    return f"keras >= {first.major}.{first.minor} needs Python >= {_dotted(floor)}"


def python_windows_text() -> str:
    """'2.15: 3.9-3.11, 2.16-2.19: 3.9-3.12, ...; none for 3.14 or 32-bit': the Python windows
    of the TF lines from the last Keras 2 line on, lines with one window grouped."""
    lines = sorted((li for li in knowledge.TF_LINES.values()
                    if li.minor >= last_keras2_line().minor), key=lambda li: li.minor)
    groups: list[list[TFLine]] = []
    for line in lines:
        if groups and python_window(groups[-1][-1]) == python_window(line):
            groups[-1].append(line)
        else:
            groups.append([line])
    parts = [(group[0].minor_text if len(group) == 1 else
              f"{group[0].minor_text}-{group[-1].minor_text}") + f": {python_window(group[0])}"
             for group in groups]
    newest = max(li.python_max for li in knowledge.TF_LINES.values())
    return f"{', '.join(parts)}; none for {newest[0]}.{newest[1] + 1} or 32-bit"


def tensorflow_gpu_builds(version: Version) -> bool:
    """Whether a tensorflow-gpu release is a real build (after 2.11 only a refusing sdist)."""
    return version <= knowledge.TENSORFLOW_GPU_LAST


def tensorflow_gpu_has_line(line: TFLine) -> bool:
    """Whether tensorflow-gpu has a real build on this TF line."""
    return knowledge.minor_of(line.version) <= knowledge.minor_of(knowledge.TENSORFLOW_GPU_LAST)


def tensorflow_gpu_refusing_release() -> Version:
    """2.12.0: the first tensorflow-gpu release, an sdist that refuses to build."""
    last = knowledge.TENSORFLOW_GPU_LAST
    return Version(f"{last.major}.{last.minor + 1}.0")


def tensorflow_macos_is_stub(version: Version) -> bool:
    return version >= knowledge.TENSORFLOW_MACOS_STUB_FROM


def is_tf2(tf_version: Version) -> bool:
    """TensorFlow 2 (the TF1 API only under tf.compat.v1)."""
    return tf_version.major >= min(knowledge.TF_LINES.values(), key=lambda li: li.minor
                                   ).version.major


def has_and_cuda_extra(line: TFLine) -> bool:
    return line.version >= knowledge.AND_CUDA_FIRST
