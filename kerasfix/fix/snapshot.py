"""Snapshots: what was installed before a fix, what was moved aside, and how far the fix got.

A snapshot is written before the first change and updated after every step, so it doubles as
the journal that tells the next run a fix was interrupted. Undo is planned from it like any
other fix: previewed, confirmed, then run.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import suppress
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from kerasfix.enums import TextEnum
from kerasfix.errors import KerasfixError
from kerasfix.fix import state
from kerasfix.fix.installers import Installer
from kerasfix.fix.plan import UNDO, Plan, Step, StepKind
from kerasfix.inspect.inventory import Inventory
from kerasfix.textsafe import one_line

ENV_BLOCK_BEGIN = "# >>> kerasfix {var} >>>"
ENV_BLOCK_END = "# <<< kerasfix {var} <<<"


class SnapshotError(KerasfixError):
    pass


class SnapshotStatus(TextEnum):
    """How far the fix of a snapshot got (snapshot.json's "status")."""

    IN_PROGRESS = "in-progress"  # written before the first change; still so if it was killed
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RESTORED = "restored"  # undone, or the environment already matched it
    ABANDONED = "abandoned"  # an interrupted fix the user chose not to undo
    UNREADABLE = "unreadable"  # listed only: its snapshot.json cannot be used


_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def check_id(snapshot_id: str) -> str:
    """A snapshot id names a folder: letters, digits, . _ - only, so never a path."""
    if not _ID.fullmatch(snapshot_id) or ".." in snapshot_id or snapshot_id == ".":
        shown = one_line(repr(snapshot_id))
        shown = shown if len(shown) <= 80 else shown[:80] + "…"
        raise SnapshotError(f"invalid snapshot id {shown}: up to 128 letters, digits, '.', '_'"
                            " and '-' (see kerasfix undo --list)")
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
    status: SnapshotStatus = SnapshotStatus.IN_PROGRESS
    plan: list[str] = field(default_factory=list)  # the command text of every step
    # The fix's --find-links / --no-index: an offline fix is undone offline, with them.
    index_flags: list[str] = field(default_factory=list)
    # What the environment held when the fix ended; undo reverts this delta, not what came
    # later (None: the fix never ended, so everything since is all there is to go by).
    after: list[dict[str, Any]] | None = None
    installer: str = "pip"  # the route the fix ran through; undo takes the same by default
    # Project files the fix changed: {"path", "stored" (the original bytes), "after" (sha256
    # of what the fix left; undo restores only a file still as the fix left it)}.
    files: list[dict[str, str]] = field(default_factory=list)

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
        return _versions(self.distributions)

    def versions_after(self) -> dict[str, str] | None:
        return None if self.after is None else _versions(self.after)

    def record_after(self, inv: Inventory) -> None:
        self.after = _dist_rows(inv)
        self.save()

    def undo_command(self) -> str:
        """The command that restores it, with the fix's own index flags (argv quoting)."""
        from kerasfix.fix.plan import _quote

        words = ["kerasfix", "undo", self.id, "--python", self.python, *self.index_flags]
        return " ".join(_quote(w) for w in words)


def _versions(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {d["name"]: d["version"] for d in rows if d.get("active")}


def _dist_rows(inv: Inventory) -> list[dict[str, Any]]:
    return [{"name": d.name, "version": d.raw_version, "location": d.location,
             "active": d.active, "installer": d.installer} for d in inv.distributions]


def close(snap: Snapshot) -> None:
    """Mark a snapshot whose environment already matches it as restored (under the lock, so
    a fix running now keeps its own snapshot as it is)."""
    if snap.status == SnapshotStatus.RESTORED:
        return
    with state.env_lock(snap.prefix):
        snap.status = SnapshotStatus.RESTORED
        snap.save()


def folder_for(prefix: str, snapshot_id: str) -> Path:
    """Where a run's snapshot lives, known before it exists (and created by none of this)."""
    return state.state_root() / "envs" / state.env_key(prefix) / "snapshots" / snapshot_id


def take(inv: Inventory, python: str, plan: Plan,
         index_flags: tuple[str, ...] = ()) -> Snapshot:
    snap = Snapshot(
        id=plan.id,
        prefix=inv.interpreter.prefix,
        python=python,
        strategy=plan.strategy.value,
        created=state.now(),
        user=state.who(),
        distributions=_dist_rows(inv),
        steps_total=len(plan.automatic_steps),
        plan=[s.command_text() for s in plan.automatic_steps],
        index_flags=list(index_flags),
        installer=plan.installer,
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
    status = SnapshotStatus(data.get("status", SnapshotStatus.IN_PROGRESS.value))
    return Snapshot(**{**data, "status": status})


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
        problem = _field_problem(f, data)
        if problem:
            return problem
    if data["id"] != snapshot_id:
        return f"it names itself {one_line(repr(data['id']))}"
    status = data.get("status", SnapshotStatus.IN_PROGRESS.value)
    if not isinstance(status, str) or status not in {s.value for s in SnapshotStatus}:
        return f"status {one_line(repr(status))} is not one kerasfix writes"
    return None


def _field_problem(f: Field[Any], data: dict[str, Any]) -> str | None:
    """One field against its annotation (a string: this module postpones annotations)."""
    kind = str(f.type)
    if f.name not in data:
        required = f.default is MISSING and f.default_factory is MISSING
        return f"{f.name} is missing" if required else None
    value = data[f.name]
    if value is None and "None" in kind:
        return None
    want = list if kind.startswith("list") else {"str": str, "int": int}.get(kind)
    if want is not None and (not isinstance(value, want) or isinstance(value, bool)):
        return f"{f.name} is not a {'list' if want is list else want.__name__}"
    item = dict if "dict" in kind else str if kind.startswith("list[str") else None
    if want is list and item is not None and not all(isinstance(v, item) for v in value):
        return f"{f.name} holds something else than a {item.__name__}"
    return None


class UnreadableSnapshot(Snapshot):
    """A snapshot whose snapshot.json cannot be used. Listed, so the user sees it (a skipped one
    would make `undo` quietly restore an older one), but never planned from or written."""

    def __init__(self, prefix: str, snapshot_id: str, error: str) -> None:
        super().__init__(id=snapshot_id, prefix=prefix, python="", strategy="?", created="?",
                         user="?", distributions=[], status=SnapshotStatus.UNREADABLE)
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
        if snap.status == SnapshotStatus.IN_PROGRESS:
            return snap
    return None


# ---------------------------------------------------------------- undo


_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]*")


def _checked(snap: Snapshot, versions: dict[str, str]) -> dict[str, str]:
    """Names and versions read back from a file reach argv only as valid requirements."""
    for name, version in versions.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name) or (
                version is not None and not (isinstance(version, str) and
                                             _VERSION.fullmatch(version))):
            raise SnapshotError(f"snapshot {snap.id} is corrupt: {name!r} {version!r} is not a"
                                " valid distribution name and version")
    return versions


@dataclass
class UndoDelta:
    """What undo changes back (the fix's own delta) and what it leaves (later changes)."""

    uninstall: list[str]
    reinstall: dict[str, str]  # name -> version of the snapshot
    later: list[str]  # "six 1.16.0 added since the fix", left alone unless --all-since


def undo_delta(snap: Snapshot, inv: Inventory, *, all_since: bool = False) -> UndoDelta:
    before = _checked(snap, snap.versions())
    after = snap.versions_after()
    now: dict[str, str | None] = {d.name: d.raw_version for d in inv.active_distributions}
    if after is None:  # an interrupted fix: nothing tells its changes from later ones
        touched = set(before) | set(now)
        later_names: set[str] = set()
    else:
        after = _checked(snap, after)
        fixed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
        later_names = {n for n in set(after) | set(now) if after.get(n) != now.get(n)}
        touched = fixed | later_names if all_since else fixed - later_names
    touched = {n for n in touched if before.get(n) != now.get(n)}
    later = [] if all_since else sorted(
        f"{n} {_change(after.get(n) if after else None, now.get(n))} since the fix"
        for n in later_names)
    return UndoDelta(
        uninstall=sorted(n for n in touched if n not in before and n in now),
        reinstall={n: before[n] for n in sorted(touched) if before.get(n)},
        later=later)


def _files_to_restore(snap: Snapshot, all_since: bool
                      ) -> tuple[list[tuple[str, str]], list[str]]:
    """(stored, original) pairs to write back, and the files edited since the fix (left)."""
    import hashlib

    restore, changed, seen = [], [], set()
    for record in snap.files:
        path, stored = record.get("path", ""), record.get("stored", "")
        if path in seen or not os.path.isfile(stored):
            continue
        seen.add(path)
        try:
            now = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            now = ""
        if Path(stored).read_bytes() == (Path(path).read_bytes() if now else None):
            continue  # already as it was
        if all_since or not record.get("after") or now == record["after"]:
            restore.append((stored, path))
        else:
            changed.append(path)
    return restore, changed


def _restore_diff(stored: str, path: str) -> str:
    """What a restore changes in the file, as the fix's own diff shows edits."""
    from kerasfix.fix.manifest.textio import unified_diff

    def text(file: str) -> str:
        try:
            return Path(file).read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    return unified_diff(text(path), text(stored), os.path.basename(path))


def _change(then: str | None, now: str | None) -> str:
    if then is None:
        return f"{now} added"
    if now is None:
        return f"{then} removed"
    return f"{then} -> {now}"


def plan_undo(snap: Snapshot, inv: Inventory, route: Installer,
              index_flags: tuple[str, ...] | None = None, *, all_since: bool = False) -> Plan:
    """Steps that take back what the fix changed. Later changes are listed, not touched,
    unless `all_since`. Index flags default to the fix's own; the fix's downloaded wheels are
    offered too when they are still there."""
    delta = undo_delta(snap, inv, all_since=all_since)
    flags = tuple(snap.index_flags) if index_flags is None else index_flags
    wheels = snap.folder / "wheels"
    if wheels.is_dir():
        flags = ("--find-links", str(wheels), *flags)
    steps: list[Step] = []
    if delta.uninstall:
        steps.append(Step(StepKind.PIP_UNINSTALL, f"Uninstall what the fix added: "
                          f"{', '.join(delta.uninstall)}",
                          argv=route.uninstall(delta.uninstall),
                          packages=tuple(delta.uninstall)))
    if delta.reinstall:
        reqs = [f"{n}=={v}" for n, v in delta.reinstall.items()]
        steps.append(Step(StepKind.PIP_INSTALL, "Reinstall the versions of the snapshot",
                          argv=route.install(reqs, flags, "--no-deps"),
                          packages=tuple(delta.reinstall),
                          why="--no-deps: the snapshot is the exact set, nothing more"))
    if snap.moved:
        steps.append(Step(StepKind.MOVE_BACK, "Put moved-aside folders back",
                          pairs=tuple((m["stored"], m["source"]) for m in snap.moved),
                          why="files that exist again are left as they are"))
    restore, changed = _files_to_restore(snap, all_since)
    if restore:
        steps.append(Step(StepKind.RESTORE_FILE, "Restore the project files the fix edited",
                          pairs=tuple(restore), why="byte for byte, from the snapshot",
                          diff="".join(_restore_diff(stored, path) for stored, path in restore)))
    if snap.env_edits:
        steps.append(Step(StepKind.UNSET_ENV_VAR, "Remove the activation settings",
                          paths=tuple(sorted({e["file"] for e in snap.env_edits})),
                          env_var=(snap.env_edits[0]["var"], "")))
    notes = [f"snapshot {snap.id} taken {snap.created} by {snap.user}"]
    if snap.after is None:
        notes.append("the fix did not finish: every change since the snapshot is taken back")
    if changed:
        notes.append("changed since the fix, left as they are (--all-since restores them"
                     " too): " + ", ".join(changed))
    if delta.later:
        notes.append("changed since the fix, left as they are (--all-since takes them back"
                     " too): " + ", ".join(delta.later))
    return Plan(UNDO, snap.python, steps, [], [], notes=notes, installer=route.name)
