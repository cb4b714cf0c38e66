"""The GPU half of the runtime check: what TensorFlow said about GPUs (its devices, its build,
one cuDNN op) and its own C++ log lines (captured from fd 2 while it imported) as findings.

The log lines are TensorFlow's; the patterns are the catalogue's (the wording users pasted in
public threads: tests/corpus/part-e-gpu.json holds those messages).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.runtime import RuntimeReport
from kerasfix.inspect.runtime_steps import RuntimeStep, RuntimeVerdict
from kerasfix.knowledge.messages import gpu as catalogue

# TensorFlow's wording, from the catalogue (kerasfix/knowledge/messages/gpu.py, with the threads
# that show each line). The duplicate factory registrations are harmless: XLA and TensorFlow
# both register the CUDA plugins, the second is refused and logged, GPUs work after it.
LOADED_CUDNN = re.compile(catalogue.LOADED_CUDNN, re.MULTILINE)
DLOPEN, SKIPPED = re.compile(catalogue.DLOPEN), re.compile(catalogue.SKIPPED)
MISSING_LIB, NO_DRIVER = re.compile(catalogue.MISSING_LIB), re.compile(catalogue.NO_DRIVER)
DUPLICATE, CUINIT = re.compile(catalogue.DUPLICATE), re.compile(catalogue.CUINIT)
JIT = re.compile(catalogue.JIT)
HARMLESS_SOURCES = ("https://github.com/tensorflow/tensorflow/issues/62075",
                    "https://github.com/openxla/xla/issues/20803")
CUINIT_MEANING = {
    "CUDA_ERROR_NO_DEVICE": "the driver answers but shows no GPU: CUDA_VISIBLE_DEVICES hides"
                            " them (\"\" or -1), or this machine or container has none",
    "CUDA_ERROR_UNKNOWN": "the driver could not initialise the GPU: the nvidia_uvm module is not"
                          " loaded (often after suspend), the driver was updated without a"
                          " reboot, or /dev/nvidia* is not accessible",
}


@dataclass(frozen=True)
class Seen:
    """What the tensorflow process showed: its log text, GPU facts, TensorFlow's version."""

    text: str
    gpu: dict[str, Any]
    version: str

    @property
    def pin(self) -> str:
        return f'"tensorflow[and-cuda]=={self.version}"'


def tensorflow_log(report: RuntimeReport) -> tuple[list[str], dict[str, Any]]:
    """TensorFlow's own log lines and GPU facts: from the import step, else (a native crash
    before the step row) the stderr tail of the tensorflow process."""
    step = report.step(RuntimeStep.IMPORT_TENSORFLOW)
    data = step.data if step else {}
    lines = [str(line) for line in data.get("tf_log") or ()]
    if not lines:
        outcome = report.outcome_of(RuntimeStep.IMPORT_TENSORFLOW)
        lines = outcome.stderr_tail.splitlines() if outcome else []
    gpu = data.get("gpu")
    return lines, gpu if isinstance(gpu, dict) else {}


def gpu_findings(report: RuntimeReport) -> list[Finding]:
    lines, gpu = tensorflow_log(report)
    step = report.step(RuntimeStep.IMPORT_TENSORFLOW)
    version = str(step.data.get("version") or "2.N.*") if step else "2.N.*"
    seen = Seen("\n".join(lines), gpu, version)
    found = [f for rule in RULES if (f := rule(seen)) is not None]
    summary = _summary(report, gpu)
    return found + ([summary] if summary else [])


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()[:300]
    return None


def _finding(code: str, severity: Severity, title: str, detail: str, evidence: tuple[str, ...],
             **kw: Any) -> Finding:
    return Finding(code=code, severity=severity, title=f"Runtime check: {title}",
                   detail=detail, evidence=evidence, runtime=RuntimeVerdict.CONFIRMED, **kw)


def cudnn_mismatch(seen: Seen) -> Finding | None:
    text = seen.text
    match = LOADED_CUDNN.search(text)
    if match is None:
        return None
    loaded, built = match["loaded"], match["built"]
    conv = seen.gpu.get("conv_error")
    evidence = (match.group(0),) + ((f"a convolution on GPU:0: {conv}",) if conv else ())
    return _finding(
        "cudnn-version-mismatch", Severity.ERROR,
        f"cuDNN {loaded} loaded, TensorFlow was built with cuDNN {built}",
        f"TensorFlow needs cuDNN {built} (same major, equal or newer minor) and got {loaded}:"
        " every convolution on the GPU fails (DNN library initialization failed). The"
        " nvidia-cudnn wheel was moved by another framework (torch, jax) or an older"
        " TensorFlow, or a system/conda libcudnn on LD_LIBRARY_PATH loads first.",
        evidence, symptom=match.group(0), strategies=(S.REPAIR, S.FRESH_VENV),
        manual=(f"python -m pip install {seen.pin} puts back TensorFlow's own cuDNN wheel;"
                " remove other libcudnn folders from LD_LIBRARY_PATH",))


def libraries_missing(seen: Seen) -> Finding | None:
    text = seen.text
    if not DLOPEN.search(text):
        return None
    libs = list(dict.fromkeys(m["lib"] for m in MISSING_LIB.finditer(text)))
    said = _first(DLOPEN, text) or ""
    return _finding(
        "gpu-libraries-missing", Severity.WARNING,
        "TensorFlow cannot load its CUDA libraries and runs on the CPU",
        "TensorFlow found a GPU driver but not the CUDA libraries it was built against"
        + (f" ({', '.join(libs)})" if libs else "") + ", so it skipped registering the GPU."
        " TensorFlow 2.14+ on Linux gets them from its and-cuda extra (pip install"
        ' "tensorflow[and-cuda]"); older releases need the CUDA toolkit and cuDNN of their'
        " tested build configuration on LD_LIBRARY_PATH.",
        (said, *(f"not loaded: {lib}" for lib in libs)), symptom=said, strategies=(S.REPAIR,),
        manual=(f"python -m pip install {seen.pin} (TensorFlow 2.14+ on Linux; see"
                f" {catalogue.TF_PIP_LINUX})",))


def skipped(seen: Seen) -> Finding | None:
    text = seen.text
    if DLOPEN.search(text) or not SKIPPED.search(text):
        return None  # the dlopen warning above says why, in the same log message
    said = _first(SKIPPED, text) or ""
    return _finding("gpu-skipped", Severity.WARNING, "TensorFlow skipped registering the GPU",
                    "TensorFlow saw a GPU but did not register it; the lines before it in"
                    " TensorFlow's log say why.", (said,), symptom=said)


def no_driver(seen: Seen) -> Finding | None:
    text = seen.text
    said = _first(NO_DRIVER, text)
    if said is None:
        return None
    return _finding(
        "gpu-no-driver", Severity.INFO, "TensorFlow found no NVIDIA driver: it runs on the CPU",
        "libcuda (the NVIDIA driver's library) could not be loaded. Normal on a machine without"
        " an NVIDIA GPU; otherwise the driver is not installed, the container was started"
        " without the NVIDIA runtime (docker --gpus all), or WSL2's /usr/lib/wsl/lib is not"
        " on the loader's path.", (said,), symptom=said)


def cuinit(seen: Seen) -> Finding | None:
    text = seen.text
    match = CUINIT.search(text)
    if match is None:
        return None
    status = match["status"]
    meaning = CUINIT_MEANING.get(status, "the CUDA driver refused to initialise")
    return _finding("gpu-cuinit-failed", Severity.WARNING,
                    f"the CUDA driver did not initialise ({status})", f"{meaning}.",
                    (_first(CUINIT, text) or match.group(0),), symptom=match.group(0))


def jit_only(seen: Seen) -> Finding | None:
    text = seen.text
    match = JIT.search(text)
    if match is None:
        return None
    return _finding(
        "gpu-compute-capability-jit", Severity.WARNING,
        f"this TensorFlow has no GPU kernels for compute capability {match['cc']}",
        "The wheel carries kernels for other GPU generations; CUDA compiles them from PTX at"
        " start-up (up to 30 minutes), and GPUs newer than the build may fail outright. A"
        " TensorFlow release built for this GPU's generation fixes it.",
        (_first(JIT, text) or match.group(0),), symptom=match.group(0))


def duplicates(seen: Seen) -> Finding | None:
    text = seen.text
    plugins = list(dict.fromkeys(m["plugin"] for m in DUPLICATE.finditer(text)))
    if not plugins:
        return None
    return _finding(
        "gpu-duplicate-factories", Severity.INFO,
        f"'Unable to register {'/'.join(plugins)} factory' lines are harmless",
        "TensorFlow and XLA both register the CUDA plugins at import; the second registration"
        " is refused and logged as an error, but nothing fails because of it (sources:"
        f" {', '.join(HARMLESS_SOURCES)}).", (_first(DUPLICATE, text) or "",))


RULES: tuple[Callable[[Seen], Finding | None], ...] = (
    cudnn_mismatch, libraries_missing, skipped, no_driver, cuinit, jit_only, duplicates)


def _gpu_names(gpu: dict[str, Any]) -> list[str]:
    names = []
    for row in gpu.get("gpus") or ():
        if isinstance(row, dict):
            name = str(row.get("device_name") or row.get("name"))
            cc = row.get("compute_capability")
            names.append(f"{name} (compute {cc})" if cc else name)
    return names


def _build(gpu: dict[str, Any]) -> dict[str, Any]:
    build = gpu.get("build")
    return build if isinstance(build, dict) else {}


def build_text(gpu: dict[str, Any]) -> str:
    build = _build(gpu)
    if not build.get("is_cuda_build"):
        return "a CPU-only build" if build else "build unknown"
    return (f"a CUDA {build.get('cuda_version', '?')} / cuDNN {build.get('cudnn_version', '?')}"
            " build")


def _summary(report: RuntimeReport, gpu: dict[str, Any]) -> Finding | None:
    """The GPUs TensorFlow sees and its build; nothing for a CPU build on a machine without
    a GPU (nothing about CUDA to say)."""
    names = _gpu_names(gpu)
    build = _build(gpu)
    if not names and not build.get("is_cuda_build"):
        return None
    step = report.step(RuntimeStep.IMPORT_TENSORFLOW)
    version = step.data.get("version") if step else None
    evidence = (f"TensorFlow {version}: {build_text(gpu)}",
                *(f"GPU: {name}" for name in names))
    if gpu.get("conv_error"):
        return _finding("runtime-gpu-op-failed", Severity.ERROR,
                        f"TensorFlow sees {len(names)} GPU(s) but a convolution on GPU:0 fails",
                        f"{gpu['conv_error']}.", (*evidence, f"conv2d: {gpu['conv_error']}"),
                        symptom=str(gpu["conv_error"]), strategies=(S.REPAIR,))
    seen = f"sees {', '.join(names)}" if names else "sees no GPU"
    return _finding("runtime-gpu", Severity.INFO, f"TensorFlow {seen} ({build_text(gpu)})",
                    "What tf.config.list_physical_devices('GPU') and"
                    " tf.sysconfig.get_build_info() answered in the target.", evidence)
