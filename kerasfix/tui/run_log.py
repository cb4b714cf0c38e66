"""One run, as it happens: a progress bar, the step running now, and every line of output.

The fix wizard and the undo screen share it. A session runs in a worker thread and reports
through `RunLogEvents`, which posts the runner's events as Textual messages to this widget
(post_message is thread-safe); the widget shows the step events itself, and `RunFinished`
bubbles up to the screen, which moves on from there.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ProgressBar, RichLog, Static

from kerasfix.fix.plan import Step
from kerasfix.fix.runner import RunResult, StepOutcome
from kerasfix.fix.session import RunEvents
from kerasfix.report.fix_text import step_mark
from kerasfix.report.safe_console import visible_text
from kerasfix.textsafe import visible


class RunLog(Vertical):
    """Progress, the current step and the log of one run (idle until `start`)."""

    class StepStarted(Message):
        def __init__(self, index: int, step: Step) -> None:
            super().__init__()
            self.index, self.step = index, step

    class Line(Message):
        """One line of a step's output (pip's: anything at all)."""

        def __init__(self, index: int, text: str) -> None:
            super().__init__()
            self.index, self.text = index, text

    class StepFinished(Message):
        def __init__(self, outcome: StepOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    class RunFinished(Message):
        """The run is over and recorded in its session (bubbles to the screen)."""

        def __init__(self, result: RunResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, *, log_id: str, id: str | None = None) -> None:
        super().__init__(id=id, classes="idle")
        self.log_id = log_id

    def compose(self) -> ComposeResult:
        yield ProgressBar(id="progress", show_eta=False)
        yield Static(id="run-step")
        yield RichLog(id=self.log_id, wrap=True, markup=False, highlight=False)

    @property
    def log_lines(self) -> RichLog:
        return self.query_one(f"#{self.log_id}", RichLog)

    def start(self, total: int) -> None:
        """A run of `total` steps begins: show its progress."""
        self.remove_class("idle")
        self.query_one(ProgressBar).update(total=total, progress=0)

    def write(self, text: Text) -> None:
        """The one way into the log: control characters are shown, never obeyed."""
        self.log_lines.write(visible_text(text))

    # ------------------------------------------------------------ the step events
    def step_started(self, index: int, step: Step) -> None:
        command = visible(step.command_text())
        self.query_one("#run-step", Static).update(
            Text(f"Step {index + 1}: {visible(step.title)}\n$ {command}", style="bold"))
        self.write(Text(f"$ {command}", style="cyan"))

    def line(self, text: str) -> None:
        self.write(Text(visible(text)))  # before Text, which would drop some of them silently

    def step_finished(self, outcome: StepOutcome) -> None:
        self.query_one(ProgressBar).advance(1)
        self.write(step_mark(outcome))

    def on_run_log_step_started(self, message: RunLog.StepStarted) -> None:
        message.stop()
        self.step_started(message.index, message.step)

    def on_run_log_line(self, message: RunLog.Line) -> None:
        message.stop()
        self.line(message.text)

    def on_run_log_step_finished(self, message: RunLog.StepFinished) -> None:
        message.stop()
        self.step_finished(message.outcome)


class RunLogEvents(RunEvents):
    """A session's run events, posted from the worker thread to a RunLog as messages."""

    def __init__(self, log: RunLog) -> None:
        self.log = log

    def step_started(self, index: int, step: Step) -> None:
        self.log.post_message(RunLog.StepStarted(index, step))

    def output(self, index: int, line: str) -> None:
        self.log.post_message(RunLog.Line(index, line))

    def step_finished(self, outcome: StepOutcome) -> None:
        self.log.post_message(RunLog.StepFinished(outcome))

    def run_finished(self, result: RunResult) -> None:
        self.log.post_message(RunLog.RunFinished(result))
