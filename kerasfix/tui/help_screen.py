"""Help: what the app does and its keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("↑ ↓ ← →, Enter", "move in the tree, open and close branches"),
    ("x", "fix wizard: strategy → preview → confirm → run → verify"),
    ("d", "deep check: import TensorFlow and train a tiny model in a subprocess"),
    ("f", "show problems only / everything"),
    ("/", "search distributions and findings (Esc closes)"),
    ("r", "rescan"),
    ("u", "undo: restore a snapshot taken before a fix"),
    ("p", "paste an error or traceback: its likely causes, checked against this scan"),
    ("e", "environments: every venv, conda env, pyenv Python and Jupyter kernel here"),
    ("t", "light / dark theme"),
    ("ctrl+p", "command palette"),
    ("?", "this help"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="close-help")]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        intro = Text("kerasfix shows what this Python will import, names the cause of a broken"
                     " TensorFlow / Keras setup, and fixes it with a previewed plan. Nothing"
                     " changes before you confirm; every fix takes a snapshot you can undo."
                     " With --dry-run the app only writes an audit report.\n")
        with VerticalScroll(id="help-box"):
            yield Static(intro)
            yield Static(table)
            yield Static(Text("\nEsc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
