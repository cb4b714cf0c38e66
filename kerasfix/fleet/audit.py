"""The admin audit of many environments (nothing is executed).

`kerasfix.audit/1`
    audit_markdown(doc) -> str             the audit for an admin to read
    merge_reports(paths, *, full=False) -> dict   scan/1 and envs/1 files → one envs/1 document
    merged_rows(doc) -> list[dict]         rows of any envs/1 document (merged or not)
    default_workers() -> int               min(8, 2 × CPUs)

Each scan runs `kerasfix.diagnose.scan.scan` on `Target(env.python, "; ".join(env.found_by))` with
os.environ (or `environ`) overlaid by the kernelspec's env block, from `cwd`. The work is
waiting on probe subprocesses, so threads are the right tool; `progress(scan)` is called from
the worker threads as each environment finishes.

`kerasfix.envs/1`:
    schema, kerasfix_version, generated_at, host, user (merged: host null, "merged": true,
    "sources": [{file, schema, host, environments}]),
    environments: [{name, host, path (sys.prefix; the discovered folder when unscannable),
        interpreter, found_by, kernel_env, writable (null: unscannable), read_only_reason,
        error (one line, or null), severity, exit_code, seconds,
        target / stack / summary (as in kerasfix.scan/1, null when unscannable), findings,
        scan (the whole kerasfix.scan/1 document, only with full=True)}],
    problems: [{path, error}] (discovery problems; for a merge, files that could not be read),
    summary: {environments, error, warning, info, ok, unscannable (environments by their
        worst severity), read_only, problems},
    exit_code.

Exit codes (per environment, and the document's is the worst of them):
    0  scanned, no error findings;   1  error findings;   2  could not be scanned.
    A document without any environment is 2 (nothing was checked), and so is a merge with an
    unreadable file. Discovery problems alone do not change it. The audit uses the same codes,
    with 1 also for a blocked plan or manual steps left (like `kerasfix fix --dry-run`).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix import planner
from kerasfix.fix.preview import preview_plan
from kerasfix.fleet.envs_json import env_entry, exit_code_of, header, problem_dicts, summary
from kerasfix.fleet.scanning import EnvScan, default_workers, short_line
from kerasfix.report.fix_report import plan_dict

AUDIT_SCHEMA = "kerasfix.audit/1"

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
    entry["access"] = None if s.writable is None else ("writable" if s.writable else
                                                       "read-only")
    entry.update(status="unscannable" if s.result is None else "ok", strategy=None, plan=None,
                 admin=None)
    result = s.result
    if result is None:
        return entry
    try:
        return _plan_entry(entry, s, result, options, with_preview, timeout)
    except Exception as err:  # a planner problem in one environment must not stop the audit
        entry.update(status="blocked", exit_code=max(entry["exit_code"], 1), plan={
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
    entry.update(status="blocked" if plan.blocked else "plan", plan=plan_dict(plan, preview))
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
