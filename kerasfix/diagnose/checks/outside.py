"""A stack package that comes from outside the environment (PYTHONPATH, the user site, a folder
a .pth file adds, the current folder) and wins over, or stands in for, the environment's own.

pip run with the user's environment takes such a copy for the installed one: a fix once
uninstalled a keras from a PYTHONPATH folder, emptying the user's folder, and then said
"fixed". So the environment's own state is judged as its installer sees it
(`Inventory.environment_view`), and what the outside copy changes is reported as one finding
about that copy: the cause, with its consequences, and a manual step, never a pip step.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, RuntimeStep, Severity, sort_findings
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory

CODE = "package-outside-environment"
# What the user view reports about such a copy; the finding below says it better.
SUPERSEDED = {"user-site-package", "distribution-installed-twice"}
WHERE = {"pythonpath": "PYTHONPATH entry", "user-site": "the user site",
         "pth": "a folder added by a .pth file,", "cwd": "the current folder",
         "other": "the sys.path entry"}
SHELL_FILES = ("~/.bashrc", "~/.bash_profile", "~/.profile", "~/.zshrc", "~/.zprofile",
               "~/.zshenv", "~/.config/fish/config.fish")


def outside_distributions(inv: Inventory) -> list[Distribution]:
    """Active stack distributions that live where a fix may not change anything."""
    return [d for d in inv.active_distributions
            if d.name in knowledge.STACK and not inv.is_environment_location(d.location)
            and d.origin not in ("site-packages", "stdlib")]


def attribute_outside(inv: Inventory, run: Callable[[Inventory], list[Finding]]
                      ) -> list[Finding]:
    """The findings of `inv`, with what outside copies cause folded into one finding each."""
    user = run(inv)
    outside = outside_distributions(inv)
    if not outside:
        return user
    view = inv.environment_view()
    inner = run(view)
    inner_keys = {(f.code, f.title) for f in inner}
    labels = {d.label for d in outside}
    consequences: dict[str, list[Finding]] = {d.label: [] for d in outside}
    kept = list(inner)
    for f in user:
        if (f.code, f.title) in inner_keys:
            continue
        if f.code in SUPERSEDED and labels & set(f.distributions):
            continue
        owners = [label for label in f.distributions if label in labels]
        if owners and f.code != CODE:
            consequences[owners[0]].append(f)
        else:
            kept.append(f)  # shadowing by a plain file, and the like: reported as it is
    kept += [_finding(inv, view, d, consequences[d.label]) for d in outside]
    return sort_findings(kept)


def _finding(inv: Inventory, view: Inventory, dist: Distribution,
             consequences: list[Finding]) -> Finding:
    own = view.get(dist.name)
    where = f"{WHERE.get(dist.origin, 'the sys.path entry')} {dist.location}"
    if own is not None:
        title = f"{dist.label} in {where} shadows the {own.label} of the environment"
    else:
        title = f"{dist.label} is imported from {where}, outside the environment"
    worst = max((f.severity for f in consequences), key=lambda s: s.rank, default=None)
    severity = Severity.ERROR if own is not None and own.raw_version != dist.raw_version \
        else (worst or Severity.WARNING)
    effects = "; ".join(f.title for f in consequences)
    detail = (f"Python imports {dist.name} from {dist.location}, which is not part of the"
              f" environment at {inv.interpreter.prefix}"
              + (f" (the environment's own copy, {own.raw_version}, is hidden behind it)"
                 if own else "") + "."
              + (f" With it: {effects}." if effects else "")
              + " kerasfix changes only the environment, so this is yours to do; pip steps"
                " kerasfix runs never see this folder.")
    symptom = next((f.symptom for f in consequences if f.symptom), None)
    return Finding(
        code=CODE, severity=severity, title=title, detail=detail, symptom=symptom,
        evidence=(f"sys.path[{dist.path_index}] ({dist.origin}): {dist.dist_dir}",
                  *((f"environment's copy: {own.dist_dir}",) if own else ()),
                  *(f"consequence: {f.title}" for f in consequences),
                  *(f"PYTHONPATH set in {place}" for place in _set_in(inv, dist))),
        distributions=(dist.label,),  # the environment's own copy is fine: not marked
        paths=(dist.dist_dir,),
        strategies=(S.MANUAL,),
        scenario="S14",
        predicts=_predicts(dist, consequences),
        manual=(instruction(inv, dist),),
    )


def _predicts(dist: Distribution, consequences: Iterable[Finding]) -> tuple[RuntimeStep, ...]:
    steps = {s for f in consequences for s in f.predicts}
    if dist.family == "keras":
        steps |= {RuntimeStep.IMPORT_KERAS}
    return tuple(sorted(steps, key=lambda s: s.value))


def instruction(inv: Inventory, dist: Distribution) -> str:
    """The exact manual step that takes the outside copy out of this environment's way."""
    folder = dist.location
    if dist.origin == "pythonpath":
        rest = [p for p in inv.interpreter.env.get("PYTHONPATH", "").split(os.pathsep)
                if p and os.path.abspath(p) != os.path.abspath(folder)]
        setting = f"export PYTHONPATH={os.pathsep.join(rest)}" if rest else "unset PYTHONPATH"
        places = _set_in(inv, dist)
        at = ("; it is set in " + ", ".join(places) if places
              else "; it is set in your shell or job script, not by this environment")
        return f"take {folder} off PYTHONPATH (`{setting}`){at}"
    if dist.origin == "user-site":
        base = inv.interpreter.base_executable
        owned = ", ".join(os.path.join(folder, top) for top in (*dist.tops, os.path.basename(
            dist.dist_dir)))
        # pip refuses even --user changes on an externally managed base Python (PEP 668),
        # so the files themselves are named too.
        return (f"run this environment with PYTHONNOUSERSITE=1, or remove the user-site copy:"
                f" `{base} -m pip uninstall -y {dist.name}` outside any environment, or move"
                f" {owned} out of {folder}")
    if dist.origin == "pth":
        pth = next((e.pth for e in inv.path_entries if e.path == folder and e.pth), None)
        return f"remove the line {folder} from {pth or 'the .pth file that adds it'}"
    if dist.origin == "cwd":
        return f"run Python from another folder, or move {dist.dist_dir} and its package away"
    return f"take {folder} off sys.path (it is added by sitecustomize or the interpreter)"


def _set_in(inv: Inventory, dist: Distribution) -> list[str]:
    """Files that set PYTHONPATH for this environment: activate scripts, kernelspecs, the
    user's shell profiles. What cannot be seen (a job script, an IDE) is not guessed."""
    if dist.origin != "pythonpath":
        return []
    home = inv.interpreter.home or os.path.expanduser("~")
    files = [os.path.join(inv.interpreter.prefix, "bin", n)
             for n in ("activate", "activate.fish", "activate.csh")]
    files += _folder_files(os.path.join(inv.interpreter.prefix, "etc", "conda", "activate.d"))
    files += [os.path.join(home, f[2:]) for f in SHELL_FILES]
    found = [hit for path in files for hit in _assignments(path)]
    return found + [f"{spec} (Jupyter kernel)" for spec in _kernelspecs(inv, home)]


_ASSIGN = re.compile(r"^\s*(export\s+|set\s+-gx\s+|setenv\s+)?PYTHONPATH\b")


def _assignments(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1_000_000).splitlines()
    except OSError:
        return []
    return [f"{path}:{n}" for n, line in enumerate(lines, 1) if _ASSIGN.match(line)]


def _folder_files(folder: str) -> list[str]:
    try:
        return sorted(os.path.join(folder, n) for n in os.listdir(folder))
    except OSError:
        return []


def _kernelspecs(inv: Inventory, home: str) -> list[str]:
    roots = [os.path.join(inv.interpreter.prefix, "share", "jupyter", "kernels"),
             os.path.join(home, ".local", "share", "jupyter", "kernels")]
    hits = []
    for root in roots:
        for folder in _folder_files(root):
            spec = os.path.join(folder, "kernel.json")
            try:
                with open(spec, encoding="utf-8") as fh:
                    doc = json.load(fh)
            except (OSError, ValueError):
                continue
            argv = doc.get("argv") if isinstance(doc, dict) else None
            env = doc.get("env") if isinstance(doc, dict) else None
            if isinstance(argv, list) and argv and isinstance(env, dict) and \
                    "PYTHONPATH" in env and _same_python(str(argv[0]), inv):
                hits.append(spec)
    return hits


def _same_python(program: str, inv: Inventory) -> bool:
    interp = inv.interpreter
    if not os.path.isabs(program):
        return False
    return os.path.dirname(program) == os.path.dirname(interp.executable)
