"""Every environment on the machine at a glance; Enter opens the scan screen for one."""

from __future__ import annotations

import os

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from kerasfix.errors import TargetError
from kerasfix.fleet.envs_json import summary_rows
from kerasfix.fleet.scanning import EnvScan, scan_many
from kerasfix.inspect.discovery import FoundEnv, discover, env_from_path
from kerasfix.textsafe import plural, visible_data
from kerasfix.tui.widgets import python_version

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", "ok": "green",
         "unscannable": "bold magenta"}
FINDING_WIDTH = 32


class EnvPickerScreen(Screen[FoundEnv | None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="picker-back"),
        Binding("r", "refresh", "Rescan all", id="picker-refresh"),
    ]

    def __init__(self, roots: tuple[str, ...] = (), current: str | None = None) -> None:
        super().__init__()
        self.roots = roots
        self.current = current  # the interpreter the app is open on: listed first
        self.found: list[FoundEnv] = []
        self.scans: dict[str, EnvScan] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("Environments on this machine — Enter opens one", style="bold"),
                     id="phase-title")
        yield Static("Looking for environments…", id="picker-status")
        yield DataTable(id="envs", cursor_type="row", zebra_stripes=True)
        yield Static(id="picker-detail")  # the highlighted row in full: nothing is cut off
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("environment", "python", "TF", "keras", "tf-keras", "status")
        # a fixed width: a long title would push "found by" off screen (it is shown in full
        # below the table)
        table.add_column("worst finding", width=FINDING_WIDTH)
        table.add_column("found by")
        table.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one(DataTable).clear()
        self.scans.clear()
        self.survey()

    @work(thread=True, exclusive=True, group="survey")
    def survey(self) -> None:
        found = discover(self.roots)
        envs = self.with_current(found.envs)
        self.app.call_from_thread(self.show_found, envs, len(found.problems))
        merged = scan_many(envs, progress=lambda s: self.app.call_from_thread(self.show_scan, s))
        self.app.call_from_thread(self.done, merged)

    def with_current(self, envs: list[FoundEnv]) -> list[FoundEnv]:
        """The environment the app is open on comes first, found or not by discovery."""
        if self.current is None:
            return envs
        try:
            current = env_from_path(self.current, "open in kerasfix")
        except TargetError:
            return envs
        key = _same(current.prefix)
        if any(_same(e.prefix) == key for e in envs):
            return envs
        return [current, *envs]

    def show_found(self, envs: list[FoundEnv], problems: int) -> None:
        self.found = envs
        table = self.query_one(DataTable)
        for env in envs:  # cells as Text: a str cell would be read as markup
            shown = visible_data(env)
            table.add_row(Text(shown.name or shown.prefix), "…", "", "", "",
                          Text("scanning", style="dim"), "", Text("; ".join(shown.found_by)),
                          key=env.prefix)
        note = f", {problems} could not be read" if problems else ""
        self.query_one("#picker-status", Static).update(
            f"{plural(len(envs), 'environment')} found{note}; scanning…")

    def show_scan(self, scan: EnvScan) -> None:
        self.scans[scan.env.prefix] = scan
        row = visible_data(summary_rows([scan])[0])
        table = self.query_one(DataTable)
        severity = row.get("severity") or "?"
        values = [Text(python_version(str(row.get("version") or "—")))]
        values += [Text(str(row.get(key) or "—")) for key in ("tensorflow", "keras", "tf_keras")]
        values += [Text(severity, style=STYLE.get(severity, "")),
                   Text(str(row.get("finding") or ""))]
        columns = list(table.columns)[1:7]
        for number, (column, value) in enumerate(zip(columns, values)):
            try:
                table.update_cell(scan.env.prefix, column, value, update_width=number < 5)
            except Exception:  # the row vanished (refresh pressed meanwhile)
                return
        self.show_detail()

    def done(self, merged: list[EnvScan]) -> None:
        """Scans that turned out to be one interpreter (a pyenv shim and the version it runs)
        become one row, as in `scan --all`."""
        table = self.query_one(DataTable)
        kept = {s.env.prefix for s in merged}
        for env in self.found:
            if env.prefix not in kept:
                try:
                    table.remove_row(env.prefix)
                except Exception:  # the row vanished (refresh pressed meanwhile)
                    return
        found_by = list(table.columns)[7]
        for scan in merged:
            try:
                table.update_cell(scan.env.prefix, found_by,
                                  Text("; ".join(visible_data(scan.env).found_by)),
                                  update_width=True)
            except Exception:
                return
        self.found = [s.env for s in merged]
        self.scans = {s.env.prefix: s for s in merged}
        bad = sum(1 for s in self.scans.values() if s.severity in ("error", "unscannable"))
        self.query_one("#picker-status", Static).update(
            f"{plural(len(self.found), 'environment')}, {bad} need attention. Enter opens one.")
        self.show_detail()

    @on(DataTable.RowHighlighted, "#envs")
    def highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        """The highlighted environment in full: its folder, how it was found, its worst
        finding (the table cuts long ones)."""
        table = self.query_one(DataTable)
        detail = self.query_one("#picker-detail", Static)
        if not table.row_count:
            detail.update("")
            return
        prefix = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        env = next((e for e in self.found if e.prefix == prefix), None)
        if env is None:
            detail.update("")
            return
        shown = visible_data(env)
        text = Text(shown.prefix, style="bold")
        text.append(f"\nfound by: {'; '.join(shown.found_by)}")
        scan = self.scans.get(env.prefix)
        if scan is not None:
            row = visible_data(summary_rows([scan])[0])
            severity = row.get("severity") or "?"
            text.append("\n")
            text.append(severity, style=STYLE.get(severity, ""))
            text.append(f": {row.get('finding') or 'nothing found'}")
        detail.update(text)

    @on(DataTable.RowSelected, "#envs")
    def chosen(self, event: DataTable.RowSelected) -> None:
        prefix = event.row_key.value
        env = next((e for e in self.found if e.prefix == prefix), None)
        if env is not None:
            self.dismiss(env)

    def action_back(self) -> None:
        self.dismiss(None)


def _same(prefix: str) -> str:
    return os.path.normcase(os.path.realpath(prefix))
