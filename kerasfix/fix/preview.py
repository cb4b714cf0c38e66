"""What each step would change, asked of pip itself (`install --dry-run --report`) and of RECORD.

pip's report says what it would install, not what it would replace; the before column comes
from the scan. Uninstalls list the files RECORD names and any other distribution claiming the
same files, so a clobbered pair is never half-removed unnoticed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.utils import canonicalize_name

from kerasfix import knowledge
from kerasfix.fix.installers import is_uv
from kerasfix.fix.isolation import installer_cwd, installer_env
from kerasfix.fix.plan import Plan, Step, StepKind
from kerasfix.fix.project_tools import poetry_changes
from kerasfix.inspect.bounded import run_bounded
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.textsafe import one_line


@dataclass(frozen=True)
class PackageChange:
    name: str
    before: str | None  # None: not installed now
    after: str | None  # None: removed
    flag: str | None = None  # why this change deserves a second look


@dataclass
class StepPreview:
    step: Step
    changes: list[PackageChange] = field(default_factory=list)
    files: int = 0  # files an uninstall removes / a move takes aside
    size_bytes: int = 0
    shared_with: list[str] = field(default_factory=list)
    error: str | None = None  # the preview could not be computed (offline, old pip…)
    seconds: float = 0.0
    unresolved: bool = False  # pip could not resolve what this step installs: it cannot work


@dataclass
class PlanPreview:
    plan: Plan
    steps: list[StepPreview]

    @property
    def flags(self) -> list[str]:
        return [f"{c.name}: {c.flag}" for s in self.steps for c in s.changes if c.flag]

    @property
    def errors(self) -> list[str]:
        return [f"{s.step.title}: {s.error}" for s in self.steps if s.error]

    @property
    def unresolved(self) -> str | None:
        """Why the plan must not start: pip's own answer for the first step it cannot
        resolve. A plan that would uninstall and then fail to install stops here instead."""
        for number, s in enumerate(self.steps, 1):
            if s.unresolved:
                return f"step {number} ({s.step.title}) cannot be resolved: {s.error}"
        return None


def dry_run_argv(argv: tuple[str, ...], report: str) -> list[str]:
    """The install argv with the dry-run flags added right after `install`: pip writes its
    installation report to `report`; uv prints what it would change."""
    i = argv.index("install")
    if is_uv(argv):
        return [*argv[: i + 1], "--dry-run", *argv[i + 1:]]
    return [*argv[: i + 1], "--dry-run", "--quiet", "--report", report, *argv[i + 1:]]


def preview_install(step: Step, inv: Inventory, env: Mapping[str, str] | None,
                    timeout: float, argv: tuple[str, ...] | None = None) -> StepPreview:
    """Ask the installer that will run `argv` (default: the step's own) to resolve it
    without installing anything."""
    out = StepPreview(step, unresolved=True)
    argv = argv or step.argv
    tool = "uv" if is_uv(argv) else "pip"
    with tempfile.TemporaryDirectory(prefix="kerasfix-") as tmp:
        report = os.path.join(tmp, "report.json")
        try:
            # The same isolation as the run: what it resolves here is what it will do then.
            proc = run_bounded(dry_run_argv(argv, report), timeout,
                               env=installer_env(env), cwd=installer_cwd())
        except OSError as err:
            out.error = f"cannot run {tool}: {err}"
            return out
        if proc.timed_out:
            out.error = f"{tool} did not resolve within {timeout:g} s (index unreachable?)"
            return out
        data = _resolution(tool, proc.returncode, proc.stderr, report, out)
    if data is None:
        return out
    out.unresolved = False
    out.changes = changes_from_report(data, inv, replace(step, argv=argv))
    return out


def _resolution(tool: str, code: int | None, stderr: bytes, report: str, out: StepPreview
                ) -> dict[str, Any] | None:
    """pip's report, or uv's printed plan in the same shape; None (and `out.error`) when the
    installer could not resolve."""
    text = stderr.decode("utf-8", "replace")
    if tool == "uv":
        if code != 0:
            out.error = _pip_error(text)
            return None
        return uv_report(text)
    if code != 0 or not os.path.exists(report):
        out.error = _pip_error(text)
        return None
    try:
        with open(report, encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
            return data
    except (OSError, ValueError) as err:
        out.error = f"pip's report is unreadable: {err}"
        return None


_UV_LINE = re.compile(r"^ \+ (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?"
                      r"==(?P<version>\S+)")


def uv_report(text: str) -> dict[str, Any]:
    """`uv pip install --dry-run` prints ` + name==version` for each install: pip's report
    shape (installation report v1, the fields kerasfix reads) built from those lines."""
    installs = [{"metadata": {"name": m["name"], "version": m["version"]}}
                for m in map(_UV_LINE.match, text.splitlines()) if m]
    return {"install": installs}


def preview_download(step: Step, inv: Inventory, env: Mapping[str, str] | None,
                     timeout: float) -> StepPreview:
    """A download step is checked by resolving the installs it fetches for, with the user's
    index; what those installs change is shown here, before anything is uninstalled."""
    out = StepPreview(step)
    for argv in step.resolves:
        one = preview_install(step, inv, env, timeout, argv)
        out.changes += one.changes
        if one.unresolved:
            out.error, out.unresolved = one.error, True
            break
    return out


def _pip_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR", "error:"))] or lines[-1:]
    text = errors[0] if errors else "pip failed"
    if text == "error: No solution found when resolving dependencies" and len(lines) > 1:
        text += ": " + lines[lines.index(text) + 1].removeprefix("cause: ")  # uv's reason
    if "no such option: --dry-run" in stderr or "no such option: --report" in stderr:
        text = "this pip is too old for --dry-run --report (pip 23+ needed)"
    if any(s in stderr for s in ("NewConnectionError", "Temporary failure in name resolution",
                                 "Network is unreachable", "No matching distribution")):
        text += " (offline or index unreachable? try --find-links DIR --no-index)"
    return text


def changes_from_report(data: dict[str, Any], inv: Inventory, step: Step
                        ) -> list[PackageChange]:
    """What pip's `--report` (installation report v1) would install, against the scan."""
    tf_now: set[str] = {d.name for d in inv.active_distributions
                        if d.name in knowledge.TENSORFLOW_VARIANTS}
    planned: set[str] = {canonicalize_name(p) for p in step.packages}
    changes = []
    for item in data.get("install", []):
        meta = item.get("metadata", {})
        name = canonicalize_name(meta.get("name", "?"))
        after = meta.get("version")
        current = inv.get(name)
        before = current.raw_version if current else None
        if before == after and not step.argv.count("--force-reinstall"):
            continue
        changes.append(PackageChange(name, before, after, _flag(name, before, after, tf_now,
                                                                planned)))
    return sorted(changes, key=lambda c: (c.flag is None, c.name))


def _flag(name: str, before: str | None, after: str | None, tf_now: set[str],
          planned: set[str]) -> str | None:
    if name in knowledge.TENSORFLOW_VARIANTS:
        if before is None and tf_now - {name}:
            return f"a second TensorFlow build beside {', '.join(sorted(tf_now))}"
        if name not in planned:
            return "TensorFlow would move as a side effect"
    if name in knowledge.KERAS_VARIANTS | knowledge.TF_KERAS_VARIANTS and name not in planned:
        return "Keras would move as a side effect"
    b, a = knowledge.parse_version(before), knowledge.parse_version(after)
    if b and a and a.major != b.major and name in knowledge.STACK:
        return f"major version change {b.major} -> {a.major}"
    return None


def read_record(dist: Distribution) -> list[tuple[str, int]]:
    try:
        with open(os.path.join(dist.dist_dir, "RECORD"), encoding="utf-8",
                  errors="replace") as fh:
            rows = list(csv.reader(io.StringIO(fh.read())))
    except OSError:
        return []
    out = []
    for row in rows:
        if row and row[0]:
            size = int(row[2]) if len(row) > 2 and row[2].isdigit() else 0
            out.append((row[0], size))
    return out


def preview_uninstall(step: Step, inv: Inventory, removed: set[str] | None = None
                      ) -> StepPreview:
    out = StepPreview(step)
    names = {canonicalize_name(p) for p in step.packages}
    targets = [d for d in inv.active_distributions if d.name in names]
    files: dict[str, int] = {}
    for dist in targets:
        for rel, size in read_record(dist):
            files[os.path.normpath(os.path.join(dist.location, rel))] = size
        out.changes.append(PackageChange(dist.name, dist.raw_version, None))
    out.files, out.size_bytes = len(files), sum(files.values())
    if removed is not None:
        removed.update(files)
    for other in inv.active_distributions:
        if other.name in names or not other.family:
            continue
        if other.family in {t.family for t in targets}:
            theirs = {os.path.normpath(os.path.join(other.location, rel))
                      for rel, _ in read_record(other)}
            shared = len(theirs & set(files))
            if shared:
                out.shared_with.append(f"{other.label} lists {shared} of these files too")
    return out


def preview_move(step: Step, removed_before: set[str]) -> StepPreview:
    """Files a move takes aside: what is there minus what earlier uninstalls will remove."""
    out = StepPreview(step)
    for path in step.paths:
        count, size = _tree_size(path, removed_before)
        out.files += count
        out.size_bytes += size
    if removed_before and out.files == 0:
        out.error = "nothing expected to remain after the uninstall above (checked again when run)"
    return out


def _tree_size(path: str, skip: set[str]) -> tuple[int, int]:
    if os.path.isfile(path) or os.path.islink(path):
        return (0, 0) if os.path.normpath(path) in skip else (1, os.lstat(path).st_size)
    count = size = 0
    for root, _dirs, names in os.walk(path):
        if "__pycache__" in root:
            continue
        for name in names:
            full = os.path.normpath(os.path.join(root, name))
            if full in skip:
                continue
            try:
                size += os.lstat(full).st_size
                count += 1
            except OSError:
                pass
    return count, size


def preview_conda(step: Step, inv: Inventory, env: Mapping[str, str] | None,
                  timeout: float) -> StepPreview:
    """conda's own dry run (`--dry-run --json`): what it would link and unlink."""
    out = StepPreview(step, unresolved=True)
    try:
        proc = run_bounded([*step.argv, "--dry-run", "--json"], timeout,
                           env=installer_env(env), cwd=installer_cwd())
    except OSError as err:
        out.error = f"cannot run conda: {err}"
        return out
    if proc.timed_out:
        out.error = f"conda did not resolve within {timeout:g} s"
        return out
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except ValueError:
        data = {}
    if proc.returncode != 0 or not isinstance(data, dict) or data.get("error"):
        message = data.get("message") or data.get("error") if isinstance(data, dict) else None
        out.error = one_line(str(message or _pip_error(proc.stderr.decode("utf-8", "replace"))))
        return out
    out.unresolved = False
    out.changes = _conda_changes(data.get("actions") or {}, inv)
    return out


def _conda_changes(actions: dict[str, Any], inv: Inventory) -> list[PackageChange]:
    linked = {canonicalize_name(str(a.get("name"))): str(a.get("version"))
              for a in actions.get("LINK", []) if isinstance(a, dict)}
    unlinked = {canonicalize_name(str(a.get("name"))) for a in actions.get("UNLINK", [])
                if isinstance(a, dict)}
    changes = []
    for name in sorted(set(linked) | unlinked):
        current = inv.get(name)
        changes.append(PackageChange(name, current.raw_version if current else None,
                                     linked.get(name)))
    return changes


def preview_tool(step: Step, env: Mapping[str, str] | None, timeout: float) -> StepPreview:
    """`poetry add --dry-run` / `pdm add --dry-run`: the tool resolves, nothing is written."""
    out = StepPreview(step, unresolved=True)
    tool = os.path.basename(step.argv[0])
    try:
        proc = run_bounded([*step.argv, "--dry-run"], timeout, env=installer_env(env),
                           cwd=installer_cwd())
    except OSError as err:
        out.error = f"cannot run {tool}: {err}"
        return out
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    if proc.timed_out or proc.returncode != 0:
        out.error = f"{tool} did not resolve within {timeout:g} s" if proc.timed_out else \
            one_line(_tool_error(text))
        return out
    out.unresolved = False
    out.changes = [PackageChange(canonicalize_name(name), before, after)
                   for name, before, after in poetry_changes(text)]
    if not out.changes and "poetry" not in tool:
        out.error = f"{tool} resolved it; its dry run lists no versions kerasfix can read"
    return out


def _tool_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return next((line for line in reversed(lines) if not line.startswith(("at ", "File "))),
                "the tool failed")


def _python_of(argv: tuple[str, ...]) -> str | None:
    """The interpreter a `--python X` installer command targets."""
    if "--python" in argv[:-1]:
        return argv[argv.index("--python") + 1]
    return None


def preview_plan(plan: Plan, inv: Inventory, *, env: Mapping[str, str] | None = None,
                 timeout: float = 300.0) -> PlanPreview:
    previews = []
    removed: set[str] = set()  # files earlier uninstall steps will take away
    downloads: list[str] = []  # folders earlier download steps fill
    for step in plan.steps:
        in_target = step.argv[:1] == (plan.target_python,) or _python_of(step.argv) == \
            plan.target_python
        if step.kind is StepKind.PIP_DOWNLOAD:
            downloads.append(step.argv[step.argv.index("--dest") + 1] if "--dest" in step.argv
                             else "--offline")  # uv: the installs then run from its cache
            previews.append(preview_download(step, inv, env, timeout))
        elif step.kind is StepKind.PIP_INSTALL and set(downloads) & set(step.argv):
            previews.append(StepPreview(step, error="resolved above: it installs the wheels"
                                                    " the download step fetches"))
        elif step.kind is StepKind.PIP_INSTALL and in_target:
            previews.append(preview_install(step, inv, env, timeout))
        elif step.kind is StepKind.PIP_INSTALL:
            previews.append(StepPreview(step, error="resolved when the new environment exists"))
        elif step.kind is StepKind.PIP_UNINSTALL:
            previews.append(preview_uninstall(step, inv, removed))
        elif step.kind is StepKind.MOVE_ASIDE:
            previews.append(preview_move(step, removed))
        elif step.kind in (StepKind.CONDA_INSTALL, StepKind.CONDA_REMOVE):
            previews.append(preview_conda(step, inv, env, timeout))
        elif step.kind is StepKind.PROJECT_TOOL:
            previews.append(preview_tool(step, env, timeout))
        else:
            previews.append(StepPreview(step))
    return PlanPreview(plan, previews)
