"""The fix (or dry-run audit) report as Markdown or JSON (`kerasfix.fix/1`), for a file.

The report itself (`FixReport`) is assembled by kerasfix.fix.session only; this module writes
it."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from kerasfix import __version__
from kerasfix.files import validate_report_path, write_atomic
from kerasfix.fix import state
from kerasfix.fix.plan import Plan, Step
from kerasfix.fix.preview import PlanPreview, StepPreview
from kerasfix.fix.session import FixReport
from kerasfix.report.scan_json import finding_dict
from kerasfix.report.share import Redactor
from kerasfix.textsafe import plural, visible_data

FIX_SCHEMA = "kerasfix.fix/1"

__all__ = ["FIX_SCHEMA", "FixReport", "fix_document", "fix_markdown", "plan_dict",
           "plan_markdown", "step_dict", "write_report"]


def step_dict(step: Step, preview: StepPreview | None) -> dict[str, Any]:
    p = preview or StepPreview(step)
    return {
        "kind": step.kind.value, "title": step.title, "argv": list(step.argv),
        "command": step.command_text(), "why": step.why, "automatic": step.automatic,
        "changes": [{"name": c.name, "before": c.before, "after": c.after, "flag": c.flag}
                    for c in p.changes],
        "files": p.files, "size_bytes": p.size_bytes, "shared_with": list(p.shared_with),
        "preview_error": p.error,
        "unresolved": p.unresolved,
        **({"diff": step.diff} if step.diff else {}),
    }


def plan_dict(plan: Plan, preview: PlanPreview | None) -> dict[str, Any]:
    """A plan with its preview, as in `kerasfix.fix/1` and `kerasfix.audit/1`."""
    previews = preview.steps if preview else [None] * len(plan.steps)
    return {
        "strategy": plan.strategy.value,
        "blocked": plan.blocked,
        "unresolved": preview.unresolved if preview else None,
        "notes": list(plan.notes),
        "steps": [step_dict(s, p) for s, p in zip(plan.steps, previews)],
        "resolves": [f.code for f in plan.resolves],
        "leaves": [f.code for f in plan.leaves],
    }


def plan_markdown(plan: dict[str, Any]) -> list[str]:
    """The steps of a plan dict as Markdown lines, every command exactly as it runs."""
    plan = visible_data(plan, keep="\t")  # control characters visible, newlines too
    out: list[str] = []
    if not plan["steps"]:
        out.append("Nothing to run.")
    for i, step in enumerate(plan["steps"], 1):
        out.append(f"{i}. {step['title']}" + ("" if step["automatic"] else " *(manual)*"))
        out.append(f"   ```\n   {step['command']}\n   ```")
        if step["why"]:
            out.append(f"   {step['why']}")
        if step.get("diff"):
            out.append("   ```diff\n" + "".join(f"   {line}" for line in
                                                 step["diff"].splitlines(keepends=True))
                       + "   ```")
        for c in step["changes"]:
            flag = f" ⚠ {c['flag']}" if c["flag"] else ""
            out.append(f"   - {c['name']}: {c['before'] or '—'} → {c['after'] or 'removed'}{flag}")
        if step["files"]:
            out.append(f"   - {plural(step['files'], 'file')}, {step['size_bytes'] / 1e6:.1f} MB")
        for shared in step["shared_with"]:
            out.append(f"   - ⚠ {shared}")
        if step["preview_error"]:
            cannot = "cannot be resolved" if step.get("unresolved") else "preview"
            out.append(f"   - {cannot}: {step['preview_error']}")
    return out


def fix_document(r: FixReport) -> dict[str, Any]:
    plan = r.preview.plan
    return {
        "schema": FIX_SCHEMA,
        "kerasfix_version": __version__,
        "generated_at": state.now(),
        "user": state.who(),
        "host": socket.gethostname(),
        "dry_run": r.dry_run,
        "target": {"python": r.before.target.python, "reason": r.before.target.reason,
                   "prefix": r.before.inventory.interpreter.prefix},
        "findings_before": [finding_dict(f) for f in r.before.findings],
        "plan": plan_dict(plan, r.preview),
        "run": None if r.run is None else {
            "status": r.run.status,
            "snapshot": r.run.snapshot.id if r.run.snapshot else None,
            "steps": [{"index": o.index, "command": o.step.command_text(),
                       "exit_code": o.returncode, "seconds": round(o.seconds, 2)}
                      for o in r.run.outcomes],
        },
        "findings_after": None if r.after is None else [finding_dict(f)
                                                         for f in r.after.findings],
        "comparison": None if r.comparison is None else {
            "resolved": [f.code for f in r.comparison.resolved],
            "remaining": [f.code for f in r.comparison.remaining],
            "new": [f.code for f in r.comparison.new],
        },
        "undo": r.undo_command,
        "exit_code": r.exit_code,
    }


def fix_markdown(r: FixReport) -> str:
    # The one choke point: names, paths and versions are written by others; a control
    # character or a newline in them must neither reach a terminal nor break the Markdown.
    doc = visible_data(fix_document(r), keep="\t")
    plan = doc["plan"]
    out = [f"# kerasfix {'dry-run audit' if r.dry_run else 'fix report'}", "",
           f"- target: `{doc['target']['python']}` ({doc['target']['reason']})",
           f"- environment: `{doc['target']['prefix']}`",
           f"- by {doc['user']} on {doc['host']}, {doc['generated_at']}, kerasfix"
           f" {doc['kerasfix_version']}",
           f"- strategy: **{plan['strategy']}**" + (f" — blocked: {plan['blocked']}"
                                                    if plan["blocked"] else "")
           + (f" — will not start: {plan['unresolved']}" if plan.get("unresolved") else ""),
           "", "## Findings", ""]
    for f in doc["findings_before"]:
        out.append(f"- **{f['severity']}** `{f['code']}` — {f['title']}")
    out += ["", "## Plan", "", *plan_markdown(plan)]
    if doc["run"]:
        out += ["", "## Run", "", f"status: {doc['run']['status']}, snapshot"
                f" `{doc['run']['snapshot']}`", ""]
        for s in doc["run"]["steps"]:
            out.append(f"- exit {s['exit_code']} in {s['seconds']} s: `{s['command']}`")
    if doc["comparison"]:
        cmp = doc["comparison"]
        out += ["", "## Verification", "",
                f"- resolved: {', '.join(cmp['resolved']) or '—'}",
                f"- remaining: {', '.join(cmp['remaining']) or '—'}",
                f"- new: {', '.join(cmp['new']) or '—'}"]
    if doc["undo"]:
        out += ["", f"Undo: `{doc['undo']}`"]
    out += ["", f"Exit code: {doc['exit_code']}", ""]
    return "\n".join(out)


def write_report(r: FixReport, path: str | Path, redactor: Redactor | None = None) -> None:
    """Markdown, or JSON for a .json name; never through a symlink, never half written.
    With a `redactor` (fix --share), home, user and host are replaced in what is written."""
    target = validate_report_path(path)
    if target.suffix.lower() == ".json":
        doc = fix_document(r)
        write_atomic(target, json.dumps(redactor.data(doc) if redactor else doc, indent=2)
                     + "\n")
    else:
        text = fix_markdown(r)
        write_atomic(target, redactor.text(text) if redactor else text)
