"""The environment as a tree of plain dataclasses (environment → findings, sys.path entries →
distributions), plus the facts shown for a selected node. The TUI only renders this."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.scan import ScanResult
from kerasfix.enums import TextEnum
from kerasfix.inspect.inventory import Distribution, Inventory, PathEntry
from kerasfix.textsafe import plural

STACK_FAMILIES = knowledge.TENSORFLOW_VARIANTS | knowledge.KERAS_VARIANTS | \
    knowledge.TF_KERAS_VARIANTS | {knowledge.KERAS_CORE}


class NodeStatus(TextEnum):
    """The mark of a tree node: its worst finding (a finding node: its own severity)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OK = "ok"
    NONE = ""  # a plain branch: no mark

    @classmethod
    def of(cls, severity: Severity) -> NodeStatus:
        return cls(severity.value)


_FLAGGED = (NodeStatus.ERROR, NodeStatus.WARNING)


@dataclass
class TreeItem:
    label: str
    kind: str  # environment, findings, finding, entries, entry, distribution, others
    status: NodeStatus = NodeStatus.NONE
    expanded: bool = False
    children: list[TreeItem] = field(default_factory=list)
    finding: Finding | None = None
    distribution: Distribution | None = None
    entry: PathEntry | None = None

    def walk(self) -> list[TreeItem]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def _status_of(dist: Distribution, findings: list[Finding]) -> NodeStatus:
    worst = NodeStatus.NONE
    for f in findings:
        if dist.label in f.distributions or dist.dist_dir in f.paths:
            if f.severity is Severity.ERROR:
                return NodeStatus.ERROR
            if f.severity is Severity.WARNING:
                worst = NodeStatus.WARNING
            elif worst is NodeStatus.NONE and f.severity is Severity.INFO:
                worst = NodeStatus.INFO
    return worst if worst is not NodeStatus.NONE else NodeStatus.OK


def _worst(statuses: set[NodeStatus], otherwise: NodeStatus) -> NodeStatus:
    """Error or warning when one is among `statuses`, else `otherwise`."""
    return next((s for s in _FLAGGED if s in statuses), otherwise)


def _dist_label(dist: Distribution) -> str:
    label = dist.label
    if not dist.active:
        label += "  (shadowed)"
    if dist.missing_files:
        label += f"  ({plural(dist.missing_files, 'file')} missing)"
    return label


def _is_stack(dist: Distribution) -> bool:
    return dist.name in STACK_FAMILIES or dist.name in knowledge.STACK


def build_tree(result: ScanResult, *, problems_only: bool = False, search: str = "") -> TreeItem:
    inv, findings = result.inventory, result.findings
    interp = inv.interpreter
    root = TreeItem(f"{interp.kind} {interp.prefix}", "environment", expanded=True)
    shown = [f for f in findings if not problems_only or f.severity is not Severity.INFO]
    needle = search.lower().strip()
    if needle:
        shown = [f for f in shown if needle in (f.title + f.code + f.detail).lower()]
    worst = _worst({NodeStatus.of(f.severity) for f in shown}, NodeStatus.OK)
    root.children.append(TreeItem(
        f"Findings ({len(shown)})", "findings", status=worst, expanded=True,
        children=[TreeItem(f.title, "finding", status=NodeStatus.of(f.severity), finding=f)
                  for f in shown]))
    entries = TreeItem("sys.path (import order)", "entries", expanded=True)
    root.children.append(entries)
    for entry in inv.path_entries:
        item = _entry_item(inv, entry, findings, problems_only, needle)
        if item is not None:
            entries.children.append(item)
    return root


def _entry_item(inv: Inventory, entry: PathEntry, findings: list[Finding], problems_only: bool,
                needle: str) -> TreeItem | None:
    dists = [d for d in inv.distributions if d.path_index == entry.index]
    marks = [(d, _status_of(d, findings)) for d in dists]
    if needle:
        marks = [(d, s) for d, s in marks if needle in d.label.lower()]
    stack = [(d, s) for d, s in marks if _is_stack(d)]
    others = [(d, s) for d, s in marks if not _is_stack(d)]
    flagged_others = [(d, s) for d, s in others if s in _FLAGGED]
    if problems_only:
        stack = [(d, s) for d, s in stack if s in _FLAGGED]
        others = flagged_others
    if (problems_only or needle) and not stack and not others:
        return None
    status = _worst({s for _, s in stack + others}, NodeStatus.NONE)
    label = f"[{entry.index}] {entry.origin}: {entry.path}"
    if entry.kind != "dir":
        label += f" ({entry.kind})"
    item = TreeItem(label, "entry", status=status, entry=entry,
                    expanded=bool(stack) or bool(flagged_others))
    order = sorted(stack, key=lambda p: (p[0].family or "~", p[0].name))
    item.children += [TreeItem(_dist_label(d), "distribution", status=s, distribution=d)
                      for d, s in order]
    rest = [(d, s) for d, s in others if (d, s) not in flagged_others]
    item.children += [TreeItem(_dist_label(d), "distribution", status=s, distribution=d)
                      for d, s in flagged_others]
    if rest:
        item.children.append(TreeItem(
            f"{len(rest)} other distributions", "others", expanded=bool(needle),
            children=[TreeItem(_dist_label(d), "distribution", status=s, distribution=d)
                      for d, s in sorted(rest, key=lambda p: p[0].name)]))
    return item


# ---------------------------------------------------------------- details of a node


def required_by(inv: Inventory, dist: Distribution) -> list[str]:
    out = []
    for other in inv.active_distributions:
        for req in other.requires:
            if canonicalize_name(req.name) == dist.name and (
                    req.marker is None or "extra" not in str(req.marker)):
                out.append(f"{other.label} ({req})")
    return sorted(out)


def distribution_facts(inv: Inventory, dist: Distribution) -> list[tuple[str, str]]:
    owned = ", ".join(f"{t}/" for t in dist.owns_init) or ", ".join(dist.tops[:8]) or "—"
    integrity = ("RECORD missing" if not dist.has_record else
                 f"{dist.missing_files} of {plural(dist.record_files, 'file')} missing"
                 if dist.missing_files else f"all {plural(dist.record_files, 'file')} present")
    facts = [
        ("version", dist.raw_version or "?"),
        ("folder", dist.location),
        ("metadata", os.path.basename(dist.dist_dir)),
        ("installer", dist.installer or "unknown"),
        ("asked for by name", "yes" if dist.requested else "no (a dependency)"),
        ("import packages", owned),
        ("integrity", integrity),
        ("requires", ", ".join(str(r) for r in dist.requires) or "—"),
        ("required by", ", ".join(required_by(inv, dist)) or "—"),
    ]
    if dist.requires_python:
        facts.append(("requires python", str(dist.requires_python)))
    if not dist.active:
        facts.append(("shadowed by", dist.shadowed_by or "?"))
    if dist.errors:
        facts.append(("metadata problems", "; ".join(dist.errors)))
    return facts


def finding_facts(f: Finding) -> list[tuple[str, str]]:
    facts = [("severity", f.severity.value), ("code", f.code)]
    if f.scenario:
        facts.append(("scenario", f.scenario))
    facts.append(("what happened", f.detail))
    if f.symptom:
        facts.append(("what you see", f.symptom))
    if f.evidence:
        facts.append(("evidence", "\n".join(f.evidence)))
    if f.manual:
        facts.append(("do", "\n".join(f.manual)))
    if f.strategies:
        facts.append(("fix strategies", ", ".join(s.value for s in f.strategies)))
    if f.runtime:
        facts.append(("runtime check", f.runtime))
    return facts


def entry_facts(inv: Inventory, entry: PathEntry) -> list[tuple[str, str]]:
    count = sum(1 for d in inv.distributions if d.path_index == entry.index)
    facts = [("position", f"sys.path[{entry.index}]"), ("origin", entry.origin),
             ("path", entry.path), ("kind", entry.kind), ("distributions", str(count))]
    if entry.pth:
        facts.append(("added by", entry.pth))
    if entry.error:
        facts.append(("error", entry.error))
    return facts
