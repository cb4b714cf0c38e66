"""The runtime check's results as findings: a failed step, a healthy stack, the route tf.keras
really took, and the static findings confirmed or not reproduced."""

from __future__ import annotations

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.diagnose.runtime_gpu import gpu_findings
from kerasfix.inspect.runtime import (
    ProcessOutcome,
    RuntimeReport,
    StepResult,
    failure_text,
)
from kerasfix.inspect.runtime_steps import RuntimeStep, RuntimeVerdict

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
    text = failure_text(outcome, failed)
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
    findings.extend(gpu_findings(report))  # TensorFlow's GPU facts and its own log lines
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
