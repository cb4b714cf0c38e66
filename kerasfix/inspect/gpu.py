"""The machine's NVIDIA driver and GPUs, read in kerasfix's own process (a fact of the machine,
not of one environment): /proc/driver/nvidia/version, then `nvidia-smi`, bounded.

Nothing here imports TensorFlow or raises: a machine without a driver is normal, and a missing,
failing, hanging or garbled nvidia-smi is recorded in `GpuInfo.problems`.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from dataclasses import dataclass

from kerasfix.inspect.bounded import run_bounded
from kerasfix.textsafe import one_line

PROC_VERSION = "/proc/driver/nvidia/version"
KERNEL_VERSION = "/proc/version"
# WSL2: the Windows host's driver is the driver; this folder gives Linux its libcuda and
# nvidia-smi (https://docs.nvidia.com/cuda/wsl-user-guide/index.html).
WSL_LIB = "/usr/lib/wsl/lib"
QUERY = "driver_version,name,compute_cap"
# Drivers before R510 have no compute_cap field: 'Field "compute_cap" is not a valid field to
# query.' (https://github.com/huggingface/candle/issues/733, driver 470.182.03).
QUERY_OLD = "driver_version,name"
MAX_GPUS = 64  # a bound on what is read from a (possibly garbled) nvidia-smi
# "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 ..." (proprietary) or
# "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build ..." (open;
# https://github.com/nix-community/nixGL/issues/186): the first dotted number after "Module".
_NVRM = re.compile(r"^NVRM version:.*?Module\b.*?\s(\d+\.\d+(?:\.\d+)?)(?:\s|$)", re.M)
_DRIVER = re.compile(r"^\d+\.\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Gpu:
    name: str
    compute_cap: str | None  # "8.0"; None when nvidia-smi cannot say (drivers before R510)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.compute_cap})" if self.compute_cap else self.name


@dataclass(frozen=True)
class GpuInfo:
    driver_version: str | None = None
    gpus: tuple[Gpu, ...] = ()
    source: str | None = None  # "proc", "nvidia-smi", or None: no driver found
    wsl: bool = False
    problems: tuple[str, ...] = ()  # what could not be read, one line each

    def summary(self) -> str:
        """One line for a header: "driver 550.54.14 · NVIDIA A100-SXM4-40GB (8.0)"."""
        if not self.driver_version:
            return "no NVIDIA driver" + (" (WSL2: none from the Windows host)" if self.wsl else "")
        parts = [f"driver {self.driver_version}"]
        if self.gpus:
            parts.append(gpu_labels(self.gpus))
        if self.wsl:
            parts.append("WSL2 (the Windows host's driver)")
        return " · ".join(parts)


def gpu_labels(gpus: tuple[Gpu, ...]) -> str:
    """"2× NVIDIA A100 (8.0), NVIDIA T4 (7.5)": identical cards counted once."""
    counts: dict[str, int] = {}
    for gpu in gpus:
        counts[gpu.label] = counts.get(gpu.label, 0) + 1
    return ", ".join(f"{n}× {label}" if n > 1 else label for label, n in counts.items())


def read_gpu(proc_path: str = PROC_VERSION, smi: str = "nvidia-smi", timeout: float = 5.0, *,
             wsl_lib: str = WSL_LIB, kernel_version: str = KERNEL_VERSION) -> GpuInfo:
    """The driver from the kernel module's /proc file (no process started), the GPUs from
    nvidia-smi when it is found (on PATH, or WSL2's copy)."""
    wsl = is_wsl(wsl_lib, kernel_version)
    proc_driver = driver_from_proc(_read(proc_path) or "")
    problems: list[str] = []
    gpus: tuple[Gpu, ...] = ()
    smi_driver = None
    found = find_smi(smi, wsl_lib if wsl else None)
    if found:
        smi_driver, gpus, problem = query_smi(found, timeout)
        problems += [problem] if problem else []
    elif proc_driver:
        problems.append(f"{smi} not found: the GPUs' names are unknown")
    driver = proc_driver or smi_driver
    source = "proc" if proc_driver else "nvidia-smi" if smi_driver else None
    return GpuInfo(driver, gpus, source, wsl, tuple(problems))


def is_wsl(wsl_lib: str = WSL_LIB, kernel_version: str = KERNEL_VERSION) -> bool:
    """WSL2: its driver folder exists, or the kernel names Microsoft ("...-microsoft-standard-
    WSL2" in /proc/version)."""
    return os.path.isdir(wsl_lib) or "microsoft" in (_read(kernel_version) or "").lower()


def driver_from_proc(text: str) -> str | None:
    match = _NVRM.search(text)
    return match.group(1) if match else None


def find_smi(smi: str, wsl_lib: str | None) -> str | None:
    """nvidia-smi as given (a path), on PATH, or in WSL2's folder (often not on PATH)."""
    if os.sep in smi:
        return smi if os.path.isfile(smi) else None
    found = shutil.which(smi)
    if found is None and wsl_lib:
        candidate = os.path.join(wsl_lib, smi)
        found = candidate if os.path.isfile(candidate) else None
    return found


def query_smi(smi: str, timeout: float) -> tuple[str | None, tuple[Gpu, ...], str | None]:
    """(driver, GPUs, problem). Retried without compute_cap on drivers that lack the field."""
    out, problem = _run_query(smi, QUERY, timeout)
    if problem and "compute_cap" in problem and "not a valid field" in problem:
        out, problem = _run_query(smi, QUERY_OLD, timeout)
    if problem:
        return None, (), problem
    return parse_smi_csv(out)


def _run_query(smi: str, fields: str, timeout: float) -> tuple[str, str | None]:
    try:
        done = run_bounded([smi, f"--query-gpu={fields}", "--format=csv,noheader"], timeout)
    except OSError as err:
        return "", f"nvidia-smi could not start: {one_line(str(err))}"
    out = done.stdout.decode("utf-8", "replace")
    if done.timed_out:
        return "", f"nvidia-smi did not answer within {timeout:g} s (stopped)"
    if done.returncode != 0:
        said = one_line((out + " " + done.stderr.decode("utf-8", "replace")).strip())[:300]
        return "", f"nvidia-smi exited {done.returncode}: {said or 'no message'}"
    return out, None


def parse_smi_csv(out: str) -> tuple[str | None, tuple[Gpu, ...], str | None]:
    """Rows "550.54.14, NVIDIA A100-SXM4-40GB, 8.0"; a row of another shape is garbage."""
    lines = [line for line in out.splitlines() if line.strip()][:MAX_GPUS]
    rows = list(csv.reader(lines, skipinitialspace=True))
    gpus: list[Gpu] = []
    drivers: list[str] = []
    for row in rows:
        cells = [c.strip() for c in row]
        if len(cells) not in (2, 3) or not _DRIVER.match(cells[0]) or not cells[1]:
            return None, (), f"nvidia-smi printed something unexpected: {one_line(out)[:200]!r}"
        cap = cells[2] if len(cells) == 3 and re.fullmatch(r"\d+\.\d+", cells[2]) else None
        drivers.append(cells[0])
        gpus.append(Gpu(cells[1], cap))
    if not gpus:
        return None, (), "nvidia-smi listed no GPU"
    return drivers[0], tuple(gpus), None


def _read(path: str, limit: int = 65536) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return None
