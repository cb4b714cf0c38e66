"""An explanation in the terminal (rich). Renders core objects only.

The pasted text is anyone's: it is shown through `visible_data` and only as Text.
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.text import Text

from kerasfix.diagnose.explain import CONFIRMED, RULED_OUT, Diagnosis, Explanation
from kerasfix.textsafe import visible_data

MARK = {CONFIRMED: ("✓ holds here", "bold green"), RULED_OUT: ("✗ ruled out", "dim"),
        "unknown": ("? cannot tell statically", "yellow")}


def explanation_parts(explanation: Explanation, diagnosis: Diagnosis | None,
                      *, confirm: bool = True) -> list[RenderableType]:
    """The causes, confirmed first, with evidence and fix; the CLI and the TUI share it."""
    explanation, diagnosis = visible_data((explanation, diagnosis))  # the one choke point
    parts: list[RenderableType] = [Text(explanation.message, style="bold")]
    parts += [Text(f"  line {m.line}: {m.excerpt}", style="dim") for m in explanation.matches]
    if diagnosis and diagnosis.cause:
        parts.append(Text.assemble(("\nThe cause: ", "bold green"), diagnosis.cause.title))
    verdicts = {v.cause.id: v for v in diagnosis.verdicts} if diagnosis else {}
    order = [v.cause for v in diagnosis.verdicts] if diagnosis else list(explanation.causes)
    for rank, cause in enumerate(order, 1):
        verdict = verdicts.get(cause.id)
        head = Text(f"\n{rank}. {cause.title}", style="bold")
        if verdict:
            label, style = MARK.get(verdict.status, (verdict.status, ""))
            head.append(f"  {label}", style=style)
        parts.append(head)
        body = [Text(cause.why)]
        led_by = explanation.support.get(cause.id, ())
        if led_by:  # which lines of the text (and which facts in it) put it here
            body.append(Text("Led here by: " + "; ".join(led_by), style="dim"))
        body += [Text("• " + line, style="dim") for line in (verdict.evidence if verdict else ())]
        if confirm:  # the verdict's version names this interpreter and TF line
            body.append(Text.assemble(("Confirm: ", "bold"),
                                      (verdict.confirm if verdict and verdict.confirm
                                       else cause.confirm)))
        body.append(Text.assemble(("Fix: ", "bold green"),
                                  verdict.fix if verdict and verdict.fix else cause.fix))
        parts += [Padding(part, (0, 0, 0, 3)) for part in body]
    notes = list(explanation.notes) + (list(diagnosis.notes) if diagnosis else [])
    parts += [Text(note, style="dim") for note in notes]
    return parts


def render_explanation(explanation: Explanation, diagnosis: Diagnosis | None,
                       console: Console) -> None:
    for part in explanation_parts(explanation, diagnosis):
        console.print(part)


def plain_text(parts: list[RenderableType], width: int = 100) -> str:
    """The parts as plain text, laid out as a terminal of `width` columns would show them."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    for part in parts:
        console.print(part)
    return console.export_text()
