"""Errors the CLI turns into one-line messages and documented exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_STEP_FAILED = 3
EXIT_INTERNAL = 4  # a kerasfix bug (one line; KERASFIX_DEBUG=1 shows the traceback)


class KerasfixError(Exception):
    """An expected failure: the message is shown as one line, the exit code is documented."""

    exit_code = EXIT_USAGE


class TargetError(KerasfixError):
    """The target interpreter cannot be used (missing, not Python, too old, hangs)."""


class ProbeError(KerasfixError):
    """The probe ran but its answer could not be read."""
