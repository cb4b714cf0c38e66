"""All checks. Each module groups checks by what they look at; importing registers them."""

from __future__ import annotations

from kerasfix.diagnose.checks import (  # noqa: F401  (imported to register their checks)
    addons,
    environment,
    gpu,
    gpu_machine,
    integrity,
    interpreters,
    keras_routing,
    native_deps,
    requirements,
    shadowing,
)
from kerasfix.diagnose.checks.base import CHECKS
from kerasfix.diagnose.checks.outside import attribute_outside
from kerasfix.diagnose.findings import Finding, sort_findings
from kerasfix.inspect.inventory import Inventory


def _run_all(inv: Inventory) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(inv))
    return sort_findings(findings)


def run_checks(inv: Inventory) -> list[Finding]:
    """Every check; what a copy from outside the environment causes is charged to that copy."""
    return attribute_outside(inv, _run_all)


__all__ = ["CHECKS", "run_checks"]
