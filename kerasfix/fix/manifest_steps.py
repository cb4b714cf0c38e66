"""The plan steps that carry a fix into the project's recipe: one edit per manifest (shown as a
diff, applied only after every install step succeeded, kept in the snapshot for undo) and the
lock command of the project's tool.

What the manifests must ask for is read off the plan itself: the requirements its install
steps pin, the distributions it removes for good, and the ones it brings that were missing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import replace
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from kerasfix.fix.conda import requirements_of
from kerasfix.fix.installers import find_uv
from kerasfix.fix.manifest import ManifestEdit, ManifestError, Want, plan_edits
from kerasfix.fix.plan import Plan, Step, StepKind
from kerasfix.inspect.inventory import Inventory
from kerasfix.inspect.project import Project

if TYPE_CHECKING:
    from kerasfix.fix.preview import PlanPreview

INSTALLS = (StepKind.PIP_INSTALL, StepKind.CONDA_INSTALL)
REMOVES = (StepKind.PIP_UNINSTALL, StepKind.CONDA_REMOVE)
# The lock command of each tool, run from anywhere (the runner's folder holds no packages).
LOCK_COMMANDS = {"uv": ("lock", "--directory"), "poetry": ("lock", "--directory"),
                 "pdm": ("lock", "--project")}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wants_of(plan: Plan, inv: Inventory) -> list[Want]:
    """What the repaired stack asks of a manifest, from the plan's own steps."""
    pinned: dict[str, Want] = {}
    for step in plan.steps:
        if step.kind not in INSTALLS and not (step.kind is StepKind.MANUAL and step.argv):
            continue
        for text in requirements_of(step.argv):
            want = _want(text, inv)
            if want is not None:
                pinned[want.name] = want
    removed = {canonicalize_name(p) for s in plan.steps if s.kind in REMOVES
               for p in s.packages} - set(pinned)
    return [*pinned.values(), *(Want(name, "", remove=True) for name in sorted(removed))]


def _want(text: str, inv: Inventory) -> Want | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    name = canonicalize_name(req.name)
    spec = str(req.specifier)
    exact = next((s.version for s in req.specifier if s.operator == "=="
                  and "*" not in s.version), None)
    return Want(name, spec, exact=exact, add=inv.get(name) is None)


def manifest_steps(plan: Plan, inv: Inventory, project: Project) -> list[Step]:
    """The edit steps (and the lock step) for `plan`; ManifestError when a manifest cannot be
    read or parsed (the plan is then blocked: it would half-fix the recipe)."""
    edits = plan_edits(project, wants_of(plan, inv))
    steps = [edit_step(edit, project) for edit in edits]
    if steps:
        steps += lock_steps(project)
    return steps


def edit_step(edit: ManifestEdit, project: Project) -> Step:
    shown = os.path.relpath(edit.path, project.root)
    changes = "; ".join(f"{c.before or '(new)'} -> {c.after or '(removed)'}"
                        for c in edit.changes)
    return Step(StepKind.EDIT_MANIFEST, f"Update {shown} to the repaired stack",
                paths=(edit.path,), text=edit.after, diff=edit.diff,
                digest=digest(edit.before),
                why=f"the next install from {shown} would break the environment again"
                    + (f" ({changes})" if changes else ""))


def lock_steps(project: Project) -> list[Step]:
    """Lock files are never hand-edited: the tool re-locks (a manual step without it)."""
    steps = []
    for path, tool in project.locks:
        name = os.path.basename(path)
        exe = find_uv() if tool == "uv" else shutil.which(tool)
        command = LOCK_COMMANDS.get(tool)
        if exe is None or command is None:
            what = {"pipenv": "pipenv lock", "conda": "conda-lock"}.get(tool, f"{tool} lock")
            steps.append(Step(StepKind.MANUAL, f"Update {name}",
                              instruction=f"run `{what}` in {project.root} ({tool} is not"
                                          " found here)" if exe is None else
                                          f"run `{what}` in {project.root}",
                              why="the manifest changed; its lock file must follow"))
            continue
        steps.append(Step(StepKind.LOCK, f"Update {name} with {tool}",
                          argv=(exe, command[0], command[1], project.root), paths=(path,),
                          why="the manifest changed; the lock follows it (kept in the"
                              " snapshot: undo restores it)"))
    return steps


def add_manifest_steps(plan: Plan, inv: Inventory, project: Project | None) -> None:
    """Append the recipe's steps to a plan (in place); a manifest that cannot be parsed
    becomes a manual step with its one-line reason (the environment is fixed all the same)."""
    if project is None or plan.blocked:
        return
    try:
        steps = manifest_steps(plan, inv, project)
    except ManifestError as err:  # the environment is still fixed; the recipe is the user's
        steps = [Step(StepKind.MANUAL, "Update the project's manifest by hand",
                      instruction=f"{err}: fix it, then pin the versions this fix installs"
                                  " (or run the fix again)",
                      why="kerasfix edits only a manifest it can parse")]
    manual = [s for s in plan.steps if s.kind is StepKind.MANUAL]
    plan.steps = [s for s in plan.steps if s.kind is not StepKind.MANUAL] + steps + manual



def refine(preview: PlanPreview, inv: Inventory, project: Project | None) -> None:
    """Once the resolver has answered, a pinned (`==`) manifest line gets the exact version
    it chose instead of a range; the plan's and the preview's edit steps are replaced."""
    plan = preview.plan
    edits = [s for s in plan.steps if s.kind is StepKind.EDIT_MANIFEST]
    if project is None or not edits or preview.unresolved:
        return
    resolved: dict[str, str] = {canonicalize_name(c.name): c.after
                                for p in preview.steps for c in p.changes if c.after}
    wants = [replace(w, exact=w.exact or resolved.get(w.name) or _kept(w, inv))
             for w in wants_of(plan, inv)]
    try:
        fresh = {e.path: edit_step(e, project) for e in plan_edits(project, wants)}
    except ManifestError:
        return  # read fine a moment ago; keep the edit as planned
    swap = {id(s): fresh.get(s.paths[0], s) for s in edits}
    plan.steps = [swap.get(id(s), s) for s in plan.steps]
    for p in preview.steps:
        p.step = swap.get(id(p.step), p.step)


def _kept(want: Want, inv: Inventory) -> str | None:
    """The installed version, when the plan leaves it and it fits what is wanted."""
    dist = inv.get(want.name)
    if dist is None or dist.version is None or want.remove:
        return None
    return dist.raw_version if SpecifierSet(want.spec).contains(dist.version, True) else None
