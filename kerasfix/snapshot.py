"""Snapshots: what was installed before a fix, what was moved aside, and how far the fix got.

A snapshot is written before the first change and updated after every step, so it doubles as
the journal that tells the next run a fix was interrupted. Undo is planned from it like any
other fix: previewed, confirmed, then run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from contextlib import suppress
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from kerasfix import state
from kerasfix.errors import KerasfixError
from kerasfix.inventory import Inventory
from kerasfix.plan import Plan, Step, StepKind
from kerasfix.textsafe import one_line

ENV_BLOCK_BEGIN = "# >>> kerasfix {var} >>>"
ENV_BLOCK_END = "# <<< kerasfix {var} <<<"


class SnapshotError(KerasfixError):
    pass


_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def check_id(snapshot_id: str) -> str:
    """A snapshot id names a folder: letters, digits, . _ - only, so never a path."""
    if not _ID.fullmatch(snapshot_id) or ".." in snapshot_id or snapshot_id == ".":
        raise SnapshotError(f"invalid snapshot id {one_line(repr(snapshot_id))}: letters,"
                            " digits, '.', '_' and '-' only (see kerasfix undo --list)")
    return snapshot_id


@dataclass
class Snapshot:
    id: str
    prefix: str
    python: str
    strategy: str
    created: str
    user: str
    distributions: list[dict[str, Any]]
    moved: list[dict[str, str]] = field(default_factory=list)  # {"source", "stored"}
    env_edits: list[dict[str, str]] = field(default_factory=list)  # {"file", "var"}
    steps_total: int = 0
    steps_done: int = 0
    status: str = "in-progress"  # in-progress, complete, failed, cancelled, restored
    plan: list[str] = field(default_factory=list)  # the command text of every step

    @property
    def folder(self) -> Path:
        return state.env_dir(self.prefix) / "snapshots" / check_id(self.id)

    def save(self) -> None:
        folder = self.folder
        with state.writing():  # a full disk or a read-only state: one line, exit 2
            state.private_dir(folder)
            tmp = folder / "snapshot.json.tmp"
            try:
                with state.open_private(tmp, os.O_WRONLY | os.O_TRUNC, "w") as fh:
                    fh.write(json.dumps(asdict(self), indent=2))
                os.replace(tmp, folder / "snapshot.json")  # atomic: a kill never leaves half
            except OSError:
                with suppress(OSError):
                    tmp.unlink()
                raise

    def versions(self) -> dict[str, str]:
        return {d["name"]: d["version"] for d in self.distributions if d.get("active")}


def take(inv: Inventory, python: str, plan: Plan) -> Snapshot:
    stamp = state.now().replace(":", "").replace("-", "").replace("+0000", "Z")
    snap = Snapshot(
        id=f"{stamp}-{secrets.token_hex(2)}",
        prefix=inv.interpreter.prefix,
        python=python,
        strategy=str(plan.strategy.value if hasattr(plan.strategy, "value") else plan.strategy),
        created=state.now(),
        user=state.who(),
        distributions=[{"name": d.name, "version": d.raw_version, "location": d.location,
                        "active": d.active, "installer": d.installer}
                       for d in inv.distributions],
        steps_total=len(plan.automatic_steps),
        plan=[s.command_text() for s in plan.automatic_steps],
    )
    snap.save()
    return snap


def load(prefix: str, snapshot_id: str) -> Snapshot:
    check_id(snapshot_id)
    path = state.env_dir(prefix, create=False) / "snapshots" / snapshot_id / "snapshot.json"
    if not path.exists():
        raise SnapshotError(f"no snapshot {snapshot_id} for {one_line(prefix)} (see kerasfix"
                            " undo --list)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SnapshotError(f"snapshot {snapshot_id} is unreadable: {err.strerror or err}"
                            ) from None
    except ValueError as err:
        raise SnapshotError(f"snapshot {snapshot_id} is unreadable: not JSON ({err})") from None
    problem = _shape_problem(data, snapshot_id)
    if problem:
        raise SnapshotError(f"snapshot {snapshot_id} is unreadable: {problem}")
    return Snapshot(**data)


def _shape_problem(data: Any, snapshot_id: str) -> str | None:
    """What makes a snapshot.json unusable (checked from the fields, so new ones need no
    change here): a snapshot someone edited must fail here, not halfway through an undo."""
    if not isinstance(data, dict):
        return "not a JSON object"
    known = {f.name for f in fields(Snapshot)}
    unknown = sorted(set(data) - known)
    if unknown:
        return f"unknown field {one_line(unknown[0])!r}"
    for f in fields(Snapshot):
        kind = str(f.type)
        if f.name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                return f"{f.name} is missing"
            continue
        value = data[f.name]
        if value is None and "None" in kind:
            continue
        want = list if kind.startswith("list") else {"str": str, "int": int}.get(kind)
        if want is not None and (not isinstance(value, want) or isinstance(value, bool)):
            return f"{f.name} is not a {'list' if want is list else want.__name__}"
        item = dict if "dict" in kind else str if kind.startswith("list[str") else None
        if want is list and item is not None and not all(isinstance(v, item) for v in value):
            return f"{f.name} holds something else than a {item.__name__}"
    if data["id"] != snapshot_id:
        return f"it names itself {one_line(repr(data['id']))}"
    return None


class UnreadableSnapshot(Snapshot):
    """A snapshot whose snapshot.json cannot be used. Listed, so the user sees it (a skipped one
    would make `undo` quietly restore an older one), but never planned from or written."""

    def __init__(self, prefix: str, snapshot_id: str, error: str) -> None:
        super().__init__(id=snapshot_id, prefix=prefix, python="", strategy="?", created="?",
                         user="?", distributions=[], status="unreadable")
        self.error = error

    def versions(self) -> dict[str, str]:
        raise SnapshotError(self.error)

    def versions_after(self) -> dict[str, str] | None:
        raise SnapshotError(self.error)

    def save(self) -> None:
        raise SnapshotError(self.error)


def list_snapshots(prefix: str) -> list[Snapshot]:
    """Every snapshot of the environment, oldest first; unreadable ones as UnreadableSnapshot."""
    folder = state.env_dir(prefix, create=False) / "snapshots"
    try:
        children = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError as err:
        raise SnapshotError(f"cannot read {one_line(str(folder))}: {err.strerror or err}"
                            ) from None
    out: list[Snapshot] = []
    for child in children:
        if not (child / "snapshot.json").exists():  # not a snapshot (never written)
            continue
        try:
            out.append(load(prefix, child.name))
        except SnapshotError as err:
            out.append(UnreadableSnapshot(prefix, child.name, str(err)))
    return out


def interrupted(prefix: str) -> Snapshot | None:
    """The newest snapshot whose fix never finished (its process was killed)."""
    for snap in reversed(list_snapshots(prefix)):
        if snap.status == "in-progress":
            return snap
    return None


# ---------------------------------------------------------------- undo


def plan_undo(snap: Snapshot, inv: Inventory, pip_base: tuple[str, ...],
              index_flags: tuple[str, ...] = ()) -> Plan:
    """Steps that bring the environment back to the snapshot."""
    before = snap.versions()
    now = {d.name: d.raw_version for d in inv.active_distributions}
    added = sorted(n for n in now if n not in before)
    changed = sorted(n for n, v in before.items() if now.get(n) != v)
    steps: list[Step] = []
    if added:
        steps.append(Step(StepKind.PIP_UNINSTALL, f"Uninstall what the fix added: "
                          f"{', '.join(added)}", argv=(*pip_base, "uninstall",
                                                       "--disable-pip-version-check", "-y",
                                                       *added),
                          packages=tuple(added)))
    if changed:
        reqs = [f"{n}=={before[n]}" for n in changed]
        steps.append(Step(StepKind.PIP_INSTALL, "Reinstall the versions of the snapshot",
                          argv=(*pip_base, "install", "--disable-pip-version-check",
                                *index_flags, "--no-deps", *reqs),
                          packages=tuple(changed),
                          why="--no-deps: the snapshot is the exact set, nothing more"))
    if snap.moved:
        steps.append(Step(StepKind.MOVE_BACK, "Put moved-aside folders back",
                          pairs=tuple((m["stored"], m["source"]) for m in snap.moved),
                          why="files that exist again are left as they are"))
    if snap.env_edits:
        steps.append(Step(StepKind.UNSET_ENV_VAR, "Remove the activation settings",
                          paths=tuple(sorted({e["file"] for e in snap.env_edits})),
                          env_var=(snap.env_edits[0]["var"], "")))
    return Plan("undo", snap.python, steps, [], [],
                notes=[f"snapshot {snap.id} taken {snap.created} by {snap.user}"])
