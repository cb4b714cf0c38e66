"""The packages import only downward (kerasfix/ARCHITECTURE.md): facts at the bottom, then
inspection, diagnosis, fixing, reporting, the fleet, and the presenters on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).parent.parent / "kerasfix"
SHARED = {"errors", "textsafe", "files", "enums", "__init__"}  # stdlib-only helpers, the version
ORDER = ["knowledge", "inspect", "diagnose", "fix", "report", "fleet"]
ALLOWED = {pkg: set(ORDER[: i + 1]) | SHARED for i, pkg in enumerate(ORDER)}


def _kerasfix_parts(node: ast.AST) -> list[str]:
    """The top-level kerasfix packages/modules an import statement reaches."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        parts = node.module.split(".")
        if parts[0] != "kerasfix":
            return []
        if len(parts) > 1:
            return [parts[1]]
        return ["__init__" if a.name == "__version__" else a.name for a in node.names]
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names
                if a.name.startswith("kerasfix.")]
    return []


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {part for node in ast.walk(tree) for part in _kerasfix_parts(node)}


@pytest.mark.parametrize("package", ORDER)
def test_package_imports_only_downward(package: str) -> None:
    files = sorted((PKG / package).rglob("*.py"))
    assert files, package
    bad = {f"{p.relative_to(PKG)} imports kerasfix.{name}"
           for p in files for name in imports_of(p) - ALLOWED[package]}
    assert not bad, sorted(bad)


def test_shared_helpers_import_no_package() -> None:
    for name in SHARED - {"__init__"}:
        assert imports_of(PKG / f"{name}.py") <= SHARED, name


def test_every_module_is_in_a_known_place() -> None:
    """A newcomer finds a module by the flow: no new loose modules at the top level."""
    loose = {p.stem for p in PKG.glob("*.py")}
    assert loose <= SHARED | {"cli", "__main__"}, loose - SHARED
    dirs = {p.name for p in PKG.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert dirs == set(ORDER) | {"tui"}, dirs


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rule can fail: an inspect module importing the fix engine is caught."""
    bad = tmp_path / "m.py"
    bad.write_text("from kerasfix.fix.plan import Plan\nfrom kerasfix import __version__\n"
                   "def f():\n    import kerasfix.report.tree\n")
    assert imports_of(bad) - ALLOWED["inspect"] == {"fix", "report"}
