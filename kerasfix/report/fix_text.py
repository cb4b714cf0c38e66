"""Plans, previews, runs and verifications for the terminal (rich). Renders core objects only.

Commands, package names and pip's output are shown through `visible` (no raw control
characters) and as Text (never as markup).
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from kerasfix.diagnose.findings import Severity, Strategy
from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix.plan import Plan, Step
from kerasfix.fix.preview import PlanPreview, StepPreview
from kerasfix.fix.runner import StepOutcome
from kerasfix.fix.session import Line, RunEvents
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
        parts += _step_parts(i, step_preview)
    parts += [Text(note, style="dim") for note in plan.notes]
    if preview.unresolved and not plan.blocked:
        parts.append(Text(f"Will not start: {preview.unresolved}. Nothing was changed.",
                          style="bold red"))
    return Group(*parts, *_leaves_parts(plan))


def _indented(renderable: RenderableType) -> Padding:
    return Padding(renderable, (0, 0, 0, 3))


def _step_parts(number: int, step_preview: StepPreview) -> list[RenderableType]:
    """One step: its title, the exact command, why, and what pip says it changes."""
    step = step_preview.step
    head = Text(f"{number}. ", style="bold")
    head.append(step.title, style="bold" if step.automatic else "bold yellow")
    if not step.automatic:
        head.append("  (you do this)", style="yellow")
    parts: list[RenderableType] = [head, _indented(Text(step.command_text(), style="cyan"))]
    if step.why:
        parts.append(_indented(Text(step.why, style="dim")))
    if step.diff:
        parts.append(_indented(diff_text(step.diff)))
    if step_preview.changes:
        parts.append(_indented(_changes_table(step_preview)))
    if step_preview.files:
        parts.append(Text(f"   {plural(step_preview.files, 'file')},"
                          f" {_size(step_preview.size_bytes)}", style="dim"))
    parts += [Text(f"   ⚠ {shared}", style="yellow") for shared in step_preview.shared_with]
    if step_preview.unresolved:
        parts.append(_indented(Text(f"✗ cannot be resolved: {step_preview.error}",
                                    style="bold red")))
    elif step_preview.error:
        parts.append(_indented(Text(f"preview: {step_preview.error}", style="yellow")))
    return parts


DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan"}


LONGEST_DIFF_LINE = 300  # a 10 MB line of a manifest is shown cut, not laid out whole


def diff_text(diff: str) -> Text:
    """A unified diff, one style per line kind (as Text: a manifest line is never markup)."""
    out = Text()
    for line in diff.splitlines():
        if len(line) > LONGEST_DIFF_LINE:
            line = f"{line[:LONGEST_DIFF_LINE]}… ({len(line) - LONGEST_DIFF_LINE} more characters)"
        style = "bold" if line.startswith(("+++", "---")) else DIFF_STYLES.get(line[:1], "")
        out.append(line + "\n", style=style)
    out.rstrip()
    return out


def _changes_table(step_preview: StepPreview) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 2))
    table.add_column("package", style="bold")
    table.add_column("before")
    table.add_column("after")
    table.add_column("")
    for c in step_preview.changes:
        table.add_row(Text(c.name), Text(c.before or "—"), Text(c.after or "removed"),
                      Text(f"⚠ {c.flag}", style="bold red") if c.flag else "")
    return table


def _leaves_parts(plan: Plan) -> list[Text]:
    """The findings this plan leaves: the user's own, and those of other strategies."""
    yours = sorted({f.code for f in plan.leaves if f.strategies == (Strategy.MANUAL,)})
    others = sorted({f.code for f in plan.leaves} - set(yours))
    parts = []
    if yours:
        parts.append(Text("Yours to do (kerasfix does not change it): " + ", ".join(yours),
                          style="yellow"))
    if others:
        parts.append(Text("Not resolved by this strategy: " + ", ".join(others),
                          style="yellow"))
    return parts


def render_preview(preview: PlanPreview, console: Console, *, dry_run: bool) -> None:
    plan = preview.plan
    strategy = visible(plan.strategy.value)
    console.rule(Text(f"Plan: {strategy}", style="bold"), align="left")
    console.print(preview_renderable(preview, dry_run=dry_run))


class ConsoleEvents(RunEvents):
    """Streams a run to the terminal."""

    def __init__(self, console: Console, total: int) -> None:
        self.console, self.total = console, total

    def step_started(self, index: int, step: Step) -> None:
        self.console.print(Text(f"[{index + 1}/{self.total}] {visible(step.title)}",
                                style="bold"))
        self.console.print(Text("  $ " + visible(step.command_text()), style="cyan"),
                           soft_wrap=True)

    def output(self, _index: int, line: str) -> None:  # pip's output: anything at all
        self.console.print(Text("  " + visible(line), style="dim"), soft_wrap=True,
                           highlight=False)

    def step_finished(self, outcome: StepOutcome) -> None:
        self.console.print(Text("  ").append_text(step_mark(outcome)))


TONES = {"plain": "", "bold": "bold", "ok": "bold green", "warn": "bold yellow",
         "error": "bold red", "dim": "dim"}


def line_text(line: Line) -> Text:
    """A session's line, styled by its tone (CLI and TUI alike)."""
    return Text(visible(line.text), style=TONES[line.tone])


def render_lines(lines: list[Line], console: Console) -> None:
    for line in lines:
        console.print(line_text(line))


def step_mark(outcome: StepOutcome) -> Text:
    """✓ or ✗ with the exit code, and the time a step took."""
    style = "green" if outcome.ok else "bold red"
    mark = "✓" if outcome.ok else f"✗ exit code {outcome.returncode}"
    return Text(f"{mark} ({outcome.seconds:.1f} s)", style=style)


def comparison_renderable(cmp: Comparison, after: ScanResult | None = None) -> Text:
    """Findings before and after the fix, by code then by title, and the runtime check's
    verdict when it ran: the one verification view (CLI and TUI share it)."""
    out = Text()
    for label, items, style in (("resolved", cmp.resolved, "green"),
                                ("remaining", cmp.remaining, "yellow"),
                                ("new", cmp.new, "red")):
        codes = visible(", ".join(sorted({f.code for f in items}))) or "—"
        out.append(f"{label}: ", style=f"bold {style}")
        out.append(codes + "\n")
    for f in cmp.resolved:
        out.append(f"  ✓ {visible(f.title)}\n", style="green")
    for f in cmp.remaining + cmp.new:
        out.append(f"  ✗ {visible(f.title)}\n",
                   style="red" if f.severity is Severity.ERROR else "yellow")
    healthy = next((f for f in after.findings if f.code == "runtime-ok"), None) if after \
        else None
    if healthy is not None:
        out.append(visible(healthy.title) + "\n", style="green")
    out.rstrip()
    return out


def render_comparison(cmp: Comparison, console: Console, after: ScanResult | None = None
                      ) -> None:
    console.rule(Text("Verification", style="bold"), align="left")
    console.print(comparison_renderable(cmp, after))
