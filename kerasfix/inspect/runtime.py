"""The runtime check (`--deep`): really import TensorFlow and Keras, in subprocesses.

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

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, RuntimeStep, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.enums import TextEnum
from kerasfix.inspect.bounded import Completed, finish, kill_group, start

SCRIPT = Path(__file__).with_name("runtime_script.py")
MARK = "KERASFIX-STEP "
BOOTSTRAP = (
    "import sys\np = sys.argv[1]\n"
    "exec(compile(open(p, 'rb').read(), p, 'exec'), {'__name__': '__kerasfix_runtime__'})\n"
)
NUMPY_ABI = "compiled using NumPy 1.x cannot be run in"
SIGNAL_MEANING = {
    "SIGILL": "illegal instruction: this CPU lacks instructions (such as AVX) this build needs",
    "SIGSEGV": "segmentation fault: usually binary files from two builds or an incompatible"
               " plugin/NumPy",
    "SIGABRT": "aborted by a native library (often a protobuf or CUDA library clash)",
    "SIGBUS": "bus error in native code",
    "SIGKILL": "killed (out of memory?)",
}


class RuntimeVerdict(TextEnum):
    """What the runtime check made of a finding's prediction (`Finding.runtime`)."""

    CONFIRMED = "confirmed"  # the predicted step failed (or a runtime-* finding: it happened)
    NOT_REPRODUCED = "not reproduced"  # the predicted step ran


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
                          tail, NUMPY_ABI in errors, time.perf_counter() - started)


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


# ---------------------------------------------------------------- results as findings


def _failure_text(outcome: ProcessOutcome, result: StepResult | None) -> str:
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


STEP_TITLES = {
    RuntimeStep.IMPORT_TENSORFLOW: "`import tensorflow` fails",
    RuntimeStep.TF_KERAS_ATTRIBUTE: "`tf.keras.Model` (attribute access) fails",
    RuntimeStep.TF_KERAS: "`from tensorflow.keras.models import Sequential` fails",
    RuntimeStep.FIT: "a one-layer Sequential model cannot be trained",
    RuntimeStep.IMPORT_KERAS: "`import keras` fails",
    RuntimeStep.IMPORT_TF_KERAS: "`import tf_keras` fails",
}


GROUP_FIRST_STEP = {"tensorflow": RuntimeStep.IMPORT_TENSORFLOW,
                    "keras": RuntimeStep.IMPORT_KERAS, "tf_keras": RuntimeStep.IMPORT_TF_KERAS}


def _step_failure(outcome: ProcessOutcome, failed: StepResult) -> Finding:
    step = failed.step
    crashed = failed.ok is None and (outcome.timed_out or outcome.signal_name is not None)
    text = _failure_text(outcome, failed)
    evidence = [f"step: {step.value}", text]
    if failed.where:
        evidence.append(f"raised at {failed.where}")
    if outcome.numpy_abi_banner:
        evidence.append("stderr: NumPy's 'compiled using NumPy 1.x' ABI banner")
    if outcome.stderr_tail:
        evidence.append(f"stderr (last lines):\n{outcome.stderr_tail}")
    return Finding(
        code="runtime-crash" if crashed else f"runtime-{step.value.replace('_', '-')}-failed",
        severity=Severity.ERROR,
        title=f"Runtime check: {STEP_TITLES[step]}" + (
            f" ({outcome.signal_name})" if crashed and outcome.signal_name else
            " (timed out)" if crashed else ""),
        detail=f"Ran in a subprocess of the target: {text}.",
        symptom=failed.error or text,
        evidence=tuple(evidence),
        strategies=(S.REPAIR, S.UPGRADE, S.FRESH_VENV),
        predicts=(step,),
        runtime=RuntimeVerdict.CONFIRMED,
    )


def runtime_findings(report: RuntimeReport) -> list[Finding]:
    findings: list[Finding] = []
    for outcome in report.outcomes:
        failures = [r for r in outcome.steps if r.ok is not True]
        crashed = outcome.timed_out or outcome.signal_name is not None
        if crashed and not failures:
            failures = [StepResult(GROUP_FIRST_STEP[outcome.group], None)]
        findings.extend(_step_failure(outcome, result) for result in failures)
    findings.extend(_healthy(report))
    return findings


def _healthy(report: RuntimeReport) -> list[Finding]:
    fit, imported = report.step(RuntimeStep.FIT), report.step(RuntimeStep.IMPORT_TENSORFLOW)
    if not (fit and fit.ok and imported):
        return []
    if any(r.ok is not True for o in report.outcomes for r in o.steps) or any(
            o.timed_out or o.signal_name for o in report.outcomes):
        return []  # a model trained, but something else failed: not "ok"
    kind = observed_route(report)
    return [Finding(
        code="runtime-ok",
        severity=Severity.INFO,
        title=f"Runtime check: TensorFlow {imported.data.get('version')} imports and a"
              " Sequential model trains",
        detail=f"tf.keras is {ROUTE_NAMES.get(kind or '', 'an unrecognised Keras')}.",
        evidence=(f"tensorflow: {imported.data.get('file')}",
                  f"import: {imported.seconds:.1f} s, fit: {fit.seconds:.1f} s"),
        runtime=RuntimeVerdict.CONFIRMED,
    )]


ROUTE_NAMES = {"keras2": "Keras 2 (the keras 2.x package)", "keras3": "Keras 3",
               "tf_keras": "Keras 2 from tf-keras (legacy mode)"}


def observed_route(report: RuntimeReport) -> str | None:
    """What tf.keras really was: from the loaded module's file."""
    for step in (RuntimeStep.TF_KERAS_ATTRIBUTE, RuntimeStep.TF_KERAS):
        result = report.step(step)
        if result and result.ok:
            kind = knowledge.route_kind_from_file(result.data.get("keras_file"))
            if kind:
                return kind
    return None


def compare_route(expected: knowledge.KerasRoute | None, report: RuntimeReport) -> list[Finding]:
    """A finding when TensorFlow routed tf.keras elsewhere than the static analysis said."""
    seen = observed_route(report)
    if expected is None or seen is None or expected.kind in ("fail", seen):
        return []
    return [Finding(
        code="runtime-route-differs",
        severity=Severity.WARNING,
        title=f"tf.keras is {ROUTE_NAMES[seen]}, not {ROUTE_NAMES.get(expected.kind)}",
        detail=("The installed metadata says one thing and the running TensorFlow did another:"
                " something on sys.path or in the environment (a copy earlier on the path, a"
                " sitecustomize, an overwritten package folder) changes the routing."),
        evidence=(f"expected: {expected.module}", f"observed: {seen}"),
        runtime=RuntimeVerdict.CONFIRMED,
    )]


def judge(static: list[Finding], report: RuntimeReport) -> list[Finding]:
    """Mark each static prediction as confirmed or not reproduced by what really ran."""
    judged = []
    for finding in static:
        verdicts = []
        for step in finding.predicts:
            result = report.step(step)
            outcome = report.outcome_of(step)
            if result is None and outcome is None:
                continue  # that step did not run (no such package, or an earlier step died)
            verdicts.append(result is None or result.ok is not True)
        if not verdicts:
            judged.append(finding)
        elif any(verdicts):
            judged.append(finding.with_runtime(RuntimeVerdict.CONFIRMED, "the runtime check"
                                               " failed where this finding said it would"))
        else:
            judged.append(finding.with_runtime(RuntimeVerdict.NOT_REPRODUCED, "the predicted"
                                               " step ran without error"))
    return judged
