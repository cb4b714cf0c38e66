"""Scan many environments concurrently; one environment's failure never stops the others.

The work is waiting on probe subprocesses, so threads are the right tool; `progress(scan)` is
called from the worker threads as each environment finishes. Each scan runs
`kerasfix.diagnose.scan.scan` on `Target(env.python, "; ".join(env.found_by))` with os.environ
(or `environ`) overlaid by the kernelspec's env block, from `cwd`.

Exit codes per environment: 0 scanned, no error findings; 1 error findings; 2 not scanned.
With `scan --all --fail-on warning`, warnings are 1 too (env_exit_code).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from kerasfix.diagnose.findings import Severity
from kerasfix.diagnose.scan import ScanResult, exit_code_for, scan
from kerasfix.enums import TextEnum
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, KerasfixError
from kerasfix.fix import planner
from kerasfix.inspect.discovery import FoundEnv
from kerasfix.inspect.gpu import GpuInfo, read_gpu
from kerasfix.inspect.target import Target


class EnvSeverity(TextEnum):
    """An environment's worst finding, or that it could not be scanned (envs/1 "severity")."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OK = "ok"  # scanned, nothing found
    UNSCANNABLE = "unscannable"


class Access(TextEnum):
    """Whether the user may change an environment in place (the tables' "access")."""

    WRITABLE = "writable"
    READ_ONLY = "read-only"


SEVERITIES = tuple(EnvSeverity)
EXIT_CODES = {EnvSeverity.ERROR: EXIT_FINDINGS, EnvSeverity.WARNING: EXIT_OK,
              EnvSeverity.INFO: EXIT_OK, EnvSeverity.OK: EXIT_OK,
              EnvSeverity.UNSCANNABLE: EXIT_USAGE}


def default_workers() -> int:
    return max(1, min(8, 2 * (os.cpu_count() or 1)))


def short_line(text: str) -> str:
    return " ".join(text.split())[:300]


# ---------------------------------------------------------------- scanning


@dataclass
class EnvScan:
    env: FoundEnv
    result: ScanResult | None
    error: str | None  # why it could not be scanned (one line)
    writable: bool | None  # None: not scanned
    seconds: float
    read_only_reason: str | None = None  # planner.can_change_in_place, when read-only

    @property
    def severity(self) -> EnvSeverity:
        if self.result is None:
            return EnvSeverity.UNSCANNABLE
        return worst([f.severity.value for f in self.result.findings])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.severity]

    def exit_code_at(self, fail_on: Severity) -> int:
        return env_exit_code(self.severity, fail_on)


def env_exit_code(severity: EnvSeverity, fail_on: Severity = Severity.ERROR) -> int:
    """An environment's exit code: 2 not scanned, else the scan's own rule (scan --fail-on)."""
    if severity in (EnvSeverity.OK, EnvSeverity.UNSCANNABLE):
        return EXIT_CODES[severity]
    return exit_code_for([Severity(severity.value)], fail_on)


def worst(severities: Iterable[str]) -> EnvSeverity:
    """The worst of finding severities ("error", "warning", "info"); OK for none."""
    found = set(severities)
    ranked = (EnvSeverity.ERROR, EnvSeverity.WARNING, EnvSeverity.INFO)
    return next((s for s in ranked if s in found), EnvSeverity.OK)


def access_of(writable: bool | None) -> Access | None:
    """None: not scanned, so not known."""
    if writable is None:
        return None
    return Access.WRITABLE if writable else Access.READ_ONLY


def scan_env(env: FoundEnv, *, timeout: float = 60.0, cwd: str | None = None,
             environ: Mapping[str, str] | None = None, gpu: GpuInfo | None = None) -> EnvScan:
    """Scan one environment; never raises for a bad target."""
    started = time.perf_counter()
    merged = {**(os.environ if environ is None else environ), **env.kernel_env}
    target = Target(env.python, "; ".join(env.found_by) or "discovered")
    try:
        result = scan(target, env=merged, cwd=cwd, timeout=timeout, with_project=False,
                      gpu=gpu)
    except KerasfixError as err:
        return EnvScan(env, None, short_line(str(err)), None, time.perf_counter() - started)
    except Exception as err:  # a kerasfix bug must not stop the other environments
        return EnvScan(env, None, short_line(f"kerasfix failed on it: {type(err).__name__}:"
                                            f" {err}"), None, time.perf_counter() - started)
    reason = planner.can_change_in_place(result.inventory)
    return EnvScan(env, result, None, reason is None, time.perf_counter() - started, reason)


def scan_many(envs: Sequence[FoundEnv], *, workers: int | None = None, timeout: float = 60.0,
              cwd: str | None = None, environ: Mapping[str, str] | None = None,
              progress: Callable[[EnvScan], None] | None = None,
              merge: bool = True) -> list[EnvScan]:
    """Scan every environment, at most `workers` at a time; results in the order given.
    With `merge`, scans that turned out to be one environment are merged (merge_same)."""
    if not envs:
        return []
    out: list[EnvScan | None] = [None] * len(envs)
    gpu = read_gpu()  # one machine: its driver is read once, not once per environment
    with ThreadPoolExecutor(max_workers=workers or default_workers(),
                            thread_name_prefix="kerasfix-scan") as pool:
        futures = {pool.submit(scan_env, env, timeout=timeout, cwd=cwd, environ=environ,
                               gpu=gpu): i for i, env in enumerate(envs)}
        for future in as_completed(futures):
            done = future.result()
            out[futures[future]] = done
            if progress is not None:
                progress(done)
    scans = [s for s in out if s is not None]
    return merge_same(scans) if merge else scans


def _scanned_key(s: EnvScan) -> tuple[str, frozenset[tuple[str, str]]] | None:
    if s.result is None:
        return None
    prefix = os.path.normcase(os.path.realpath(s.result.inventory.interpreter.prefix))
    return prefix, frozenset(s.env.kernel_env.items())


def merge_same(scans: Sequence[EnvScan]) -> list[EnvScan]:
    """Scans whose interpreters reported one sys.prefix (a pyenv shim and the version it runs,
    two paths discovery could not tell apart) become one, at the first one's place; a shim
    gives way to the direct interpreter and its found_by says what it runs through. Different
    kernel env blocks keep scans apart: their diagnoses can differ."""
    groups: dict[object, list[EnvScan]] = {}
    order: list[object] = []
    for i, s in enumerate(scans):
        key: object = _scanned_key(s) or i  # an unscanned one is kept apart, by position
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(s)
    merged = []
    for key in order:
        group = groups[key]
        keep = next((s for s in group if s.env.kind != "shim"), group[0])
        found_by = list(keep.env.found_by)
        for s in group:
            if s is not keep:
                found_by += [f"{how} (via {s.env.python})" for how in s.env.found_by]
        env = dataclasses.replace(keep.env, found_by=tuple(dict.fromkeys(found_by)))
        merged.append(dataclasses.replace(keep, env=env))
    return merged
