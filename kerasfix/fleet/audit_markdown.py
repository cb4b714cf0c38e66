"""The `kerasfix.audit/1` document as Markdown for an admin to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerasfix.fleet.audit import AuditStatus
from kerasfix.fleet.envs_json import row
from kerasfix.report.fix_report import plan_markdown
from kerasfix.textsafe import visible_data

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
    elif e["status"] == AuditStatus.OK:
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
    for e, r in zip(doc["environments"], (row(e) for e in doc["environments"])):
        out.append("| " + " | ".join(_md_cell(v) for v in (
            r["name"], r["version"], r["tensorflow"], r["keras"], r["tf_keras"],
            e["status"] if e["status"] != AuditStatus.OK else r["severity"], r["access"],
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
