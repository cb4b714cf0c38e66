"""Who runs a plan's install steps: pip, uv, or conda for the packages conda owns.

Every route produces argv lists (never a shell) that the preview shows and the runner runs as
they are. The route follows the environment's own manager (kerasfix.inspect.manager) unless the
user picks one (`--installer pip|uv`): a uv-made environment has no pip, and a fix made with
another tool's pip is undone by the next `uv sync`.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from kerasfix.inspect.inventory import Inventory

CHOICES = ("auto", "pip", "uv", "poetry", "pdm", "pipenv")  # the last three: project_tools
PIP_FLAGS = ("--disable-pip-version-check",)


@dataclass(frozen=True)
class Installer:
    """One route: `base` is the argv before the subcommand."""

    name: str  # "pip" | "uv"
    base: tuple[str, ...]
    python: str
    missing: str | None = None  # why this route cannot run here (uv not found)

    def install(self, reqs: Iterable[str], index_flags: tuple[str, ...], *extra: str
                ) -> tuple[str, ...]:
        if self.name == "uv":
            return (*self.base, "install", "--python", self.python, *index_flags, *extra,
                    *reqs)
        return (*self.base, "install", *PIP_FLAGS, *index_flags, *extra, *reqs)

    def uninstall(self, names: Iterable[str]) -> tuple[str, ...]:
        if self.name == "uv":  # uv never prompts
            return (*self.base, "uninstall", "--python", self.python, *names)
        return (*self.base, "uninstall", *PIP_FLAGS, "-y", *names)


def pip_route(inv: Inventory, python: str) -> Installer:
    """`<target> -m pip`, or kerasfix's own pip pointed at the target when it has none."""
    if inv.get("pip") is not None:
        return Installer("pip", (python, "-m", "pip"), python)
    return Installer("pip", (sys.executable, "-m", "pip", "--python", python), python)


def find_uv(inv: Inventory | None = None) -> str | None:
    """uv on PATH, else the `uv` Python package beside kerasfix, else one in the target."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        import uv  # the PyPI package ships the binary and says where

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError, AttributeError):
        pass
    if inv is not None:
        scripts = "Scripts" if os.name == "nt" else "bin"
        own = os.path.join(inv.interpreter.prefix, scripts, "uv.exe" if os.name == "nt" else "uv")
        if os.path.isfile(own) and os.access(own, os.X_OK):
            return own
    return None


def uv_route(inv: Inventory, python: str) -> Installer:
    uv = find_uv(inv)
    if uv is None:
        return Installer("uv", ("uv", "pip"), python,
                         missing="uv is not installed (not on PATH, not a Python package beside"
                                 " kerasfix): install it (`pipx install uv`, or see"
                                 " https://docs.astral.sh/uv/) or pass --installer pip")
    return Installer("uv", (uv, "pip"), python)


def route(inv: Inventory, python: str, choice: str, auto: str) -> Installer:
    """The installer for `choice`; "auto" takes `auto`, the manager's (inspect.manager), and
    so does a project tool's choice for the steps the tool cannot run."""
    if choice == "uv" or (choice not in ("pip", "uv") and auto == "uv"):
        return uv_route(inv, python)
    return pip_route(inv, python)


def is_uv(argv: tuple[str, ...] | list[str]) -> bool:
    """Whether an argv is a `uv pip …` command (the preview asks uv, not pip, to resolve it)."""
    return len(argv) > 1 and argv[1] == "pip" and \
        os.path.basename(argv[0]).lower().startswith("uv")
