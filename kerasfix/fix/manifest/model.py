"""What the planner asks for (Want) and what an edit of one manifest is (ManifestEdit)."""

from __future__ import annotations

from dataclasses import dataclass

from kerasfix.errors import KerasfixError

# The distributions that install TensorFlow itself: an added companion goes next to them.
TENSORFLOW_NAMES = frozenset({"tensorflow", "tensorflow-cpu", "tensorflow-macos",
                              "tensorflow-intel", "tensorflow-aarch64", "tf-nightly"})

HASHES_NOTE = "hashes removed: regenerate them with pip-compile --generate-hashes"


class ManifestError(KerasfixError):
    """A manifest cannot be read, parsed or written (one line naming the file, exit 2)."""


@dataclass(frozen=True)
class Want:
    name: str  # canonical distribution name (packaging.utils.canonicalize_name)
    spec: str  # PEP 440 specifier the repaired stack needs ("" = any version)
    exact: str | None = None  # the version that will be installed, when known
    add: bool = False  # add a requirement when no manifest names it
    remove: bool = False  # the repaired stack must not have it

    def added_spec(self) -> str:
        """The version part of a requirement added for this want."""
        return self.spec or (f"=={self.exact}" if self.exact else "")


@dataclass(frozen=True)
class LineChange:
    path: str
    line: int  # 1-based, in the file as it is now (an added line: the line it will be)
    before: str  # human-readable ("" = none: an added line)
    after: str  # human-readable ("" = none: a removed line)


@dataclass(frozen=True)
class ManifestEdit:
    path: str
    before: bytes  # the file's exact bytes now (the snapshot keeps them for undo)
    after: str  # the new text
    diff: str  # unified diff, a/ b/ labels = path relative to the project root
    changes: tuple[LineChange, ...]
