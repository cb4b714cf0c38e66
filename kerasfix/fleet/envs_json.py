"""The fleet document `kerasfix.envs/1`: local scans, their table rows, and merged reports.

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
    fail_on ("error" or "warning", `scan --all --fail-on`; a merge: "error"), exit_code.

Exit codes (per environment, and the document's is the worst of them):
    0  scanned, no error findings;   1  error findings;   2  could not be scanned.
    With fail_on "warning", warning findings are 1 too.
    A document without any environment is 2 (nothing was checked), and so is a merge with an
    unreadable file. Discovery problems alone do not change it. The audit uses the same codes,
    with 1 also for a blocked plan or manual steps left (like `kerasfix fix --dry-run`).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerasfix import __version__
from kerasfix.diagnose.findings import Severity
from kerasfix.fix import state
from kerasfix.fleet.scanning import (
    EXIT_CODES,
    SEVERITIES,
    Access,
    EnvScan,
    EnvSeverity,
    access_of,
    env_exit_code,
    short_line,
    worst,
)
from kerasfix.report.scan_json import SCAN_SCHEMA, scan_document

ENVS_SCHEMA = "kerasfix.envs/1"

# ---------------------------------------------------------------- envs/1 entries


def _entry_from_scan_doc(doc: Mapping[str, Any], *, name: str | None = None,
                         host: str | None = None, found_by: Sequence[str] | None = None,
                         kernel_env: Mapping[str, str] | None = None,
                         read_only_reason: str | None = None, seconds: float | None = None,
                         full: bool = False,
                         fail_on: Severity = Severity.ERROR) -> dict[str, Any]:
    """One environment of `kerasfix.envs/1` from a `kerasfix.scan/1` document."""
    target = doc.get("target") or {}
    prefix = target.get("prefix") or ""
    if read_only_reason is None and target.get("externally_managed"):
        read_only_reason = "it is externally managed"
    elif read_only_reason is None and target.get("writable") is False:
        read_only_reason = "its site-packages is not writable"
    findings = list(doc.get("findings") or [])
    severity = worst(f.get("severity", "") for f in findings if isinstance(f, dict))
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
        "severity": severity.value,
        "exit_code": env_exit_code(severity, fail_on),
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
            "read_only_reason": None, "error": error,
            "severity": EnvSeverity.UNSCANNABLE.value,
            "exit_code": EXIT_CODES[EnvSeverity.UNSCANNABLE], "seconds": seconds, "target": None,
            "stack": None, "summary": None, "findings": []}


def env_entry(s: EnvScan, *, host: str | None = None, full: bool = False,
              fail_on: Severity = Severity.ERROR) -> dict[str, Any]:
    """One environment of `kerasfix.envs/1` from a local scan (exit codes with `fail_on`)."""
    seconds = round(s.seconds, 3)
    if s.result is None:
        return _unscannable_entry(s.env.name, s.env.prefix, s.env.python, s.error or "?",
                                  host=host, found_by=s.env.found_by,
                                  kernel_env=s.env.kernel_env, seconds=seconds)
    doc = scan_document(s.result, s.exit_code_at(fail_on), fail_on=fail_on)
    return _entry_from_scan_doc(doc, name=s.env.name, host=host, found_by=s.env.found_by,
                                kernel_env=s.env.kernel_env, read_only_reason=s.read_only_reason,
                                seconds=seconds, full=full, fail_on=fail_on)


def summary(entries: Sequence[Mapping[str, Any]], problems: Sequence[Any]) -> dict[str, Any]:
    counts = {s.value: sum(1 for e in entries if e.get("severity") == s) for s in SEVERITIES}
    return {"environments": len(entries), **counts,
            "read_only": sum(1 for e in entries if e.get("writable") is False),
            "problems": len(problems)}


def exit_code_of(entries: Sequence[Mapping[str, Any]], floor: int = 0) -> int:
    if not entries:
        return 2
    return max([floor, *(int(e.get("exit_code") or 0) for e in entries)])


def problem_dicts(problems: Iterable[Any]) -> list[dict[str, str]]:
    out = []
    for p in problems:
        if isinstance(p, Mapping):
            out.append({"path": str(p.get("path", "")), "error": str(p.get("error", ""))})
        else:
            path, error = p
            out.append({"path": str(path), "error": str(error)})
    return out


def header(schema: str) -> dict[str, Any]:
    return {"schema": schema, "kerasfix_version": __version__, "generated_at": state.now(),
            "host": socket.gethostname(), "user": state.who()}


def envs_document(scans: Sequence[EnvScan], problems: Iterable[Any] = (), *,
                  full: bool = False, fail_on: Severity = Severity.ERROR) -> dict[str, Any]:
    """`kerasfix.envs/1` for local scans; `problems` are discovery's (path, message) pairs."""
    entries = [env_entry(s, full=full, fail_on=fail_on) for s in scans]
    probs = problem_dicts(problems)
    return {**header(ENVS_SCHEMA), "environments": entries, "problems": probs,
            "summary": summary(entries, probs), "fail_on": fail_on.value,
            "exit_code": exit_code_of(entries)}


# ---------------------------------------------------------------- rows


def _value(member: Access | None) -> str | None:
    return None if member is None else member.value


def _version_cell(stack: Mapping[str, Any] | None, key: str, plain: str) -> str | None:
    item = (stack or {}).get(key)
    if not item:
        return None
    version = item.get("version") or "?"
    return version if item.get("name") == plain else f"{version} ({item.get('name')})"


def row(entry: Mapping[str, Any]) -> dict[str, Any]:
    findings = [f for f in entry.get("findings") or [] if isinstance(f, dict)]
    rank = {s.value: i for i, s in enumerate((EnvSeverity.ERROR, EnvSeverity.WARNING,
                                              EnvSeverity.INFO))}
    first = min(findings, key=lambda f: rank.get(str(f.get("severity")), 3), default=None)
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
        "finding": entry.get("error") or (first.get("title") if first else None),
        "access": _value(access_of(writable)),
        "error": entry.get("error"),
    }


def summary_rows(scans: Sequence[EnvScan]) -> list[dict[str, Any]]:
    """Per environment: host (None: here), name, python, prefix, version, tensorflow, keras,
    tf_keras (version, "(dist)" added for another build), severity, finding (worst title, or
    the error), access ("writable" / "read-only" / None), error."""
    return [row(env_entry(s)) for s in scans]


def merged_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of an envs/1 document (as summary_rows); unreadable files as unscannable rows."""
    rows = [row(e) for e in doc.get("environments") or [] if isinstance(e, Mapping)]
    for p in doc.get("problems") or [] if doc.get("merged") else []:
        rows.append({"host": None, "name": Path(p["path"]).name, "python": None,
                     "prefix": p["path"], "version": None, "tensorflow": None, "keras": None,
                     "tf_keras": None, "severity": EnvSeverity.UNSCANNABLE.value,
                     "finding": p["error"],
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
        return None, short_line(f"not JSON: {err}")
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
    severity = EnvSeverity.UNSCANNABLE if error else worst(f.get("severity", "")
                                                           for f in findings)
    base = _unscannable_entry(str(e.get("name") or "?"), str(e.get("path") or ""),
                              str(e.get("interpreter") or ""), str(error or ""))
    return {**base, **e, "host": e.get("host") or host, "findings": findings,
            "error": error or None, "severity": severity.value,
            "exit_code": EXIT_CODES[severity]}


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
        raise ValueError(short_line(f"malformed {doc['schema']} document: {err!r}")) from None


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
    head = {**header(ENVS_SCHEMA), "host": None, "merged": True, "sources": sources}
    return {**head, "environments": entries, "problems": problems,
            "summary": summary(entries, problems), "fail_on": Severity.ERROR.value,
            "exit_code": exit_code_of(entries, 2 if problems else 0)}
