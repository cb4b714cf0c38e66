"""The scan as a versioned JSON document (`kerasfix.scan/1`), documented in the README."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from kerasfix import __version__
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.scan import ScanResult
from kerasfix.inspect.gpu import GpuInfo
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.inspect.project import Project

if TYPE_CHECKING:
    from kerasfix.inspect.runtime import RuntimeReport

SCAN_SCHEMA = "kerasfix.scan/1"


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity.value,
        "title": f.title,
        "detail": f.detail,
        "symptom": f.symptom,
        "evidence": list(f.evidence),
        "distributions": list(f.distributions),
        "paths": list(f.paths),
        "strategies": [s.value for s in f.strategies],
        "manual": list(f.manual),
        "scenario": f.scenario,
        "runtime": f.runtime,
    }


def distribution_dict(d: Distribution) -> dict[str, Any]:
    return {
        "name": d.name,
        "version": d.raw_version,
        "location": d.location,
        "origin": d.origin,
        "metadata_dir": d.dist_dir,
        "installer": d.installer,
        "active": d.active,
        "import_package_family": d.family,
        "top_level": list(d.tops),
        "record": d.has_record,
        "record_files": d.record_files,
        "missing_files": d.missing_files,
        "editable": d.editable,
        "requires_dist": [str(r) for r in d.requires],
        "requires_python": str(d.requires_python) if d.requires_python else None,
        "errors": list(d.errors),
    }


def stack_dict(inv: Inventory) -> dict[str, Any]:
    tf, keras, tf_keras = inv.tensorflow(), inv.keras(), inv.tf_keras()
    r = inv.keras_route()
    route = {"kind": r.kind, "module": r.module, "failure": r.failure} if r else None
    def pick(d: Distribution | None) -> dict[str, Any] | None:
        return {"name": d.name, "version": d.raw_version, "location": d.location} if d else None

    return {
        "tensorflow": pick(tf), "keras": pick(keras), "tf_keras": pick(tf_keras),
        "numpy": pick(inv.get("numpy")), "protobuf": pick(inv.get("protobuf")),
        "ml_dtypes": pick(inv.get("ml-dtypes")),
        "tf_keras_route": route,
        "TF_USE_LEGACY_KERAS": inv.legacy_keras_env,
    }


def runtime_dict(report: RuntimeReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "timeout": report.timeout,
        "processes": [{
            "group": o.group, "returncode": o.returncode, "signal": o.signal_name,
            "timed_out": o.timed_out, "seconds": round(o.seconds, 3),
            "numpy_abi_banner": o.numpy_abi_banner, "stderr_tail": o.stderr_tail,
            "steps": [{**asdict(s), "step": s.step.value} for s in o.steps],
        } for o in report.outcomes],
    }


def manager_dict(result: ScanResult) -> dict[str, Any]:
    manager = result.manager
    return {"name": manager.name, "installer": manager.installer,
            "evidence": list(manager.evidence), "conda_owned": sorted(manager.conda_owned)}


def gpu_dict(gpu: GpuInfo | None) -> dict[str, Any] | None:
    """The machine's NVIDIA driver and GPUs (None: not read; driver_version null: none)."""
    if gpu is None:
        return None
    return {"driver_version": gpu.driver_version, "source": gpu.source, "wsl": gpu.wsl,
            "gpus": [{"name": g.name, "compute_cap": g.compute_cap} for g in gpu.gpus],
            "summary": gpu.summary(), "problems": list(gpu.problems)}


def project_dict(project: Project | None) -> dict[str, Any] | None:
    if project is None:
        return None
    return {"root": project.root, "tool": project.tool, "evidence": list(project.evidence),
            "manifests": [{"path": m.path, "kind": m.kind} for m in project.manifests],
            "locks": [{"path": path, "tool": tool} for path, tool in project.locks]}


def scan_document(result: ScanResult, exit_code: int, *,
                  fail_on: Severity = Severity.ERROR) -> dict[str, Any]:
    """`exit_code` is the one the command returns, decided with `fail_on` (scan --fail-on)."""
    inv = result.inventory
    interp = inv.interpreter
    pip = inv.get("pip")
    return {
        "schema": SCAN_SCHEMA,
        "kerasfix_version": __version__,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "target": {
            "python": interp.executable,
            "selected_as": result.target.python,
            "reason": result.target.reason,
            "version": interp.version_text,
            "implementation": interp.implementation,
            "platform": interp.platform,
            "kind": interp.kind,
            "prefix": interp.prefix,
            "site_packages": list(interp.site_packages),
            "user_site": interp.user_site,
            "user_site_enabled": interp.user_site_enabled,
            "writable": interp.site_writable,
            "externally_managed": interp.externally_managed,
            "pip": pip.raw_version if pip else None,
            "cwd": interp.cwd,
            "manager": manager_dict(result),
            "project": project_dict(result.project),
            "gpu": gpu_dict(result.gpu),
        },
        "sys_path": [{"index": e.index, "path": e.path, "origin": e.origin, "kind": e.kind,
                      "pth": e.pth} for e in inv.path_entries],
        "stack": stack_dict(inv),
        "distributions": [distribution_dict(d) for d in inv.distributions],
        "findings": [finding_dict(f) for f in result.findings],
        "runtime": runtime_dict(result.runtime),
        "summary": {
            "error": result.count(Severity.ERROR),
            "warning": result.count(Severity.WARNING),
            "info": result.count(Severity.INFO),
            "distributions": len(inv.distributions),
            "seconds": round(result.seconds, 3),
        },
        "fail_on": fail_on.value,
        "exit_code": exit_code,
    }
