"""Undo: list the snapshots of this environment, preview the restore, run it."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix.plan import Plan, Step
from kerasfix.fix.planner import pip_base
from kerasfix.fix.preview import preview_plan
from kerasfix.fix.runner import Events, RunResult, StepOutcome, run_plan
from kerasfix.fix.workflow import start_blocker
from kerasfix.report.fix_text import preview_renderable
from kerasfix.report.safe_console import visible_text
from kerasfix.textsafe import plural, visible
from kerasfix.tui.settings import AppSettings
from kerasfix.tui.widgets import EnvHeader


class _Events(Events):
    def __init__(self, screen: UndoScreen) -> None:
        self.screen = screen

    def step_started(self, index: int, step: Step) -> None:
        self.screen.app.call_from_thread(self.screen.write_log, Text(f"$ {step.command_text()}",
                                                               style="cyan"))

    def output(self, index: int, line: str) -> None:
        self.screen.app.call_from_thread(self.screen.write_log, Text(visible(line)))

    def step_finished(self, outcome: StepOutcome) -> None:
        mark = "✓" if outcome.ok else f"✗ exit code {outcome.returncode}"
        self.screen.app.call_from_thread(self.screen.write_log, Text(mark))


class UndoScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back", id="back")]

    def __init__(self, result: ScanResult, settings: AppSettings) -> None:
        super().__init__()
        self.result = result
        self.settings = settings
        self.snaps = snapshots.list_snapshots(result.inventory.interpreter.prefix)
        self.plan: Plan | None = None
        self.snap: snapshots.Snapshot | None = None

    def compose(self) -> ComposeResult:
        yield EnvHeader(id="env-header")
        yield Static(Text("Snapshots of this environment (newest last) — Enter previews the"
                          " restore", style="bold"), id="phase-title")
        with Vertical(id="undo-main"):
            yield OptionList(id="snapshots")
            with VerticalScroll(id="undo-preview"):
                yield Static(id="undo-body")
            with Horizontal(classes="buttons"):
                yield Button("Restore", id="restore", variant="warning", disabled=True)
                yield Button("Back", id="undo-back")
            yield RichLog(id="undo-log", wrap=True, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EnvHeader).show(self.result, dry_run=self.settings.dry_run)
        options = self.query_one("#snapshots", OptionList)
        if not self.snaps:
            self.query_one("#undo-body", Static).update("No snapshots: kerasfix has not changed"
                                                        " this environment.")
        for snap in self.snaps:
            options.add_option(Option(_label(snap), id=snap.id,
                                      disabled=snap.status == "unreadable"))
        if self.snaps:
            options.highlighted = len(self.snaps) - 1
        options.focus()

    @on(OptionList.OptionSelected, "#snapshots")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        snap = next(s for s in self.snaps if s.id == event.option.id)
        self.snap = snap
        inv = self.result.environment
        self.plan = snapshots.plan_undo(snap, inv, pip_base(inv, self.result.python))
        self.query_one("#undo-body", Static).update("Asking pip what the restore would change…")
        self.compute_preview(self.plan)

    @work(thread=True, exclusive=True)
    def compute_preview(self, plan: Plan) -> None:
        preview = preview_plan(plan, self.result.environment)
        self.app.call_from_thread(self.show_preview, preview)

    def show_preview(self, preview) -> None:  # type: ignore[no-untyped-def]
        self.query_one("#undo-body", Static).update(
            preview_renderable(preview, dry_run=self.settings.dry_run))
        restore = self.query_one("#restore", Button)
        restore.disabled = (self.settings.dry_run
                            or start_blocker(preview) is not None)
        if not preview.plan.steps and self.snap is not None and \
                not self.settings.dry_run:
            snapshots.close(self.snap)  # nothing to restore: later runs stop warning
        restore.focus()

    @on(Button.Pressed, "#restore")
    def restore(self) -> None:
        if self.plan is None or self.snap is None:
            return
        self.query_one("#restore", Button).disabled = True
        self.run_restore(self.plan, self.snap)

    @work(thread=True, exclusive=True)
    def run_restore(self, plan: Plan, snap: snapshots.Snapshot) -> None:
        result = run_plan(plan, self.result.environment, events=_Events(self), snapshot=snap,
                          cancel=threading.Event())
        self.app.call_from_thread(self.finished, result, snap)

    def finished(self, result: RunResult, snap: snapshots.Snapshot) -> None:
        if result.failed:
            self.write_log(Text("Restore stopped at a failed step; nothing further was run.",
                          style="bold red"))
            return
        snap.status = "restored"
        snap.save()
        self.query_one("#restore", Button).disabled = True  # restored: nothing left to offer
        options = self.query_one("#snapshots", OptionList)
        index = options.get_option_index(snap.id)
        options.replace_option_prompt_at_index(index, _label(snap))
        options.disable_option_at_index(index)  # its preview is stale now
        self.write_log(Text(f"Restored snapshot {snap.id}.", style="bold green"))
        self.notify(f"Restored snapshot {snap.id}")

    def write_log(self, text: Text) -> None:  # the one way into the log: pip's output too
        self.query_one("#undo-log", RichLog).write(visible_text(text))

    @on(Button.Pressed, "#undo-back")
    def back_pressed(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        self.dismiss(None)


def _label(snap: snapshots.Snapshot) -> Text:
    return visible_text(Text(f"{snap.id}  {snap.strategy:<10} {snap.status:<12}"
                             f" {snap.steps_done}/{plural(snap.steps_total, 'step')}"
                             f"  by {snap.user}"))
