"""Many environments at once: scan them concurrently, summarise, audit, merge fleet reports.

API
    scan_many(envs, *, workers=None, timeout=60, cwd=None, environ=None, progress=None,
              merge=True) -> list[EnvScan]   in the order of `envs`; one env's failure never
                                              stops the others; merge: see merge_same
    merge_same(scans) -> list[EnvScan]   one entry per scanned sys.prefix (shim + its version)
    scan_env(env, *, timeout=60, cwd=None, environ=None) -> EnvScan
    EnvScan(env, result, error, writable, seconds, read_only_reason)
        .severity ("error" / "warning" / "info" / "ok" / "unscannable"), .exit_code (0/1/2)
    summary_rows(scans) -> list[dict]      one row per environment, for a table
    envs_document(scans, problems=(), *, full=False) -> dict          `kerasfix.envs/1`
    env_entry(scan, *, host=None, full=False) -> dict   one environment of that document
    audit_document(scans, options=FixOptions(), *, with_preview=True, preview_timeout=300,
                   workers=None, cwd=None, problems=()) -> dict       `kerasfix.audit/1`
    audit_markdown(doc) -> str             the audit for an admin to read
    merge_reports(paths, *, full=False) -> dict   scan/1 and envs/1 files → one envs/1 document
    merged_rows(doc) -> list[dict]         rows of any envs/1 document (merged or not)
    default_workers() -> int               min(8, 2 × CPUs)

Each scan runs `kerasfix.scan.scan` on `Target(env.python, "; ".join(env.found_by))` with
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

`kerasfix.audit/1` (nothing is executed; previews only ask pip with `install --dry-run`):
    schema, kerasfix_version, generated_at, host, user, previewed, options,
    environments: [{...the envs/1 entry minus `scan`..., access ("writable" / "read-only"),
        status ("ok": nothing to fix / "plan" / "blocked" / "unscannable"), strategy (the
        recommended one, planner.recommend), plan: {strategy, blocked,
        notes, steps: [{kind, title, argv, command, why, automatic, changes, files,
        size_bytes, shared_with, preview_error}], resolves, leaves} | null,
        admin: {reason, advice, plan} | null}],
    problems, summary, exit_code.
Read-only environments (externally managed, or site-packages not writable) get the
fresh-venv plan for the user; for a merely unwritable one, `admin.plan` is the in-place plan
its owner could run as that owner. No command ever contains sudo. Without `--venv`, each
fresh-venv plan gets its own destination `<cwd>/.venv-tf-<name>` so plans do not collide.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasfix import __version__, planner, state
from kerasfix.discovery import FoundEnv
from kerasfix.errors import KerasfixError
from kerasfix.preview import preview_plan
from kerasfix.report_fix import plan_dict, plan_markdown
from kerasfix.report_json import SCAN_SCHEMA, scan_document
from kerasfix.scan import ScanResult, scan
from kerasfix.target import Target
from kerasfix.textsafe import visible_data

ENVS_SCHEMA = "kerasfix.envs/1"
AUDIT_SCHEMA = "kerasfix.audit/1"
SEVERITIES = ("error", "warning", "info", "ok", "unscannable")
EXIT_CODES = {"error": 1, "warning": 0, "info": 0, "ok": 0, "unscannable": 2}


def default_workers() -> int:
    return max(1, min(8, 2 * (os.cpu_count() or 1)))


def _one_line(text: str) -> str:
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
    def severity(self) -> str:
        if self.result is None:
            return "unscannable"
        return _worst([f.severity.value for f in self.result.findings])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.severity]


def _worst(severities: Iterable[str]) -> str:
    found = set(severities)
    return next((s for s in ("error", "warning", "info") if s in found), "ok")


def scan_env(env: FoundEnv, *, timeout: float = 60.0, cwd: str | None = None,
             environ: Mapping[str, str] | None = None) -> EnvScan:
    """Scan one environment; never raises for a bad target."""
    started = time.perf_counter()
    merged = {**(os.environ if environ is None else environ), **env.kernel_env}
    target = Target(env.python, "; ".join(env.found_by) or "discovered")
    try:
        result = scan(target, env=merged, cwd=cwd, timeout=timeout)
    except KerasfixError as err:
        return EnvScan(env, None, _one_line(str(err)), None, time.perf_counter() - started)
    except Exception as err:  # a kerasfix bug must not stop the other environments
        return EnvScan(env, None, _one_line(f"kerasfix failed on it: {type(err).__name__}:"
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
    with ThreadPoolExecutor(max_workers=workers or default_workers(),
                            thread_name_prefix="kerasfix-scan") as pool:
        futures = {pool.submit(scan_env, env, timeout=timeout, cwd=cwd, environ=environ): i
                   for i, env in enumerate(envs)}
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
        key = _scanned_key(s) or i
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


# ---------------------------------------------------------------- envs/1 entries


def _entry_from_scan_doc(doc: Mapping[str, Any], *, name: str | None = None,
                         host: str | None = None, found_by: Sequence[str] | None = None,
                         kernel_env: Mapping[str, str] | None = None,
                         read_only_reason: str | None = None, seconds: float | None = None,
                         full: bool = False) -> dict[str, Any]:
    """One environment of `kerasfix.envs/1` from a `kerasfix.scan/1` document."""
    target = doc.get("target") or {}
    prefix = target.get("prefix") or ""
    if read_only_reason is None and target.get("externally_managed"):
        read_only_reason = "it is externally managed"
    elif read_only_reason is None and target.get("writable") is False:
        read_only_reason = "its site-packages is not writable"
    findings = list(doc.get("findings") or [])
    severity = _worst(f.get("severity", "") for f in findings if isinstance(f, dict))
    summary = doc.get("summary") or {}
    entry = {
        "name": name or os.path.basename(prefix.rstrip("/\\")) or prefix or "?",
        "host": host,
        "path": prefix,
        "interpreter": target.get("selected_as") or target.get("python"),
        "found_by": list(found_by) if found_by is not None else
        [r for r in [target.get("reason")] if r],
        "kernel_env": dict(kernel_env or {}),
        "writable": read_only_reason is None,
        "read_only_reason": read_only_reason,
        "error": None,
        "severity": severity,
        "exit_code": EXIT_CODES[severity],
        "seconds": seconds if seconds is not None else summary.get("seconds"),
        "target": target,
        "stack": doc.get("stack"),
        "summary": summary,
        "findings": findings,
    }
    if full:
        entry["scan"] = dict(doc)
    return entry


def _unscannable_entry(name: str, path: str, interpreter: str, error: str, *,
                       host: str | None = None, found_by: Sequence[str] = (),
                       kernel_env: Mapping[str, str] | None = None,
                       seconds: float | None = None) -> dict[str, Any]:
    return {"name": name, "host": host, "path": path, "interpreter": interpreter,
            "found_by": list(found_by), "kernel_env": dict(kernel_env or {}), "writable": None,
            "read_only_reason": None, "error": error, "severity": "unscannable",
            "exit_code": EXIT_CODES["unscannable"], "seconds": seconds, "target": None,
            "stack": None, "summary": None, "findings": []}


def env_entry(s: EnvScan, *, host: str | None = None, full: bool = False) -> dict[str, Any]:
    """One environment of `kerasfix.envs/1` from a local scan."""
    seconds = round(s.seconds, 3)
    if s.result is None:
        return _unscannable_entry(s.env.name, s.env.prefix, s.env.python, s.error or "?",
                                  host=host, found_by=s.env.found_by,
                                  kernel_env=s.env.kernel_env, seconds=seconds)
    doc = scan_document(s.result, s.exit_code)
    return _entry_from_scan_doc(doc, name=s.env.name, host=host, found_by=s.env.found_by,
                                kernel_env=s.env.kernel_env, read_only_reason=s.read_only_reason,
                                seconds=seconds, full=full)


def _summary(entries: Sequence[Mapping[str, Any]], problems: Sequence[Any]) -> dict[str, Any]:
    counts = {s: sum(1 for e in entries if e.get("severity") == s) for s in SEVERITIES}
    return {"environments": len(entries), **counts,
            "read_only": sum(1 for e in entries if e.get("writable") is False),
            "problems": len(problems)}


def _exit_code(entries: Sequence[Mapping[str, Any]], floor: int = 0) -> int:
    if not entries:
        return 2
    return max([floor, *(int(e.get("exit_code") or 0) for e in entries)])


def _problem_dicts(problems: Iterable[Any]) -> list[dict[str, str]]:
    out = []
    for p in problems:
        if isinstance(p, Mapping):
            out.append({"path": str(p.get("path", "")), "error": str(p.get("error", ""))})
        else:
            path, error = p
            out.append({"path": str(path), "error": str(error)})
    return out


def _header(schema: str) -> dict[str, Any]:
    return {"schema": schema, "kerasfix_version": __version__, "generated_at": state.now(),
            "host": socket.gethostname(), "user": state.who()}


def envs_document(scans: Sequence[EnvScan], problems: Iterable[Any] = (), *,
                  full: bool = False) -> dict[str, Any]:
    """`kerasfix.envs/1` for local scans; `problems` are discovery's (path, message) pairs."""
    entries = [env_entry(s, full=full) for s in scans]
    probs = _problem_dicts(problems)
    return {**_header(ENVS_SCHEMA), "environments": entries, "problems": probs,
            "summary": _summary(entries, probs), "exit_code": _exit_code(entries)}


# ---------------------------------------------------------------- rows


def _version_cell(stack: Mapping[str, Any] | None, key: str, plain: str) -> str | None:
    item = (stack or {}).get(key)
    if not item:
        return None
    version = item.get("version") or "?"
    return version if item.get("name") == plain else f"{version} ({item.get('name')})"


def _row(entry: Mapping[str, Any]) -> dict[str, Any]:
    findings = [f for f in entry.get("findings") or [] if isinstance(f, dict)]
    rank = {"error": 0, "warning": 1, "info": 2}
    worst = min(findings, key=lambda f: rank.get(f.get("severity"), 3), default=None)
    stack = entry.get("stack")
    writable = entry.get("writable")
    return {
        "host": entry.get("host"),
        "name": entry.get("name"),
        "python": entry.get("interpreter"),
        "prefix": entry.get("path"),
        "version": (entry.get("target") or {}).get("version"),
        "tensorflow": _version_cell(stack, "tensorflow", "tensorflow"),
        "keras": _version_cell(stack, "keras", "keras"),
        "tf_keras": _version_cell(stack, "tf_keras", "tf-keras"),
        "severity": entry.get("severity"),
        "finding": entry.get("error") or (worst.get("title") if worst else None),
        "access": None if writable is None else ("writable" if writable else "read-only"),
        "error": entry.get("error"),
    }


def summary_rows(scans: Sequence[EnvScan]) -> list[dict[str, Any]]:
    """Per environment: host (None: here), name, python, prefix, version, tensorflow, keras,
    tf_keras (version, "(dist)" added for another build), severity, finding (worst title, or
    the error), access ("writable" / "read-only" / None), error."""
    return [_row(env_entry(s)) for s in scans]


def merged_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of an envs/1 document (as summary_rows); unreadable files as unscannable rows."""
    rows = [_row(e) for e in doc.get("environments") or [] if isinstance(e, Mapping)]
    for p in doc.get("problems") or [] if doc.get("merged") else []:
        rows.append({"host": None, "name": Path(p["path"]).name, "python": None,
                     "prefix": p["path"], "version": None, "tensorflow": None, "keras": None,
                     "tf_keras": None, "severity": "unscannable", "finding": p["error"],
                     "access": None, "error": p["error"]})
    return rows


# ---------------------------------------------------------------- merging fleet reports


def _load(path: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}"
    except ValueError as err:
        return None, _one_line(f"not JSON: {err}")
    except RecursionError:
        return None, "not a kerasfix report (JSON nested too deeply)"
    if not isinstance(doc, dict):
        return None, "not a kerasfix report (a JSON document, but not an object)"
    schema = doc.get("schema")
    if schema not in (SCAN_SCHEMA, ENVS_SCHEMA):
        return None, (f"schema {schema!r} is not {SCAN_SCHEMA} or {ENVS_SCHEMA}"
                      if schema else "not a kerasfix report (no schema)")
    return doc, None


def _normalised(e: Mapping[str, Any], host: str) -> dict[str, Any]:
    """An envs/1 entry from a file: severity and exit code recomputed, missing keys filled."""
    findings = [f for f in e.get("findings") or [] if isinstance(f, dict)]
    error = e.get("error")
    severity = "unscannable" if error else _worst(f.get("severity", "") for f in findings)
    base = _unscannable_entry(str(e.get("name") or "?"), str(e.get("path") or ""),
                              str(e.get("interpreter") or ""), str(error or ""))
    return {**base, **e, "host": e.get("host") or host, "findings": findings,
            "error": error or None, "severity": severity, "exit_code": EXIT_CODES[severity]}


def _entries_of(doc: Mapping[str, Any], stem: str, full: bool) -> list[dict[str, Any]]:
    """Raises ValueError for a document of the right schema but the wrong shape."""
    try:
        if doc["schema"] == SCAN_SCHEMA:
            if not isinstance(doc.get("target"), dict):
                raise ValueError("no target")
            return [_entry_from_scan_doc(doc, host=doc.get("host") or stem, full=full)]
        envs = doc.get("environments")
        if not isinstance(envs, list):
            raise ValueError(f"'environments' is {type(envs).__name__}, not a list")
        return [_normalised(e, doc.get("host") or stem) for e in envs if isinstance(e, dict)]
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise ValueError(_one_line(f"malformed {doc['schema']} document: {err!r}")) from None


def merge_reports(paths: Sequence[str], *, full: bool = False) -> dict[str, Any]:
    """One `kerasfix.envs/1` document from `kerasfix.scan/1` files (host: the file name stem,
    e.g. `gpu-node-3.json`) and `kerasfix.envs/1` files (host: theirs). Unreadable files,
    non-JSON and other schemas become `problems` entries (and exit code 2), never exceptions."""
    entries: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    sources = []
    for path in paths:
        doc, error = _load(path)
        if doc is None:
            problems.append({"path": str(path), "error": error or "?"})
            continue
        try:
            found = _entries_of(doc, Path(path).stem, full)
        except ValueError as err:
            problems.append({"path": str(path), "error": str(err)})
            continue
        entries += found
        sources.append({"file": str(path), "schema": doc["schema"],
                        "host": doc.get("host") or Path(path).stem, "environments": len(found)})
    header = {**_header(ENVS_SCHEMA), "host": None, "merged": True, "sources": sources}
    return {**header, "environments": entries, "problems": problems,
            "summary": _summary(entries, problems),
            "exit_code": _exit_code(entries, 2 if problems else 0)}


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
            "leaves": [], "blocked": _one_line(f"kerasfix could not plan it:"
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
            plan.notes.append(_one_line(f"preview failed: {type(err).__name__}: {err}"))
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
    probs = _problem_dicts(problems)
    return {**_header(AUDIT_SCHEMA), "previewed": with_preview,
            "options": {"find_links": list(options.find_links), "no_index": options.no_index,
                        "venv_path": options.venv_path, "carry_over": options.carry_over},
            "environments": entries, "problems": probs, "summary": _summary(entries, probs),
            "exit_code": _exit_code(entries)}


# ---------------------------------------------------------------- audit as Markdown


def _md_plan(plan: Mapping[str, Any]) -> list[str]:
    out = [f"Strategy: **{plan['strategy']}**" + (f" — blocked: {plan['blocked']}"
                                                  if plan["blocked"] else ""), ""]
    out += plan_markdown(dict(plan))
    out += [f"- {note}" for note in plan["notes"]]
    return out


def _md_cell(value: Any) -> str:
    return "—" if value in (None, "") else str(value).replace("|", "\\|")


def _md_env(e: Mapping[str, Any]) -> list[str]:
    out = [f"## {e['name']} — {e['status']}", "",
           f"- interpreter: `{e['interpreter']}`", f"- environment: `{e['path']}`",
           f"- found by: {'; '.join(e['found_by']) or '—'}"]
    if e.get("host"):
        out.append(f"- host: {e['host']}")
    if e.get("kernel_env"):
        out.append("- kernel env: " + ", ".join(f"`{k}={v}`" for k, v in e["kernel_env"].items()))
    if e["error"]:
        return [*out, f"- **cannot be scanned**: {e['error']}", ""]
    access = e["access"] + (f" ({e['read_only_reason']})" if e["read_only_reason"] else "")
    out += [f"- Python {(e['target'] or {}).get('version', '?')}, {access}", "", "### Findings",
            ""]
    out += [f"- **{f['severity']}** `{f['code']}` — {f['title']}" for f in e["findings"]] or \
        ["None."]
    if e["plan"]:
        out += ["", "### Plan", "", *_md_plan(e["plan"])]
    elif e["status"] == "ok":
        out += ["", "Nothing to fix."]
    admin = e.get("admin")
    if admin:
        out += ["", "### Read-only", "", f"- why: {admin['reason']}",
                f"- what to do: {admin['advice']}"]
        if admin["plan"]:
            out += ["", "In-place plan for the owner:", "", *_md_plan(admin["plan"])]
    return [*out, ""]


def audit_markdown(doc: Mapping[str, Any]) -> str:
    """An audit/1 document as Markdown an admin can read: who, when, a table, then one section
    per environment (status, findings, the plan with its exact commands, read-only advice)."""
    doc = visible_data(doc, keep="\t")  # the one choke point, as in report_fix.fix_markdown
    s = doc["summary"]
    out = ["# kerasfix audit", "",
           f"By {doc['user']} on {doc['host']}, {doc['generated_at']}, kerasfix"
           f" {doc['kerasfix_version']}. Nothing was changed"
           + ("; pip previews are dry runs." if doc["previewed"] else "; no pip previews."),
           "", f"{s['environments']} environments: {s['error']} with errors, {s['warning']} with"
           f" warnings, {s['unscannable']} unscannable, {s['read_only']} read-only.", "",
           "| environment | Python | TensorFlow | Keras | tf-keras | status | access | worst |",
           "|---|---|---|---|---|---|---|---|"]
    for e, r in zip(doc["environments"], (_row(e) for e in doc["environments"])):
        out.append("| " + " | ".join(_md_cell(v) for v in (
            r["name"], r["version"], r["tensorflow"], r["keras"], r["tf_keras"],
            e["status"] if e["status"] != "ok" else r["severity"], r["access"],
            r["finding"])) + " |")
    out.append("")
    for e in doc["environments"]:
        out += _md_env(e)
    if doc.get("problems"):
        out += ["## Not scanned", ""]
        out += [f"- `{p['path']}`: {p['error']}" for p in doc["problems"]]
        out.append("")
    out += [f"Exit code: {doc['exit_code']}", ""]
    return "\n".join(out)
