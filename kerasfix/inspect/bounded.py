"""Run a child process with a hard time limit that also ends its children.

subprocess.run(timeout=...) kills only the direct child; a grandchild holding the output pipes
(a shell wrapper, a pyenv shim, a TF worker) would keep communicate() waiting. So the child gets
its own process group and the whole group is killed on timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    returncode: int | None  # None when it was killed for the timeout
    stdout: bytes
    stderr: bytes
    timed_out: bool


def start(argv: Sequence[str], *, cwd: str | None = None,
          env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start the child in its own process group. Raises OSError when it cannot start."""
    return subprocess.Popen(
        list(argv), cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=os.name == "posix",
    )


def run_bounded(argv: Sequence[str], timeout: float, *, cwd: str | None = None,
                env: Mapping[str, str] | None = None) -> Completed:
    """Raises OSError when the program cannot be started at all."""
    return finish(start(argv, cwd=cwd, env=env), timeout)


def finish(proc: subprocess.Popen[bytes], timeout: float) -> Completed:
    """Wait for a started child; past the timeout its whole process group is killed."""
    try:
        out, err = proc.communicate(timeout=timeout)
        return Completed(proc.returncode, out, err, False)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        return Completed(None, out, err, True)
    except BaseException:
        kill_group(proc)
        proc.wait()
        raise


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
