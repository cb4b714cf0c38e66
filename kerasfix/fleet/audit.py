"""The admin audit of many environments (nothing is executed): `kerasfix.audit/1`.

    audit_document(scans, options, ...) -> dict   the document; audit_markdown.py renders it
    write_audit(doc, path)                        JSON for a .json name, else Markdown
    audit_summary_line(doc, path) -> str          what `kerasfix audit` says when it is done

`kerasfix.audit/1` is the envs/1 header (see envs_json.py) plus "previewed" and "options"
(find_links, no_index, venv_path, carry_over); every environment is its envs/1 entry plus
access ("writable" / "read-only", null: unscannable), status (AuditStatus), strategy (the
recommended one, or null), plan (as in kerasfix fix --dry-run's report, pip's dry-run preview
included when previewed) and admin (for a read-only environment: reason, plan, advice).

Exit codes are envs/1's, with 1 also for a blocked plan or manual steps left (like `kerasfix
fix --dry-run`).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kerasfix.diagnose.scan import ScanResult
from kerasfix.enums import TextEnum
from kerasfix.files import validate_report_path, write_atomic
from kerasfix.fix import planner
from kerasfix.fix.preview import preview_plan
from kerasfix.fleet.envs_json import env_entry, exit_code_of, header, problem_dicts, summary
from kerasfix.fleet.scanning import EnvScan, access_of, default_workers, short_line
from kerasfix.report.fix_report import plan_dict
from kerasfix.textsafe import plural

AUDIT_SCHEMA = "kerasfix.audit/1"


class AuditStatus(TextEnum):
    """What the audit found to do for one environment (its "status")."""

    OK = "ok"  # nothing to fix
    PLAN = "plan"  # a plan that can run
    BLOCKED = "blocked"  # a plan that cannot run here (or could not be made)
    UNSCANNABLE = "unscannable"

# ---------------------------------------------------------------- audit


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "env"


def _options_for(s: EnvScan, options: planner.FixOptions, cwd: str | None,
                 several: bool) -> planner.FixOptions:
    """Without --venv, every environment's fresh venv gets its own folder."""
    if options.venv_path or not several:
        return options
    where = cwd or os.getcwd()
    return dataclasses.replace(options, venv_path=os.path.join(where,
                                                               f".venv-tf-{_slug(s.env.name)}"))


def _as_writable(result: ScanResult) -> ScanResult:
    """The same scan as its owner would see it: writable, not externally managed."""
    interp = dataclasses.replace(result.inventory.interpreter, site_writable=True,
                                 externally_managed=False)
    inv = copy.copy(result.inventory)
    inv.interpreter = interp
    out = copy.copy(result)
    out.inventory = inv
    return out


def _admin(s: EnvScan, options: planner.FixOptions) -> dict[str, Any] | None:
    """For a read-only environment: what to ask its owner for (never sudo)."""
    result = s.result
    if result is None or s.read_only_reason is None:
        return None
    interp = result.inventory.interpreter
    if interp.externally_managed:
        return {"reason": s.read_only_reason, "plan": None,
                "advice": "the system package manager owns this Python: use the fresh-venv plan"
                          " for your work, or ask an administrator to update TensorFlow/Keras"
                          " with the distribution's packages (pip must not touch it)"}
    owner = _as_writable(result)
    strategy = planner.recommend(owner)
    plan = planner.build_plan(owner, strategy, options) if strategy else None
    return {"reason": s.read_only_reason,
            "plan": plan_dict(plan, None) if plan else None,
            "advice": "kerasfix will not change it for you: use the fresh-venv plan for your"
                      " work, or ask the environment's owner (an administrator) to run the"
                      " in-place plan below as that owner"}


def _audit_entry(s: EnvScan, options: planner.FixOptions, with_preview: bool,
                 timeout: float) -> dict[str, Any]:
    entry = env_entry(s)
    access = access_of(s.writable)
    entry["access"] = None if access is None else access.value
    status = AuditStatus.UNSCANNABLE if s.result is None else AuditStatus.OK
    entry.update(status=status.value, strategy=None, plan=None, admin=None)
    result = s.result
    if result is None:
        return entry
    try:
        return _plan_entry(entry, s, result, options, with_preview, timeout)
    except Exception as err:  # a planner problem in one environment must not stop the audit
        entry.update(status=AuditStatus.BLOCKED.value, exit_code=max(entry["exit_code"], 1), plan={
            "strategy": entry["strategy"], "notes": [], "steps": [], "resolves": [],
            "leaves": [], "blocked": short_line(f"kerasfix could not plan it:"
                                               f" {type(err).__name__}: {err}")})
        return entry


def _plan_entry(entry: dict[str, Any], s: EnvScan, result: ScanResult,
                options: planner.FixOptions, with_preview: bool, timeout: float
                ) -> dict[str, Any]:
    strategy = planner.recommend(result)
    if strategy is None:
        return entry
    entry["strategy"] = strategy.value
    entry["admin"] = _admin(s, options)
    plan = planner.build_plan(result, strategy, options)
    preview = None
    if with_preview and not plan.blocked:
        try:
            preview = preview_plan(plan, result.inventory, env=result.env, timeout=timeout)
        except Exception as err:  # a preview problem must not lose the plan
            plan.notes.append(short_line(f"preview failed: {type(err).__name__}: {err}"))
    status = AuditStatus.BLOCKED if plan.blocked else AuditStatus.PLAN
    entry.update(status=status.value, plan=plan_dict(plan, preview))
    if plan.blocked or plan.manual_steps:
        entry["exit_code"] = max(entry["exit_code"], 1)
    return entry


def audit_document(scans: Sequence[EnvScan], options: planner.FixOptions | None = None, *,
                   with_preview: bool = True, preview_timeout: float = 300.0,
                   workers: int | None = None, cwd: str | None = None,
                   problems: Iterable[Any] = ()) -> dict[str, Any]:
    """`kerasfix.audit/1`: per environment the recommended plan (and pip's dry-run preview
    with `with_preview`); nothing is executed."""
    options = options or planner.FixOptions()
    several = len(scans) > 1

    def one(s: EnvScan) -> dict[str, Any]:
        return _audit_entry(s, _options_for(s, options, cwd, several), with_preview,
                            preview_timeout)

    if with_preview and several:
        with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
            entries = list(pool.map(one, scans))
    else:
        entries = [one(s) for s in scans]
    probs = problem_dicts(problems)
    return {**header(AUDIT_SCHEMA), "previewed": with_preview,
            "options": {"find_links": list(options.find_links), "no_index": options.no_index,
                        "venv_path": options.venv_path, "carry_over": options.carry_over},
            "environments": entries, "problems": probs, "summary": summary(entries, probs),
            "exit_code": exit_code_of(entries)}


def write_audit(doc: Mapping[str, Any], path: str | Path) -> Path:
    """The audit as `kerasfix.audit/1` JSON for a .json name, else as Markdown; never through
    a symlink, never half written. Returns where it went."""
    from kerasfix.fleet.audit_markdown import audit_markdown  # it imports this module

    target = validate_report_path(path)
    if target.suffix.lower() == ".json":
        write_atomic(target, json.dumps(doc, indent=2) + "\n")
    else:
        write_atomic(target, audit_markdown(doc))
    return target


def audit_summary_line(doc: Mapping[str, Any], path: str | Path) -> str:
    """One sentence on what the audit found, and where its report is."""
    counts = doc.get("summary", {})
    audited = plural(counts.get("environments", 0), "environment")
    return (f"Audited {audited} (nothing was changed): {counts.get('error', 0)} with errors,"
            f" {counts.get('unscannable', 0)} unscannable. Report: {path}")
