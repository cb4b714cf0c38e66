"""The runtime check (`--deep`): really import TensorFlow and Keras, in subprocesses.

What the results mean is diagnose/runtime_findings.py's business; this module runs and reads.

TensorFlow is never imported in kerasfix's own process: the target interpreter runs
runtime_script.py with the user's folder and environment, under a timeout. Native crashes
(SIGILL on CPUs without AVX, segfaults from mixed builds) and hangs become findings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasfix.inspect.bounded import Completed, finish, kill_group, start
from kerasfix.inspect.runtime_steps import RuntimeStep
from kerasfix.knowledge import NUMPY_ABI_BANNER

SCRIPT = Path(__file__).with_name("runtime_script.py")
MARK = "KERASFIX-STEP "
BOOTSTRAP = (
    "import sys\np = sys.argv[1]\n"
    "exec(compile(open(p, 'rb').read(), p, 'exec'), {'__name__': '__kerasfix_runtime__'})\n"
)
SIGNAL_MEANING = {
    "SIGILL": "illegal instruction: this CPU lacks instructions (such as AVX) this build needs",
    "SIGSEGV": "segmentation fault: usually binary files from two builds or an incompatible"
               " plugin/NumPy",
    "SIGABRT": "aborted by a native library (often a protobuf or CUDA library clash)",
    "SIGBUS": "bus error in native code",
    "SIGKILL": "killed (out of memory?)",
}


@dataclass
class StepResult:
    step: RuntimeStep
    ok: bool | None  # None: started but never finished (crash or timeout)
    seconds: float = 0.0
    error: str | None = None
    where: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProcessOutcome:
    group: str
    steps: list[StepResult]
    returncode: int | None
    signal_name: str | None
    timed_out: bool
    stderr_tail: str
    numpy_abi_banner: bool
    seconds: float


@dataclass
class RuntimeReport:
    outcomes: list[ProcessOutcome]
    timeout: float

    def step(self, step: RuntimeStep) -> StepResult | None:
        for outcome in self.outcomes:
            for result in outcome.steps:
                if result.step is step:
                    return result
        return None

    def outcome_of(self, step: RuntimeStep) -> ProcessOutcome | None:
        for outcome in self.outcomes:
            if any(r.step is step for r in outcome.steps):
                return outcome
        return None


def _parse_steps(stdout: str) -> list[StepResult]:
    results: dict[str, StepResult] = {}
    for line in stdout.splitlines():
        if not line.startswith(MARK):
            continue
        try:
            row = json.loads(line[len(MARK):])
        except ValueError:
            continue
        step = RuntimeStep(row.pop("step"))
        if row.pop("begin", False):
            results[step.value] = StepResult(step, None)
            continue
        results[step.value] = StepResult(
            step, bool(row.pop("ok")), row.pop("seconds", 0.0), row.pop("error", None),
            row.pop("where", None), row)
    return list(results.values())


def _signal_name(returncode: int | None) -> str | None:
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def run_group(python: str, group: str, timeout: float, cwd: str | None,
              env: Mapping[str, str] | None,
              started_procs: list[subprocess.Popen[bytes]] | None = None) -> ProcessOutcome:
    started = time.perf_counter()
    argv = [python, "-c", BOOTSTRAP, str(SCRIPT), group]
    try:
        child = start(argv, cwd=cwd or os.getcwd(), env=os.environ if env is None else env)
        if started_procs is not None:
            started_procs.append(child)
        proc = finish(child, timeout)
    except OSError as err:
        proc = Completed(127, b"", str(err).encode(), False)
    code = proc.returncode
    out = proc.stdout.decode("utf-8", "replace")
    errors = proc.stderr.decode("utf-8", "replace")
    tail = "\n".join(errors.strip().splitlines()[-12:])
    return ProcessOutcome(group, _parse_steps(out), code, _signal_name(code), proc.timed_out,
                          tail, NUMPY_ABI_BANNER in errors, time.perf_counter() - started)


def run_runtime_check(python: str, groups: list[str], timeout: float = 120.0,
                      cwd: str | None = None,
                      env: Mapping[str, str] | None = None) -> RuntimeReport:
    """Run each group ("tensorflow", "keras", "tf_keras") in its own process, concurrently."""
    procs: list[subprocess.Popen[bytes]] = []
    pool = ThreadPoolExecutor(max_workers=max(1, len(groups)))
    try:
        futures = [pool.submit(run_group, python, g, timeout, cwd, env, procs) for g in groups]
        outcomes = [f.result() for f in futures]
    except BaseException:
        # Ctrl-C: the children run in their own sessions and never see it, and the pool would
        # wait for them until the timeout; end them now so kerasfix stops at once.
        for proc in procs:
            kill_group(proc)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return RuntimeReport(outcomes, timeout)


def failure_text(outcome: ProcessOutcome, result: StepResult | None) -> str:
    if outcome.timed_out:
        return "no answer within the timeout (hung)"
    if outcome.signal_name:
        meaning = SIGNAL_MEANING.get(outcome.signal_name, "killed by a signal")
        return f"crashed with {outcome.signal_name}: {meaning}"
    if result and result.error:
        return result.error
    last = _last_exception(outcome.stderr_tail)
    return last or f"exited with code {outcome.returncode}"


def _last_exception(stderr: str) -> str | None:
    """The final `SomeError: message` line of a traceback printed to stderr."""
    for line in reversed(stderr.splitlines()):
        text = line.strip()
        head = text.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Exit", "Interrupt")) and " " not in head:
            return text
    return None
