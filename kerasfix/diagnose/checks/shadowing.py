"""Something earlier on sys.path answers `import tensorflow` / `import keras` (S14, S15).

The probe lists, in sys.path order, every place a watched name could be imported from; Python's
PathFinder takes the first module or regular package. If that is not the copy a distribution
installed, the user's code imports something else than what pip reports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kerasfix import knowledge
from kerasfix.diagnose.checks.base import check, pip_cmd
from kerasfix.diagnose.findings import Finding, RuntimeStep, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory

STEP_FOR = {"tensorflow": RuntimeStep.IMPORT_TENSORFLOW, "keras": RuntimeStep.IMPORT_KERAS,
            "tf_keras": RuntimeStep.IMPORT_TF_KERAS}
LOCAL_ORIGINS = ("cwd", "pythonpath", "other", "pth")
WATCHED_DISTS = {"tensorflow": knowledge.TENSORFLOW_VARIANTS, "keras": knowledge.KERAS_VARIANTS,
                 "tf_keras": knowledge.TF_KERAS_VARIANTS, "numpy": frozenset({"numpy"}),
                 "ml_dtypes": frozenset({"ml-dtypes"}), "h5py": frozenset({"h5py"}),
                 "google": frozenset({"protobuf"})}


def _installed_location(inv: Inventory, name: str) -> set[str]:
    """Folders where a distribution's RECORD installed this import name."""
    members = WATCHED_DISTS.get(name, frozenset())
    return {d.location for d in inv.distributions
            if d.name in members and (name in d.tops or name in d.owns_init)}


@check
def local_file_shadows_package(inv: Inventory) -> Iterator[Finding]:
    for name in WATCHED_DISTS:
        first = inv.first_import(name)
        installed = _installed_location(inv, name)
        if not first or not installed or _parent(first.path) in installed:
            continue
        if first.origin not in LOCAL_ORIGINS:
            continue
        where = {"cwd": "the current folder", "pythonpath": "a PYTHONPATH folder",
                 "pth": "a folder added by a .pth file"}.get(first.origin, "an earlier sys.path"
                                                              " entry")
        rename = f"rename or move {first.path}" + (
            f" (and delete {os.path.join(_parent(first.path), '__pycache__', name)}*.pyc)"
            if first.kind == "module" else "")
        yield Finding(
            code="local-file-shadows-package",
            severity=Severity.ERROR,
            title=f"{first.path} shadows the installed {name}",
            detail=(f"`import {name}` finds this {first.kind} in {where} before the installed"
                    f" package in {sorted(installed)[0]}, so your code imports it instead."
                    + (" It only bites when Python runs from this folder (or a script in it)."
                       if first.origin == "cwd" else "")),
            symptom=(f"ImportError: cannot import name ... from partially initialized module"
                     f" '{name}' (most likely due to a circular import) ({first.path})"),
            evidence=(f"sys.path[{first.index}] ({first.origin}): {first.path}",
                      f"installed copy: {os.path.join(sorted(installed)[0], name)}"),
            paths=(first.path,),
            strategies=(S.MANUAL,),
            scenario="S15",
            predicts=_predicts(name),
            manual=(rename,),
        )


@check
def user_site_shadows_environment(inv: Inventory) -> Iterator[Finding]:
    """A stack distribution in the user site: it wins over the environment's copy (PEP 370)."""
    for dist in inv.distributions:
        if dist.origin != "user-site" or dist.name not in knowledge.STACK:
            continue
        others = [d for d in inv.distributions
                  if d is not dist and d.origin == "site-packages" and _same_family(d, dist)]
        if others and not dist.active:  # a venv's own site-packages comes first (PEP 405)
            severity, what = Severity.WARNING, (
                f"{others[0].label} in {others[0].location} comes first and is the one"
                " imported here, but every Python of this version that enables the user site"
                " sees this copy.")
        elif others:
            severity, what = Severity.ERROR, (
                f"It shadows {', '.join(o.label for o in others)} in {others[0].location}:"
                " Python imports the user-site copy and pip may upgrade one while you run"
                " the other.")
        else:
            severity, what = Severity.WARNING, (
                "Every Python of this version sees the user site (unless PYTHONNOUSERSITE is"
                " set), so a package there leaks into environments that did not ask for it.")
        yield Finding(
            code="user-site-package",
            severity=severity,
            title=f"{dist.label} is installed in the user site ({dist.location})",
            detail=("A `pip install --user` (or pip's automatic fallback when site-packages was"
                    f" not writable) put it there. {what}"),
            evidence=(f"{dist.dist_dir}",
                      *(f"also: {o.label} in {o.location}" for o in others)),
            distributions=(dist.label, *(o.label for o in others)),
            paths=(dist.dist_dir,),
            strategies=(S.REPAIR, S.MANUAL, S.FRESH_VENV),
            scenario="S14",
            manual=(pip_cmd(inv, "uninstall", dist.name) + "  (repeat until 'not installed')",
                    "or run Python with PYTHONNOUSERSITE=1"),
        )


@check
def shadowed_duplicate_distribution(inv: Inventory) -> Iterator[Finding]:
    """The same distribution in two sys.path folders (not user-site: that has its own check)."""
    for dist in inv.distributions:
        if dist.active or dist.origin == "user-site":
            continue
        winner = next(d for d in inv.distributions if d.dist_dir == dist.shadowed_by)
        if winner.origin == "user-site" or winner.location == dist.location:
            continue
        stack = dist.name in knowledge.STACK
        yield Finding(
            code="distribution-installed-twice",
            severity=Severity.WARNING if stack else Severity.INFO,
            title=f"{dist.name} is installed twice: {winner.raw_version} wins over"
                  f" {dist.raw_version}",
            detail=(f"{winner.label} in {winner.location} comes first on sys.path, so its files"
                    f" are imported; the copy in {dist.location} is invisible to pip list and pip"
                    " check but still on disk."),
            evidence=(f"sys.path[{winner.path_index}] ({winner.origin}): {winner.dist_dir}",
                      f"sys.path[{dist.path_index}] ({dist.origin}): {dist.dist_dir}"),
            distributions=(winner.label, dist.label),
            paths=(winner.dist_dir, dist.dist_dir),
            strategies=(S.REPAIR, S.FRESH_VENV) if stack else (),
            scenario="S14",
        )


def _predicts(name: str) -> tuple[RuntimeStep, ...]:
    """A shadowed keras breaks tf.keras too (TensorFlow imports it); numpy and friends break
    `import tensorflow` itself."""
    if name == "keras":
        return (RuntimeStep.IMPORT_KERAS, RuntimeStep.TF_KERAS, RuntimeStep.TF_KERAS_ATTRIBUTE)
    return (STEP_FOR[name],) if name in STEP_FOR else (RuntimeStep.IMPORT_TENSORFLOW,)


def _same_family(a: Distribution, b: Distribution) -> bool:
    return a.name == b.name or (a.family is not None and a.family == b.family)


def _parent(path: str) -> str:
    return os.path.dirname(path)
