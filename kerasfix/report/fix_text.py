"""Plans, previews, runs and verifications for the terminal (rich). Renders core objects only.

Commands, package names and pip's output are shown through `visible` (no raw control
characters) and as Text (never as markup).
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kerasfix.diagnose.findings import Strategy
from kerasfix.fix.plan import Step
from kerasfix.fix.preview import PlanPreview
from kerasfix.fix.runner import Events, StepOutcome
from kerasfix.fix.verify import Comparison
from kerasfix.textsafe import plural, visible, visible_data


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def preview_renderable(preview: PlanPreview, *, dry_run: bool) -> Group:
    """The plan with pip's resolution, as one rich renderable (CLI and TUI share it)."""
    preview = visible_data(preview)  # the one choke point: everything below is safe to show
    plan = preview.plan
    parts: list[RenderableType] = []
    if dry_run:
        parts.append(Text(" DRY RUN — nothing will be changed ", style="bold black on yellow"))
    if plan.blocked:
        parts.append(Text(f"Cannot run: {plan.blocked}", style="bold red"))
    if not plan.steps and not plan.blocked:
        parts.append(Text("Nothing to run.", style="green"))
    for i, step_preview in enumerate(preview.steps, 1):
        step = step_preview.step
        head = Text(f"{i}. ", style="bold")
        head.append(step.title, style="bold" if step.automatic else "bold yellow")
        if not step.automatic:
            head.append("  (you do this)", style="yellow")
        parts.append(head)
        parts.append(Padding(Text(step.command_text(), style="cyan"), (0, 0, 0, 3)))
        if step.why:
            parts.append(Padding(Text(step.why, style="dim"), (0, 0, 0, 3)))
        if step_preview.changes:
            table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 2))
            table.add_column("package", style="bold")
            table.add_column("before")
            table.add_column("after")
            table.add_column("")
            for c in step_preview.changes:
                table.add_row(Text(c.name), Text(c.before or "—"), Text(c.after or "removed"),
                              Text(f"⚠ {c.flag}", style="bold red") if c.flag else "")
            parts.append(Padding(table, (0, 0, 0, 3)))
        if step_preview.files:
            parts.append(Text(f"   {plural(step_preview.files, 'file')},"
                              f" {_size(step_preview.size_bytes)}",
                              style="dim"))
        for shared in step_preview.shared_with:
            parts.append(Text(f"   ⚠ {shared}", style="yellow"))
        if step_preview.unresolved:
            parts.append(Padding(Text(f"✗ pip cannot resolve this: {step_preview.error}",
                                      style="bold red"), (0, 0, 0, 3)))
        elif step_preview.error:
            parts.append(Padding(Text(f"preview: {step_preview.error}", style="yellow"),
                                 (0, 0, 0, 3)))
    for note in plan.notes:
        parts.append(Text(note, style="dim"))
    if preview.unresolved and not plan.blocked:
        parts.append(Text(f"Will not start: {preview.unresolved}. Nothing was changed.",
                          style="bold red"))
    yours = sorted({f.code for f in plan.leaves if f.strategies == (Strategy.MANUAL,)})
    others = sorted({f.code for f in plan.leaves} - set(yours))
    if yours:
        parts.append(Text("Yours to do (kerasfix does not change it): " + ", ".join(yours),
                          style="yellow"))
    if others:
        parts.append(Text("Not resolved by this strategy: " + ", ".join(others),
                          style="yellow"))
    return Group(*parts)


def render_preview(preview: PlanPreview, console: Console, *, dry_run: bool) -> None:
    plan = preview.plan
    strategy = visible(str(getattr(plan.strategy, "value", plan.strategy)))
    console.rule(Text(f"Plan: {strategy}", style="bold"), align="left")
    console.print(preview_renderable(preview, dry_run=dry_run))


class ConsoleEvents(Events):
    """Streams a run to the terminal."""

    def __init__(self, console: Console, total: int) -> None:
        self.console, self.total = console, total

    def step_started(self, index: int, step: Step) -> None:
        self.console.print(Text(f"[{index + 1}/{self.total}] {visible(step.title)}",
                                style="bold"))
        self.console.print(Text("  $ " + visible(step.command_text()), style="cyan"),
                           soft_wrap=True)

    def output(self, index: int, line: str) -> None:  # pip's output: anything at all
        self.console.print(Text("  " + visible(line), style="dim"), soft_wrap=True,
                           highlight=False)

    def step_finished(self, outcome: StepOutcome) -> None:
        style = "green" if outcome.ok else "bold red"
        mark = "✓" if outcome.ok else f"✗ exit code {outcome.returncode}"
        self.console.print(Text(f"  {mark} ({outcome.seconds:.1f} s)", style=style))


def render_comparison(cmp: Comparison, console: Console) -> None:
    console.rule(Text("Verification", style="bold"), align="left")
    for label, items, style in (("resolved", cmp.resolved, "green"),
                                ("remaining", cmp.remaining, "yellow"),
                                ("new", cmp.new, "red")):
        codes = visible(", ".join(sorted({f.code for f in items}))) or "—"
        console.print(Text.assemble((f"{label}: ", f"bold {style}"), codes))
