"""All checks. Each module groups checks by what they look at; importing registers them."""

from __future__ import annotations

from kerasfix.checks import (  # noqa: F401  (imported to register their checks)
    environment,
    integrity,
    keras_routing,
    native_deps,
    requirements,
    shadowing,
)
from kerasfix.checks.base import CHECKS
from kerasfix.findings import Finding, sort_findings
from kerasfix.inventory import Inventory


def run_checks(inv: Inventory) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(inv))
    return sort_findings(findings)


__all__ = ["CHECKS", "run_checks"]
