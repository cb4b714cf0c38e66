"""Checks: the commands and Jupyter kernels that run another Python than the target (issue 12).

"Installed here, imported there": `pip` on PATH installs into whichever Python its shebang
names, and a notebook runs the interpreter its kernelspec names. Both are read from the PATH
the target saw (the probe records it) and reported as manual steps: a fix never changes PATH or
kernelspecs outside the target's prefix.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator

from kerasfix.diagnose.checks.base import check, pip_cmd
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.commands import Command, environment_prefix, find_command, same_environment
from kerasfix.inspect.discovery import python_kernelspecs
from kerasfix.inspect.inventory import Inventory

COMMANDS = ("pip", "pip3", "python", "python3")
PIP_NAMES = ("pip", "pip3")


def _path(inv: Inventory) -> str | None:
    return inv.interpreter.env.get("PATH")


def _foreign(inv: Inventory, path_var: str) -> list[Command]:
    out = []
    for name in COMMANDS:
        command = find_command(name, path_var)
        if command and command.python and not same_environment(command.python, inv.python):
            out.append(command)
    return out


def _activated(inv: Inventory) -> bool:
    """The user activated the target (venv or conda): PATH should lead to it."""
    env = inv.interpreter.env
    active = env.get("VIRTUAL_ENV") or env.get("CONDA_PREFIX")
    return bool(active) and os.path.realpath(active or "") == os.path.realpath(
        inv.interpreter.prefix)


def _shell_leads_here(inv: Inventory, path_var: str) -> bool:
    """The user's shell is meant to reach the target: it is activated, or `python` /
    `python3` on PATH run it. Otherwise PATH belongs to other work and is not judged."""
    if _activated(inv):
        return True
    found = (find_command(name, path_var) for name in ("python", "python3"))
    return any(c is not None and c.python is not None and same_environment(c.python, inv.python)
               for c in found)


@check
def commands_run_another_python(inv: Inventory) -> Iterator[Finding]:
    path_var = _path(inv)
    if not path_var or not _shell_leads_here(inv, path_var):
        return
    foreign = _foreign(inv, path_var)
    if not foreign:
        return
    names = " and ".join(f"`{c.name}`" for c in foreign)
    pythons = sorted({c.python or "" for c in foreign})
    pip = any(c.name in PIP_NAMES for c in foreign)
    bin_dir = os.path.dirname(inv.python)
    yield Finding(
        code="command-other-interpreter",
        severity=Severity.WARNING if pip else Severity.INFO,
        title=f"{names} on PATH run{'s' if len(foreign) == 1 else ''} another Python"
              f" ({', '.join(pythons)}), not {inv.python}",
        detail=("What those commands install or import is another environment's: a `pip install`"
                " typed here does not reach the scanned environment, and a script started with"
                " that `python` does not see its packages." + (
                    " The environment is activated, yet PATH leads elsewhere (an alias, a hash"
                    " table entry, or a PATH change after activation)." if _activated(inv)
                    else "")),
        evidence=tuple(f"{c.name} -> {c.path} runs {c.python} ({c.how}; environment"
                       f" {environment_prefix(c.python or c.path)})" for c in foreign),
        paths=tuple(c.path for c in foreign),
        strategies=(S.MANUAL,),
        manual=(f"install with `{pip_cmd(inv, 'install', '...')}` instead of `pip install ...`",
                f"put {bin_dir} first on PATH (activate the environment in a new shell; `hash"
                " -r` clears the shell's cached command paths)"),
    )


def _has_ipykernel(prefix: str) -> bool:
    pattern = os.path.join(prefix, "lib", "python*", "site-packages", "ipykernel")
    return bool(glob.glob(pattern)) or os.path.isdir(
        os.path.join(prefix, "Lib", "site-packages", "ipykernel"))


def _kernel_pythons(inv: Inventory, jupyter: Command) -> list[tuple[str, str]]:
    """(kernel name, interpreter) of every Python kernel that Jupyter offers."""
    prefix = environment_prefix(jupyter.python or jupyter.path)
    env = {**inv.interpreter.env, "HOME": inv.interpreter.home}
    specs = python_kernelspecs(env, inv.interpreter.home, prefix)
    kernels = [(k.name, k.python) for k in specs]
    if "python3" not in {k.name for k in specs} and jupyter.python and _has_ipykernel(prefix):
        kernels.append(("python3", jupyter.python))  # ipykernel's built-in kernel
    return kernels


def _env_name(inv: Inventory) -> str:
    return os.path.basename(inv.interpreter.prefix.rstrip("/\\")) or "tf-env"


@check
def jupyter_kernels_run_another_python(inv: Inventory) -> Iterator[Finding]:
    path_var = _path(inv)
    # Judged when notebooks are meant to run the target: it is activated (then `jupyter`
    # typed in that shell should reach it), or it has ipykernel installed.
    if not path_var or not (_activated(inv) or inv.get("ipykernel") is not None):
        return
    jupyter = find_command("jupyter", path_var)
    if jupyter is None or jupyter.python is None:
        return
    kernels = _kernel_pythons(inv, jupyter)
    if any(same_environment(python, inv.python) for _, python in kernels):
        return
    name = _env_name(inv)
    yield Finding(
        code="jupyter-kernel-other-interpreter",
        severity=Severity.INFO,
        title=f"No Jupyter kernel runs {inv.python}: notebooks started with `jupyter` on PATH"
              " import another environment's packages",
        detail=(f"`jupyter` on PATH ({jupyter.path}) runs {jupyter.python}. A notebook runs the"
                " interpreter its kernel names, and none of the kernels it offers is this"
                " environment's, so what is installed here is not importable in a notebook"
                " ('No module named ...')."),
        evidence=(f"jupyter -> {jupyter.path} runs {jupyter.python} ({jupyter.how})",
                  *(f"kernel '{k}' runs {python}" for k, python in kernels)),
        paths=(jupyter.path,),
        strategies=(S.MANUAL,),
        manual=(f"{inv.python} -m pip install ipykernel && {inv.python} -m ipykernel install"
                f" --user --name {name} (then choose the kernel '{name}' in the notebook)",),
    )
