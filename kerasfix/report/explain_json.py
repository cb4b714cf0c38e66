"""An explanation (and its check against an environment) as JSON: `kerasfix.explain/1`."""

from __future__ import annotations

from typing import Any

from kerasfix import __version__
from kerasfix.diagnose.explain import Diagnosis, Explanation


def explain_document(explanation: Explanation, diagnosis: Diagnosis | None) -> dict[str, Any]:
    verdicts = {v.cause.id: v for v in diagnosis.verdicts} if diagnosis else {}
    causes = []
    for cause in explanation.causes:
        verdict = verdicts.get(cause.id)
        causes.append({
            "id": cause.id, "title": cause.title, "why": cause.why,
            "confirm": (verdict.confirm if verdict and verdict.confirm else cause.confirm),
            "fix": (verdict.fix if verdict and verdict.fix else cause.fix),
            "scenario": cause.scenario, "findings": list(cause.findings),
            "status": verdict.status if verdict else None,
            "evidence": list(verdict.evidence) if verdict else [],
            "is_the_cause": bool(verdict and verdict.is_the_cause),
            "led_by": list(explanation.support.get(cause.id, ())),
            "sources": list(cause.sources),
        })
    if diagnosis:  # verdict order: confirmed first
        order = {v.cause.id: i for i, v in enumerate(diagnosis.verdicts)}
        causes.sort(key=lambda c: order.get(str(c["id"]), len(order)))
    return {
        "schema": "kerasfix.explain/1",
        "kerasfix_version": __version__,
        "matched": explanation.matched,
        "message": explanation.message,
        "signatures": [{"id": m.signature.id, "line": m.line, "excerpt": m.excerpt}
                       for m in explanation.matches],
        "causes": causes,
        "cause": diagnosis.cause.id if diagnosis and diagnosis.cause else None,
        "facts": [{"name": f.name, "value": f.value, "line": f.line}
                  for f in explanation.facts.facts],
        "outside": bool(explanation.matches) and not explanation.causes and all(
            m.signature.outside for m in explanation.matches),
        "paths": {"shadowing": list(explanation.paths.shadowing),
                  "user_site": list(explanation.paths.user_site)},
        "notes": list(explanation.notes) + (list(diagnosis.notes) if diagnosis else []),
    }
