"""The kerasfix app: scan screen first; fix wizard, undo and help on top of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from kerasfix.diagnose.scan import ScanResult, scan
from kerasfix.inspect.discovery import FoundEnv
from kerasfix.inspect.target import Target
from kerasfix.tui.scan_screen import ScanScreen
from kerasfix.tui.settings import AppSettings, Scanner


class KerasfixApp(App[int]):
    CSS_PATH = "kerasfix.tcss"
    TITLE = "kerasfix"
    BINDINGS = [
        Binding("e", "environments", "Environments…", id="environments"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("t", "toggle_theme", "Theme", id="theme"),
    ]

    def __init__(self, target: Target, *, settings: AppSettings | None = None,
                 scanner: Scanner | None = None, pick_first: bool = False,
                 roots: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.target = target
        self.settings = settings or AppSettings()
        project = self.settings.project_dir
        self.scanner: Scanner = scanner or (
            lambda deep=False: scan(target, deep=deep, project_dir=project))
        self.last_scan: ScanResult | None = None  # the newest scan shown (bench, tests)
        self.pick_first = pick_first  # `kerasfix --all`: the environment picker comes first
        self.roots = roots

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(ScanScreen(self.settings, self.scanner))
        if self.pick_first:
            self.action_environments()

    def action_environments(self) -> None:
        from kerasfix.tui.env_picker import EnvPickerScreen

        if any(isinstance(s, EnvPickerScreen) for s in self.screen_stack):
            return
        self.push_screen(EnvPickerScreen(self.roots, current=self.target.python),
                         callback=self.open_environment)

    def open_environment(self, env: FoundEnv | None) -> None:
        """Point the app at another environment and scan it."""
        if env is None:
            return
        import os

        self.target = Target(env.python, "; ".join(env.found_by) or "picked")
        environ = {**os.environ, **env.kernel_env}
        target = self.target
        project = self.settings.project_dir
        self.scanner = lambda deep=False: scan(target, deep=deep, env=environ,
                                               project_dir=project)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(ScanScreen(self.settings, self.scanner))

    def on_scan_screen_scanned(self, message: ScanScreen.Scanned) -> None:
        self.last_scan = message.result

    def action_help(self) -> None:
        from kerasfix.tui.help_screen import HelpScreen

        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def _scan_screen(self) -> ScanScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, ScanScreen)), None)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        scan_screen = self._scan_screen()
        if scan_screen is None:
            return
        yield SystemCommand("Fix…", "Choose a strategy, preview, run and verify a fix",
                            scan_screen.action_fix)
        yield SystemCommand("Deep check", "Import TensorFlow and train a tiny model in a"
                            " subprocess", scan_screen.action_deep)
        yield SystemCommand("Rescan", "Scan the environment again", scan_screen.action_rescan)
        yield SystemCommand("Problems only / everything", "Toggle the tree filter",
                            scan_screen.action_filter)
        yield SystemCommand("Undo…", "Restore a snapshot taken before a fix",
                            scan_screen.action_undo)
        yield SystemCommand("Explain an error…", "Paste a message or traceback",
                            scan_screen.action_explain)
        yield SystemCommand("Environments…", "Every environment on this machine, at a glance",
                            self.action_environments)
