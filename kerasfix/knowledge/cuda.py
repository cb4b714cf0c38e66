"""The GPU half of a TensorFlow install, as data: the CUDA wheels TensorFlow's `and-cuda` extra
pins (read from the committed PyPI metadata, tf-keras-matrix.json, never retyped), the NVIDIA
driver each CUDA toolkit needs, the cuDNN/CUDA versions TensorFlow's builds were tested with, and
the tensorflow-metal pairing. Each small table names the public page it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from kerasfix.knowledge import releases

AND_CUDA = "and-cuda"
NVIDIA_PREFIX = "nvidia-"
# nvidia-cudnn-cu12, nvidia-cuda-runtime-cu11 ...: NVIDIA's pip wheels carry the CUDA major in
# their name (the -cuNN suffix); the ones without it (nvidia-ml-py ...) are not CUDA libraries.
_CUDA_WHEEL = re.compile(r"^nvidia-[a-z0-9-]+-cu(\d+)$")
CUDNN = "cudnn"

# Distributions whose `tensorflow/` is a CUDA build on Linux (the others are CPU-only builds or
# ROCm: nvidia-* wheels beside them are never loaded).
CUDA_BUILDS: frozenset[str] = frozenset({"tensorflow", "tf-nightly", "tensorflow-gpu",
                                         "tf-nightly-gpu"})


def is_cuda_wheel(name: str) -> bool:
    """An NVIDIA CUDA library wheel (nvidia-*-cuNN)."""
    return _CUDA_WHEEL.match(canonicalize_name(name)) is not None


def wheel_cuda_major(name: str) -> int | None:
    """12 for nvidia-cudnn-cu12; None for a name that is not a CUDA library wheel."""
    found = _CUDA_WHEEL.match(canonicalize_name(name))
    return int(found.group(1)) if found else None


def is_and_cuda(req: Requirement) -> bool:
    """A Requires-Dist line that only the `and-cuda` extra asks for."""
    if req.marker is None:
        return False
    return req.marker.evaluate({"extra": AND_CUDA}) and not req.marker.evaluate({"extra": ""})


def pins_from_requires(requires: tuple[Requirement, ...] | list[Requirement]
                       ) -> dict[str, SpecifierSet]:
    """The and-cuda requirements of one distribution's Requires-Dist, by normalized name ({}
    if none)."""
    return {str(canonicalize_name(r.name)): r.specifier for r in requires if is_and_cuda(r)}


# Which wheel's metadata to read for a platform (the kinds tf-keras-matrix.json records).
LINUX_X86 = "linux-x86"
LINUX_AARCH64 = "linux-aarch64"


@cache
def _release_pins(distribution: str, version: str, kind: str) -> dict[str, SpecifierSet] | None:
    row = releases.release(distribution, version)
    if row is None:
        return None
    wheels = {w["kind"]: w for w in row.get("wheels_read", [])}
    wheel = wheels.get(kind) or wheels.get(LINUX_X86)
    if wheel is None:
        return None
    reqs = []
    for line in wheel.get("requires_dist") or []:
        try:
            reqs.append(Requirement(line))
        except InvalidRequirement:
            continue
    return pins_from_requires(reqs)


def and_cuda_pins(tf_version: str, *, distribution: str = "tensorflow", kind: str = LINUX_X86
                  ) -> dict[str, SpecifierSet] | None:
    """TensorFlow's `and-cuda` extra for one release, from its real Linux wheel metadata:
    {"nvidia-cudnn-cu12": SpecifierSet("==9.3.0.75"), ...}. None when kerasfix holds no
    metadata for that exact release or the release has no such extra (before 2.14)."""
    pins = _release_pins(distribution, tf_version, kind)
    return dict(pins) if pins else None


def has_and_cuda(tf_version: str, *, distribution: str = "tensorflow") -> bool | None:
    """Whether the release has an `and-cuda` extra (None: kerasfix holds no metadata for it)."""
    if releases.release(distribution, tf_version) is None:
        return None
    return bool(_release_pins(distribution, tf_version, LINUX_X86))


def pins_cuda_major(pins: dict[str, SpecifierSet]) -> int | None:
    """The CUDA major a set of and-cuda pins asks for (from the wheels' -cuNN names)."""
    majors = {m for name in pins if (m := wheel_cuda_major(name)) is not None}
    return majors.pop() if len(majors) == 1 else None


def cuda_major(tf_version: str, *, distribution: str = "tensorflow") -> int | None:
    """CUDA 11 or 12 for a TF release: from its and-cuda wheels' names, else from the tested
    build configurations of its line (None when neither knows it)."""
    pins = and_cuda_pins(tf_version, distribution=distribution)
    if pins and (major := pins_cuda_major(pins)) is not None:
        return major
    build = tested_build(tf_version)
    return int(build.cuda.split(".")[0]) if build else None


def releases_pinning(name: str, version: Version, *, distribution: str = "tensorflow"
                     ) -> list[str]:
    """The TF releases kerasfix holds whose and-cuda extra pins this wheel version: whose
    `tensorflow[and-cuda]` left it here (["2.16.1", "2.16.2", "2.17.1"] for cuDNN 8.9.7.29)."""
    wanted = str(canonicalize_name(name))
    return [row["version"] for row in releases.releases(distribution)
            if (spec := (_release_pins(distribution, row["version"], LINUX_X86) or {}).get(wanted))
            is not None and spec.contains(version, prereleases=True)]


def wanted_version(spec: SpecifierSet) -> Version | None:
    """The version a pin names: its == version, else its lower bound (>= 9.3.0.75)."""
    for op in ("==", ">=", "~="):
        for item in spec:
            if item.operator == op and "*" not in item.version:
                try:
                    return Version(item.version)
                except InvalidVersion:
                    return None
    return None


# ---------------------------------------------------------------- NVIDIA driver per CUDA
# Source: NVIDIA CUDA Toolkit Release Notes, https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html
# section "CUDA Driver" (Table 3 "CUDA Toolkit and Corresponding Driver Versions" in the 12.x
# editions; read from the 13.4 Update 1 edition's "Older CUDA versions (12.9 and earlier)" table
# and its "Driver Range for Minor Version Compatibility" table).
DRIVER_TABLE_SOURCE = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html"


@dataclass(frozen=True)
class ToolkitDriver:
    """One row: a CUDA toolkit release and the driver it ships with (its "toolkit driver")."""

    toolkit: str  # as the table names it: "12.5 Update 1"
    cuda: tuple[int, int]
    linux: str
    windows: str


TOOLKIT_DRIVERS: tuple[ToolkitDriver, ...] = tuple(
    ToolkitDriver(label, (int(label.split(".")[0]), int(label.split(".")[1].split(" ")[0])),
                  linux, windows)
    for label, linux, windows in (
        ("12.9 Update 1", "575.57.08", "576.57"), ("12.9 GA", "575.51.03", "576.02"),
        ("12.8 Update 1", "570.124.06", "572.61"), ("12.8 GA", "570.26", "570.65"),
        ("12.6 Update 3", "560.35.05", "561.17"), ("12.6 Update 2", "560.35.03", "560.94"),
        ("12.6 Update 1", "560.35.03", "560.94"), ("12.6 GA", "560.28.03", "560.76"),
        ("12.5 Update 1", "555.42.06", "555.85"), ("12.5 GA", "555.42.02", "555.85"),
        ("12.4 Update 1", "550.54.15", "551.78"), ("12.4 GA", "550.54.14", "551.61"),
        ("12.3 Update 1", "545.23.08", "546.12"), ("12.3 GA", "545.23.06", "545.84"),
        ("12.2 Update 2", "535.104.05", "537.13"), ("12.2 Update 1", "535.86.09", "536.67"),
        ("12.2 GA", "535.54.03", "536.25"), ("12.1 Update 1", "530.30.02", "531.14"),
        ("12.1 GA", "530.30.02", "531.14"), ("12.0 Update 1", "525.85.12", "528.33"),
        ("12.0 GA", "525.60.13", "527.41"), ("11.8 GA", "520.61.05", "520.06"),
        ("11.7 Update 1", "515.48.07", "516.31"), ("11.7 GA", "515.43.04", "516.01"),
        ("11.6 Update 2", "510.47.03", "511.65"), ("11.6 Update 1", "510.47.03", "511.65"),
        ("11.6 GA", "510.39.01", "511.23"), ("11.5 Update 2", "495.29.05", "496.13"),
        ("11.5 Update 1", "495.29.05", "496.13"), ("11.5 GA", "495.29.05", "496.04"),
        ("11.4 Update 4", "470.82.01", "472.50"), ("11.4 Update 3", "470.82.01", "472.50"),
        ("11.4 Update 2", "470.57.02", "471.41"), ("11.4 Update 1", "470.57.02", "471.41"),
        ("11.4.0 GA", "470.42.01", "471.11"), ("11.3.1 Update 1", "465.19.01", "465.89"),
        ("11.3.0 GA", "465.19.01", "465.89"), ("11.2.2 Update 2", "460.32.03", "461.33"),
        ("11.2.1 Update 1", "460.32.03", "461.09"), ("11.2.0 GA", "460.27.03", "460.82"),
        ("11.1.1 Update 1", "455.32", "456.81"), ("11.1 GA", "455.23", "456.38"),
        ("11.0.3 Update 1", "450.51.06", "451.82"), ("11.0.2 GA", "450.51.05", "451.48"),
    ))

# CUDA minor version compatibility (same page): an application built with any 11.x/12.x toolkit
# runs on a driver of at least the family's minimum. 12.x ">= 525" (the earliest 12.x toolkit
# driver, CUDA 12.0 GA, is 525.60.13: that value is used); 11.x needs 450.80.02 on Linux
# (452.39 on Windows), the note under that table; 13.x ">= 580".
MINOR_COMPAT_DRIVER: dict[int, tuple[str, str]] = {
    11: ("450.80.02", "452.39"),
    12: ("525.60.13", "527.41"),
    13: ("580", "580"),
}


def minor_compat_driver(major: int, *, windows: bool = False) -> str | None:
    """The oldest driver any CUDA `major`.x runtime runs on (minor version compatibility), as
    NVIDIA writes it ("525.60.13")."""
    row = MINOR_COMPAT_DRIVER.get(major)
    return (row[1] if windows else row[0]) if row else None


def toolkit_driver(cuda: tuple[int, int], *, windows: bool = False) -> str | None:
    """The driver the CUDA major.minor toolkit's GA release shipped with (the lowest row of that
    minor): what its new features need beyond minor version compatibility."""
    rows = [r.windows if windows else r.linux for r in TOOLKIT_DRIVERS if r.cuda == cuda]
    return min(rows, key=driver_key) if rows else None


def driver_key(version: str) -> tuple[int, ...]:
    """A driver version as numbers, for comparing ("555.42.02" -> (555, 42, 2))."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def driver_at_least(installed: str, needed: str) -> bool:
    """Whether an installed driver ("550.54.15") meets a minimum from the table."""
    return driver_key(installed) >= driver_key(needed)


# ---------------------------------------------------------------- TensorFlow's tested builds
# Source: tensorflow.org "Build from source" > "Tested build configurations" > Linux > GPU,
# https://www.tensorflow.org/install/source#gpu (site/en/install/source.md in tensorflow/docs,
# read at commit 7c3650212740204359d4ceae481abc79345541be, 2026-03-11).
BUILD_TABLE_SOURCE = "https://www.tensorflow.org/install/source#gpu"


@dataclass(frozen=True)
class TestedBuild:
    release: str  # the row's release: "tensorflow-2.18.0"
    cudnn: str
    cuda: str


TESTED_BUILDS: dict[tuple[int, int], TestedBuild] = {
    (2, minor): TestedBuild(f"tensorflow-2.{minor}.{patch}", cudnn, cuda)
    for minor, patch, cudnn, cuda in (
        (21, 0, "9.3", "12.5"), (20, 0, "9.3", "12.5"), (19, 0, "9.3", "12.5"),
        (18, 0, "9.3", "12.5"), (17, 0, "8.9", "12.3"), (16, 1, "8.9", "12.3"),
        (15, 0, "8.9", "12.2"), (14, 0, "8.7", "11.8"), (13, 0, "8.6", "11.8"),
        (12, 0, "8.6", "11.8"), (11, 0, "8.1", "11.2"), (10, 0, "8.1", "11.2"),
        (9, 0, "8.1", "11.2"), (8, 0, "8.1", "11.2"), (7, 0, "8.1", "11.2"),
        (6, 0, "8.1", "11.2"), (5, 0, "8.1", "11.2"), (4, 0, "8.0", "11.0"),
    )
}


def tested_build(tf_version: str) -> TestedBuild | None:
    """The cuDNN and CUDA TensorFlow's line was built and tested with (by major.minor)."""
    try:
        release = Version(tf_version).release
    except InvalidVersion:
        return None
    return TESTED_BUILDS.get((release[0], release[1] if len(release) > 1 else 0))


# ---------------------------------------------------------------- Windows native
# Source: https://www.tensorflow.org/install/pip#windows-native ("TensorFlow 2.10 was the last
# TensorFlow release that supported GPU on native-Windows"; site/en/install/pip.md, same commit).
WINDOWS_GPU_SOURCE = "https://www.tensorflow.org/install/pip#windows-native"
WINDOWS_NATIVE_GPU_LAST = Version("2.10")


def windows_native_gpu(tf_version: Version) -> bool:
    """Whether TensorFlow on native Windows can still use a GPU (2.10 and older)."""
    return (tf_version.major, tf_version.minor) <= (WINDOWS_NATIVE_GPU_LAST.major,
                                                    WINDOWS_NATIVE_GPU_LAST.minor)


# ---------------------------------------------------------------- tensorflow-metal
# Source: the table in tensorflow-metal's own PyPI description (Apple's page,
# https://developer.apple.com/metal/tensorflow-plugin/, sends readers to it), read from the
# METADATA of tensorflow_metal-1.2.0-cp311-cp311-macosx_12_0_arm64.whl
# (https://pypi.org/project/tensorflow-metal/1.2.0/). Its last row, added in 1.2.0, reads
# "v2.18 | v1.1.0 | Fixes compatibility with 2.18+ TF versions": the fix is 1.2.0's (1.1.0's
# own description ends at "v2.14 | v1.1.0"), so 1.2.0 pairs with 2.18 and later.
METAL_TABLE_SOURCE = "https://pypi.org/project/tensorflow-metal/1.2.0/"

# tensorflow-metal release -> the TF minor lines it pairs with (first, last; None: open).
METAL_PAIRS: dict[str, tuple[int, int | None]] = {
    "0.1.2": (5, 5), "0.2.0": (6, 6), "0.3.0": (7, 7), "0.4.0": (8, 8), "0.5.0": (9, 9),
    "0.6.0": (10, 10), "0.7.0": (11, 11), "0.8.0": (12, 12), "1.0.0": (13, 13),
    "1.1.0": (14, 18), "1.2.0": (18, None),
}


def metal_pairs(metal_version: str) -> tuple[int, int | None] | None:
    """The TF 2.x minors a tensorflow-metal release pairs with (None: not in Apple's table)."""
    return METAL_PAIRS.get(metal_version)


def metal_pairs_text(pair: tuple[int, int | None]) -> str:
    first, last = pair
    if last is None:
        return f"TF 2.{first} and newer"
    return f"TF 2.{first}" if first == last else f"TF 2.{first}-2.{last}"


def metal_fits(metal_version: str, tf_version: Version) -> bool | None:
    """Whether tensorflow-metal pairs with this TF (None: the release is not in the table)."""
    pair = metal_pairs(metal_version)
    if pair is None or tf_version.major != 2:
        return None
    first, last = pair
    return first <= tf_version.minor and (last is None or tf_version.minor <= last)
