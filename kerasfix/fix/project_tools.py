"""`--installer poetry|pdm|pipenv`: the project's own tool makes the change, so its manifest,
its lock and the environment move together (`poetry add`, `pdm add`; pipenv as a manual step,
since it works only from the project's folder).

The tool installs into the environment *it* has for the project: the plan is blocked unless
that is the target, since a fix changes the target and nothing else. Uninstall and reinstall
steps (two builds over one folder, a damaged install, --no-deps companions) stay with pip or
uv: the tool has no words for them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping

from kerasfix.fix.conda import requirements_of
from kerasfix.fix.plan import Plan, Step, StepKind, _quote
from kerasfix.inspect.bounded import run_bounded
from kerasfix.inspect.project import Project

TOOLS = ("poetry", "pdm", "pipenv")
ADD = {"poetry": ("add", "--directory"), "pdm": ("add", "-p")}
WHERE = {"poetry": ("env", "info", "--path", "--directory"), "pdm": ("info", "--python", "-p")}
LOCKS = {"poetry": "poetry.lock", "pdm": "pdm.lock", "pipenv": "Pipfile.lock"}
MANIFEST = {"poetry": "pyproject.toml", "pdm": "pyproject.toml", "pipenv": "Pipfile"}


def _convertible(step: Step, python: str) -> bool:
    """An install into the target the tool can express: no --no-deps, no forced reinstall."""
    return step.kind is StepKind.PIP_INSTALL and python in step.argv and not \
        {"--no-deps", "--force-reinstall", "--target"} & set(step.argv)


def environment_of(tool: str, exe: str, root: str, env: Mapping[str, str] | None) -> str | None:
    """The environment folder the tool uses for the project (None: it could not say)."""
    proc = run_bounded([exe, *WHERE[tool], root], 60.0, env=dict(env) if env else None,
                       cwd=os.path.abspath(os.sep))
    lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    if proc.timed_out or proc.returncode != 0 or not lines:
        return None
    found = lines[-1].strip()
    if tool == "pdm":  # an interpreter: its environment is two folders up
        found = os.path.dirname(os.path.dirname(found))
    return found


def _same(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def tool_route(plan: Plan, project: Project | None, tool: str, prefix: str,
               env: Mapping[str, str] | None = None) -> None:
    """Rewrite the plan's installs as one command of the project's tool (in place), or block
    the plan with the reason it cannot."""
    manifest = os.path.join(project.root, MANIFEST[tool]) if project else ""
    if project is None or not os.path.isfile(manifest):
        plan.blocked = (f"--installer {tool} needs a project with a {MANIFEST[tool]}: none was"
                        " found walking up from here (name it with --project DIR)")
        return
    exe = shutil.which(tool)
    if exe is None:
        plan.blocked = f"{tool} is not installed here (not on PATH): install it, or pass" \
                       " --installer pip"
        return
    if tool in WHERE:
        used = environment_of(tool, exe, project.root, env)
        if used is None or not _same(used, prefix):
            plan.blocked = (f"{tool}'s environment for {project.root} is"
                            f" {used or 'unknown'}, not the target {prefix}: kerasfix changes"
                            " only the target (run the fix with that environment's python, or"
                            " pass --installer pip)")
            return
    _rewrite(plan, project, tool, exe, manifest)


def _rewrite(plan: Plan, project: Project, tool: str, exe: str, manifest: str) -> None:
    convertible = [s for s in plan.steps if _convertible(s, plan.target_python)]
    reqs = list(dict.fromkeys(r for s in convertible for r in requirements_of(s.argv)))
    if not reqs:
        return
    lock = os.path.join(project.root, LOCKS[tool])
    paths = tuple(p for p in (manifest, lock) if os.path.isfile(p))
    if tool in ADD:
        step = Step(StepKind.PROJECT_TOOL, f"{tool} add: the stack, into {MANIFEST[tool]},"
                    f" {LOCKS[tool]} and the environment",
                    argv=(exe, ADD[tool][0], ADD[tool][1], project.root, *reqs), paths=paths,
                    packages=tuple(s for st in convertible for s in st.packages),
                    why=f"{tool} records the pins and installs them, so `{tool} install` keeps"
                        " the fix; both files are kept in the snapshot for undo")
    else:
        command = " ".join(_quote(a) for a in ("pipenv", "install", *reqs))
        step = Step(StepKind.MANUAL, "pipenv install: the stack, into the Pipfile and the"
                    " environment", instruction=f"in {project.root}, run `{command}`",
                    why="pipenv works only from the project's folder")
    at = plan.steps.index(convertible[0])
    rest = [s for s in plan.steps if s not in convertible]
    plan.steps = [*rest[:at], step, *rest[at:]]
    plan.notes.append(f"{tool} makes the change: the pins land in {MANIFEST[tool]} and"
                      f" {LOCKS[tool]}, and `{tool} install` will keep them")


_OPERATION = re.compile(r"^\s*- (?:Installing|Updating|Downgrading|Removing) "
                        r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*) \((?P<versions>[^)]*)\)")


def poetry_changes(text: str) -> list[tuple[str, str | None, str | None]]:
    """(name, before, after) from `poetry add --dry-run`'s package operations."""
    out: list[tuple[str, str | None, str | None]] = []
    for match in map(_OPERATION.match, text.splitlines()):
        if not match:
            continue
        versions = [v.strip() for v in match["versions"].split("->")]
        if "Removing" in match.group(0):
            out.append((match["name"], versions[0], None))
        elif len(versions) == 2:
            out.append((match["name"], versions[0], versions[1]))
        else:
            out.append((match["name"], None, versions[0]))
    return out
