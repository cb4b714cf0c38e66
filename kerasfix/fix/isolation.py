"""What an installer step may see: the target environment and nothing else.

A fix once ran pip with the user's PYTHONPATH: pip took the keras in that folder for the
installed one and emptied the folder. Every pip/venv command kerasfix runs, and every dry-run
that previews one, therefore gets an environment in which only the target's own prefix is
visible, and runs from a folder that holds no packages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Variables that put folders outside the environment on sys.path or send pip elsewhere.
REMOVED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONSAFEPATH",
           "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER")
# Set rather than removed: an environment variable beats a `user = true` in pip.conf.
FORCED = {"PYTHONNOUSERSITE": "1", "PIP_USER": "0"}


def installer_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `base` (default: this process's environment) that sees only the target."""
    env = dict(os.environ if base is None else base)
    for name in REMOVED:
        env.pop(name, None)
    env.update(FORCED)
    return env


def installer_cwd() -> str:
    """A folder without packages: `python -m pip` puts its working folder on sys.path."""
    return os.path.abspath(os.sep)
