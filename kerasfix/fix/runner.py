"""Run a plan: lock the environment, snapshot it, run each step with its output streamed,
stop at the first failure, and write every step to the audit log."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kerasfix.enums import TextEnum
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix import state
from kerasfix.fix.isolation import installer_cwd, installer_env
from kerasfix.fix.plan import Plan, Step, StepKind
from kerasfix.inspect.inventory import Inventory


@dataclass
class StepOutcome:
    index: int
    step: Step
    returncode: int
    seconds: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class RunStatus(TextEnum):
    """How a run ended (the report's run "status"; a fix's snapshot takes the same word)."""

    COMPLETE = "complete"  # every step ran and succeeded
    FAILED = "failed"  # a step failed: nothing after it ran
    CANCELLED = "cancelled"  # stopped between two steps, as asked


@dataclass
class RunResult:
    plan: Plan
    snapshot: snapshots.Snapshot | None
    outcomes: list[StepOutcome] = field(default_factory=list)
    status: RunStatus = RunStatus.COMPLETE

    @property
    def failed(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if not o.ok), None)


class Events:
    """The step events of a run, called by run_plan on the thread that runs it; all optional.
    Presenters implement kerasfix.fix.session.RunEvents, which adds run_finished."""

    def step_started(self, index: int, step: Step) -> None: ...

    def output(self, index: int, line: str) -> None: ...

    def step_finished(self, outcome: StepOutcome) -> None: ...


def run_plan(plan: Plan, inv: Inventory, *, events: Events | None = None,
             cancel: threading.Event | None = None,
             env: Mapping[str, str] | None = None,
             snapshot: snapshots.Snapshot | None = None) -> RunResult:
    """Execute the automatic steps of a plan. `snapshot` continues an existing one (undo)."""
    events = events or Events()
    prefix = inv.interpreter.prefix
    with state.env_lock(prefix):
        snap = snapshot or snapshots.take(inv, plan.target_python, plan, plan.index_flags)
        result = RunResult(plan, snap)
        state.audit(prefix, {"event": "start",
                             "strategy": plan.strategy.value,
                             "snapshot": snap.id, "steps": len(plan.automatic_steps)})
        for index, step in enumerate(plan.automatic_steps):
            if cancel is not None and cancel.is_set():
                result.status = RunStatus.CANCELLED
                break
            events.step_started(index, step)
            started = time.monotonic()
            code, note = _run_step(step, index, snap, events, env)
            outcome = StepOutcome(index, step, code, time.monotonic() - started, note)
            result.outcomes.append(outcome)
            state.audit(prefix, {"event": "step", "snapshot": snap.id, "index": index,
                                 "kind": step.kind.value, "argv": list(step.argv),
                                 "command": step.command_text(), "exit_code": code,
                                 "seconds": round(outcome.seconds, 2)})
            events.step_finished(outcome)
            if snapshot is None:
                snap.steps_done = index + 1
                snap.save()
            if code != 0:
                result.status = RunStatus.FAILED
                break
        if snapshot is None:
            snap.status = snapshots.SnapshotStatus(result.status.value)
            snap.save()
            if result.status is RunStatus.COMPLETE:
                _finish_fix(snap, plan, env)
        state.audit(prefix, {"event": "end", "snapshot": snap.id, "status": result.status})
    return result


def _finish_fix(snap: snapshots.Snapshot, plan: Plan, env: Mapping[str, str] | None) -> None:
    """Record what the fix left (undo reverts that delta only) and drop its own downloads."""
    after = _environment_now(plan.target_python, env)  # only fixes get here, never undo
    if after is not None:
        snap.record_after(after)
    for own in ("wheels", "prefetch"):  # kerasfix's copies (pip's wheels, uv's fetch)
        shutil.rmtree(snap.folder / own, ignore_errors=True)


def _environment_now(python: str, env: Mapping[str, str] | None) -> Inventory | None:
    from kerasfix.errors import KerasfixError
    from kerasfix.inspect.inventory import build_inventory
    from kerasfix.inspect.probe import run_probe
    from kerasfix.inspect.target import Target

    try:
        doc = run_probe(Target(python, "after the fix"), env=installer_env(env),
                        cwd=installer_cwd())
        return build_inventory(doc).environment_view()
    except (KerasfixError, KeyError, TypeError, ValueError):
        return None  # undo then treats the fix as unfinished: everything since is its delta


def _run_step(step: Step, index: int, snap: snapshots.Snapshot, events: Events,
              env: Mapping[str, str] | None) -> tuple[int, str]:
    try:
        if step.kind is StepKind.EDIT_MANIFEST:
            return _edit_manifest(step, snap, index, events)
        if step.kind in (StepKind.LOCK, StepKind.PROJECT_TOOL):
            return _lock(step, snap, index, events, env)
        if step.kind is StepKind.RESTORE_FILE:
            return 0, _restore_files(step, index, events)
        if step.argv:
            return _run_argv(step.argv, index, events, env), ""
        if step.kind is StepKind.MOVE_ASIDE:
            return 0, _move_aside(step, snap, index, events)
        if step.kind is StepKind.SET_ENV_VAR:
            return 0, _set_env_var(step, snap, index, events)
        if step.kind is StepKind.MOVE_BACK:
            return 0, _move_back(step, index, events)
        if step.kind is StepKind.UNSET_ENV_VAR:
            return 0, _unset_env_var(step, index, events)
    except OSError as err:
        events.output(index, f"error: {err}")
        return 1, str(err)
    return 0, "nothing to do"


def _run_argv(argv: tuple[str, ...], index: int, events: Events,
              env: Mapping[str, str] | None) -> int:
    """Run one command (an argv list, never a shell) and stream its merged output. It sees
    only the target environment (see isolation), whatever `env` the caller passes."""
    try:
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace",
                                env=installer_env(env), cwd=installer_cwd(), bufsize=1)
    except OSError as err:
        events.output(index, f"cannot run {argv[0]}: {err}")
        return 127
    assert proc.stdout is not None
    for line in _fold_tracebacks(proc.stdout):
        events.output(index, line)
    return proc.wait()


def _fold_tracebacks(lines: Iterable[str]) -> Iterator[str]:
    """pip's own crash (a full disk, a bug) prints a Python traceback; the user needs its last
    line, not pip's internals (KERASFIX_DEBUG=1 shows them all)."""
    keep_all = bool(os.environ.get("KERASFIX_DEBUG"))
    hidden = -1  # -1: not inside a traceback
    for raw in lines:
        line = raw.rstrip("\n")
        if not keep_all and line.startswith("Traceback (most recent call last):"):
            hidden = 0
            continue
        if hidden >= 0:
            if line.startswith((" ", "\t")) or not line.strip():
                hidden += 1
                continue
            yield f"(a Python traceback of {hidden} lines, folded; its last line follows)"
            hidden = -1
        yield line


def _keep_copy(path: str, snap: snapshots.Snapshot, after: str = "") -> dict[str, str]:
    """A byte-for-byte copy of a project file in the snapshot, before kerasfix changes it."""
    store = snap.folder / "files"
    store.mkdir(parents=True, exist_ok=True)
    stored = store / f"{len(snap.files):03d}-{os.path.basename(path)}"
    shutil.copy2(path, stored)
    record = {"path": path, "stored": str(stored), "after": after}
    snap.files.append(record)
    snap.save()
    return record


def _edit_manifest(step: Step, snap: snapshots.Snapshot, index: int, events: Events
                   ) -> tuple[int, str]:
    from kerasfix.fix.manifest import ManifestError, write_atomic
    from kerasfix.fix.manifest_steps import digest

    path = step.paths[0]
    if digest(Path(path).read_bytes()) != step.digest:
        events.output(index, f"{path} changed since the preview: not written (run the fix"
                             " again to see the new diff)")
        return 1, "changed since the preview"
    new = step.text.encode("utf-8")
    _keep_copy(path, snap, after=digest(new))
    try:
        write_atomic(path, new)
    except ManifestError as err:
        events.output(index, f"error: {err}")
        return 1, str(err)
    events.output(index, f"{path}: updated (the original is in the snapshot)")
    return 0, "edited"


def _lock(step: Step, snap: snapshots.Snapshot, index: int, events: Events,
          env: Mapping[str, str] | None) -> tuple[int, str]:
    """A project tool's command (a lock, `poetry add`): the files it rewrites are kept first."""
    from kerasfix.fix.manifest_steps import digest

    records = [_keep_copy(path, snap) for path in step.paths if os.path.exists(path)]
    code = _run_argv(step.argv, index, events, env)
    for record in records:  # what the tool left: undo restores only a file still so
        if os.path.exists(record["path"]):
            record["after"] = digest(Path(record["path"]).read_bytes())
    snap.save()
    return code, ""


def _restore_files(step: Step, index: int, events: Events) -> str:
    from kerasfix.fix.manifest import write_atomic

    for stored, original in step.pairs:
        write_atomic(original, Path(stored).read_bytes())
        events.output(index, f"restored {original}")
    return f"{len(step.pairs)} restored"


def _move_aside(step: Step, snap: snapshots.Snapshot, index: int, events: Events) -> str:
    store = snap.folder / "moved"
    store.mkdir(parents=True, exist_ok=True)
    moved = 0
    for source in step.paths:
        if not os.path.lexists(source):
            events.output(index, f"{source}: already gone")
            continue
        dest = store / f"{len(snap.moved):03d}-{os.path.basename(source)}"
        _move_whole(source, str(dest))
        snap.moved.append({"source": source, "stored": str(dest)})
        snap.save()
        events.output(index, f"moved {source} -> {dest}")
        moved += 1
    return f"{moved} moved"


def _move_whole(source: str, dest: str) -> None:
    """Move a folder or file, or leave it where it was. Within one filesystem it is a rename;
    across filesystems shutil copies then deletes, and a copy that fails (disk full) or a
    delete that stops half-way is undone here, so a folder is never left in two halves."""
    try:
        shutil.move(source, dest)
    except OSError:
        if os.path.lexists(source) and os.path.lexists(dest):
            _merge_back(dest, source)  # put back what the delete had already taken
        if os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest, ignore_errors=True)  # kerasfix's partial copy
        elif os.path.lexists(dest):
            os.remove(dest)
        raise


def _merge_back(stored: str, original: str) -> int:
    """Move every file of `stored` that is missing at `original` back there."""
    if not os.path.isdir(stored) or os.path.islink(stored):
        return 0
    restored = 0
    for root, _dirs, names in os.walk(stored):
        rel = os.path.relpath(root, stored)
        for name in names:
            target = os.path.normpath(os.path.join(original, rel, name))
            if not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.move(os.path.join(root, name), target)
                restored += 1
    return restored


def _move_back(step: Step, index: int, events: Events) -> str:
    restored = 0
    for stored, original in step.pairs:
        if not os.path.lexists(stored):
            events.output(index, f"{stored}: not in the snapshot any more")
            continue
        if not os.path.lexists(original):
            shutil.move(stored, original)
            restored += 1
            events.output(index, f"restored {original}")
            continue
        # The place exists again (a reinstall): bring back only files that are not there.
        restored += _merge_back(stored, original)
        events.output(index, f"merged {stored} back into {original} (existing files kept)")
    return f"{restored} restored"


def _set_env_var(step: Step, snap: snapshots.Snapshot, index: int, events: Events) -> str:
    assert step.env_var is not None
    var, value = step.env_var
    for path in step.paths:
        block = _env_block(path, var, value)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        existing = Path(path).read_text(encoding="utf-8") if os.path.exists(path) else ""
        if snapshots.ENV_BLOCK_BEGIN.format(var=var) in existing:
            events.output(index, f"{path}: already set")
            continue
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(block)
        snap.env_edits.append({"file": path, "var": var})
        snap.save()
        events.output(index, f"{path}: {var}={value}")
    return "set"


def _env_block(path: str, var: str, value: str) -> str:
    begin, end = snapshots.ENV_BLOCK_BEGIN.format(var=var), snapshots.ENV_BLOCK_END.format(var=var)
    name = os.path.basename(path)
    if name == "activate.fish":
        line = f"set -gx {var} {value}"
    elif name == "activate.csh":
        line = f"setenv {var} {value}"
    elif name.endswith(".bat"):
        return f"\nREM {begin}\nset \"{var}={value}\"\nREM {end}\n"
    elif "deactivate.d" in path:
        line = f"unset {var}"
    else:
        line = f"export {var}={value}"
    return f"\n{begin}\n{line}\n{end}\n"


def _unset_env_var(step: Step, index: int, events: Events) -> str:
    assert step.env_var is not None
    var = step.env_var[0]
    begin, end = snapshots.ENV_BLOCK_BEGIN.format(var=var), snapshots.ENV_BLOCK_END.format(var=var)
    for path in step.paths:
        if not os.path.exists(path):
            continue
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        kept: list[str] = []
        inside = False
        for line in lines:
            if begin in line:
                inside = True
                if kept and kept[-1] == "":
                    kept.pop()
                continue
            if end in line:
                inside = False
                continue
            if not inside:
                kept.append(line)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(kept))
        events.output(index, f"{path}: {var} block removed")
    return "removed"
