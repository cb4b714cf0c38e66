"""The first screen: what is installed where, with the findings on top."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Tree
from textual.worker import get_current_worker

from kerasfix.diagnose.scan import ScanResult
from kerasfix.errors import KerasfixError
from kerasfix.fix.session import interrupted_notice
from kerasfix.report.tree import TreeItem, build_tree
from kerasfix.textsafe import one_line
from kerasfix.tui.settings import AppSettings, Scanner
from kerasfix.tui.widgets import DetailPane, EnvHeader, EnvTree


class ScanScreen(Screen[None]):
    BINDINGS = [
        Binding("x", "fix", "Fix…", id="fix"),
        Binding("d", "deep", "Deep check", id="deep"),
        Binding("f", "filter", "Problems/all", id="filter"),
        # priority: run before the keys typed right after it are handed on, so they are the
        # query (not `f` filter, `t` theme)
        Binding("slash", "search", "Search", id="search", priority=True),
        Binding("r", "rescan", "Rescan", id="rescan"),
        Binding("u", "undo", "Undo…", id="undo"),
        Binding("p", "explain", "Paste error", id="explain"),
        Binding("escape", "close_search", "Close search", id="close-search"),
    ]

    class Scanned(Message):
        """A scan finished and is on screen."""

        def __init__(self, result: ScanResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, settings: AppSettings, scanner: Scanner) -> None:
        super().__init__()
        self.settings = settings
        self.scanner = scanner
        self.result: ScanResult | None = None
        self.problems_only = False
        self.search_text = ""

    def compose(self) -> ComposeResult:
        yield EnvHeader(id="env-header")
        yield Input(placeholder="search distributions and findings (Esc closes)", id="search")
        with Horizontal(id="main"):
            yield EnvTree("environment", id="env-tree")
            with VerticalScroll(id="detail-scroll"):
                yield DetailPane(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EnvTree).focus()
        self.header.show(None, dry_run=self.settings.dry_run)
        self.run_scan()

    @property
    def header(self) -> EnvHeader:
        return self.query_one(EnvHeader)

    # ------------------------------------------------------------ workers
    @work(thread=True, exclusive=True, group="scan")
    def run_scan(self, deep: bool = False) -> None:
        worker = get_current_worker()
        try:
            result = self.scanner(deep=deep)
        except KerasfixError as err:
            self.app.call_from_thread(self.app.notify, one_line(str(err)), severity="error",
                                      timeout=30, markup=False)
            self.app.call_from_thread(self.header.show, None, dry_run=self.settings.dry_run,
                                      status=f"Cannot scan: {err}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_result, result)

    def show_result(self, result: ScanResult) -> None:
        self.result = result
        self.post_message(self.Scanned(result))
        status = ""
        if result.runtime is not None:
            status = "deep check done"
        self.header.show(result, dry_run=self.settings.dry_run, status=status)
        self.refresh_tree()
        try:
            notice = interrupted_notice(result.inventory.interpreter.prefix)
        except (KerasfixError, OSError):
            notice = None  # unreadable state: the fix wizard reports it when it matters
        if notice:
            self.notify(notice + " (u: undo)", severity="warning", timeout=30, markup=False)

    def refresh_tree(self) -> None:
        if self.result is None:
            return
        model = build_tree(self.result, problems_only=self.problems_only,
                           search=self.search_text)
        tree = self.query_one(EnvTree)
        tree.load(model)
        first = tree.first_finding()
        target = first or tree.root
        self.query_one(DetailPane).show(self.result.inventory, target.data)
        # Node lines exist only after the tree has been laid out.
        tree.call_after_refresh(tree.move_cursor, target)

    # ------------------------------------------------------------ events
    @on(Tree.NodeHighlighted, "#env-tree")
    def node_highlighted(self, event: Tree.NodeHighlighted[TreeItem]) -> None:
        inv = self.result.inventory if self.result else None
        self.query_one(DetailPane).show(inv, event.node.data)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self.refresh_tree()

    @on(Input.Submitted, "#search")
    def search_done(self) -> None:
        self.query_one(EnvTree).focus()

    # ------------------------------------------------------------ actions
    def check_action(self, action: str,
                     parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002 (Textual's)
        if action == "search":  # typing in the box: `/` is part of the query
            return self.focused is not self.query_one("#search", Input)  # (has_focus lags)
        if action == "close_search":  # in the footer only while the box is open
            return bool(self.query_one("#search", Input).display)
        return True

    def action_rescan(self) -> None:
        self.header.show(self.result, dry_run=self.settings.dry_run, status="rescanning…")
        self.run_scan()

    def action_deep(self) -> None:
        if self.result is None:
            return
        self.header.show(self.result, dry_run=self.settings.dry_run,
                         status="deep check: importing TensorFlow in a subprocess…")
        self.notify("Deep check started: TensorFlow is imported in a subprocess of the target.")
        self.run_scan(deep=True)

    def action_filter(self) -> None:
        self.problems_only = not self.problems_only
        self.notify("Showing problems only" if self.problems_only else "Showing everything")
        self.refresh_tree()

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        self.set_focus(box)  # at once, not after a refresh as Widget.focus does
        self.refresh_bindings()

    def action_close_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one(EnvTree).focus()
            self.refresh_bindings()

    def action_fix(self) -> None:
        if self.result is None:
            self.notify("The scan is still running.")
            return
        from kerasfix.tui.fix_screen import FixScreen

        self.app.push_screen(FixScreen(self.result, self.settings),
                             callback=lambda _: self.action_rescan())

    def action_explain(self) -> None:
        from kerasfix.tui.explain_screen import ExplainScreen

        self.app.push_screen(ExplainScreen(self.result, self.settings))

    def action_undo(self) -> None:
        if self.result is None:
            return
        from kerasfix.tui.undo_screen import UndoScreen

        self.app.push_screen(UndoScreen(self.result, self.settings),
                             callback=lambda _: self.action_rescan())


