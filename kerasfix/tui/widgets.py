"""Small widgets shared by the screens: the environment header, the tree, the detail pane.

Names, versions and paths are shown as Text through `visible` (never markup, never a raw
control character): `item_label`, `EnvHeader.show` and `DetailPane.show` are the choke points.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from kerasfix.diagnose.checks.gpu_machine import tf_cuda_build
from kerasfix.diagnose.scan import ScanResult
from kerasfix.inspect.inventory import Inventory
from kerasfix.report.scan_text import project_line
from kerasfix.report.tree import (
    TreeItem,
    distribution_facts,
    entry_facts,
    finding_facts,
)
from kerasfix.textsafe import visible


class Display:
    """Test hook for SVG snapshots: `Display.machine_facts = False` (tests/tuikit.py sets it)
    shows Python as major.minor and pip's version as "x", the two header and picker facts that
    differ between machines with the same environment. The app never changes it."""

    machine_facts = True


def python_version(text: str) -> str:
    """A Python version as the screens show it (see Display)."""
    return text if Display.machine_facts else ".".join(text.split(".")[:2])


def pip_version(text: str) -> str:
    return text if Display.machine_facts else "x"


MARK = {"error": ("✗ ", "bold red"), "warning": ("! ", "bold yellow"), "info": ("i ", "cyan"),
        "ok": ("✓ ", "green"), "": ("", "")}


def item_label(item: TreeItem) -> Text:
    mark, style = MARK.get(item.status, ("", ""))
    text = Text(mark, style=style)
    text.append(visible(item.label), style="bold" if item.kind in ("findings", "entries") else "")
    return text


def gpu_part(result: ScanResult) -> str:
    """" · GPU: driver 550.54.14 · A100-SXM4-40GB" or " · no NVIDIA driver", only where the
    GPU matters: TensorFlow is a CUDA build on Linux (a CPU build's header stays as it was)."""
    gpu = result.gpu
    if gpu is None or tf_cuda_build(result.inventory) is None:
        return ""
    if not gpu.driver_version:
        return " · no NVIDIA driver"
    first = gpu.gpus[0].name.removeprefix("NVIDIA ") if gpu.gpus else ""
    more = f" +{len(gpu.gpus) - 1}" if len(gpu.gpus) > 1 else ""
    return f" · GPU: driver {gpu.driver_version}" + (f" · {first[:24]}{more}" if first else "")


class EnvHeader(Static):
    """Interpreter, environment kind and path, writability, pip, who manages it and the
    project; DRY RUN when auditing."""

    def show(self, result: ScanResult | None, *, dry_run: bool, status: str = "") -> None:
        text = Text()
        if dry_run:
            text.append(" DRY RUN ", style="bold black on yellow")
            text.append(" ")
        if result is None:
            text.append(visible(status) or "Scanning…")
            self.update(text)
            return
        interp = result.inventory.interpreter
        pip = result.inventory.get("pip")
        writable = interp.site_writable and not interp.externally_managed
        text.append(visible(interp.executable), style="bold")
        text.append(f"\nPython {python_version(interp.version_text)} · {visible(interp.kind)} · ")
        text.append("writable" if writable else "read-only",
                    style="green" if writable else "bold red")
        shown_pip = pip_version(pip.raw_version or "?") if pip else "none"
        manager = result.manager.name  # said when it is not plain pip: it changes the route
        managed = f" · managed by {manager}" if manager != "pip" else ""
        text.append(visible(f" · pip {shown_pip}{managed} · chosen by {result.target.reason}"))
        text.append(visible(gpu_part(result)))
        if result.project is not None:  # what a fix may also edit, as a diff
            text.append(visible(f"\nproject {project_line(result.project)}"), style="dim")
        if status:
            text.append(f"  {visible(status)}", style="bold cyan")
        self.update(text)


class EnvTree(Tree[TreeItem]):
    """The environment tree; rebuilt from a TreeItem model on every scan or filter change."""

    def load(self, model: TreeItem) -> None:
        self.clear()
        self.root.set_label(item_label(model))
        self.root.data = model
        self._add_items(self.root, model)
        self.root.expand()

    def _add_items(self, node: TreeNode[TreeItem], model: TreeItem) -> None:
        for child in model.children:
            if child.children:
                sub = node.add(item_label(child), data=child, expand=child.expanded)
                self._add_items(sub, child)
            else:
                node.add_leaf(item_label(child), data=child)

    def first_finding(self) -> TreeNode[TreeItem] | None:
        for node in self.root.children:
            if node.data and node.data.kind == "findings" and node.children:
                return node.children[0]
        return None


class DetailPane(Static):
    """Facts about the selected node."""

    plain = ""  # the facts as text, for tests and copy-paste

    def show(self, inv: Inventory | None, item: TreeItem | None) -> None:
        if inv is None or item is None:
            self.plain = ""
            self.update("")
            return
        if item.finding is not None:
            title, facts = item.finding.title, finding_facts(item.finding)
        elif item.distribution is not None:
            title, facts = item.distribution.label, distribution_facts(inv, item.distribution)
        elif item.entry is not None:
            title, facts = item.entry.path, entry_facts(inv, item.entry)
        else:
            title, facts = item.label, [("items", str(len(item.children)))]
        title, facts = visible(title), [(visible(k), visible(v)) for k, v in facts]
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(style="bold", no_wrap=True, ratio=None)
        table.add_column(ratio=1, overflow="fold")
        for key, value in facts:
            table.add_row(key, Text(value))
        self.plain = "\n".join([title, *(f"{k}: {v}" for k, v in facts)])
        heading = Text(title + "\n", style="bold underline")
        from rich.console import Group

        self.update(Group(heading, table))
