"""The scan as a rich terminal report (the CLI's text output). Renders core objects only.

Data reaches rich only as Text (never as markup) and only after `visible_data` (no raw control
characters): names, versions and paths are written by others.
"""

from __future__ import annotations

import os

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.scan import ScanResult
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.inspect.project import Project
from kerasfix.inspect.runtime_steps import RuntimeVerdict
from kerasfix.textsafe import plural, visible_data

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
SEVERITY_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
STACK_ROWS = (
    ("tensorflow", knowledge.TENSORFLOW_VARIANTS),
    ("keras", knowledge.KERAS_VARIANTS),
    ("tf-keras", knowledge.TF_KERAS_VARIANTS),
    ("numpy", frozenset({"numpy"})),
    ("protobuf", frozenset({"protobuf"})),
    ("ml-dtypes", frozenset({"ml-dtypes"})),
)


def target_panel(result: ScanResult) -> Panel:
    interp = result.inventory.interpreter
    pip = result.inventory.get("pip")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Python", Text(f"{interp.executable} ({interp.version_text},"
                                f" {interp.implementation})"))
    grid.add_row("Chosen by", Text(result.target.reason))
    grid.add_row("Environment", Text(f"{interp.kind} at {interp.prefix}"))
    writable = "yes" if interp.site_writable and not interp.externally_managed else "no"
    if interp.externally_managed:
        writable += " (externally managed)"
    grid.add_row("Writable", writable)
    grid.add_row("pip", Text(pip.raw_version or "?") if pip else "not installed")
    grid.add_row("Managed by", Text(result.manager.describe()))
    if result.gpu is not None:  # the machine's driver and GPUs, read once per scan
        grid.add_row("GPU", Text(result.gpu.summary()))
    if result.project is not None:
        grid.add_row("Project", Text(project_line(result.project)))
    if interp.env.get("TF_USE_LEGACY_KERAS") is not None:
        grid.add_row("TF_USE_LEGACY_KERAS", Text(repr(interp.env["TF_USE_LEGACY_KERAS"])))
    return Panel(grid, title="kerasfix scan", title_align="left", border_style="blue")


def project_line(project: Project) -> str:
    """The project folder and the files a fix may edit (lock files: re-locked by the tool)."""
    files = [os.path.relpath(m.path, project.root) for m in project.manifests]
    files += [f"{os.path.basename(path)} (lock)" for path, _tool in project.locks]
    return f"{project.root}: {', '.join(files) or 'no manifest'}"


def _owners(inv: Inventory, members: frozenset[str]) -> list[Distribution]:
    return [d for d in inv.distributions if d.name in members]


def _where(inv: Inventory, dist: Distribution) -> str:
    """Short for the environment's own site-packages; the full folder for anything else."""
    if dist.location in (inv.interpreter.purelib, *inv.interpreter.site_packages):
        return dist.origin
    return f"{dist.origin}: {dist.location}"


def stack_table(inv: Inventory) -> Table:
    table = Table(title="TensorFlow / Keras stack", title_justify="left", expand=False,
                  show_edge=False, pad_edge=False)
    table.add_column("package", no_wrap=True)
    table.add_column("installed", overflow="fold")
    table.add_column("where", overflow="fold", style="dim")
    for label, members in STACK_ROWS:
        dists = _owners(inv, members)
        if not dists:
            table.add_row(label, Text("—", style="dim"), "")
            continue
        for dist in dists:
            text = Text(dist.label)
            if not dist.active:
                text.append(" (shadowed)", style="yellow")
            if dist.missing_files:
                text.append(f" ({plural(dist.missing_files, 'file')} missing)", style="red")
            table.add_row(label, text, Text(_where(inv, dist)))
    route = inv.keras_route()
    if route is not None:
        shown = (Text(route.module or "", style="green") if route.kind != "fail"
                 else Text("fails: " + (route.failure or ""), style="red"))
        table.add_row("tf.keras", shown, "")
    return table


def finding_block(f: Finding) -> Group:
    head = Text()
    head.append(f"{SEVERITY_MARK[f.severity]} {f.severity.value.upper()} ",
                style=SEVERITY_STYLE[f.severity])
    head.append(f.title, style="bold")
    head.append(f"  [{f.code}" + (f", {f.scenario}" if f.scenario else "") + "]", style="dim")
    body: list[Text] = [Text(f.detail)]
    if f.runtime:
        body.append(Text(f"runtime check: {f.runtime}", style="green" if f.runtime ==
                         RuntimeVerdict.CONFIRMED else "yellow"))
    if f.symptom:
        body.append(Text.assemble(("You see: ", "bold"), (f.symptom, "italic")))
    for line in f.evidence:
        body.append(Text("• " + line, style="dim"))
    for line in f.manual:
        body.append(Text.assemble(("Do: ", "bold green"), line))
    if f.strategies:
        body.append(Text("Fix strategies: " + ", ".join(s.value for s in f.strategies),
                         style="dim"))
    return Group(head, Padding(Group(*body), (0, 0, 1, 2)))


def render_scan(result: ScanResult, console: Console, *, show_stack: bool = True) -> None:
    result = visible_data(result)  # the one choke point: everything below is safe to show
    console.print(target_panel(result))
    if show_stack:
        console.print(stack_table(result.inventory))
    console.print()
    if not result.findings:
        console.print(Text("✓ No problems found.", style="bold green"))
    for severity in Severity:
        group = [f for f in result.findings if f.severity is severity]
        if not group:
            continue
        console.rule(Text(f"{severity.value}s ({len(group)})", style=SEVERITY_STYLE[severity]),
                     align="left")
        for finding in group:
            console.print(finding_block(finding))
    for note in result.notes:
        console.print(Text(note, style="dim"))
    summary = (f"{plural(result.count(Severity.ERROR), 'error')},"
               f" {plural(result.count(Severity.WARNING), 'warning')},"
               f" {result.count(Severity.INFO)} info · "
               f"{len(result.inventory.distributions)} distributions · {result.seconds:.2f} s")
    console.print(Text(summary, style="bold"))
