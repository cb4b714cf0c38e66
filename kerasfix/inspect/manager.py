"""Who manages an environment: the tool whose next run would undo a fix made behind its back.

Read from what the tools leave: pyvenv.cfg's `uv =` line (uv venv), INSTALLER records, conda-meta/
(which packages conda owns), and the project folder's lock files and [tool.*] tables
(kerasfix.inspect.project).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from kerasfix.inspect.inventory import Inventory

if TYPE_CHECKING:
    from kerasfix.inspect.project import Project

PROJECT_TOOLS = ("uv", "poetry", "pdm", "pipenv")
# conda packages whose files are a pip distribution of another name.
PIP_NAME = {"tensorflow-base": "tensorflow", "ml_dtypes": "ml-dtypes", "tf_keras": "tf-keras"}


def pip_name(conda_name: str) -> str:
    """The pip distribution a conda package installs."""
    return canonicalize_name(PIP_NAME.get(conda_name, conda_name))


@dataclass(frozen=True)
class Manager:
    name: str  # uv | pip | conda | poetry | pdm | pipenv | system
    evidence: tuple[str, ...]
    conda_owned: frozenset[str] = frozenset()  # distributions conda installed (canonical)
    project_root: str | None = None
    installer: str = "pip"  # what `--installer auto` runs: uv for uv-made or uv projects

    def describe(self) -> str:
        why = f" ({'; '.join(self.evidence)})" if self.evidence else ""
        return f"{self.name}{why}"


def conda_owned(inv: Inventory) -> frozenset[str]:
    """Stack distributions conda installed and pip has not replaced since."""
    owned = set()
    for record in inv.conda:
        name = pip_name(record.name)
        dist = inv.get(name)
        if dist is None or (dist.installer or "conda").strip().lower() == "conda":
            owned.add(name)
    return frozenset(owned)


def _installers(inv: Inventory) -> Counter[str]:
    return Counter((d.installer or "").strip().lower() for d in inv.active_distributions
                   if d.origin == "site-packages")


def _environment_tool(inv: Inventory) -> tuple[str, tuple[str, ...]]:
    interp = inv.interpreter
    if interp.kind == "conda" or inv.conda:
        return "conda", (f"conda-meta/ records {len(inv.conda)} of the stack's packages",)
    made_by_uv = interp.pyvenv_cfg.get("uv")
    counts = _installers(inv)
    by_uv = bool(counts) and counts.most_common(1)[0][0] == "uv"
    # `uv venv --seed` puts pip in: then who installed the packages decides.
    if made_by_uv and (inv.get("pip") is None or by_uv):
        return "uv", (f"pyvenv.cfg: uv = {made_by_uv}",
                      *((f"INSTALLER uv on {counts['uv']} distributions",) if by_uv else ()))
    if inv.get("pip") is None and by_uv:
        return "uv", (f"no pip; INSTALLER uv on {counts['uv']} distributions",)
    if interp.kind == "venv":
        maker = "virtualenv" if "virtualenv" in interp.pyvenv_cfg else "venv"
        return "pip", (f"pyvenv.cfg ({maker})",)
    return ("system" if interp.externally_managed else "pip"), ()


def installs_with_uv(inv: Inventory) -> bool:
    """Whether the environment's own installs are uv's (a uv venv; commands shown say uv)."""
    return _environment_tool(inv)[0] == "uv"


def detect(inv: Inventory, project: Project | None = None) -> Manager:
    """The environment's manager; a uv/Poetry/PDM/Pipenv project manages the venv it is
    used with (its `sync`/`install` rewrites it from the lock)."""
    tool, evidence = _environment_tool(inv)
    owned = conda_owned(inv) if tool == "conda" else frozenset()
    root = project.root if project is not None else None
    uses_uv = tool == "uv" or (project is not None and project.tool == "uv")
    installer = "uv" if uses_uv else "pip"
    if project is not None and project.tool in PROJECT_TOOLS and tool in ("pip", "uv"):
        return Manager(project.tool, (*project.evidence, *evidence), owned, root, installer)
    return Manager(tool, evidence, owned, root, installer)
