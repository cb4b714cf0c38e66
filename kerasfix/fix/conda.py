"""Conda environments: the packages conda owns are changed with conda, the rest with pip.

pip over a conda-owned package leaves conda's records saying one thing and site-packages
another (the scan's conda-and-pip-own-package); the next `conda install` then undoes or breaks
the fix. So each install or uninstall step of a plan is split: conda-owned requirements go to a
`conda install -p PREFIX` / `conda remove -p PREFIX --force` step (mamba when that is what the
user has), run first, and pip keeps the rest. Without a conda executable the conda half is a
manual step with the exact command.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from kerasfix.fix.plan import Plan, Step, StepKind, _quote
from kerasfix.inspect.inventory import Inventory

# conda's package name for a pip distribution, where they differ (conda-forge / defaults).
CONDA_NAME = {"tensorflow": "tensorflow", "ml-dtypes": "ml_dtypes", "tf-keras": "tf-keras"}
_VALUE_FLAGS = ("--python", "--find-links", "-f", "--index-url", "-i", "--extra-index-url",
                "--target", "--dest")


def conda_exe(inv: Inventory) -> str | None:
    """The user's conda: $CONDA_EXE of the scan, mamba or conda on PATH, or the one of the
    installation the environment lives in (envs/<name> under its root)."""
    named = inv.interpreter.env.get("CONDA_EXE")
    if named and os.path.isfile(named):
        return named
    for tool in ("mamba", "conda"):
        found = shutil.which(tool)
        if found:
            return found
    prefix = inv.interpreter.prefix
    for root in (prefix, os.path.dirname(os.path.dirname(prefix))):
        candidate = os.path.join(root, "bin", "conda")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def requirements_of(argv: tuple[str, ...]) -> list[str]:
    """The requirement arguments of an install argv (options and their values skipped)."""
    at = argv.index("install") + 1 if "install" in argv else len(argv)
    out, skip = [], False
    for arg in argv[at:]:
        if skip:
            skip = False
        elif arg in _VALUE_FLAGS:
            skip = True
        elif not arg.startswith("-"):
            out.append(arg)
    return out


def _spec(req: str) -> str:
    """A pip requirement as a conda match spec: conda's name, the same PEP 440-style bounds."""
    parsed = Requirement(req)
    name = CONDA_NAME.get(canonicalize_name(parsed.name), parsed.name)
    return f"{name}{parsed.specifier}"


def _owned(req: str, owned: frozenset[str]) -> bool:
    try:
        return canonicalize_name(Requirement(req).name) in owned
    except InvalidRequirement:
        return False


def _conda_step(kind: StepKind, title: str, argv: tuple[str, ...], names: tuple[str, ...],
                exe: str | None, why: str) -> Step:
    if exe is None:
        command = " ".join(_quote(a) for a in ("conda", *argv[1:]))  # pasted into a shell
        return Step(StepKind.MANUAL, title, why=why + "; no conda executable was found",
                    instruction=f"run `{command}` (conda owns these packages)")
    return Step(kind, title, argv=argv, packages=names, why=why)


def _split_install(step: Step, inv: Inventory, owned: frozenset[str], exe: str | None
                   ) -> list[Step]:
    reqs = requirements_of(step.argv)
    mine = [r for r in reqs if _owned(r, owned)]
    if not mine:
        return [step]
    prefix = inv.interpreter.prefix
    extra = ("--force-reinstall",) if "--force-reinstall" in step.argv else ()
    argv = (exe or "conda", "install", "-p", prefix, "-y", *extra, *map(_spec, mine))
    names = tuple(canonicalize_name(Requirement(r).name) for r in mine)
    steps = [_conda_step(StepKind.CONDA_INSTALL, f"{step.title} (conda-owned: "
                         f"{', '.join(names)})", argv, names, exe,
                         "conda installed these; conda changes them, so its records stay true")]
    rest = [r for r in reqs if r not in mine]
    if rest:
        # pip keeps its part; exact conda pins stay as holds, so pip cannot move them.
        holds = [r for r in mine if "==" in r]
        keep = [a for a in step.argv if a not in mine or a in holds]
        steps.append(replace(step, argv=tuple(keep), packages=tuple(
            n for n in step.packages if canonicalize_name(n) not in names)))
    return steps


def _split_uninstall(step: Step, inv: Inventory, owned: frozenset[str], exe: str | None
                     ) -> list[Step]:
    names = tuple(n for n in step.packages if canonicalize_name(n) in owned)
    if not names:
        return [step]
    conda_names = tuple(CONDA_NAME.get(canonicalize_name(n), n) for n in names)
    argv = (exe or "conda", "remove", "-p", inv.interpreter.prefix, "-y", "--force",
            *conda_names)
    steps = [_conda_step(StepKind.CONDA_REMOVE, f"Remove conda-owned {', '.join(names)}",
                         argv, names, exe, "--force: only these, not what depends on them")]
    rest = tuple(n for n in step.packages if n not in names)
    if rest:
        keep = tuple(a for a in step.argv if a not in names)
        steps.append(replace(step, argv=keep, packages=rest))
    return steps


def route_conda(plan: Plan, inv: Inventory, owned: frozenset[str],
                exe: str | None) -> None:
    """Rewrite the plan's pip steps for a conda environment (in place) and say who does what."""
    if not owned:
        return
    steps: list[Step] = []
    for step in plan.steps:
        if step.kind is StepKind.PIP_INSTALL and step.argv:
            steps += _split_install(step, inv, owned, exe)
        elif step.kind is StepKind.PIP_UNINSTALL:
            steps += _split_uninstall(step, inv, owned, exe)
        else:
            steps.append(step)
    if steps != plan.steps:
        plan.steps = steps
        pip_side = sorted({p for s in steps if s.kind in (StepKind.PIP_INSTALL,
                                                            StepKind.PIP_UNINSTALL)
                           for p in s.packages})
        plan.notes.append(_who_does_what(owned, pip_side, exe))


def _who_does_what(owned: frozenset[str], pip_side: list[str], exe: str | None) -> str:
    text = f"conda owns {', '.join(sorted(owned))} here: "
    text += (f"{os.path.basename(exe)} changes them" if exe else
             "no conda executable was found, so those steps are yours to run")
    if pip_side:
        text += f"; pip changes {', '.join(pip_side)}, which pip installed"
    return text

