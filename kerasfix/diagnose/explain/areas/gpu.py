"""How a scan decides the causes of kerasfix/knowledge/messages/gpu.py.

The scan's GPU findings (the CUDA wheels against TensorFlow's and-cuda pins, the driver,
LD_LIBRARY_PATH, CUDA_VISIBLE_DEVICES, --deep's log lines) back most causes through their
`findings`; the checkers here add what the inventory alone settles: which TensorFlow build is
installed, on which platform, and whether any of its CUDA wheels are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerasfix.diagnose.explain.checkers import CONFIRMED, RULED_OUT, Check, Checker, Context
from kerasfix.knowledge import cuda

if TYPE_CHECKING:
    from kerasfix.inspect.inventory import Distribution


def cpu_only(ctx: Context, tf: Distribution) -> str | None:
    """Why this TensorFlow cannot use an NVIDIA GPU at all (None: it can)."""
    platform = ctx.inv.interpreter.platform
    if platform.startswith("macosx"):
        return "on macOS, which has no CUDA"
    if platform.startswith("win") and tf.version and not cuda.windows_native_gpu(tf.version):
        return (f"on native Windows, where no TensorFlow after {cuda.WINDOWS_NATIVE_GPU_LAST}"
                " uses a GPU")
    if tf.name not in cuda.CUDA_BUILDS:
        return f"{tf.name}, a CPU-only build"
    return None


def _cuda_wheels(ctx: Context) -> list[Distribution]:
    return [d for d in ctx.inv.active_distributions if cuda.is_cuda_wheel(d.name)]


def cpu_only_build(ctx: Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    if tf is None:
        return None
    why = cpu_only(ctx, tf)
    if why:
        return CONFIRMED, (f"{tf.label} is installed: {why}",)
    if ctx.inv.interpreter.platform.startswith("linux"):
        return RULED_OUT, (f"{tf.label} is a CUDA build on Linux",)
    return None


def libraries_missing(ctx: Context) -> Check | None:
    """A CUDA build without a single wheel of its and-cuda extra has no CUDA libraries from
    pip (it may still find a system CUDA: older releases expect one)."""
    tf = ctx.inv.tensorflow()
    if tf is None:
        return None
    why = cpu_only(ctx, tf)
    if why:
        return RULED_OUT, (f"{tf.label} is installed ({why}): it never loads CUDA libraries",)
    if _cuda_wheels(ctx) or not ctx.inv.interpreter.platform.startswith("linux"):
        return None  # the wheel findings (cuda-wheels-missing-some ...) decide
    if tf.raw_version and cuda.has_and_cuda(tf.raw_version, distribution=tf.name):
        return CONFIRMED, (f"{tf.label} is installed without any nvidia-*-cu wheel: its"
                           f' and-cuda extra was never installed (pip install "{tf.name}'
                           f'[and-cuda]=={tf.raw_version}")',)
    return None


def cudnn_mismatch(ctx: Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    if tf is None:
        return None
    why = cpu_only(ctx, tf)
    if why:
        return RULED_OUT, (f"{tf.label} is installed: {why}; the message came from another"
                           " environment",)
    return None  # the wheel, LD_LIBRARY_PATH and --deep findings decide


DECIDES: dict[str, Checker] = {
    "tensorflow-cpu-only-build": cpu_only_build,
    "cuda-libraries-missing": libraries_missing,
    "cudnn-mismatch": cudnn_mismatch,
}
