"""Facts about the machine itself (not an environment): what its CPU reports."""

from __future__ import annotations

CPUINFO = "/proc/cpuinfo"


def cpu_reports_avx(cpuinfo: str = CPUINFO) -> bool | None:
    """Whether the CPU lists the avx flag (TensorFlow wheels since 1.6 need it); None where
    there is no /proc/cpuinfo to read (not Linux, or unreadable)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return None
    return " avx " in f" {flags.split(':', 1)[-1].strip()} "
