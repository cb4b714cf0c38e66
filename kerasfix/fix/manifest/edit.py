"""plan_edits: the manifests of a project, edited for the requirements a repaired stack needs.

Every manifest is read first (requirements files with the files they include through -r/-c),
so that an `add` happens only when no manifest names the package at all; then each is edited
by its format's module. A file no want touches produces no edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from packaging.utils import canonicalize_name

from kerasfix.fix.manifest.conda_env import CondaEnvDoc
from kerasfix.fix.manifest.model import LineChange, ManifestEdit, ManifestError, Want
from kerasfix.fix.manifest.pipfile import PipfileDoc
from kerasfix.fix.manifest.pyproject import PyprojectDoc
from kerasfix.fix.manifest.requirements_txt import RequirementsDoc, closure
from kerasfix.fix.manifest.textio import Source, make_edit, read_source
from kerasfix.inspect.project import Project


class _Doc(Protocol):
    source: Source
    kind: str

    def names(self) -> set[str]: ...

    def apply(self, wants: Mapping[str, Want],
              adds: Sequence[Want]) -> tuple[str, list[LineChange]]: ...


def plan_edits(project: Project, wants: Sequence[Want]) -> list[ManifestEdit]:
    """The edits that make the project's manifests ask for what `wants` says.

    ManifestError (one line naming the file) for a manifest that cannot be read or parsed,
    or a requirements include loop.
    """
    table: dict[str, Want] = {canonicalize_name(w.name): w for w in wants}
    docs = _documents(project)
    named = set().union(*(doc.names() for doc in docs))
    adds = [w for key, w in table.items() if w.add and not w.remove and key not in named]
    edits = []
    for doc in docs:
        after, changes = doc.apply(table, adds if doc.kind != "constraints" else ())
        if after != doc.source.text:
            edits.append(make_edit(project.root, doc.source, after, changes))
    return edits


def _documents(project: Project) -> list[_Doc]:
    cache: dict[str, Source] = {}

    def read(path: str) -> Source:
        if path not in cache:
            cache[path] = read_source(path)
        return cache[path]

    pip_files = [(m.path, m.kind) for m in project.manifests
                 if m.kind in ("requirements", "constraints")]
    docs: list[_Doc] = [RequirementsDoc(read(path), kind)
                        for path, kind in closure(pip_files, project.root, read).items()]
    for manifest in project.manifests:
        if manifest.kind == "pyproject":
            docs.append(PyprojectDoc(read(manifest.path)))
        elif manifest.kind == "pipfile":
            docs.append(PipfileDoc(read(manifest.path)))
        elif manifest.kind == "conda-env":
            docs.append(CondaEnvDoc(read(manifest.path)))
        elif manifest.kind not in ("requirements", "constraints"):
            raise ManifestError(f"{manifest.path}: unknown manifest kind {manifest.kind!r}")
    return docs
