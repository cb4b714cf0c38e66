"""The project folder whose recipe pins the stack: its manifests, lock files and managing tool.

A fix that repairs the environment but leaves `requirements.txt` / `pyproject.toml` pinning the
broken stack is undone by the next `pip install -r` / `uv sync` / `poetry install` (issue 13), so
the fix step finds the project here and edits its manifests (kerasfix.fix.manifest).

The project is the first folder, walking up from the start folder, that holds a manifest or a
lock file; the walk stops below the user's home folder (a stray ~/requirements.txt is not the
project of everything under ~) and at the filesystem root. `--project DIR` names it exactly.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from kerasfix.errors import KerasfixError
from kerasfix.textsafe import one_line

# Lock files and the tool that writes them, in precedence order: a lock names its tool outright.
LOCKS = (("uv.lock", "uv"), ("poetry.lock", "poetry"), ("pdm.lock", "pdm"),
         ("Pipfile.lock", "pipenv"), ("conda-lock.yml", "conda"))
_MARKERS = ("pyproject.toml", "Pipfile", "environment.yml", "environment.yaml",
            "uv.lock", "poetry.lock", "pdm.lock")
_MARKER_GLOBS = ("requirements*.txt", "constraints*.txt")
_TOOL_TABLES = ("uv", "poetry", "pdm")  # [tool.X] in pyproject.toml names the tool


class ProjectError(KerasfixError):
    """`--project` does not name a usable folder (one line, exit 2)."""


@dataclass(frozen=True)
class Manifest:
    path: str  # absolute
    kind: str  # "requirements" | "constraints" | "pyproject" | "pipfile" | "conda-env"


@dataclass(frozen=True)
class Project:
    root: str  # absolute folder
    manifests: tuple[Manifest, ...]
    locks: tuple[tuple[str, str], ...]  # (absolute lock path, tool)
    tool: str  # "uv" | "poetry" | "pdm" | "pipenv" | "conda" | "pip"
    evidence: tuple[str, ...]  # why we think so, e.g. "uv.lock", "[tool.poetry] in pyproject.toml"


def find_project(start: str, explicit: str | None = None) -> Project | None:
    """The project `explicit` names, or the first project folder at or above `start`."""
    if explicit is not None:
        if not os.path.isdir(explicit):
            raise ProjectError(f"--project {one_line(explicit)}: not a folder")
        return read_project(os.path.abspath(explicit))
    root = _walk_up(os.path.abspath(start))
    return read_project(root) if root is not None else None


def read_project(root: str) -> Project:
    """What `root` holds: manifests, locks, and the tool that manages it."""
    pyproject, pyproject_note = _load_pyproject(root)
    locks = tuple((os.path.join(root, name), tool) for name, tool in LOCKS
                  if os.path.isfile(os.path.join(root, name)))
    manifests = _manifests(root, pyproject, pyproject_note is not None)
    tool, evidence = _tool(root, locks, pyproject)
    if pyproject_note:
        evidence = (*evidence, pyproject_note)
    return Project(root, manifests, locks, tool, evidence)


def _walk_up(folder: str) -> str | None:
    home = os.path.abspath(os.path.expanduser("~"))
    while True:
        if folder == home:
            return None
        if _is_project(folder):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _is_project(folder: str) -> bool:
    if any(os.path.isfile(os.path.join(folder, name)) for name in _MARKERS):
        return True
    return any(_glob_files(folder, pattern) for pattern in _MARKER_GLOBS)


def _glob_files(folder: str, pattern: str) -> list[str]:
    found = glob.glob(os.path.join(glob.escape(folder), pattern))
    return sorted(path for path in found if os.path.isfile(path))


def _load_pyproject(root: str) -> tuple[dict[str, Any] | None, str | None]:
    """The parsed pyproject.toml (None when absent or broken) and a note when it is broken."""
    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        return None, None
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        return tomlkit.parse(text).unwrap(), None
    except (OSError, UnicodeDecodeError, TOMLKitError) as err:
        return None, f"pyproject.toml does not parse: {one_line(str(err))}"


def pyproject_declares_dependencies(doc: dict[str, Any]) -> bool:
    """Whether a pyproject.toml lists dependencies kerasfix can edit."""
    project = doc.get("project") or {}
    poetry = (doc.get("tool") or {}).get("poetry") or {}
    groups = poetry.get("group") or {}
    return bool(project.get("dependencies") or project.get("optional-dependencies")
                or doc.get("dependency-groups") or poetry.get("dependencies")
                or poetry.get("dev-dependencies")
                or any((g or {}).get("dependencies") for g in groups.values()))


def _manifests(root: str, pyproject: dict[str, Any] | None,
               broken_pyproject: bool) -> tuple[Manifest, ...]:
    found: list[Manifest] = []
    for pattern in ("requirements*.txt", os.path.join("requirements", "*.txt")):
        found += [Manifest(p, _requirements_kind(p)) for p in _glob_files(root, pattern)]
    found += [Manifest(p, "constraints") for p in _glob_files(root, "constraints*.txt")]
    # A broken pyproject.toml is listed: editing it is what reports it (ManifestError).
    if broken_pyproject or (pyproject is not None and pyproject_declares_dependencies(pyproject)):
        found.append(Manifest(os.path.join(root, "pyproject.toml"), "pyproject"))
    if os.path.isfile(os.path.join(root, "Pipfile")):
        found.append(Manifest(os.path.join(root, "Pipfile"), "pipfile"))
    found += [Manifest(os.path.join(root, name), "conda-env")
              for name in ("environment.yml", "environment.yaml")
              if os.path.isfile(os.path.join(root, name))]
    return tuple(found)


def _requirements_kind(path: str) -> str:
    return "constraints" if os.path.basename(path).startswith("constraints") else "requirements"


def _tool(root: str, locks: tuple[tuple[str, str], ...],
          pyproject: dict[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    """The managing tool and every sign seen; a lock file outranks a [tool.*] table."""
    evidence = [os.path.basename(path) for path, _ in locks]
    tables = (pyproject or {}).get("tool") or {}
    signs = [tool for _, tool in locks]
    for name in _TOOL_TABLES:
        if name in tables:
            evidence.append(f"[tool.{name}] in pyproject.toml")
            signs.append(name)
    for name, tool in (("Pipfile", "pipenv"), ("environment.yml", "conda"),
                       ("environment.yaml", "conda")):
        if os.path.isfile(os.path.join(root, name)):
            evidence.append(name)
            signs.append(tool)
    if not signs:
        evidence += [os.path.basename(p) for p in _glob_files(root, "requirements*.txt")]
        return "pip", tuple(evidence)
    return signs[0], tuple(evidence)
