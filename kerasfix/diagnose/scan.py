"""The scan: probe a chosen target (kerasfix.cli picks it), build the inventory, run the checks
and, with --deep, the runtime check."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kerasfix.diagnose.checks import run_checks
from kerasfix.diagnose.checks.gpu_machine import machine_findings
from kerasfix.diagnose.findings import Finding, Severity, sort_findings
from kerasfix.diagnose.runtime_findings import compare_route, judge, runtime_findings
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK
from kerasfix.inspect.gpu import GpuInfo, read_gpu
from kerasfix.inspect.inventory import Inventory, build_inventory
from kerasfix.inspect.manager import Manager
from kerasfix.inspect.manager import detect as detect_manager
from kerasfix.inspect.probe import StartedProbe, finish_probe, start_probe
from kerasfix.inspect.project import Project, find_project
from kerasfix.inspect.runtime import RuntimeReport, run_runtime_check
from kerasfix.inspect.target import Target

FAIL_ON = (Severity.ERROR, Severity.WARNING)  # what `scan --fail-on` accepts: info never fails


def exit_code_for(severities: Iterable[Severity], fail_on: Severity = Severity.ERROR) -> int:
    """1 when a finding of `fail_on` or worse remains (--fail-on warning: errors too), else 0."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"cannot fail on {fail_on.value}: only on {', '.join(FAIL_ON)}")
    return EXIT_FINDINGS if any(s.rank >= fail_on.rank for s in severities) else EXIT_OK


@dataclass
class ScanResult:
    target: Target
    inventory: Inventory
    findings: list[Finding]
    seconds: float
    runtime: RuntimeReport | None = None
    notes: list[str] = field(default_factory=list)
    cwd: str | None = None  # where the probe ran: verification must look from the same place
    env: Mapping[str, str] | None = field(default=None, repr=False)
    project: Project | None = None  # the project folder it belongs to (inspect.project)
    gpu: GpuInfo | None = None  # the machine's NVIDIA driver and GPUs (None: not read)

    @functools.cached_property
    def manager(self) -> Manager:
        """Who manages the environment (pip, uv, conda, a project's Poetry ...); worked out
        once: every plan, the header and the JSON ask."""
        return detect_manager(self.inventory, self.project)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def has_errors(self) -> bool:
        return self.count(Severity.ERROR) > 0

    @property
    def exit_code(self) -> int:
        """The scan's exit code: 1 when an error finding remains, else 0."""
        return self.exit_code_at(Severity.ERROR)

    def exit_code_at(self, fail_on: Severity) -> int:
        """The exit code of `scan --fail-on`: 1 when a finding of that severity or worse
        remains (requirements and code findings included: they are in the findings)."""
        return exit_code_for((f.severity for f in self.findings), fail_on)

    @property
    def environment(self) -> Inventory:
        """What a fix plans from and may change: the environment as its own installer sees it,
        without PYTHONPATH, the user site or the current folder (see isolation)."""
        return self.inventory.environment_view()

    @property
    def python(self) -> str:
        """The interpreter the scan really ran (a pyenv shim resolved): every command a plan or
        an undo hint shows uses it, since a shim may point elsewhere tomorrow."""
        return self.inventory.interpreter.executable or self.target.python


def scan(
    target: Target,
    *,
    deep: bool = False,
    timeout: float | None = None,
    deep_timeout: float = 120.0,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    started_probe: StartedProbe | None = None,
    project_dir: str | None = None,
    with_project: bool = True,
    gpu: GpuInfo | None = None,
) -> ScanResult:
    """Scan a target; `started_probe` is a probe the caller already started (see cli).
    The project is `project_dir` (--project), else found walking up from the probe's folder;
    none with `with_project` False (a survey of the machine belongs to no one project).
    `gpu`: the machine's GPU facts when the caller read them already (one read for many)."""
    probe = started_probe or start_probe(target, timeout=timeout, cwd=cwd, env=env)
    started = probe.started  # from the probe's launch, which may precede this call
    if gpu is None:  # the machine's, once per scan (a bounded nvidia-smi) while the probe runs
        gpu = read_gpu()
    inventory = build_inventory(finish_probe(probe))
    findings = sort_findings(run_checks(inventory) + machine_findings(inventory, gpu))
    project = find_project(inventory.interpreter.cwd, project_dir) if with_project else None
    result = ScanResult(target.resolved(inventory.python), inventory, findings,
                        time.perf_counter() - started,
                        cwd=cwd, env=env, project=project, gpu=gpu)
    if deep:
        add_runtime_check(result, timeout=deep_timeout, cwd=cwd, env=env)
    return result


def runtime_groups(inv: Inventory) -> list[str]:
    """Which runtime processes are worth starting for what is installed."""
    groups = []
    if inv.tensorflow() or inv.first_import("tensorflow"):
        groups.append("tensorflow")
    if inv.keras():
        groups.append("keras")
    if inv.tf_keras():
        groups.append("tf_keras")
    return groups


def add_runtime_check(result: ScanResult, *, timeout: float = 120.0, cwd: str | None = None,
                      env: Mapping[str, str] | None = None) -> None:
    """Run the runtime check and fold its verdicts into the result's findings."""

    groups = runtime_groups(result.inventory)
    if not groups:
        result.notes.append("runtime check skipped: nothing to import")
        return
    started = time.perf_counter()
    report = run_runtime_check(result.inventory.python, groups, timeout=timeout,
                               cwd=cwd, env=env)
    result.runtime = report
    expected = result.inventory.keras_route()
    result.findings = sort_findings(judge(result.findings, report) + runtime_findings(report)
                                    + compare_route(expected, report))
    result.seconds += time.perf_counter() - started
