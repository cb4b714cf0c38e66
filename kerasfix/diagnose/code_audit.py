"""Find Keras import paths and calls in user code that the installed Keras does not have (S19, S20).

API (core: no textual/rich; the CLI's `kerasfix scan --code DIR` and the TUI build on it):

    scan_code(root, keras_major, *, tf_version=None) -> list[CodeHit]
        Walks `root` (a folder or one file): every .py file and every .ipynb notebook (code cells;
        `%` / `!` magic lines are blanked, `%%bash`-style cells skipped). Skips .git, virtual
        environments (folders holding pyvenv.cfg or conda-meta), site-packages, node_modules,
        __pycache__ and .ipynb_checkpoints. Files that mention keras or tensorflow are parsed with
        `ast` (others cannot hit and are skipped); one that does not parse gives a problem hit and
        is then scanned for import lines as text. Unreadable files and invalid notebook JSON give
        problem hits too; nothing raises except a missing `root` (KerasfixError).
        `keras_major` is the Keras that `tf.keras` / `import keras` give in the target: 3, 2, or
        None (unknown: report what breaks in either). `tf_version` ("2.12.1") pins the Keras 2
        minor (TF 2.N ships keras 2.N), which decides paths such as keras.engine (gone in 2.13).
    code_findings(hits) -> list[Finding]
        One Finding per rule (code "code-<rule id>") with file:line evidence, for the scan report;
        problem hits become one info finding, "code-unparsed-files".
    installed_keras_major(inventory) -> int | None
        The Keras major `tf.keras` routes to in a scanned environment (pass it to scan_code).

Which dotted paths exist in which Keras releases (KERAS_LAYOUT, rule_for, keras_versions) is a
fact table in kerasfix/knowledge/keras_layout.py, shared with explain's checkers.

Each CodeHit carries path, line, col (1-based line, 0-based col, like ast), cell (notebook cell
index or None), code (the source line), rule, severity, message (what is wrong for this Keras) and
instead (what to write).
"""

from __future__ import annotations

import ast
import json
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.errors import KerasfixError
from kerasfix.knowledge import compat
from kerasfix.knowledge.keras_layout import (
    KERAS_LAYOUT,
    SAVE_RULES,
    Rule,
    keras_versions,
    last_keras2,
    rule_for,
)
from kerasfix.textsafe import plural

if TYPE_CHECKING:
    from kerasfix.inspect.inventory import Inventory

PROBLEM_RULE = "problem"
PROBLEMS_CODE = "code-unparsed-files"
_ALL_RULES = {r.id: r for r in (*KERAS_LAYOUT, *SAVE_RULES.values())}


def installed_keras_major(inv: Inventory) -> int | None:
    """Which Keras major tf.keras gives in a scanned environment (None: cannot tell)."""
    route = inv.keras_route()
    if route is None:
        keras = inv.keras()
        return keras.version.major if keras and keras.version else None
    return {"keras3": 3, "keras2": 2, "tf_keras": 2}.get(route.kind)


def _label(versions: tuple[Version, ...]) -> str:
    if len(versions) == 1:
        v = versions[0]
        return "Keras 3" if compat.is_keras3(v) else f"keras {v.major}.{v.minor}"
    return "some Keras versions"


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CodeHit:
    path: str
    line: int  # 1-based (within the cell for notebooks)
    col: int  # 0-based, like ast
    code: str  # the source line, stripped
    rule: str  # a KERAS_LAYOUT / SAVE_RULES id, or "problem"
    severity: Severity
    message: str  # what is wrong for the given Keras
    instead: str  # what to write instead
    cell: int | None = None  # notebook cell index (0-based, counting every cell)

    @property
    def problem(self) -> bool:
        return self.rule == PROBLEM_RULE

    @property
    def where(self) -> str:
        cell = f" (cell {self.cell})" if self.cell is not None else ""
        return f"{self.path}:{self.line}{cell}"


def _judge(rule: Rule, path: str, versions: tuple[Version, ...]) -> tuple[Severity, str] | None:
    """Severity and message for `path` under these Keras versions, or None when it is fine."""
    missing = [v for v in versions if not rule.exists_in(v)]
    if len(missing) == len(versions):
        severity = Severity.WARNING if rule.absence_silent else Severity.ERROR
        return severity, f"{path} is not in {_label(versions)}: {rule.problem}"
    if missing:
        return Severity.WARNING, (f"{path} breaks with {_label(tuple(missing))}"
                                  f" (exists only in keras {rule.present}): {rule.problem}")
    if rule.private:
        return Severity.WARNING, f"{path} is private or deprecated: {rule.problem}"
    return None


# ---------------------------------------------------------------- walking

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", "site-packages",
                       "dist-packages", ".ipynb_checkpoints", ".tox", ".nox", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache"})
MAX_BYTES = 20 * 1024 * 1024  # notebooks with embedded images get big; beyond this, skip


def _is_environment(folder: str) -> bool:
    return (os.path.isfile(os.path.join(folder, "pyvenv.cfg"))
            or os.path.isdir(os.path.join(folder, "conda-meta")))


def iter_sources(root: str) -> Iterator[str]:
    """The .py and .ipynb files under root, environments and caches pruned, sorted."""
    if os.path.isfile(root):
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                         and not _is_environment(os.path.join(folder, d)))
        for name in sorted(files):
            if name.endswith((".py", ".ipynb")):
                yield os.path.join(folder, name)


def scan_code(root: str, keras_major: int | None, *,
              tf_version: str | Version | None = None) -> list[CodeHit]:
    if not os.path.exists(root):
        raise KerasfixError(f"--code {root}: no such file or folder")
    versions = keras_versions(keras_major, tf_version)
    hits: list[CodeHit] = []
    for path in iter_sources(root):
        hits.extend(_scan_file(path, versions))
    return hits


def _problem(path: str, message: str, line: int = 1, cell: int | None = None) -> CodeHit:
    return CodeHit(path, line, 0, "", PROBLEM_RULE, Severity.INFO, message, "", cell)


def _scan_file(path: str, versions: tuple[Version, ...]) -> list[CodeHit]:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return [_problem(path, f"skipped: larger than {MAX_BYTES // 2**20} MB")]
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        return [_problem(path, f"cannot read: {err.strerror or err}")]
    text = data.decode("utf-8-sig", errors="replace")
    if path.endswith(".ipynb"):
        units = _notebook_cells(path, text)
        if isinstance(units, CodeHit):
            return [units]
    else:
        units = [(None, text)]
    return _scan_units(path, units, versions)


# ---------------------------------------------------------------- notebooks

_PY_CELL_MAGICS = ("time", "timeit", "capture", "prun")
_HELP_MAGIC = re.compile(r"^(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})$")  # obj? / ??obj


def _cell_source(source: object) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _strip_magics(source: str) -> str | None:
    """IPython magics are not Python: blank `%`/`!`/`?` lines (keeping line numbers); a cell
    magic other than %%time-like ones makes the whole cell another language (None)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split()[0] if lines[0].strip() != "%%" else ""
        if magic not in _PY_CELL_MAGICS:
            return None
        lines[0] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or _HELP_MAGIC.match(stripped):
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _notebook_cells(path: str, text: str) -> list[tuple[int | None, str]] | CodeHit:
    try:
        doc = json.loads(text)
    except ValueError as err:
        return _problem(path, f"not a valid notebook (invalid JSON: {err})")
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return _problem(path, "not a valid notebook (no 'cells' list)")
    units: list[tuple[int | None, str]] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _strip_magics(_cell_source(cell.get("source")))
        if source is not None:
            units.append((index, source))
    return units


# ---------------------------------------------------------------- parsing and visiting


def _scan_units(path: str, units: list[tuple[int | None, str]],
                versions: tuple[Version, ...]) -> list[CodeHit]:
    hits: list[CodeHit] = []
    parsed: list[tuple[int | None, str, ast.AST]] = []
    if not any(word in source for _, source in units for word in _WATCHED_ROOTS[:2]):
        return hits  # never mentions keras or tensorflow: nothing to find, skip parsing
    for cell, source in units:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes etc. are not our business
                parsed.append((cell, source, ast.parse(source)))
        except (SyntaxError, ValueError) as err:
            line = getattr(err, "lineno", None) or 1
            hits.append(_problem(path, f"does not parse ({err.__class__.__name__}:"
                                 f" {getattr(err, 'msg', err)}); import lines scanned with a"
                                 " regex instead", line, cell))
            hits.extend(_regex_scan(path, cell, source, versions))
    aliases: dict[str, str] = {}
    for _, _, tree in parsed:  # notebooks: an import in one cell serves the others
        aliases.update(_aliases(tree))
    for cell, source, tree in parsed:
        visitor = _Visitor(path, cell, source.splitlines(), aliases, versions)
        visitor.visit(tree)
        hits.extend(visitor.hits)
    return hits


_WATCHED_ROOTS = ("keras", "tensorflow", "tf_keras")


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> canonical dotted module, for names bound by TF/Keras imports."""
    found: dict[str, str] = {}
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in _WATCHED_ROOTS:
                    continue
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    found[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in _WATCHED_ROOTS:
                continue
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _statements(tree: ast.AST) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (imports inside try/if/def), without walking
    expressions: several times faster than ast.walk on big files."""
    stack = list(getattr(tree, "body", []))
    while stack:
        node = stack.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(children)


def _dotted(node: ast.AST) -> tuple[str, list[str]] | None:
    """('tf', ['keras', 'layers']) for tf.keras.layers; None if the chain is not names only."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, parts[::-1]


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, cell: int | None, lines: list[str],
                 aliases: dict[str, str], versions: tuple[Version, ...]) -> None:
        self.path, self.cell, self.lines = path, cell, lines
        self.aliases, self.versions = aliases, versions
        self.hits: list[CodeHit] = []
        self._seen: set[tuple[int, str]] = set()

    # -- helpers
    def _text(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    def _add(self, node: ast.AST, rule: Rule, severity: Severity, message: str,
             instead: str) -> None:
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        if (line, rule.id) in self._seen:
            return  # one hit per rule and line: `a.b.c` chains would repeat it
        self._seen.add((line, rule.id))
        self.hits.append(CodeHit(self.path, line, col, self._text(line), rule.id, severity,
                                 message, instead, self.cell))

    def _check_path(self, node: ast.AST, path: str, suggestion: str | None) -> None:
        rule = rule_for(path)
        if rule is None:
            return
        verdict = _judge(rule, path, self.versions)
        if verdict:
            self._add(node, rule, verdict[0], verdict[1], suggestion or rule.instead)

    # -- imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            new = _rewrite(alias.name)
            suggestion = f"import {new}" + (f" as {alias.asname}" if alias.asname else "") \
                if new else None
            self._check_path(node, alias.name, suggestion)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.module or node.level:
            return
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
        new = _rewrite(node.module)
        if rule_for(node.module):
            self._check_path(node, node.module, f"from {new} import {names}" if new else None)
            return
        for alias in node.names:  # `from keras import engine`, `from x.image import IDG`
            full = f"{node.module}.{alias.name}"
            new = _rewrite(full)
            self._check_path(node, full, f"from {new.rsplit('.', 1)[0]} import"
                             f" {new.rsplit('.', 1)[1]}" if new and "." in new else None)

    # -- attribute chains such as tf.keras.layers.experimental.preprocessing.RandomFlip
    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = _dotted(node)
        if chain is None:
            self.generic_visit(node)
            return
        base, parts = chain
        module = self.aliases.get(base)
        if module is None:
            return
        path = ".".join([module, *parts])
        new = _rewrite(path)
        self._check_path(node, path, _realias(new, base, module) if new else None)

    # -- model.save("dir") / load_model("dir")
    def visit_Call(self, node: ast.Call) -> None:
        self._check_save_call(node)
        self.generic_visit(node)

    def _check_save_call(self, node: ast.Call) -> None:
        if not self.aliases:
            return  # only in files that import TensorFlow or Keras
        name, module, receiver = _call_target(node.func, self.aliases)
        if name == "save" and module is None and receiver not in _NOT_MODELS:
            if any(k.arg == "save_format" for k in node.keywords):
                self._save_hit(node, SAVE_RULES["save-format-tf"])
                return
            target = _string_arg(node, 0, "filepath")
            if target is not None and _savedmodel_path(target, strict=False):
                self._save_hit(node, SAVE_RULES["savedmodel-save"])
        elif name in ("save_model", "load_model") and module and "keras" in module:
            position = 1 if name == "save_model" else 0  # save_model(model, filepath)
            target = _string_arg(node, position, "filepath")
            if target is not None and _savedmodel_path(target, strict=True):
                key = "savedmodel-load" if name == "load_model" else "savedmodel-save"
                self._save_hit(node, SAVE_RULES[key])

    def _save_hit(self, node: ast.AST, rule: Rule) -> None:
        verdict = _judge(rule, "this call", self.versions)
        if verdict:
            message = verdict[1].replace("this call is not in", "Breaks with", 1)
            self._add(node, rule, verdict[0], message, rule.instead)


# Receivers whose .save(...) is not a Keras model's.
_NOT_MODELS = frozenset({"np", "numpy", "torch", "joblib", "pickle", "plt", "Image", "img",
                         "image", "im", "fig", "figure", "df", "wb", "workbook", "pd", "jnp",
                         "doc", "document", "prs", "tokenizer"})


def _call_target(func: ast.AST, aliases: dict[str, str]
                 ) -> tuple[str | None, str | None, str | None]:
    """(name, module, receiver): ('save', None, 'model') for model.save(...);
    ('load_model', 'keras.models', None) for keras.models.load_model(...) or for a load_model
    imported from Keras. `module` is None unless the call resolves into a TF/Keras import, so
    tf.saved_model.save or mlflow.keras.load_model are told apart from model.save."""
    if isinstance(func, ast.Name):
        full = aliases.get(func.id)
        return func.id, full.rsplit(".", 1)[0] if full else None, None
    if not isinstance(func, ast.Attribute):
        return None, None, None
    receiver = func.value.id if isinstance(func.value, ast.Name) else None
    chain = _dotted(func.value)
    module = aliases.get(chain[0]) if chain else None
    if chain is None or module is None:
        return func.attr, None, receiver
    return func.attr, ".".join([module, *chain[1]]), receiver


def _string_arg(node: ast.Call, position: int, keyword: str) -> str | None:
    arg = node.args[position] if len(node.args) > position else next(
        (k.value for k in node.keywords if k.arg == keyword), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr):  # f"runs/{name}/model": judge by its literal tail
        tail = arg.values[-1] if arg.values else None
        if isinstance(tail, ast.Constant) and isinstance(tail.value, str):
            return tail.value
    return None


_KERAS_FILES = (".keras", ".h5", ".hdf5")


def _savedmodel_path(path: str, *, strict: bool) -> bool:
    """Whether Keras 2 treats the path as a SavedModel folder (anything but .keras/.h5).
    `strict` is for Keras' own save_model/load_model; `x.save(...)` may be any object's, so
    there only extension-less paths (and .tf) count."""
    base = path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
    if path.endswith(("/", "\\")) or (base and "." not in base):
        return True
    suffix = "." + base.rsplit(".", 1)[-1].lower()
    return suffix not in _KERAS_FILES if strict else suffix == ".tf"


def _rewrite(path: str) -> str | None:
    rule = rule_for(path)
    return rule.rewritten(path) if rule else None


def _realias(path: str, alias: str, module: str) -> str:
    """Write a rewritten canonical path with the user's alias again (tensorflow -> tf)."""
    if path == module or path.startswith(module + "."):
        return alias + path[len(module):]
    return path


# ---------------------------------------------------------------- regex fallback

_FROM_RE = re.compile(r"from\s+([\w.]+)\s+import\b(.*)")
_DOTTED_RE = re.compile(r"[A-Za-z_][\w.]*")


def _imported_paths(line: str) -> list[str]:
    """Dotted paths an import line names, by plain string splitting (no backtracking on
    pathological lines)."""
    text = line.split("#", 1)[0].strip()
    match = _FROM_RE.match(text)
    if match:
        module = match.group(1)
        if rule_for(module):
            return [module]
        names = match.group(2).replace("(", " ").replace(")", " ").split(",")
        return [f"{module}.{n.split()[0]}" for n in names if n.split()]
    if text.startswith("import") and text[6:7].isspace():
        names = [n.split()[0] for n in text[6:].split(",") if n.split()]
        return [n for n in names if _DOTTED_RE.fullmatch(n)]
    return []


def _regex_scan(path: str, cell: int | None, source: str,
                versions: tuple[Version, ...]) -> list[CodeHit]:
    """Import lines of a file `ast` could not parse (newer syntax, a half-edited file)."""
    hits: list[CodeHit] = []
    for number, line in enumerate(source.splitlines(), 1):
        for dotted in _imported_paths(line):
            rule = rule_for(dotted)
            verdict = _judge(rule, dotted, versions) if rule else None
            if rule and verdict:
                hits.append(CodeHit(path, number, len(line) - len(line.lstrip()),
                                    line.strip(), rule.id, verdict[0], verdict[1],
                                    rule.instead, cell))
    return hits


# ---------------------------------------------------------------- findings


def _strategies(rule: Rule) -> tuple[S, ...]:
    """Code that only Keras 2 has can also keep running via tf-keras (the legacy route)."""
    keeps_with_legacy = rule.exists_in(last_keras2()) and \
        not rule.exists_in(knowledge.KERAS_3_REPRESENTATIVE)
    return (S.MANUAL, S.LEGACY) if keeps_with_legacy else (S.MANUAL,)


def code_findings(hits: list[CodeHit]) -> list[Finding]:
    findings: list[Finding] = []
    by_rule: dict[str, list[CodeHit]] = {}
    for hit in hits:
        by_rule.setdefault(hit.rule, []).append(hit)
    for rule_id, group in by_rule.items():
        if rule_id == PROBLEM_RULE:
            findings.append(_problem_finding(group))
            continue
        rule = _ALL_RULES[rule_id]
        severity = max((h.severity for h in group), key=lambda s: s.rank)
        files = sorted({h.path for h in group})
        findings.append(Finding(
            code=f"code-{rule.id}",
            severity=severity,
            title=(f"{plural(len(group), 'place')} in {plural(len(files), 'file')}"
                   f" {'uses' if len(group) == 1 else 'use'} {rule.title}"),
            detail=group[0].message,
            evidence=tuple(f"{h.where}: {h.code}" for h in group[:10])
            + ((f"... and {len(group) - 10} more",) if len(group) > 10 else ()),
            paths=tuple(files),
            strategies=_strategies(rule),
            scenario=rule.scenario,
            manual=tuple(dict.fromkeys(f"{h.where}: {h.instead}" for h in group[:10])),
        ))
    return findings


def _problem_finding(group: list[CodeHit]) -> Finding:
    return Finding(
        code=PROBLEMS_CODE,
        severity=Severity.INFO,
        title=f"{plural(len(group), 'file')} could not be fully scanned",
        detail=("Unreadable files, invalid notebooks and files Python could not parse; the last"
                " were still searched for import lines."),
        evidence=tuple(f"{h.where}: {h.message}" for h in group[:10]),
        paths=tuple(sorted({h.path for h in group})),
    )
