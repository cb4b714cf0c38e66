"""Run the stdlib-only probe in the target interpreter and read its JSON answer."""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasfix.errors import KerasfixError, ProbeError, TargetError
from kerasfix.inspect.bounded import Completed, finish, start
from kerasfix.inspect.probe_shape import shape_problem
from kerasfix.inspect.target import Target
from kerasfix.textsafe import one_line

PROBE_FILE = Path(__file__).with_name("probe_script.py")
MARKER = "KERASFIX-PROBE-JSON"
TOO_OLD = "KERASFIX-TOO-OLD"
MIN_PYTHON = (3, 8)

# Compiles on Python 2 too, so an old interpreter is named instead of failing on syntax.
BOOTSTRAP = (
    "import sys\n"
    "if sys.version_info < (3, 8):\n"
    f"    sys.stdout.write('{TOO_OLD} %d.%d.%d\\n' % tuple(sys.version_info[:3]))\n"
    "    sys.exit(97)\n"
    "p = sys.argv[1]\n"
    "exec(compile(open(p, 'rb').read(), p, 'exec'), {'__name__': '__kerasfix_probe__'})\n"
)


def probe_command(python: str) -> list[str]:
    return [python, "-c", BOOTSTRAP, str(PROBE_FILE)]


def default_timeout() -> float:
    """KERASFIX_PROBE_TIMEOUT (seconds) or 60: a slow network home folder can be slow. A value
    that is no positive number is an error, not silently 60 (nor nan: a probe never timed)."""
    value = os.environ.get("KERASFIX_PROBE_TIMEOUT", "").strip()
    if not value:
        return 60.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise KerasfixError(f"KERASFIX_PROBE_TIMEOUT={one_line(value)}: not a positive number"
                            " of seconds")
    return seconds


@dataclass
class StartedProbe:
    """A probe already running, so the caller can import its own modules meanwhile."""

    target: Target
    proc: subprocess.Popen[bytes] | None
    error: OSError | None
    timeout: float
    # time.perf_counter() when it was launched: a scan's time counts from here
    started: float = field(default_factory=time.perf_counter)


def start_probe(target: Target, timeout: float | None = None, cwd: str | None = None,
                env: Mapping[str, str] | None = None) -> StartedProbe:
    timeout = default_timeout() if timeout is None else timeout
    launched = time.perf_counter()
    try:
        proc = start(probe_command(target.python), cwd=cwd or os.getcwd(),
                     env=os.environ if env is None else env)
    except OSError as err:
        return StartedProbe(target, None, err, timeout, launched)
    return StartedProbe(target, proc, None, timeout, launched)


def finish_probe(started: StartedProbe) -> dict[str, Any]:
    """The probe's document. Raises TargetError for a target that is not a usable Python."""
    target = started.target
    if started.proc is None:
        err = started.error
        raise TargetError(f"cannot run {target.python}: {getattr(err, 'strerror', None) or err}")
    proc = finish(started.proc, started.timeout)
    if proc.timed_out:
        raise TargetError(f"{target.python} did not answer within {started.timeout:g} s"
                          " (is it a Python interpreter?)")
    out = proc.stdout.decode("utf-8", "replace")
    if out.startswith(TOO_OLD) and len(out.split()) > 1:
        found = one_line(out.split()[1][:20])
        raise TargetError(f"{target.python} is Python {found}; kerasfix needs Python"
                          f" {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer in the target")
    head, sep, body = out.partition(MARKER + "\n")
    if not sep:
        raise _not_python(target, proc)
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as err:  # RecursionError: nested a million deep
        raise ProbeError(f"the probe's answer from {target.python} is not JSON:"
                         f" {one_line(str(err))[:200]}") from None
    problem = shape_problem(doc)
    if problem:  # a fake or broken interpreter: named here, not a TypeError in a check
        raise ProbeError(f"the probe's answer from {target.python} is malformed:"
                         f" {one_line(problem)[:200]}")
    checked: dict[str, Any] = doc  # shape_problem found an object of the probe's shape
    if head.strip():
        checked.setdefault("problems", []).append(
            {"kind": "stdout-noise", "path": target.python,
             "error": "startup code printed: " + head.strip()[:200]})
    return checked


def run_probe(target: Target, timeout: float | None = None, cwd: str | None = None,
              env: Mapping[str, str] | None = None) -> dict[str, Any]:
    return finish_probe(start_probe(target, timeout, cwd, env))


def _not_python(target: Target, proc: Completed) -> KerasfixError:
    err = proc.stderr.decode("utf-8", "replace")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    last = (lines[-1].strip() if lines else f"exit code {proc.returncode}")[:160]
    if "Traceback (most recent call last)" in err:
        # It is a Python, but our probe failed in it: a kerasfix bug or a broken interpreter.
        return ProbeError(f"the probe failed in {target.python}: {last}")
    if "sys.version_info" in last or len(last) > 100:  # it echoed our bootstrap back
        last = f"exit code {proc.returncode}"
    return TargetError(f"{target.python} is not a Python 3.8+ interpreter ({last})")
