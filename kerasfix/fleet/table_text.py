"""Many environments in the terminal: the summary table (rich). Renders core dicts only.

Names, paths and versions come from other machines' reports too: they reach rich through
`visible_data` and only as Text (never as markup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerasfix.fleet.scanning import Access, EnvSeverity
from kerasfix.textsafe import visible_data

# Keyed by value: rows and documents (also other machines' files) hold plain strings.
STYLE = {EnvSeverity.ERROR.value: "bold red", EnvSeverity.WARNING.value: "yellow",
         EnvSeverity.INFO.value: "cyan", EnvSeverity.OK.value: "green",
         EnvSeverity.UNSCANNABLE.value: "bold magenta"}


def rows_table(rows: Sequence[Mapping[str, Any]], *, title: str, hosts: bool = False,
               width: int = 120) -> Table:
    """The summary; below 110 columns the worst finding moves to the details that follow."""
    wide = width >= 110
    rows = visible_data(rows)
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    if hosts:
        table.add_column("host", no_wrap=True)
    table.add_column("environment", overflow="fold")
    table.add_column("python", no_wrap=True)
    table.add_column("TF", overflow="fold")
    table.add_column("keras", overflow="fold")
    table.add_column("tf-keras", overflow="fold")
    table.add_column("status", no_wrap=True)
    if wide:
        table.add_column("worst finding", overflow="fold", ratio=1)
    for row in rows:
        severity = row.get("severity") or "?"
        name = Text(str(row.get("name") or row.get("prefix") or "?"))
        if row.get("access") == Access.READ_ONLY:
            name.append(" (read-only)", style="dim")
        tf = (row.get("tensorflow") or "—").replace("(tensorflow-", "(")
        cells = [name, Text(str(row.get("version") or "—")), Text(tf),
                 Text(str(row.get("keras") or "—")), Text(str(row.get("tf_keras") or "—")),
                 Text(severity, style=STYLE.get(severity, ""))]
        if wide:
            cells.append(Text(str(row.get("finding") or "")))
        if hosts:
            cells.insert(0, Text(str(row.get("host") or "—")))
        table.add_row(*cells)
    return table


def render_problems(problems: Sequence[Mapping[str, str]], console: Console) -> None:
    for p in visible_data(problems):
        console.print(Text(f"! {p.get('path')}: {p.get('error')}", style="yellow"))


def render_envs(doc: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
                console: Console, *, hosts: bool = False) -> None:
    doc = visible_data(doc)  # the one choke point (rows_table has its own)
    summary = doc.get("summary", {})
    console.print(rows_table(rows, title=f"{summary.get('environments', len(rows))}"
                             " environments", hosts=hosts, width=console.width))
    render_problems(doc.get("problems") or [], console)
    for env in doc.get("environments") or []:
        findings = [f for f in env.get("findings") or []
                    if f.get("severity") != EnvSeverity.INFO]
        if not findings and not env.get("error"):
            continue
        console.rule(Text(f"{env.get('name')}  {env.get('path')}", style="bold"), align="left")
        if env.get("error"):
            console.print(Text(f"cannot scan: {env['error']}", style="magenta"))
        for f in findings:
            console.print(Text.assemble((f"{f['severity']:<8}", STYLE.get(f["severity"], "")),
                                        f["title"], (f"  [{f['code']}]", "dim")))
            for line in f.get("manual") or []:
                console.print(Text("         do: " + line, style="green"))
