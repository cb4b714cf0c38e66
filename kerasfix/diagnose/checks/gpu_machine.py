"""The machine side of TensorFlow's GPU (issue 14): the NVIDIA driver against the CUDA runtime
TensorFlow loads, LD_LIBRARY_PATH folders whose cuDNN/cuBLAS the loader takes before the pip
wheels', CUDA_VISIBLE_DEVICES hiding every GPU. The driver facts are the machine's
(kerasfix.inspect.gpu, read once per scan), so those checks take them as an argument;
what the probe saw in the target's environment is a registered check.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from kerasfix.diagnose.checks.base import check
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.gpu import GpuInfo
from kerasfix.inspect.inventory import CudaLibraryDir, Distribution, Inventory
from kerasfix.knowledge import cuda

CODE_DRIVER_OLD = "nvidia-driver-too-old"
CODE_NO_DRIVER = "no-nvidia-driver"
CODE_SHADOWED = "cuda-library-shadowed"
CODE_HIDDEN = "cuda-visible-devices-hides-all"

# TensorFlow's own line when it finds no driver (TF 2.14+ cuda_executor; quoted in
# https://github.com/tensorflow/tensorflow/issues/63362 and many threads like it).
NO_DRIVER_LOG = "Could not find cuda drivers on your machine, GPU will not be used."
# The CUDA runtime refusing an old driver (cudaErrorInsufficientDriver's text).
OLD_DRIVER_LOG = "CUDA driver version is insufficient for CUDA runtime version"
DRIVER_DOWNLOAD = "https://www.nvidia.com/Download/index.aspx"
DEVICES_DOC = ("https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html"
               "#cuda-environment-variables")
RUNTIME_WHEELS = ("nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime-cu11")


def tf_cuda_build(inv: Inventory) -> Distribution | None:
    """The TensorFlow distribution, when it is a CUDA build on Linux (the only place the pip
    CUDA wheels and an NVIDIA driver matter to it)."""
    tf = inv.tensorflow()
    if tf is None or tf.name not in cuda.CUDA_BUILDS:
        return None
    return tf if inv.interpreter.platform.startswith("linux") else None


def cuda_wheels(inv: Inventory) -> list[Distribution]:
    return [d for d in inv.active_distributions if cuda.is_cuda_wheel(d.name)]


def machine_findings(inv: Inventory, gpu: GpuInfo) -> list[Finding]:
    """The checks that need the machine's driver facts besides the inventory."""
    tf = tf_cuda_build(inv)
    if tf is None:
        return []
    if gpu.driver_version is None:
        return list(_no_driver(inv, tf, gpu))
    return [*_driver_too_old(inv, tf, gpu), *_devices_hidden(inv, tf, gpu)]


# ---------------------------------------------------------------- the driver


@dataclass(frozen=True)
class CudaNeed:
    cuda: tuple[int, int]
    because: str  # what says this CUDA is the one TensorFlow loads


def cuda_need(inv: Inventory, tf: Distribution) -> CudaNeed | None:
    """The CUDA runtime TensorFlow loads: the installed nvidia-cuda-runtime wheel's, else the
    CUDA TensorFlow's line was built and tested with (a system CUDA)."""
    runtime = next(iter(inv.installed(RUNTIME_WHEELS)), None)
    if runtime is not None and runtime.version is not None and len(runtime.version.release) > 1:
        release = runtime.version.release
        return CudaNeed((release[0], release[1]), f"installed: {runtime.label}")
    build = cuda.tested_build(tf.raw_version or "")
    if build is None:
        return None
    major, minor = (int(x) for x in build.cuda.split(".")[:2])
    return CudaNeed((major, minor), f"TensorFlow {tf.raw_version} was built and tested with"
                                    f" CUDA {build.cuda} ({cuda.BUILD_TABLE_SOURCE})")


def _driver_too_old(inv: Inventory, tf: Distribution, gpu: GpuInfo) -> Iterator[Finding]:
    # NVIDIA's driver table (knowledge.cuda, DRIVER_TABLE_SOURCE): below the family's
    # minor-version-compatibility minimum the runtime refuses to start; below the toolkit's own
    # driver it runs, but PTX built by a newer toolkit cannot be JIT-compiled by the driver
    # (https://docs.nvidia.com/deploy/cuda-compatibility/index.html, "Minor Version
    # Compatibility": applications that need PTX JIT need the newer driver).
    need, driver = cuda_need(inv, tf), gpu.driver_version
    if need is None or driver is None:
        return
    windows = gpu.wsl  # WSL2: the driver is the Windows host's, with Windows numbering
    floor = cuda.minor_compat_driver(need.cuda[0], windows=windows)
    toolkit = cuda.toolkit_driver(need.cuda, windows=windows)
    if floor is not None and not cuda.driver_at_least(driver, floor):
        yield _old_driver(tf, gpu, need, floor, Severity.ERROR)
    elif toolkit is not None and not cuda.driver_at_least(driver, toolkit):
        yield _old_driver(tf, gpu, need, toolkit, Severity.WARNING)


def _old_driver(tf: Distribution, gpu: GpuInfo, need: CudaNeed, wanted: str,
                severity: Severity) -> Finding:
    cuda_text = f"CUDA {need.cuda[0]}.{need.cuda[1]}"
    if severity is Severity.ERROR:
        detail = (f"The {cuda_text} runtime needs NVIDIA driver {wanted} or newer (the oldest"
                  f" any CUDA {need.cuda[0]}.x runs on); driver {gpu.driver_version} is older,"
                  " so TensorFlow cannot initialise the GPU and runs on the CPU.")
    else:
        detail = (f"{cuda_text} shipped with driver {wanted}; driver {gpu.driver_version} runs"
                  " it only under CUDA minor version compatibility, where kernels that must be"
                  " JIT-compiled from PTX (XLA's) can fail with"
                  " CUDA_ERROR_UNSUPPORTED_PTX_VERSION.")
    where = "in Windows (WSL2 uses the host's driver)" if gpu.wsl else "on this machine"
    return Finding(
        code=CODE_DRIVER_OLD, severity=severity,
        title=f"NVIDIA driver {gpu.driver_version} is older than {cuda_text} needs ({wanted})",
        detail=detail + f" Sources: {cuda.DRIVER_TABLE_SOURCE}.",
        symptom=OLD_DRIVER_LOG if severity is Severity.ERROR else None,
        evidence=(f"driver {gpu.driver_version} (read from {gpu.source})", need.because,
                  f"installed: {tf.label}"),
        distributions=(tf.label,),
        strategies=(S.MANUAL,),
        manual=(f"install NVIDIA driver {wanted} or newer {where} ({DRIVER_DOWNLOAD}), then"
                " reboot",),
    )


def _no_driver(inv: Inventory, tf: Distribution, gpu: GpuInfo) -> Iterator[Finding]:
    wheels = cuda_wheels(inv)
    if not wheels:
        return
    failed = [p for p in gpu.problems if p.startswith("nvidia-smi")]
    need = cuda_need(inv, tf)
    floor = cuda.minor_compat_driver(need.cuda[0]) if need else None
    yield Finding(
        code=CODE_NO_DRIVER,
        # nvidia-smi is there but cannot reach a driver: a GPU machine whose driver is broken
        severity=Severity.WARNING if failed else Severity.INFO,
        title="No NVIDIA driver: TensorFlow will run on the CPU",
        detail=(f"{tf.label} and {len(wheels)} NVIDIA CUDA wheel(s) are installed, but this"
                " machine has no NVIDIA driver loaded (no /proc/driver/nvidia/version"
                + (", and nvidia-smi failed" if failed else "") + "). TensorFlow falls back"
                " to the CPU. That is normal on a machine without an NVIDIA GPU; the CUDA"
                " wheels are then unused weight."),
        symptom=NO_DRIVER_LOG,
        evidence=(*gpu.problems, *(d.label for d in wheels[:6])),
        distributions=(tf.label,),
        manual=((f"on a machine with an NVIDIA GPU: install NVIDIA driver {floor} or newer"
                 f" ({DRIVER_DOWNLOAD})",) if floor else ()),
    )


# ---------------------------------------------------------------- CUDA_VISIBLE_DEVICES


def visible_devices(value: str, count: int | None) -> list[str]:
    """The devices CUDA_VISIBLE_DEVICES leaves visible: the entries before the first invalid
    one (NVIDIA: "If one of the indices is invalid, only the devices whose index precedes the
    invalid index are visible to CUDA applications", DEVICES_DOC). "" and "-1" hide all."""
    visible = []
    for token in (t.strip() for t in value.split(",")):
        index = token.isdigit() and (count is None or int(token) < count)
        if not (index or token.startswith(("GPU-", "MIG-"))):
            break
        visible.append(token)
    return visible


def _devices_hidden(inv: Inventory, tf: Distribution, gpu: GpuInfo) -> Iterator[Finding]:
    value = inv.interpreter.env.get("CUDA_VISIBLE_DEVICES")
    if value is None or visible_devices(value, len(gpu.gpus) or None):
        return
    yield Finding(
        code=CODE_HIDDEN,
        severity=Severity.WARNING,
        title=f"CUDA_VISIBLE_DEVICES={value!r} hides every GPU from TensorFlow",
        detail=("CUDA shows a process only the devices listed before the first invalid entry;"
                f" {value!r} leaves none, so TensorFlow runs on the CPU although driver"
                f" {gpu.driver_version} is loaded. Source: {DEVICES_DOC}."),
        evidence=(f"CUDA_VISIBLE_DEVICES={value!r}", gpu.summary(), f"installed: {tf.label}"),
        distributions=(tf.label,),
        strategies=(S.MANUAL,),
        manual=("unset CUDA_VISIBLE_DEVICES (or list the GPUs to use: export"
                " CUDA_VISIBLE_DEVICES=0)",),
    )


# ---------------------------------------------------------------- LD_LIBRARY_PATH


# libcudnn.so.8, libcudnn_ops.so.9.1.0, libcublasLt.so.12: family, soname major, the rest
_LIB_FILE = re.compile(r"^(libcudnn|libcublas)[A-Za-z_]*\.so\.(\d+)((?:\.\d+)*)$")
_WHEELS = {"libcudnn": ("nvidia-cudnn-cu12", "nvidia-cudnn-cu11"),
           "libcublas": ("nvidia-cublas-cu12", "nvidia-cublas-cu11")}
FAMILY_NAMES = {"libcudnn": "cuDNN", "libcublas": "cuBLAS"}
_WHEEL_DIRS = {"libcudnn": ("nvidia", "cudnn", "lib"), "libcublas": ("nvidia", "cublas", "lib")}


@dataclass(frozen=True)
class Shadow:
    family: str  # libcudnn, libcublas
    folder: str
    files: tuple[str, ...]
    wheel: Distribution
    version: str | None  # from the longest file name: "8.9.2"; None if only the soname


def soname_major(family: str, wheel: Distribution) -> int | None:
    """The soname TensorFlow dlopens from this wheel: libcudnn.so.<cuDNN major>,
    libcublas.so.<CUDA major>."""
    if family == "libcublas":
        return cuda.wheel_cuda_major(wheel.name)
    return wheel.version.major if wheel.version else None


def shadows(inv: Inventory) -> list[Shadow]:
    """Each LD_LIBRARY_PATH folder's libraries with the soname a pip wheel provides, unless it
    is that wheel's own folder or holds the same version."""
    found = []
    for family, names in _WHEELS.items():
        wheel = next(iter(inv.installed(names)), None)
        major = soname_major(family, wheel) if wheel else None
        if wheel is None or major is None:
            continue
        own = os.path.normpath(os.path.join(wheel.location, *_WHEEL_DIRS[family]))
        found += [s for d in inv.cuda_libraries if os.path.normpath(d.folder) != own
                  if (s := _shadow(d, family, major, wheel))]
    return found


def _shadow(lib_dir: CudaLibraryDir, family: str, major: int,
            wheel: Distribution) -> Shadow | None:
    hits = [(f, m) for f in lib_dir.files if (m := _LIB_FILE.match(f))
            and m.group(1) == family and int(m.group(2)) == major]
    if not hits:
        return None
    longest = max((m.group(2) + m.group(3) for _f, m in hits), key=len)
    version = longest if "." in longest else None
    if version and wheel.version and ".".join(map(str, wheel.version.release)).startswith(
            version):
        return None  # the same release as the wheel's: harmless
    return Shadow(family, lib_dir.folder, tuple(f for f, _m in hits), wheel, version)


@check
def cuda_library_shadowed(inv: Inventory) -> Iterator[Finding]:
    # TensorFlow's CUDA builds find the wheels through DT_RUNPATH ($ORIGIN/../nvidia/cudnn/lib
    # ...; read with readelf -d from tensorflow 2.15.1 and 2.18.1's libtensorflow_framework.so.2),
    # and the loader searches LD_LIBRARY_PATH before DT_RUNPATH
    # (https://man7.org/linux/man-pages/man8/ld.so.8.html). Seen in
    # https://github.com/tensorflow/tensorflow/issues/60750 and tensorflow/docs#2251.
    tf = tf_cuda_build(inv)
    found = shadows(inv) if tf else []
    if not tf or not found:
        return
    folders = list(dict.fromkeys(s.folder for s in found))
    yield Finding(
        code=CODE_SHADOWED,
        severity=Severity.WARNING,
        title=(f"LD_LIBRARY_PATH loads {_families(found)} from {', '.join(folders)} instead of"
               " TensorFlow's pip wheels"),
        detail=("The dynamic loader searches LD_LIBRARY_PATH before the RUNPATH that leads"
                f" {tf.label} to site-packages/nvidia/*/lib, so it takes "
                + "; ".join(_describe(s) for s in found)
                + ". A cuDNN or cuBLAS other than the wheels' makes TensorFlow refuse the GPU"
                  " or fail in its first convolution/matmul."),
        symptom=_symptom(tf, found),
        evidence=(f"LD_LIBRARY_PATH={inv.interpreter.env.get('LD_LIBRARY_PATH', '')}",
                  *(f"{s.folder}: {', '.join(s.files[:4])}" for s in found),
                  *_cuda_home(inv, folders)),
        distributions=(tf.label, *dict.fromkeys(s.wheel.label for s in found)),
        paths=tuple(folders),
        strategies=(S.MANUAL,),
        manual=(_unshadow(inv, folders),),
    )


def _families(found: list[Shadow]) -> str:
    return " and ".join(dict.fromkeys(FAMILY_NAMES[s.family] for s in found))


def _describe(s: Shadow) -> str:
    version = s.version or f"a release with the same soname ({s.files[0]})"
    return f"{version} from {s.folder} over {s.wheel.label}'s"


def _symptom(tf: Distribution, found: list[Shadow]) -> str | None:
    """TensorFlow's complaint when the loaded cuDNN is older than the one it was built with
    (its and-cuda pin: TF 2.18 pins 9.3.0.75 and logs "compiled with: 9.3.0",
    https://github.com/tensorflow/tensorflow/issues/60913); newer minors load silently."""
    cudnn = next((s for s in found if s.family == "libcudnn" and s.version), None)
    pins = cuda.and_cuda_pins(tf.raw_version or "") or {}
    spec = next((v for k, v in pins.items() if k.startswith("nvidia-cudnn-")), None)
    built = cuda.wanted_version(spec) if spec is not None else None
    if cudnn is None or cudnn.version is None or built is None:
        return None
    loaded = tuple(int(x) for x in cudnn.version.split("."))
    if loaded[:2] >= built.release[:2]:
        return None
    return (f"Loaded runtime CuDNN library: {cudnn.version} but source was compiled with:"
            f" {'.'.join(map(str, built.release[:3]))}")


def _cuda_home(inv: Inventory, folders: list[str]) -> list[str]:
    env = inv.interpreter.env
    return [f"{name}={env[name]}" for name in ("CUDA_HOME", "CUDA_PATH")
            if env.get(name) and any(f.startswith(env[name].rstrip("/") + "/") for f in folders)]


def _unshadow(inv: Inventory, folders: list[str]) -> str:
    """The exact shell line: LD_LIBRARY_PATH without the shadowing folders."""
    entries = inv.interpreter.env.get("LD_LIBRARY_PATH", "").split(os.pathsep)
    kept = [e for e in entries if e and e not in folders]
    line = f'export LD_LIBRARY_PATH="{os.pathsep.join(kept)}"' if kept else "unset LD_LIBRARY_PATH"
    return (f"{line} (and change it where it is set: your shell profile, a conda activate.d"
            " script or a module load)")
