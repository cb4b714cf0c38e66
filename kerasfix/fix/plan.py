"""A fix plan: the exact steps a strategy will run, in order. What the preview shows is this."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from enum import Enum

from kerasfix.diagnose.findings import Finding, Strategy


class StepKind(str, Enum):
    PIP_INSTALL = "pip-install"
    PIP_UNINSTALL = "pip-uninstall"
    PIP_DOWNLOAD = "pip-download"  # wheels fetched before anything is uninstalled
    CONDA_INSTALL = "conda-install"  # conda-owned packages of a conda environment
    CONDA_REMOVE = "conda-remove"
    MOVE_ASIDE = "move-aside"  # kerasfix renames a folder into its state folder (never deletes)
    CREATE_VENV = "create-venv"
    SET_ENV_VAR = "set-env-var"  # write activation scripts of the environment
    EDIT_MANIFEST = "edit-manifest"  # the project's recipe, shown as a diff (kerasfix writes it)
    LOCK = "lock"  # the project's tool re-locks after a manifest edit (uv lock, poetry lock)
    PROJECT_TOOL = "project-tool"  # poetry/pdm add: manifest, lock and environment at once
    MOVE_BACK = "move-back"  # undo: put moved-aside folders back (never over existing files)
    RESTORE_FILE = "restore-file"  # undo: a manifest or lock file back, byte for byte
    UNSET_ENV_VAR = "unset-env-var"  # undo: remove kerasfix's block from activation scripts
    MANUAL = "manual"  # only the user can do it: shown with the exact instruction


@dataclass(frozen=True)
class Step:
    kind: StepKind
    title: str
    argv: tuple[str, ...] = ()  # for pip and venv steps: exactly what runs (never a shell)
    why: str = ""
    paths: tuple[str, ...] = ()  # move-aside sources; set-env-var files
    pairs: tuple[tuple[str, str], ...] = ()  # move-back: (stored copy, original place)
    env_var: tuple[str, str] | None = None  # (name, value) for SET_ENV_VAR
    packages: tuple[str, ...] = ()  # distributions this step installs or removes
    instruction: str = ""  # manual steps: what to do, paths included
    # pip-download: the install commands whose wheels it fetches, as the user's index would
    # resolve them; the preview dry-runs these, since the installs themselves run offline.
    resolves: tuple[tuple[str, ...], ...] = ()
    # edit-manifest: the file's new text, the diff the preview shows, and the sha256 of the
    # bytes it was computed from (a file changed since the preview is not overwritten).
    text: str = ""
    diff: str = ""
    digest: str = ""

    @property
    def automatic(self) -> bool:
        return self.kind is not StepKind.MANUAL

    def command_text(self) -> str:
        """How the step reads in a preview or a log."""
        if self.argv:
            return " ".join(_quote(a) for a in self.argv)
        if self.kind is StepKind.MOVE_ASIDE:
            return "move aside: " + ", ".join(self.paths)
        if self.kind is StepKind.SET_ENV_VAR and self.env_var:
            return f"{self.env_var[0]}={self.env_var[1]} in " + ", ".join(self.paths)
        if self.kind is StepKind.MOVE_BACK:
            return "move back: " + ", ".join(f"{a} -> {b}" for a, b in self.pairs)
        if self.kind is StepKind.EDIT_MANIFEST:
            return "edit " + ", ".join(self.paths) + " (the diff below)"
        if self.kind is StepKind.RESTORE_FILE:
            return "restore from the snapshot: " + ", ".join(b for _a, b in self.pairs)
        if self.kind is StepKind.UNSET_ENV_VAR:
            return "remove kerasfix's block from " + ", ".join(self.paths)
        return self.instruction


class Undo(str, Enum):
    """The one plan that is not a fix strategy: taking a snapshot's fix back. Its own type, so
    `for s in Strategy` and the CLI's --strategy choices never offer it."""

    UNDO = "undo"


UNDO = Undo.UNDO


def _quote(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in " <>=!~*;|&$'\"") else arg


def new_run_id() -> str:
    """A sortable, unique id: the snapshot of the run (and its download folder) is named so."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(2)}"


@dataclass
class Plan:
    strategy: Strategy | Undo  # `.value` is what reports and snapshots show
    target_python: str
    steps: list[Step]
    resolves: list[Finding]  # error/warning findings this plan is meant to clear
    leaves: list[Finding]  # findings it cannot clear (manual, or outside the strategy)
    notes: list[str] = field(default_factory=list)
    blocked: str | None = None  # why this strategy cannot run here at all
    id: str = field(default_factory=new_run_id)  # the snapshot id of the run, known up front
    index_flags: tuple[str, ...] = ()  # --find-links / --no-index: undo needs them too
    installer: str = "pip"  # the route its install steps run through (fix.installers)

    @property
    def automatic_steps(self) -> list[Step]:
        return [s for s in self.steps if s.automatic]

    @property
    def manual_steps(self) -> list[Step]:
        return [s for s in self.steps if not s.automatic]

    @property
    def empty(self) -> bool:
        return not self.steps
