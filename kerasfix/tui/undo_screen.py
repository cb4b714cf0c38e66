"""Undo: list the snapshots of this environment, preview the restore, run it.

A presenter of kerasfix.fix.session.UndoSession, as the CLI's `kerasfix undo` is.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option

from kerasfix.diagnose.scan import ScanResult
from kerasfix.errors import KerasfixError
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix.preview import PlanPreview
from kerasfix.fix.runner import RunStatus
from kerasfix.fix.session import Line, UndoSession, snapshot_row
from kerasfix.report.fix_text import line_text, preview_renderable
from kerasfix.report.safe_console import visible_text
from kerasfix.textsafe import one_line
from kerasfix.tui.run_log import RunLog, RunLogEvents
from kerasfix.tui.settings import AppSettings
from kerasfix.tui.widgets import EnvHeader


class UndoScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back", id="back")]

    def __init__(self, result: ScanResult, settings: AppSettings) -> None:
        super().__init__()
        self.result = result
        self.settings = settings
        self.session = UndoSession(result, dry_run=settings.dry_run)
        self.running = False  # a restore has started and not yet finished

    @property
    def snap(self) -> snapshots.Snapshot | None:
        """The snapshot chosen (restored in place when the run completes)."""
        return self.session.snapshot

    @property
    def run_log(self) -> RunLog:
        return self.query_one(RunLog)

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
            yield RunLog(log_id="undo-log", id="undo-run")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EnvHeader).show(self.result, dry_run=self.settings.dry_run)
        options = self.query_one("#snapshots", OptionList)
        listed = self.session.snapshots
        if not listed:
            self.query_one("#undo-body", Static).update(self.session.rows()[0].text)
        for snap in listed:
            options.add_option(Option(_label(snap), id=snap.id,
                                      disabled=snap.status == "unreadable"))
        if listed:
            options.highlighted = len(listed) - 1
        options.focus()

    @on(OptionList.OptionSelected, "#snapshots")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if self.running:
            return
        self.query_one("#restore", Button).disabled = True
        try:
            self.session.choose(event.option.id)
        except KerasfixError as err:  # removed or spoilt since it was listed
            self.notify(one_line(str(err)), severity="error", timeout=15, markup=False)
            return
        self.query_one("#undo-body", Static).update("Asking pip what the restore would change…")
        self.compute_preview()

    @work(thread=True, exclusive=True)
    def compute_preview(self) -> None:
        preview = self.session.prepare()
        self.app.call_from_thread(self.show_preview, preview)

    def show_preview(self, preview: PlanPreview) -> None:
        if preview.plan is not self.session.plan:
            return  # another snapshot was chosen meanwhile
        self.query_one("#undo-body", Static).update(
            preview_renderable(preview, dry_run=self.settings.dry_run))
        restore = self.query_one("#restore", Button)
        decision = self.session.start_decision(offer_force=False)
        restore.disabled = not decision.may_start
        if self.session.nothing_to_do:  # the session has closed it (not in a dry run)
            self.say(self.session.outcome_lines())
            snap = self.session.snapshot
            if snap is not None and snap.status == snapshots.SnapshotStatus.RESTORED:
                self.show_restored(snap)
        self.say(list(decision.lines))  # why it may not start
        restore.focus()

    @on(Button.Pressed, "#restore")
    def restore(self) -> None:
        preview = self.session.preview
        if preview is None or not self.session.start_decision(offer_force=False).may_start:
            return
        self.query_one("#restore", Button).disabled = True
        self.running = True
        self.run_log.start(len(preview.plan.automatic_steps))
        self.run_restore()

    @work(thread=True, exclusive=True)
    def run_restore(self) -> None:
        try:
            self.session.run(RunLogEvents(self.run_log))
        except Exception:  # the lock of a fixer, a vanished folder: the session says so
            self.app.call_from_thread(self.finished)

    @on(RunLog.RunFinished)
    def finished(self) -> None:
        """The restore is over, or could not start (the outcome says why)."""
        self.running = False
        self.say(self.session.outcome_lines())
        snap = self.session.snapshot
        run = self.session.run_result
        if snap is None or run is None or run.status is not RunStatus.COMPLETE:
            return
        self.query_one("#restore", Button).disabled = True  # restored: nothing left to offer
        self.show_restored(snap)
        self.notify(one_line(f"Restored snapshot {snap.id}"), markup=False)

    def show_restored(self, snap: snapshots.Snapshot) -> None:
        """The list says it is restored, and it cannot be chosen again (its preview is
        stale)."""
        options = self.query_one("#snapshots", OptionList)
        index = options.get_option_index(snap.id)
        options.replace_option_prompt_at_index(index, _label(snap))
        options.disable_option_at_index(index)

    def say(self, lines: list[Line]) -> None:
        for line in lines:
            self.write_log(line_text(line))

    def write_log(self, text: Text) -> None:  # the one way into the log: pip's output too
        self.run_log.write(text)

    @on(Button.Pressed, "#undo-back")
    def back_pressed(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        if self.running:  # a restore stops only after its last step
            self.notify("The restore is running; Esc works once it has finished.")
            return
        self.dismiss(None)


def _label(snap: snapshots.Snapshot) -> Text:
    return visible_text(Text(snapshot_row(snap)))
