"""The fix wizard: strategy → preview → confirm → run → verify (dry run: write the audit)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    OptionList,
    ProgressBar,
    RichLog,
    Static,
)
from textual.widgets.option_list import Option

from kerasfix.diagnose.findings import Strategy
from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix import planner, state
from kerasfix.fix.plan import Plan, Step
from kerasfix.fix.preview import PlanPreview, preview_plan
from kerasfix.fix.runner import Events, RunResult, StepOutcome, run_plan
from kerasfix.fix.verify import verify
from kerasfix.fix.workflow import exit_code, manual_lines, start_blocker
from kerasfix.report.fix_report import FixReport, write_report
from kerasfix.report.fix_text import preview_renderable
from kerasfix.report.safe_console import visible_text
from kerasfix.textsafe import one_line, plural, visible
from kerasfix.tui.settings import AppSettings
from kerasfix.tui.widgets import EnvHeader

STRATEGY_TEXT = {
    Strategy.REPAIR: ("keep this TensorFlow, align Keras/NumPy/protobuf, drop duplicates",
                      "low risk"),
    Strategy.LEGACY: ("Keras 2 on TF ≥ 2.16 via tf-keras + TF_USE_LEGACY_KERAS=1", "medium"),
    Strategy.UPGRADE: ("newest TensorFlow for this Python, with Keras 3", "code may change"),
    Strategy.FRESH_VENV: ("new venv with a known-good stack; this one untouched", "no risk"),
}
PHASES = ("choose", "preview", "run", "verify")


class TuiEvents(Events):
    """Runner callbacks, marshalled onto the UI thread."""

    def __init__(self, screen: FixScreen) -> None:
        self.screen = screen

    def step_started(self, index: int, step: Step) -> None:
        self.screen.app.call_from_thread(self.screen.step_started, index, step)

    def output(self, index: int, line: str) -> None:
        self.screen.app.call_from_thread(self.screen.log_line, line)

    def step_finished(self, outcome: StepOutcome) -> None:
        self.screen.app.call_from_thread(self.screen.step_finished, outcome)


class FixScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("c", "cancel", "Cancel after step", id="cancel"),
        Binding("pagedown,j", "scroll(1)", "Scroll", show=False, id="scroll-down"),
        Binding("pageup,k", "scroll(-1)", "Scroll up", show=False, id="scroll-up"),
    ]

    def __init__(self, result: ScanResult, settings: AppSettings) -> None:
        super().__init__()
        self.result = result
        self.settings = settings
        self.plans: dict[Strategy, Plan] = {}
        self.preview: PlanPreview | None = None
        self.cancel_event = threading.Event()
        self.phase = "choose"
        self.run_result: RunResult | None = None

    @property
    def dry_run(self) -> bool:
        return self.settings.dry_run

    def compose(self) -> ComposeResult:
        yield EnvHeader(id="env-header")
        yield Static(id="phase-title")
        with ContentSwitcher(initial="choose", id="phases"):
            with Vertical(id="choose"):
                yield OptionList(id="strategies")
                yield Static(id="strategy-help")
            with Vertical(id="preview"):
                with VerticalScroll(id="preview-scroll"):
                    yield Static("Asking pip what it would change…", id="preview-body")
                with Horizontal(classes="buttons"):
                    yield Button("Run", id="confirm", variant="warning", disabled=True)
                    yield Button("Back", id="back-button")
            with Vertical(id="run"):
                yield ProgressBar(id="progress", show_eta=False)
                yield Static(id="run-step")
                yield RichLog(id="log", wrap=True, markup=False, highlight=False)
                with Horizontal(classes="buttons"):
                    yield Button("Cancel after this step", id="cancel-button",
                                 variant="error")
            with VerticalScroll(id="verify"):
                yield Static("Verifying: rescanning and importing TensorFlow…",
                             id="verify-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EnvHeader).show(self.result, dry_run=self.dry_run)
        options = self.settings.fix_options
        recommended = planner.recommend(self.result)
        strategies = self.query_one("#strategies", OptionList)
        for strategy in (Strategy.REPAIR, Strategy.LEGACY, Strategy.UPGRADE,
                         Strategy.FRESH_VENV):
            plan = planner.build_plan(self.result, strategy, options)
            self.plans[strategy] = plan
            what, risk = STRATEGY_TEXT[strategy]
            label = Text(f"{strategy.value:<11}", style="bold")
            label.append(f"{what} · {risk}")
            if strategy is recommended:
                label.append("  ★ recommended", style="bold green")
            if plan.blocked:
                label.append(f"  — not possible: {plan.blocked}", style="red")
            else:
                label.append(f"  [{len(plan.automatic_steps)} to run"
                             + (f", {len(plan.manual_steps)} yours]" if plan.manual_steps
                                else "]"), style="dim")
            strategies.add_option(Option(visible_text(label), id=strategy.value,
                                         disabled=bool(plan.blocked)))
        if recommended is None:
            self.query_one("#strategy-help", Static).update(
                Text("No errors or warnings: nothing needs fixing.", style="green"))
        # Enter must work at once: the recommended strategy, else the first one possible
        order = list(self.plans)
        usable = [i for i, strategy in enumerate(order) if not self.plans[strategy].blocked]
        if recommended in self.plans and order.index(recommended) in usable:
            strategies.highlighted = order.index(recommended)
        elif usable:
            strategies.highlighted = usable[0]
        self.set_phase("choose")
        strategies.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.phase == "run"
        return True

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.refresh_bindings()
        self.query_one(ContentSwitcher).current = phase
        titles = {"choose": "1 Choose a strategy (Enter)  ·  2 Preview  ·  3 Run  ·  4 Verify",
                  "preview": "1 Strategy  ·  2 Preview — review every command  ·  3 Run  ·  4"
                             " Verify",
                  "run": "1 Strategy  ·  2 Preview  ·  3 Running  ·  4 Verify",
                  "verify": "1 Strategy  ·  2 Preview  ·  3 Run  ·  4 Verification"}
        if self.dry_run:
            titles["preview"] = titles["preview"].replace("3 Run", "3 Write the audit report")
        self.query_one("#phase-title", Static).update(Text(titles[phase], style="bold"))

    # ------------------------------------------------------------ choose → preview
    @on(OptionList.OptionSelected, "#strategies")
    def strategy_chosen(self, event: OptionList.OptionSelected) -> None:
        plan = self.plans[Strategy(event.option.id)]
        self.query_one("#preview-body", Static).update("Asking pip what it would change…")
        confirm = self.query_one("#confirm", Button)
        confirm.disabled = True
        confirm.label = "Write audit report" if self.dry_run else \
            (f"Run {plural(len(plan.automatic_steps), 'step')}" if plan.automatic_steps
             else "Nothing to run")
        self.set_phase("preview")
        self.compute_preview(plan)

    @work(thread=True, exclusive=True, group="preview")
    def compute_preview(self, plan: Plan) -> None:
        preview = preview_plan(plan, self.result.environment)
        self.app.call_from_thread(self.show_preview, preview)

    def show_preview(self, preview: PlanPreview) -> None:
        self.preview = preview
        self.query_one("#preview-body", Static).update(
            preview_renderable(preview, dry_run=self.dry_run))
        confirm = self.query_one("#confirm", Button)
        blocker = start_blocker(preview)
        confirm.disabled = bool(preview.plan.blocked) or (blocker is not None and
                                                          not self.dry_run)
        if blocker is not None and not self.dry_run and preview.plan.automatic_steps:
            self.notify(one_line(f"Not started: {blocker}"), severity="error", timeout=15,
                        markup=False)
            self.query_one("#back-button", Button).focus()
        else:
            confirm.focus()

    # ------------------------------------------------------------ confirm → run
    @on(Button.Pressed, "#confirm")
    def confirmed(self) -> None:
        if self.preview is None:
            return
        if self.dry_run:
            self.write_audit()
            return
        plan = self.preview.plan
        progress = self.query_one("#progress", ProgressBar)
        progress.update(total=len(plan.automatic_steps), progress=0)
        self.set_phase("run")
        self.query_one("#cancel-button", Button).focus()
        self.execute(plan)

    def write_audit(self) -> None:
        assert self.preview is not None
        report = FixReport(self.result, self.preview, dry_run=True,
                           exit_code=exit_code(self.result, self.preview, dry_run=True))
        path = _report_path(self.result, "audit")
        write_report(report, str(path))
        body = Text("Nothing was changed.\n\n", style="bold green")
        body.append("Audit report written to ")
        body.append(str(path), style="bold")
        self.query_one("#verify-body", Static).update(visible_text(body))
        self.set_phase("verify")
        self.notify(one_line(f"Audit report: {path}"), markup=False)

    @work(thread=True, exclusive=True, group="run")
    def execute(self, plan: Plan) -> None:
        try:
            result = run_plan(plan, self.result.environment, events=TuiEvents(self),
                              cancel=self.cancel_event)
        except Exception as err:  # a lock held by another fixer, a vanished folder…
            self.app.call_from_thread(self.log_line, f"error: {err}")
            self.app.call_from_thread(self.notify, str(err), severity="error", timeout=20)
            return
        self.app.call_from_thread(self.run_finished, result)

    def step_started(self, index: int, step: Step) -> None:
        command = visible(step.command_text())
        self.query_one("#run-step", Static).update(
            Text(f"Step {index + 1}: {visible(step.title)}\n$ {command}", style="bold"))
        self.query_one("#log", RichLog).write(Text(f"$ {command}", style="cyan"))

    def log_line(self, line: str) -> None:  # pip's output: anything at all
        self.query_one("#log", RichLog).write(Text(visible(line)))

    def step_finished(self, outcome: StepOutcome) -> None:
        self.query_one("#progress", ProgressBar).advance(1)
        style = "green" if outcome.ok else "bold red"
        mark = "✓" if outcome.ok else f"✗ exit code {outcome.returncode}"
        self.query_one("#log", RichLog).write(Text(f"{mark} ({outcome.seconds:.1f} s)",
                                                   style=style))

    def run_finished(self, result: RunResult) -> None:
        self.run_result = result
        self.query_one("#cancel-button", Button).disabled = True
        if result.status != "complete":
            self.show_outcome(None)
            return
        self.set_phase("verify")
        self.verify_now()

    @work(thread=True, exclusive=True, group="verify")
    def verify_now(self) -> None:
        assert self.preview is not None
        after, comparison = verify(planner.python_after(self.preview.plan), self.result,
                                   deep=self.settings.verify_deep)
        self.app.call_from_thread(self.show_outcome, (after, comparison))

    def show_outcome(self, verified) -> None:  # type: ignore[no-untyped-def]
        assert self.preview is not None and self.run_result is not None
        run = self.run_result
        undo = run.snapshot.undo_command() if run.snapshot else ""
        report = FixReport(self.result, self.preview, dry_run=False, run=run,
                           undo_command=undo)
        body = Text()
        if run.status != "complete":
            failed = run.failed
            body.append(f"The run stopped ({run.status})", style="bold red")
            if failed:
                body.append(f" at step {failed.index + 1}: {failed.step.title}", style="bold red")
            body.append(". Nothing further was run.\n\n")
            report.exit_code = exit_code(self.result, self.preview, run=run)
        else:
            after, comparison = verified
            report.after, report.comparison = after, comparison
            report.exit_code = exit_code(self.result, self.preview, run=run,
                                         comparison=comparison)
            body.append("Verification\n", style="bold underline")
            for label, items, style in (("resolved", comparison.resolved, "green"),
                                        ("remaining", comparison.remaining, "yellow"),
                                        ("new", comparison.new, "red")):
                codes = ", ".join(sorted({f.code for f in items})) or "—"
                body.append(f"{label}: ", style=f"bold {style}")
                body.append(codes + "\n")
            for f in comparison.resolved:
                body.append(f"  ✓ {f.title}\n", style="green")
            for f in comparison.remaining + comparison.new:
                body.append(f"  ✗ {f.title}\n", style="red" if f.severity.value == "error"
                            else "yellow")
            healthy = next((f for f in after.findings if f.code == "runtime-ok"), None)
            if healthy:
                body.append(f"\n{healthy.title}\n", style="green")
            for line in manual_lines(self.preview.plan):
                body.append(f"\n{line}", style="yellow")
            for note in self.preview.plan.notes:
                body.append(f"\n{note}")
        path = _report_path(self.result, "fix", run.snapshot.folder if run.snapshot else None)
        write_report(report, str(path))
        body.append(f"\n\nUndo: {undo}\n", style="bold")
        body.append(f"Report: {path}\n")
        self.query_one("#verify-body", Static).update(visible_text(body))
        self.set_phase("verify")

    # ------------------------------------------------------------ navigation
    @on(Button.Pressed, "#back-button")
    def back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#cancel-button")
    def cancel_pressed(self) -> None:
        self.action_cancel()

    def action_scroll(self, direction: int) -> None:
        """Scroll the preview or the verification without leaving the buttons."""
        target = {"preview": "#preview-scroll", "verify": "#verify", "run": "#log"}.get(
            self.phase)
        if target:
            pane = self.query_one(target)
            pane.scroll_relative(y=direction * max(3, pane.size.height - 2), animate=False)

    def action_cancel(self) -> None:
        if self.phase == "run":
            self.cancel_event.set()
            self.query_one("#cancel-button", Button).disabled = True
            self.notify("Cancelling after the current step…")

    def action_back(self) -> None:
        if self.phase == "preview":
            self.set_phase("choose")
            self.query_one("#strategies", OptionList).focus()
        elif self.phase in ("choose", "verify"):
            self.dismiss(None)
        else:
            self.notify("A step is running; press c to cancel after it.")


def _report_path(result: ScanResult, kind: str, folder: Path | None = None) -> Path:
    stamp = state.now().replace(":", "").replace("-", "").replace("+0000", "Z")
    name = f"kerasfix-{kind}-{stamp}.md"
    if folder is not None:
        return folder / name
    cwd = Path(result.inventory.interpreter.cwd)
    if os.access(cwd, os.W_OK):
        return cwd / name
    return state.env_dir(result.inventory.interpreter.prefix) / name
