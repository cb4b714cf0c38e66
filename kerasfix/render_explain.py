"""An explanation in the terminal (rich). Renders core objects only."""

from __future__ import annotations

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from kerasfix.explain import CONFIRMED, RULED_OUT, Diagnosis, Explanation

MARK = {CONFIRMED: ("✓ holds here", "bold green"), RULED_OUT: ("✗ ruled out", "dim"),
        "unknown": ("? cannot tell statically", "yellow")}


def render_explanation(explanation: Explanation, diagnosis: Diagnosis | None,
                       console: Console) -> None:
    console.print(Text(explanation.message, style="bold"))
    for match in explanation.matches:
        console.print(Text(f"  line {match.line}: {match.excerpt}", style="dim"))
    if diagnosis and diagnosis.cause:
        console.print(Text.assemble(("\nThe cause: ", "bold green"), diagnosis.cause.title))
    verdicts = {v.cause.id: v for v in diagnosis.verdicts} if diagnosis else {}
    order = [v.cause for v in diagnosis.verdicts] if diagnosis else list(explanation.causes)
    for rank, cause in enumerate(order, 1):
        verdict = verdicts.get(cause.id)
        head = Text(f"\n{rank}. {cause.title}", style="bold")
        if verdict:
            label, style = MARK.get(verdict.status, (verdict.status, ""))
            head.append(f"  {label}", style=style)
        console.print(head)
        body = [Text(cause.why)]
        for line in verdict.evidence if verdict else ():
            body.append(Text("• " + line, style="dim"))
        body.append(Text.assemble(("Confirm: ", "bold"), cause.confirm))
        body.append(Text.assemble(("Fix: ", "bold green"), cause.fix))
        for part in body:
            console.print(Padding(part, (0, 0, 0, 3)))
    for note in list(explanation.notes) + (list(diagnosis.notes) if diagnosis else []):
        console.print(Text(note, style="dim"))
