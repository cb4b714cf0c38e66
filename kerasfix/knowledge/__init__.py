"""What is true of TensorFlow, Keras and tf-keras, as data plus small functions.

Sources: the PyPI metadata of every line in kerasfix/knowledge/data/tf-keras-matrix.json (which
tests/test_knowledge.py holds this table to) and
TensorFlow's own `tensorflow/__init__.py` / `lazy_loader.py` for how `tf.keras` is routed.
Where the installed metadata can answer (a TF wheel's own Requires-Dist), the checks read the
metadata; this table covers what metadata does not say.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

# Distributions that install the same import folder and so overwrite each other (their wheels'
# RECORD files all list tensorflow/, keras/ or tf_keras/).
TENSORFLOW_VARIANTS: frozenset[str] = frozenset({
    "tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tensorflow-macos",
    "tensorflow-aarch64", "tensorflow-cpu-aws", "intel-tensorflow", "tensorflow-rocm",
    "tf-nightly", "tf-nightly-cpu", "tf-nightly-gpu", "intel-tensorflow-avx512",
})
KERAS_VARIANTS: frozenset[str] = frozenset({"keras", "keras-nightly"})
TF_KERAS_VARIANTS: frozenset[str] = frozenset({"tf-keras", "tf-keras-nightly"})
KERAS_CORE = "keras-core"

# Import folder -> the distributions that may own it.
IMPORT_PACKAGES: dict[str, frozenset[str]] = {
    "tensorflow": TENSORFLOW_VARIANTS,
    "keras": KERAS_VARIANTS,
    "tf_keras": TF_KERAS_VARIANTS,
    "numpy": frozenset({"numpy"}),
    "ml_dtypes": frozenset({"ml-dtypes"}),
}

# The whole stack kerasfix reasons about; everything else is checked like `pip check` does.
STACK: frozenset[str] = (
    TENSORFLOW_VARIANTS | KERAS_VARIANTS | TF_KERAS_VARIANTS
    | frozenset({KERAS_CORE, "numpy", "protobuf", "ml-dtypes", "tensorboard",
                 "tensorflow-estimator", "tensorflow-metal", "tensorflow-io-gcs-filesystem"})
)

# Exactly these values turn legacy Keras on (TensorFlow's lazy_loader.py, 2.15+).
LEGACY_KERAS_ON: frozenset[str] = frozenset({"1", "true", "True"})
LEGACY_KERAS_OFF_LOOKING: frozenset[str] = frozenset({"0", "false", "False", ""})

# Stub `tensorflow` wheels: their real files come from a platform distribution (the stub's
# Requires-Dist names it, per platform marker, in the committed PyPI metadata).
STUB_PAYLOADS: tuple[str, ...] = ("tensorflow-intel", "tensorflow-cpu-aws", "tensorflow-macos")


@dataclass(frozen=True)
class TFLine:
    """One TensorFlow minor line, latest patch unless noted: its Requires-Dist pins and Python
    window from the committed PyPI metadata, with numpy narrowed to what real installs load."""

    minor: int
    python_min: tuple[int, int]
    python_max: tuple[int, int]  # newest CPython with Linux x86_64 wheels
    keras: str  # TF's own keras pin (specifier text)
    tf_keras: str | None  # the tf-keras release line for the legacy route
    numpy: str  # what really works (tighter than the metadata for 2.10/2.11/2.14.0)
    protobuf: str
    newest_patch: str

    @property
    def minor_text(self) -> str:
        return f"2.{self.minor}"

    @property
    def version(self) -> Version:
        return Version(self.newest_patch)

    @property
    def keras_major(self) -> int:
        """The Keras major TensorFlow's own keras pin asks for (the major of its floor)."""
        floors = [Version(s.version).major for s in SpecifierSet(self.keras)
                  if s.operator in (">=", "~=", "==", ">")]
        return max(floors, default=2)

    def supports_python(self, version: tuple[int, int]) -> bool:
        return self.python_min <= version <= self.python_max


_PB_OLD = "<3.20,>=3.9.2"
_PB_MID = "!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<5.0.0dev,>=3.20.3"
_PB_18 = "!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<6.0.0dev,>=3.20.3"

TF_LINES: dict[int, TFLine] = {line.minor: line for line in (
    TFLine(10, (3, 7), (3, 10), "<2.11,>=2.10.0", None, ">=1.20,<2", _PB_OLD, "2.10.1"),
    TFLine(11, (3, 8), (3, 10), "<2.12,>=2.11.0", None, ">=1.20,<2", _PB_OLD, "2.11.1"),
    TFLine(12, (3, 8), (3, 11), "<2.13,>=2.12.0", None, "<=1.24.3,>=1.22", _PB_MID, "2.12.1"),
    TFLine(13, (3, 8), (3, 11), "<2.14,>=2.13.1", None, "<=1.24.3,>=1.22", _PB_MID, "2.13.1"),
    TFLine(14, (3, 9), (3, 11), "<2.15,>=2.14.0", None, "<2.0.0,>=1.23.5", _PB_MID, "2.14.1"),
    TFLine(15, (3, 9), (3, 11), "<2.16,>=2.15.0", "~=2.15.1", "<2.0.0,>=1.23.5", _PB_MID,
           "2.15.1"),
    TFLine(16, (3, 9), (3, 12), ">=3.0.0", "~=2.16.0", "<2.0.0,>=1.23.5", _PB_MID, "2.16.2"),
    TFLine(17, (3, 9), (3, 12), ">=3.2.0", "~=2.17.0", "<2.0.0,>=1.23.5", _PB_MID, "2.17.1"),
    TFLine(18, (3, 9), (3, 12), ">=3.5.0", "~=2.18.0", "<2.1.0,>=1.26.0", _PB_18, "2.18.1"),
    TFLine(19, (3, 9), (3, 12), ">=3.5.0", "~=2.19.0", "<2.2.0,>=1.26.0", _PB_18, "2.19.1"),
    TFLine(20, (3, 9), (3, 13), ">=3.10.0", "~=2.20.1", ">=1.26.0", ">=5.28.0", "2.20.0"),
    TFLine(21, (3, 10), (3, 13), ">=3.12.0", "~=2.21.0", ">=1.26.0", "<8.0.0,>=6.31.1",
           "2.21.0"),
)}
NEWEST_LINE = max(TF_LINES)

# Thresholds that are not a TF line's own pin. Each is written here once; the predicates in
# kerasfix/knowledge/compat.py are the only readers outside this file.
# TensorFlow's lazy loader picks Keras 2 or 3 by what is installed, and reads
# TF_USE_LEGACY_KERAS, from 2.15 (tensorflow/python/util/lazy_loader.py KerasLazyLoader);
# before, tf.keras is hard-wired to keras.api._v2.keras.
KERAS_LOADER_FIRST = Version("2.15")
# keras.api._v2 (where TF 2 loads tf.keras from) ships from keras 2.6; older keras is the
# multi-backend standalone Keras.
KERAS_API_V2_FIRST = Version("2.6")
KERAS_3 = Version("3")  # the first Keras 3 (a Keras major, not a pin)
# A Keras 3 release whose module layout stands for every Keras 3 when the code audit checks a
# dotted path (Keras 3 kept one public layout; 3.5 is TF 2.18's floor).
KERAS_3_REPRESENTATIVE = Version("3.5")
NUMPY_2 = Version("2")  # NumPy 2 changed the C ABI: builds against NumPy 1 do not load with it
NUMPY_2_PYTHON_FLOOR = (3, 9)  # NumPy 2 has no wheels for older Pythons
# NumPy's own words when a module built against NumPy 1 is imported under NumPy 2 (the start of
# its banner; the runtime check detects it, explain matches it, the scan quotes it).
NUMPY_ABI_BANNER = "compiled using NumPy 1.x cannot be run in"
# protobuf < 3.20 has no google.protobuf.internal.builder, which TF 2.12+'s *_pb2 need.
PROTOBUF_BUILDER_FIRST = Version("3.20")
# TF <= 2.11's *_pb2 were generated with protoc < 3.20: a protobuf above their cap refuses them
# ("Descriptors cannot be created directly"); from 2.12 a protobuf above the cap only warns.
PROTOBUF_NEW_GENCODE_TF = Version("2.12")
# TF 2.10-2.12 import keras eagerly in `import tensorflow`; later lines load it on first use.
KERAS_EAGER_IMPORT_LAST = Version("2.12")
# `tensorflow` ships Apple-silicon wheels itself from 2.16 (the tensorflow-macos merge);
# tensorflow-macos from 2.15.1 is a stub (2.15.1 depends on itself, 2.16 on `tensorflow`).
TENSORFLOW_MACOS_MERGED = Version("2.16")
TENSORFLOW_MACOS_STUB_FROM = Version("2.15.1")
TENSORFLOW_GPU_LAST = Version("2.11.0")  # 2.12.0 is an sdist that raises on purpose
AND_CUDA_FIRST = Version("2.14")  # the tensorflow[and-cuda] extra exists from TF 2.14
TRANSFORMERS_TF_LAST = Version("5.0.0.dev0")  # transformers 5 dropped its TensorFlow models

# TF releases whose metadata lets NumPy 2 in although the build was compiled against NumPy 1.
NUMPY_UNCAPPED = (SpecifierSet(">=2.10,<2.12"), SpecifierSet("==2.14.0"))

# keras releases and the oldest Python they install on (their Requires-Python on PyPI).
KERAS_PYTHON_FLOOR: tuple[tuple[str, tuple[int, int]], ...] = (
    (">=3.13", (3, 11)), (">=3.11", (3, 10)), (">=3.0", (3, 9)),
)


def parse_version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def minor_of(version: Version) -> tuple[int, int]:
    return (version.major, version.minor)


def minor_text(version: Version) -> str:
    """'2.16' for 2.16.2."""
    return f"{version.major}.{version.minor}"


def tf_line(version: Version | None) -> TFLine | None:
    """The table row for an installed TF 2.x version (None for 1.x or unknown lines)."""
    if version is None or version.major != 2:
        return None
    return TF_LINES.get(version.minor)


def family_of(name: str | NormalizedName) -> str | None:
    canon = canonicalize_name(name)
    for package, members in IMPORT_PACKAGES.items():
        if canon in members:
            return package
    return None


def numpy_uncapped_release(tf_version: Version) -> bool:
    return any(tf_version in spec for spec in NUMPY_UNCAPPED)


def newest_line_for_python(version: tuple[int, int]) -> TFLine | None:
    """The newest TF line with Linux x86_64 wheels for this CPython (None: no stable TF)."""
    for minor in sorted(TF_LINES, reverse=True):
        if TF_LINES[minor].supports_python(version):
            return TF_LINES[minor]
    return None


@dataclass(frozen=True)
class KerasRoute:
    """What `tf.keras` resolves to, derived from TensorFlow's routing code
    (tensorflow/__init__.py and python/util/lazy_loader.py)."""

    kind: str  # "keras2", "keras3", "tf_keras", "fail"
    module: str | None  # e.g. "keras._tf_keras.keras"
    failure: str | None = None  # the message the user sees on first use of tf.keras


# What the user sees on first use of tf.keras when the route fails (KerasRoute.failure; the
# scan's findings quote the same texts as their symptom).
KERAS_MISSING_MESSAGE = "ImportError: Keras cannot be imported. Check that it is installed."
NO_KERAS_FAILURE = "ModuleNotFoundError: No module named 'keras'"
KERAS3_FIXED_ROUTE_FAILURE = ("ModuleNotFoundError: No module named 'tensorflow.keras' (and for"
                              " tf.keras.X: No module named 'keras.api._v2' or 'keras.api')")
STANDALONE_KERAS_FAILURE = "ModuleNotFoundError: No module named 'keras.api'"
LEGACY_WITHOUT_TF_KERAS_FAILURE = ("Your environment has TF_USE_LEGACY_KERAS set to True, but you"
                                   " do not have the tf_keras package installed ... "
                                   + KERAS_MISSING_MESSAGE)


def route_tf_keras(
    tf_version: Version,
    keras_version: Version | None,
    legacy_env: str | None,
    tf_keras_present: bool,
) -> KerasRoute:
    """Which Keras `tf.keras` becomes for these installed versions and this environment."""
    if tf_version.major != 2 or tf_version < KERAS_LOADER_FIRST:
        # TF <= 2.14: a plain LazyLoader hard-wired to keras.api._v2.keras; no variable read.
        if keras_version is None:
            return KerasRoute("fail", None, NO_KERAS_FAILURE)
        if keras_version >= KERAS_3:
            return KerasRoute("fail", None, KERAS3_FIXED_ROUTE_FAILURE)
        if keras_version < KERAS_API_V2_FIRST:
            return KerasRoute("fail", None, STANDALONE_KERAS_FAILURE)
        return KerasRoute("keras2", "keras.api._v2.keras")
    if legacy_env in LEGACY_KERAS_ON:
        if tf_keras_present:
            return KerasRoute("tf_keras", "tf_keras.api._v2.keras")
        return KerasRoute("fail", None, LEGACY_WITHOUT_TF_KERAS_FAILURE)
    if keras_version is None:
        return KerasRoute("fail", None, KERAS_MISSING_MESSAGE)
    if keras_version >= KERAS_3:
        return KerasRoute("keras3", "keras._tf_keras.keras")
    return KerasRoute("keras2", "keras.api._v2.keras")


ROUTE_MARKERS = (("tf_keras/api/_v", "tf_keras"), ("keras/_tf_keras/keras", "keras3"),
                 ("keras/api/_v", "keras2"))


def route_kind_from_file(path: str | None) -> str | None:
    """Which Keras a loaded `tensorflow.keras` module is, from its __file__."""
    if not path:
        return None
    norm = path.replace("\\", "/")
    return next((kind for marker, kind in ROUTE_MARKERS if marker in norm), None)


def keras_python_floor(keras_version: Version) -> tuple[int, int]:
    for spec, floor in KERAS_PYTHON_FLOOR:
        if keras_version in SpecifierSet(spec):
            return floor
    return (3, 8)


def pin_for_line(line: TFLine, distribution: str) -> str:
    """A requirement that keeps `distribution` on this TF line, e.g. 'tensorflow-cpu==2.18.*'."""
    return f"{distribution}=={line.newest_patch.rsplit('.', 1)[0]}.*"


def keras_requirement_for(line: TFLine) -> str:
    """The keras that fits a TF line: the matching Keras 2 minor (2.13 needs >=2.13.1), or
    TensorFlow's own Keras 3 floor."""
    if line.minor == 13:
        return "keras>=2.13.1,<2.14"
    if line.keras_major == 2:
        return f"keras~=2.{line.minor}.0"
    return f"keras{line.keras}"


def tf_keras_requirement_for(line: TFLine) -> str | None:
    return f"tf-keras{line.tf_keras}" if line.tf_keras else None
