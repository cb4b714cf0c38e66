"""Snapshots: what was installed before a fix, what was moved aside, and how far the fix got.

A snapshot is written before the first change and updated after every step, so it doubles as
the journal that tells the next run a fix was interrupted. Undo is planned from it like any
other fix: previewed, confirmed, then run.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kerasfix import state
from kerasfix.errors import KerasfixError
from kerasfix.inventory import Inventory
from kerasfix.plan import Plan, Step, StepKind

ENV_BLOCK_BEGIN = "# >>> kerasfix {var} >>>"
ENV_BLOCK_END = "# <<< kerasfix {var} <<<"


class SnapshotError(KerasfixError):
    pass


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
        return state.env_dir(self.prefix) / "snapshots" / self.id

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "snapshot.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2))
        os.replace(tmp, self.folder / "snapshot.json")  # atomic: a kill never leaves half a file

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
    path = state.env_dir(prefix) / "snapshots" / snapshot_id / "snapshot.json"
    if not path.exists():
        raise SnapshotError(f"no snapshot {snapshot_id} for {prefix} (see kerasfix undo --list)")
    try:
        data = json.loads(path.read_text())
        return Snapshot(**data)
    except (ValueError, TypeError) as err:
        raise SnapshotError(f"snapshot {snapshot_id} is unreadable: {err}") from None


def list_snapshots(prefix: str) -> list[Snapshot]:
    folder = state.env_dir(prefix) / "snapshots"
    if not folder.is_dir():
        return []
    out = []
    for child in sorted(folder.iterdir()):
        try:
            out.append(load(prefix, child.name))
        except SnapshotError:
            continue
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
