"""Paste an error message or traceback; see its likely causes, checked against this scan."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static, TextArea

from kerasfix.diagnose.explain import diagnose, explain_text
from kerasfix.diagnose.scan import ScanResult
from kerasfix.report.explain_text import explanation_parts, plain_text
from kerasfix.tui.settings import AppSettings
from kerasfix.tui.widgets import EnvHeader


class ExplainScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="explain-back"),
        Binding("ctrl+e", "explain", "Explain", id="explain-run", priority=True),
    ]

    def __init__(self, result: ScanResult | None, settings: AppSettings) -> None:
        super().__init__()
        self.result = result
        self.settings = settings  # only the header's DRY RUN banner depends on it
        self.plain = ""  # the last answer as text, for tests

    def compose(self) -> ComposeResult:
        yield EnvHeader(id="env-header")
        yield Static(Text("Paste the error or the whole traceback, then ctrl+e", style="bold"),
                     id="phase-title")
        yield TextArea(id="paste", soft_wrap=True)
        with Horizontal(classes="buttons"):
            yield Button("Explain", id="explain", variant="primary")
            yield Button("Back", id="explain-back-button")
        with VerticalScroll(id="explain-scroll"):
            yield Static(id="explain-body")
        yield Footer()

    def on_mount(self) -> None:
        unscanned = "" if self.result else "Not scanned yet: causes are not checked here"
        self.query_one(EnvHeader).show(self.result, dry_run=self.settings.dry_run,
                                       status=unscanned)
        self.query_one(TextArea).focus()

    @on(Button.Pressed, "#explain")
    def pressed(self) -> None:
        self.action_explain()

    @on(Button.Pressed, "#explain-back-button")
    def back_pressed(self) -> None:
        self.action_back()

    def action_explain(self) -> None:
        explanation = explain_text(self.query_one(TextArea).text)
        diagnosis = diagnose(explanation, self.result) if (
            explanation.matched and self.result is not None) else None
        parts = explanation_parts(explanation, diagnosis, confirm=False)
        self.plain = plain_text(parts)
        self.query_one("#explain-body", Static).update(Group(*parts))

    def action_back(self) -> None:
        self.dismiss(None)
