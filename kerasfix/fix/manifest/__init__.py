"""The project's manifests, edited so the next install keeps the repaired stack (issue 13).

    plan_edits(project, wants) -> list[ManifestEdit]   the exact new text and a unified diff
    write_atomic(path, text_or_bytes)                    temp file beside it + os.replace

Formats: requirements/constraints files (with -r/-c includes), pyproject.toml ([project],
[dependency-groups], Poetry), Pipfile, environment.yml. The rule for when a requirement changes
and what it becomes is in `rules.py`.
"""

from kerasfix.fix.manifest.edit import plan_edits
from kerasfix.fix.manifest.model import LineChange, ManifestEdit, ManifestError, Want
from kerasfix.fix.manifest.textio import write_atomic

__all__ = ["LineChange", "ManifestEdit", "ManifestError", "Want", "plan_edits",
           "write_atomic"]
