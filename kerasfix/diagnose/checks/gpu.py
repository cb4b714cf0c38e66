"""The CUDA wheels beside TensorFlow, from metadata alone (issue 14; no GPU needed).

pip does not remember which extras were asked for: `pip install tensorflow[and-cuda]` and then
`pip install torch` leaves torch's nvidia-* wheels over TensorFlow's, and TensorFlow (2.14+ on
Linux finds its CUDA libraries in site-packages/nvidia/*/lib) loads whatever is there. Each
nvidia-*-cuNN wheel is compared with the exact pins of TensorFlow's own `and-cuda` extra (the
installed TensorFlow's Requires-Dist, else the committed PyPI metadata), and the other installed
distributions that require the version found are named: they moved it.
The machine side (driver, LD_LIBRARY_PATH) is checks/gpu_machine.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from kerasfix.diagnose.checks.base import applies, check, pip_cmd
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.knowledge import cuda

CODE_MISMATCH = "cuda-wheels-mismatch"
CODE_MISSING = "cuda-wheels-missing-some"
CODE_CPU_BUILD = "cuda-wheels-beside-cpu-build"
CODE_MAJOR = "cuda-major-mismatch"
CODE_WINDOWS = "tensorflow-windows-native-gpu"
CODE_MACOS = "macos-no-cuda"
CODE_METAL = "tensorflow-metal-mismatch"

# TensorFlow's own start-up message when the cuDNN it finds is not the one it was built with
# (stream_executor/cuda/cuda_dnn.cc): the major must match and the minor be at least the build's.
CUDNN_SYMPTOM = ("Loaded runtime CuDNN library: {found} but source was compiled with: {built}."
                 " CuDNN library needs to have matching major version and equal or higher minor"
                 " version.")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
# Which mismatched wheel the title names first: the one TensorFlow checks at start-up.
_TITLE_ORDER = ("cudnn", "cublas", "cuda-runtime")


def _system(inv: Inventory) -> str:
    """Linux, Windows or Darwin (the probe's platform_system marker, else sys.platform)."""
    system = inv.interpreter.markers.get("platform_system")
    if system:
        return system
    platform = inv.interpreter.platform
    return {"win32": "Windows", "darwin": "Darwin"}.get(platform, platform.capitalize())


def _cuda_wheels(inv: Inventory) -> list[Distribution]:
    return [d for d in inv.active_distributions if cuda.is_cuda_wheel(d.name)]


def _tensorflow(inv: Inventory) -> Distribution | None:
    tf = inv.tensorflow()
    return tf if tf is not None and tf.version is not None else None


def _kind(inv: Inventory) -> str:
    machine = inv.interpreter.markers.get("platform_machine", "").lower()
    return cuda.LINUX_AARCH64 if machine in ("aarch64", "arm64") else cuda.LINUX_X86


def tf_pins(inv: Inventory, tf: Distribution) -> dict[str, SpecifierSet]:
    """TensorFlow's and-cuda pins: the installed wheel's own Requires-Dist (exactly this
    release's metadata), else the committed PyPI metadata of the release."""
    own = cuda.pins_from_requires(tf.requires)
    if own:
        return own
    return cuda.and_cuda_pins(tf.raw_version or "", distribution=tf.name, kind=_kind(inv)) or {}


def _may_apply(req: Requirement, inv: Inventory) -> bool:
    """The requirement applies on this target, with any extra it is gated on (pip does not
    remember which extras were asked for: jax[cuda12] pulls nvidia-* through one)."""
    extras = ("", *_EXTRA.findall(str(req.marker))) if req.marker else ("",)
    return applies(req, inv, extras)


@dataclass(frozen=True)
class Requirer:
    dist: Distribution
    req: Requirement

    @property
    def text(self) -> str:
        return f"{self.dist.label} requires {self.req.name}{self.req.specifier}"


def requirers(inv: Inventory, name: str, skip: Distribution | None = None) -> list[Requirer]:
    """The other installed distributions that declare a requirement on `name` here."""
    wanted = canonicalize_name(name)
    return [Requirer(d, req) for d in inv.active_distributions if d is not skip
            for req in d.requires
            if canonicalize_name(req.name) == wanted and _may_apply(req, inv)]


def _linux_cuda_tf(inv: Inventory) -> tuple[Distribution, dict[str, SpecifierSet]] | None:
    """TensorFlow's CUDA build on Linux with CUDA wheels around, and its and-cuda pins."""
    tf = _tensorflow(inv)
    if tf is None or _system(inv) != "Linux" or tf.name not in cuda.CUDA_BUILDS:
        return None
    pins = tf_pins(inv, tf)
    return (tf, pins) if pins and _cuda_wheels(inv) else None


# ---------------------------------------------------------------- cuda-wheels-mismatch


@dataclass(frozen=True)
class Misfit:
    dist: Distribution
    spec: SpecifierSet
    moved_by: tuple[Requirer, ...]  # who requires the version that is there
    blocks: tuple[Requirer, ...]  # who would refuse the version TensorFlow pins

    def evidence(self, tf: Distribution) -> str:
        who = "; ".join(r.text for r in self.moved_by) or _leftover(self.dist)
        return (f"{self.dist.label} installed; {tf.label} [and-cuda] pins"
                f" {self.dist.name}{self.spec}; {who}")


def _leftover(dist: Distribution) -> str:
    pinned_by = cuda.releases_pinning(dist.name, dist.version) if dist.version else []
    if pinned_by:
        return (f"no installed distribution requires it: left by tensorflow[and-cuda]"
                f" {', '.join(pinned_by)}")
    return "no installed distribution requires it"


def _misfits(inv: Inventory, tf: Distribution, pins: dict[str, SpecifierSet]) -> list[Misfit]:
    out = []
    for name, spec in pins.items():
        dist = inv.get(name)
        if dist is None or dist.version is None or spec.contains(dist.version, prereleases=True):
            continue
        others = requirers(inv, name, skip=tf)
        wanted = cuda.wanted_version(spec)
        out.append(Misfit(
            dist, spec,
            tuple(r for r in others if r.req.specifier.contains(dist.version, prereleases=True)),
            tuple(r for r in others if wanted is not None
                  and not r.req.specifier.contains(wanted, prereleases=True))))
    return sorted(out, key=_title_rank)


def _title_rank(misfit: Misfit) -> tuple[int, str]:
    rank = next((i for i, part in enumerate(_TITLE_ORDER) if part in misfit.dist.name),
                len(_TITLE_ORDER))
    return (rank, misfit.dist.name)


def _cudnn_symptom(misfits: list[Misfit]) -> str | None:
    """TensorFlow's refusal, when the cuDNN found is one it refuses (older, or another major)."""
    misfit = next((m for m in misfits if cuda.CUDNN in m.dist.name), None)
    built = cuda.wanted_version(misfit.spec) if misfit else None
    found = misfit.dist.version if misfit else None
    if found is None or built is None or (found.major == built.major and found >= built):
        return None
    return CUDNN_SYMPTOM.format(found=".".join(map(str, found.release[:3])),
                                built=".".join(map(str, built.release[:3])))


def _mismatch_title(tf: Distribution, misfits: list[Misfit]) -> str:
    first = misfits[0]
    more = f" (and {len(misfits) - 1} more CUDA wheels)" if len(misfits) > 1 else ""
    return (f"{first.dist.name} {first.dist.raw_version} is not the {first.spec} that"
            f" TensorFlow {tf.raw_version} pins{more}")


def _mismatch_manual(inv: Inventory, tf: Distribution, blocks: list[Requirer]) -> tuple[str, ...]:
    realign = pip_cmd(inv, "install", f"{tf.name}[and-cuda]=={tf.raw_version}")
    if not blocks:
        return (realign,)
    owners = sorted({r.dist.label for r in blocks})
    return (f"{', '.join(owners)} pin{'s' if len(owners) == 1 else ''} other versions of"
            " TensorFlow's CUDA wheels: one environment cannot hold both. Keep each framework"
            f" in its own environment (kerasfix fix --strategy fresh-venv), or realign this one"
            f" for TensorFlow: {realign}",)


@check
def cuda_wheels_match_tensorflow(inv: Inventory) -> Iterator[Finding]:
    found = _linux_cuda_tf(inv)
    if found is None:
        return
    tf, pins = found
    misfits = _misfits(inv, tf, pins)
    if not misfits:
        return
    blocks = [r for m in misfits for r in m.blocks]
    movers = sorted({r.dist.label for m in misfits for r in m.moved_by})
    yield Finding(
        code=CODE_MISMATCH,
        severity=Severity.ERROR,
        title=_mismatch_title(tf, misfits),
        detail=("TensorFlow loads its CUDA libraries from the nvidia-* wheels in site-packages;"
                " its `and-cuda` extra pins each one exactly, but pip does not remember extras,"
                " so another install moved them"
                + (f" ({', '.join(movers)} requires the versions found)." if movers else ".")
                + " TensorFlow then falls back to the CPU, or stops at start-up when the cuDNN"
                " it finds is older than the one it was built with."),
        symptom=_cudnn_symptom(misfits),
        evidence=tuple(m.evidence(tf) for m in misfits),
        distributions=(tf.label, *(m.dist.label for m in misfits), *movers),
        paths=tuple(m.dist.dist_dir for m in misfits),
        strategies=(S.REPAIR, S.FRESH_VENV) if blocks else (S.REPAIR,),
        manual=_mismatch_manual(inv, tf, blocks),
    )


# ---------------------------------------------------------------- cuda-wheels-missing-some


@check
def cuda_wheels_complete(inv: Inventory) -> Iterator[Finding]:
    found = _linux_cuda_tf(inv)
    if found is None:
        return
    tf, pins = found
    nvidia = [name for name in pins if cuda.is_cuda_wheel(name)]
    missing = [name for name in nvidia if inv.get(name) is None]
    present = [name for name in nvidia if inv.get(name) is not None]
    if not missing or not present:
        return
    yield Finding(
        code=CODE_MISSING,
        severity=Severity.WARNING,
        title=(f"{len(missing)} of the {len(nvidia)} CUDA wheels TensorFlow {tf.raw_version}'s"
               " and-cuda extra pins are missing"),
        detail=("Some of TensorFlow's CUDA wheels are installed and others are not (another"
                " framework brought its own set, or TensorFlow was installed without"
                " [and-cuda]): TensorFlow cannot open the missing libraries and runs on the"
                " CPU."),
        symptom="Cannot dlopen some GPU libraries. ... Skipping registering GPU devices...",
        evidence=(f"missing: {', '.join(f'{n}{pins[n]}' for n in missing)}",
                  f"installed: {', '.join(d.label for d in inv.installed(present))}"),
        distributions=(tf.label,),
        strategies=(S.REPAIR,),
        manual=(pip_cmd(inv, "install", f"{tf.name}[and-cuda]=={tf.raw_version}"),),
    )


# ---------------------------------------------------------------- cuda-major-mismatch


@check
def cuda_major_matches_tensorflow(inv: Inventory) -> Iterator[Finding]:
    found = _linux_cuda_tf(inv)
    if found is None:
        return
    tf, pins = found
    major = cuda.pins_cuda_major(pins)
    other = [d for d in _cuda_wheels(inv) if cuda.wheel_cuda_major(d.name) != major]
    if major is None or not other:
        return
    theirs = sorted({f"-cu{cuda.wheel_cuda_major(d.name)}" for d in other})
    movers = sorted({r.text for d in other for r in requirers(inv, d.name, skip=tf)})
    yield Finding(
        code=CODE_MAJOR,
        severity=Severity.ERROR,
        title=(f"{'/'.join(theirs)} CUDA wheels beside TensorFlow {tf.raw_version}, a CUDA"
               f" {major} build"),
        detail=(f"TensorFlow {tf.raw_version}'s and-cuda extra installs -cu{major} wheels. The"
                " -cuNN wheels of another CUDA major unpack into the same site-packages/nvidia/"
                " folders, so the libraries TensorFlow opens may be the other major's, which it"
                " cannot use."),
        evidence=(*(f"installed: {d.label}" for d in other), *movers),
        distributions=(tf.label, *(d.label for d in other)),
        paths=tuple(d.dist_dir for d in other),
        strategies=(S.REPAIR, S.FRESH_VENV),
        manual=(pip_cmd(inv, "install", f"{tf.name}[and-cuda]=={tf.raw_version}"),),
    )


# ---------------------------------------------------------------- cuda-wheels-beside-cpu-build


@check
def cuda_wheels_beside_cpu_build(inv: Inventory) -> Iterator[Finding]:
    tf, wheels = _tensorflow(inv), _cuda_wheels(inv)
    if tf is None or not wheels or _system(inv) != "Linux" or tf.name in cuda.CUDA_BUILDS:
        return
    movers = sorted({r.dist.label for d in wheels for r in requirers(inv, d.name, skip=tf)})
    yield Finding(
        code=CODE_CPU_BUILD,
        severity=Severity.INFO,
        title=f"{len(wheels)} CUDA wheels beside {tf.label}, a build without CUDA",
        detail=(f"{tf.name} is built without CUDA and never opens the nvidia-* libraries: they"
                " are harmless here"
                + (f" (for {', '.join(movers)})." if movers else ".")
                + " For TensorFlow on the GPU, `tensorflow[and-cuda]` replaces this build."),
        evidence=tuple(f"installed: {d.label}" for d in wheels),
        distributions=(tf.label,),
    )


# ---------------------------------------------------------------- Windows native, macOS


@check
def windows_native_gpu(inv: Inventory) -> Iterator[Finding]:
    tf, gpu = _tensorflow(inv), inv.get("tensorflow-gpu")
    wheels = _cuda_wheels(inv) + ([gpu] if gpu else [])
    if tf is None or tf.version is None or _system(inv) != "Windows" or not wheels \
            or cuda.windows_native_gpu(tf.version):
        return
    last = cuda.WINDOWS_NATIVE_GPU_LAST
    yield Finding(
        code=CODE_WINDOWS,
        severity=Severity.WARNING,
        title=f"TensorFlow {tf.raw_version} has no GPU support on native Windows",
        detail=(f"TensorFlow {last.major}.{last.minor} was the last release that used a GPU on"
                " native Windows; newer releases run on the CPU there whatever CUDA packages are"
                " installed. For the GPU, use TensorFlow inside WSL2 (or tensorflow-cpu with the"
                f" DirectML plugin); source: {cuda.WINDOWS_GPU_SOURCE}."),
        evidence=(f"{tf.label} on Windows ({inv.interpreter.platform})",
                  *(f"installed: {d.label}" for d in wheels)),
        distributions=(tf.label, *(d.label for d in wheels)),
        strategies=(S.MANUAL,),
        manual=("run TensorFlow in WSL2 for the GPU: https://www.tensorflow.org/install/pip"
                "#windows-wsl2",),
    )


@check
def macos_no_cuda(inv: Inventory) -> Iterator[Finding]:
    wheels = _cuda_wheels(inv)
    if not wheels or _system(inv) != "Darwin":
        return
    yield Finding(
        code=CODE_MACOS,
        severity=Severity.INFO,
        title=f"{len(wheels)} CUDA wheels on macOS, which has no CUDA",
        detail=("macOS has no NVIDIA driver or CUDA: TensorFlow never opens these libraries."
                " On Apple silicon, the GPU is reached through the tensorflow-metal plug-in."),
        evidence=tuple(f"installed: {d.label}" for d in wheels),
        distributions=tuple(d.label for d in wheels),
    )


# ---------------------------------------------------------------- tensorflow-metal


def _metal_for(tf: Version) -> str | None:
    """The newest tensorflow-metal release Apple's table pairs with this TF."""
    fits = [v for v in cuda.METAL_PAIRS if cuda.metal_fits(v, tf)]
    return max(fits, key=Version) if fits else None


@check
def tensorflow_metal_pairs(inv: Inventory) -> Iterator[Finding]:
    metal, tf = inv.get("tensorflow-metal"), _tensorflow(inv)
    if metal is None or tf is None or tf.version is None or metal.raw_version is None:
        return
    pair = cuda.metal_pairs(metal.raw_version)
    if pair is None or cuda.metal_fits(metal.raw_version, tf.version) is not False:
        return
    fit = _metal_for(tf.version)
    yield Finding(
        code=CODE_METAL,
        severity=Severity.WARNING,
        title=(f"{metal.label} pairs with {cuda.metal_pairs_text(pair)}, not TensorFlow"
               f" {tf.raw_version}"),
        detail=("tensorflow-metal is a compiled plug-in TensorFlow loads at import; a release"
                " built for another TensorFlow fails to load (NotFoundError: ... Symbol not"
                " found) or is skipped. Apple's table pairs each release with TensorFlow"
                f" lines ({cuda.METAL_TABLE_SOURCE})."),
        symptom="tensorflow.python.framework.errors_impl.NotFoundError: ... Symbol not found",
        evidence=(f"{metal.label}: {cuda.metal_pairs_text(pair)}", f"installed: {tf.label}"),
        distributions=(metal.label, tf.label),
        paths=tuple(inv.tensorflow_plugins),
        strategies=(S.MANUAL,),
        manual=(pip_cmd(inv, "install", f"tensorflow-metal=={fit}") if fit else
                pip_cmd(inv, "uninstall", "-y", "tensorflow-metal"),),
    )
