"""The fix wizard: strategy → preview → confirm → run → verify (dry run: write the audit).

A presenter of kerasfix.fix.session.FixSession: the session plans, previews, decides whether
the plan may start, runs, verifies, writes the report and words the outcome; this screen shows
it, in workers where it is slow.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, OptionList, Static
from textual.widgets.option_list import Option

from kerasfix.diagnose.findings import Strategy
from kerasfix.diagnose.scan import ScanResult
from kerasfix.errors import KerasfixError
from kerasfix.fix.plan import Plan
from kerasfix.fix.preview import PlanPreview
from kerasfix.fix.runner import RunResult
from kerasfix.fix.session import FixSession
from kerasfix.report.fix_report import write_report
from kerasfix.report.fix_text import comparison_renderable, line_text, preview_renderable
from kerasfix.report.safe_console import visible_text
from kerasfix.textsafe import one_line, plural
from kerasfix.tui.run_log import RunLog, RunLogEvents
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
TITLES = {"choose": "1 Choose a strategy (Enter)  ·  2 Preview  ·  3 Run  ·  4 Verify",
          "preview": "1 Strategy  ·  2 Preview — review every command  ·  3 Run  ·  4 Verify",
          "run": "1 Strategy  ·  2 Preview  ·  3 Running  ·  4 Verify",
          "verify": "1 Strategy  ·  2 Preview  ·  3 Run  ·  4 Verification"}


def strategy_label(strategy: Strategy, plan: Plan, recommended: Strategy | None) -> Text:
    """One line of the strategy list: what it does, its risk, and what it would run."""
    what, risk = STRATEGY_TEXT[strategy]
    label = Text(f"{strategy.value:<11}", style="bold")
    label.append(f"{what} · {risk}")
    if strategy is recommended:
        label.append("  ★ recommended", style="bold green")
    if plan.blocked:
        label.append(f"  — not possible: {plan.blocked}", style="red")
    else:
        label.append(f"  [{len(plan.automatic_steps)} to run"
                     + (f", {len(plan.manual_steps)} yours]" if plan.manual_steps else "]"),
                     style="dim")
    return visible_text(label)


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
        self.session = FixSession(result, None, settings.fix_options,
                                  dry_run=settings.dry_run, verify_deep=settings.verify_deep,
                                  always_report=True)
        self.preview: PlanPreview | None = None  # the preview on screen
        self.cancel_event = threading.Event()
        self.phase = "choose"

    @property
    def dry_run(self) -> bool:
        return self.settings.dry_run

    @property
    def run_result(self) -> RunResult | None:
        return self.session.run_result

    @property
    def run_log(self) -> RunLog:
        return self.query_one(RunLog)

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
                yield RunLog(log_id="log", id="run-log")
                with Horizontal(classes="buttons"):
                    yield Button("Cancel after this step", id="cancel-button",
                                 variant="error")
            with VerticalScroll(id="verify"):
                yield Static("Verifying: rescanning and importing TensorFlow…",
                             id="verify-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EnvHeader).show(self.result, dry_run=self.dry_run)
        recommended = self.session.recommended
        plans = self.session.plans
        strategies = self.query_one("#strategies", OptionList)
        for strategy, plan in plans.items():
            strategies.add_option(Option(strategy_label(strategy, plan, recommended),
                                         id=strategy.value,
                                         disabled=not self.session.can_choose(strategy)))
        if recommended is None:
            self.query_one("#strategy-help", Static).update(
                Text("No errors or warnings: nothing needs fixing.", style="green"))
        # Enter must work at once: the recommended strategy, else the first one possible
        order = list(plans)
        usable = [i for i, strategy in enumerate(order) if self.session.can_choose(strategy)]
        if recommended in plans and order.index(recommended) in usable:
            strategies.highlighted = order.index(recommended)
        elif usable:
            strategies.highlighted = usable[0]
        self.set_phase("choose")
        strategies.focus()

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.phase == "run"
        return True

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.refresh_bindings()
        self.query_one(ContentSwitcher).current = phase
        title = TITLES[phase]
        if self.dry_run and phase == "preview":
            title = title.replace("3 Run", "3 Write the audit report")
        self.query_one("#phase-title", Static).update(Text(title, style="bold"))

    # ------------------------------------------------------------ choose → preview
    @on(OptionList.OptionSelected, "#strategies")
    def strategy_chosen(self, event: OptionList.OptionSelected) -> None:
        plan = self.session.choose(Strategy(event.option.id))
        self.preview = None
        self.query_one("#preview-body", Static).update("Asking pip what it would change…")
        confirm = self.query_one("#confirm", Button)
        confirm.disabled = True
        confirm.label = "Write audit report" if self.dry_run else \
            (f"Run {plural(len(plan.automatic_steps), 'step')}" if plan.automatic_steps
             else "Nothing to run")
        self.set_phase("preview")
        self.compute_preview()

    @work(thread=True, exclusive=True, group="preview")
    def compute_preview(self) -> None:
        preview = self.session.prepare()
        self.app.call_from_thread(self.show_preview, preview)

    def show_preview(self, preview: PlanPreview) -> None:
        if preview.plan is not self.session.plan:
            return  # another strategy was chosen meanwhile
        self.preview = preview
        self.query_one("#preview-body", Static).update(
            preview_renderable(preview, dry_run=self.dry_run))
        confirm = self.query_one("#confirm", Button)
        if self.dry_run:  # only writes the audit report (a blocked plan's says why)
            confirm.disabled = not self.session.report_due
            confirm.focus()
            return
        decision = self.session.start_decision(offer_force=False)
        confirm.disabled = not decision.may_start
        if decision.lines:  # why it may not start
            self.notify(one_line(" ".join(line.text for line in decision.lines)),
                        severity="error", timeout=15, markup=False)
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
        if not self.session.start_decision(offer_force=False).may_start:
            return
        self.run_log.start(len(self.preview.plan.automatic_steps))
        self.set_phase("run")
        self.query_one("#cancel-button", Button).focus()
        self.execute()

    def write_audit(self) -> None:
        self.session.finish(write_report)
        body = Text("Nothing was changed.\n", style="bold green")
        self.show_body(body)
        report = self.session.report_line
        if report is not None:
            self.notify(one_line(report.text), markup=False)

    @work(thread=True, exclusive=True, group="run")
    def execute(self) -> None:
        try:
            self.session.run(RunLogEvents(self.run_log), cancel=self.cancel_event)
        except Exception:  # the lock of another fixer, a vanished folder: the session says so
            self.app.call_from_thread(self.run_finished)

    @on(RunLog.RunFinished)
    def run_finished(self) -> None:
        """The run is over, or could not start (the outcome says why); Esc leaves."""
        self.query_one("#cancel-button", Button).disabled = True
        if not self.session.completed:
            self.show_outcome()
            return
        self.set_phase("verify")
        self.verify_now()

    @work(thread=True, exclusive=True, group="verify")
    def verify_now(self) -> None:
        try:
            self.session.verify()
        except KerasfixError as err:  # the fixed interpreter cannot be scanned
            self.app.call_from_thread(self.notify, one_line(str(err)), severity="error",
                                      timeout=30, markup=False)
        self.app.call_from_thread(self.show_outcome)

    def show_outcome(self) -> None:
        self.session.finish(write_report)
        body = Text()
        if self.session.comparison is not None:
            body.append("Verification\n", style="bold underline")
            body.append_text(comparison_renderable(self.session.comparison,
                                                   self.session.after))
            body.append("\n")
        self.show_body(body)

    def show_body(self, body: Text) -> None:
        """The last phase: what happened, the session's own words, where the report is."""
        lines = self.session.outcome_lines()
        report = self.session.report_line
        for line in [*lines, *([report] if report else [])]:
            body.append("\n")
            body.append_text(line_text(line))
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
