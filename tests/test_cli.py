"""The command as a user runs it: exit codes, one-line errors, JSON on stdout only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv

KERASFIX = [sys.executable, "-m", "kerasfix"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run([*KERASFIX, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


@pytest.mark.parametrize("python,message", [
    ("/no/such/python", "no such file"),
    ("/etc/passwd", "not executable"),
    ("/bin/ls", "not a Python 3.8+ interpreter"),
    ("/root/.pyenv/versions/2.7.18/bin/python", "is Python 2.7.18"),
    ("/root/.pyenv/versions/3.6.15/bin/python", "is Python 3.6.15"),
])
def test_bad_targets_get_one_line_and_exit_2(python: str, message: str) -> None:
    if python.startswith("/root/.pyenv") and not os.path.exists(python):
        pytest.skip("interpreter not on this machine")
    proc = run("scan", "--python", python)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_hanging_target_times_out(tmp_path: Path) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nsleep 30\n")
    fake_python.chmod(0o755)
    proc = subprocess.run([*KERASFIX, "scan", "--python", str(fake_python)], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "KERASFIX_PROBE_TIMEOUT": "2"})
    assert proc.returncode == 2 and "did not answer" in proc.stderr


def test_folder_that_is_not_an_environment(tmp_path: Path) -> None:
    proc = run("scan", "--python", str(tmp_path))
    assert proc.returncode == 2 and "not an environment" in proc.stderr


@pytest.mark.parametrize("args", [["--bogus"], ["scan", "--deep=3"], ["frobnicate"],
                                  ["scan", "--timeout", "soon"]])
def test_bad_flags_one_line_exit_2(args: list[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "kerasfix" in proc.stderr


def test_help_says_what_each_option_is_for() -> None:
    """`kerasfix` alone opens the app; every option has help; undo and fix name their own
    purpose for --python."""
    import argparse

    from kerasfix.cli import build_parser

    parser = build_parser()
    top = " ".join(parser.format_help().split())
    assert "`kerasfix` alone" in top and "opens the app" in top
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if action.option_strings:
                assert action.help, f"{name} {action.option_strings} has no help"
    python_help = {name: next(a.help for a in sub._actions if "--python" in a.option_strings)
                   for name, sub in commands.choices.items() if name != "report"}
    assert "to diagnose" in python_help["scan"]
    assert "to diagnose" not in python_help["undo"] and "restore" in python_help["undo"]
    assert "to diagnose" not in python_help["fix"] and "to fix" in python_help["fix"]


def test_environment_folder_is_accepted(fake: FakeEnv) -> None:
    proc = run("scan", "--python", str(fake.root / "venv"), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["target"]["reason"] == "--python"


def test_json_document_and_exit_code_1_on_errors(fake: FakeEnv) -> None:
    fake.tensorflow("2.14.1")
    fake.keras("3.15.1")
    proc = run("scan", "--python", fake.python, "--json", cwd=fake.root / "work")
    assert proc.returncode == 1
    assert proc.stderr == ""  # human messages only on stderr, none needed here
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "kerasfix.scan/1"
    assert doc["exit_code"] == 1 and doc["summary"]["error"] >= 1
    finding = next(f for f in doc["findings"] if f["code"] == "keras3-under-tf-2.14-or-older")
    assert set(finding) >= {"code", "severity", "title", "detail", "distributions", "paths",
                            "strategies", "evidence", "symptom", "manual", "scenario"}
    assert finding["strategies"][0] == "repair"
    assert doc["stack"]["tf_keras_route"]["kind"] == "fail"
    names = {d["name"] for d in doc["distributions"]}
    assert {"tensorflow-cpu", "keras"} <= names


def test_target_chosen_from_virtual_env_then_conda_prefix(fake: FakeEnv, tmp_path) -> None:
    proc = run("scan", "--json", env={"VIRTUAL_ENV": str(fake.root / "venv"),
                                      "CONDA_PREFIX": str(tmp_path)})
    assert json.loads(proc.stdout)["target"]["reason"] == "$VIRTUAL_ENV"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["CONDA_PREFIX"] = str(fake.root / "venv")
    proc = subprocess.run([*KERASFIX, "scan", "--json"], capture_output=True, text=True, env=env)
    assert json.loads(proc.stdout)["target"]["reason"] == "$CONDA_PREFIX"


def test_broken_virtual_env_variable_is_a_clear_error(tmp_path) -> None:
    proc = run("scan", env={"VIRTUAL_ENV": str(tmp_path / "gone")})
    assert proc.returncode == 2 and "VIRTUAL_ENV" in proc.stderr


def test_text_report_fits_80_columns_and_respects_no_color(fake: FakeEnv) -> None:
    fake.tensorflow("2.14.1")
    fake.keras("3.15.1")
    proc = run("scan", "--python", fake.python, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert "keras3-under-tf-2.14-or-older" in proc.stdout


def test_scan_command_does_not_import_textual(fake: FakeEnv) -> None:
    code = ("import sys\nimport kerasfix.cli as c\n"
            f"c.main(['scan', '--json', '--python', {fake.python!r}])\n"
            "assert 'textual' not in sys.modules, 'textual imported'; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().endswith("ok"), proc.stderr


def _presenter(path: Path) -> bool:
    """The CLI, the app and the Rich renderers (report/ and fleet/ *_text.py,
    report/safe_console.py)."""
    return (path.name == "cli.py" or "tui" in path.parts
            or (path.parent.name in ("report", "fleet") and path.stem.endswith("_text"))
            or path.stem == "safe_console")


def test_core_imports_neither_textual_nor_rich() -> None:
    pkg = Path(__file__).parent.parent / "kerasfix"
    engine = sorted(p for p in pkg.rglob("*.py") if not _presenter(p.relative_to(pkg.parent)))
    core = [".".join(p.relative_to(pkg.parent).with_suffix("").parts).removesuffix(".__init__")
            for p in engine if not p.stem.endswith("_script") and p.stem != "__main__"]
    assert "kerasfix.fix.runner" in core and "kerasfix.diagnose.explain" in core
    code = ("import sys\n" + "".join(f"import {m}\n" for m in core) +
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
            "print(bad)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    # and no engine module mentions them at all
    for path in engine:
        text = path.read_text()
        assert "import rich" not in text and "from rich" not in text, path
        assert "import textual" not in text and "from textual" not in text, path


def test_every_finding_code_is_documented_in_the_readme() -> None:
    import re

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text()
    codes: set[str] = set()
    for path in (root / "kerasfix").rglob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r'code="([a-z0-9.-]+)"', text))
        codes |= set(re.findall(r'code, scenario = "([a-z0-9.-]+)"', text))
        codes |= set(re.findall(r'"(requirement-[a-z-]+)"', text))
        codes |= set(re.findall(r'"(req-[a-z0-9.-]+)"', text))
    assert len(codes) > 35
    missing = sorted(c for c in codes if f"`{c}`" not in readme and not c.startswith("runtime"))
    assert missing == []
    from kerasfix.diagnose.code_audit import _ALL_RULES
    from kerasfix.diagnose.requirements_audit import REQ_CODES

    assert [r for r in _ALL_RULES if f"`code-{r}`" not in readme] == []
    assert [c for c in REQ_CODES if f"`{c}`" not in readme] == []


def _isolated(tmp_path: Path) -> dict[str, str]:
    """No host environments: a fresh HOME, no pyenv, no conda, a minimal PATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_ROOT", "JUPYTER_DATA_DIR")}
    env.update({"HOME": str(tmp_path / "home"), "PYENV_ROOT": str(tmp_path / "nopyenv"),
                "PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(tmp_path / "data")})
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def test_scan_all_audit_and_merge(tmp_path: Path) -> None:
    from fakeenv import make_venv

    root = tmp_path / "envs"
    good = make_venv(root / "team" / "good")
    good.healthy("2.18.1")
    bad = make_venv(root / "alice" / "bad")
    bad.tensorflow("2.14.1")
    bad.keras("3.3.3")
    env = _isolated(tmp_path)
    proc = subprocess.run([*KERASFIX, "scan", "--all", "--root", str(root), "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "kerasfix.envs/1"
    assert proc.returncode == 1 == doc["exit_code"]
    by_path = {e["path"]: e for e in doc["environments"]}
    assert by_path[str(bad.root / "venv")]["severity"] == "error"
    assert by_path[str(good.root / "venv")]["severity"] in ("ok", "info")
    assert all(e["found_by"] for e in doc["environments"])

    table = subprocess.run([*KERASFIX, "scan", "--all", "--root", str(root), "--no-color"],
                           capture_output=True, text=True, env={**env, "COLUMNS": "80"},
                           cwd=tmp_path)
    assert "bad" in table.stdout and "keras3-under-tf-2.14-or-older" in table.stdout

    report = tmp_path / "audit.md"
    audit = subprocess.run([*KERASFIX, "audit", "--all", "--root", str(root), "--report",
                            str(report), "--no-preview"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert audit.returncode == 1, audit.stdout + audit.stderr
    text = report.read_text()
    assert "keras~=2.14.0" in text and "sudo" not in text

    files = []
    for name, venv in (("host-a", good), ("host-b", bad)):
        out = tmp_path / f"{name}.json"
        out.write_text(subprocess.run([*KERASFIX, "scan", "--json", "--python", venv.python],
                                      capture_output=True, text=True).stdout)
        files.append(str(out))
    garbage = tmp_path / "host-c.json"
    garbage.write_text("not json")
    merged = subprocess.run([*KERASFIX, "report", "merge", *files, str(garbage), "--json"],
                            capture_output=True, text=True)
    doc = json.loads(merged.stdout)
    hosts = {e["host"] for e in doc["environments"]}
    assert hosts == {"host-a", "host-b"} and doc["problems"]
    assert merged.returncode == 2  # a file could not be read


def test_explain_names_the_cause_in_the_environment(fake: FakeEnv) -> None:
    fake.tensorflow("2.14.1")
    fake.keras("3.3.3")
    message = ("Traceback (most recent call last):\n  File \"train.py\", line 2, in <module>\n"
               "    from tensorflow.keras.models import Sequential\n"
               "ModuleNotFoundError: No module named 'tensorflow.keras'\n")
    proc = subprocess.run([*KERASFIX, "explain", "-", "--python", fake.python, "--json"],
                          input=message, capture_output=True, text=True, cwd=fake.root / "work")
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "kerasfix.explain/1" and doc["matched"]
    assert doc["cause"] == "keras3-under-old-tf"
    assert proc.returncode == 1
    plain = run("explain", "some unrelated text", "--no-scan")
    assert plain.returncode == 0 and "No known" in plain.stdout


def test_requirements_file_is_checked_for_this_interpreter(fake: FakeEnv, tmp_path) -> None:
    bad = tmp_path / "requirements.txt"
    bad.write_text("tensorflow==2.18.1\ntf-keras==2.15.0\n")
    proc = run("scan", "--python", fake.python, "--requirements", str(bad), "--json")
    codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert proc.returncode == 1 and any(c.startswith("req-") for c in codes)
    good = tmp_path / "good.txt"
    good.write_text("tensorflow==2.18.1\ntf-keras~=2.18.0\n")
    proc = run("scan", "--python", fake.python, "--requirements", str(good), "--json")
    assert proc.returncode == 0, proc.stdout
    missing = run("scan", "--python", fake.python, "--requirements", str(tmp_path / "nope"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_code_scan_reports_removed_imports(fake: FakeEnv, tmp_path) -> None:
    fake.healthy("2.18.1")
    code = tmp_path / "project"
    code.mkdir()
    (code / "train.py").write_text("from keras.engine import training\nimport keras\n")
    proc = run("scan", "--python", fake.python, "--code", str(code), "--json")
    findings = json.loads(proc.stdout)["findings"]
    hit = next(f for f in findings if f["code"].startswith("code-"))
    assert "train.py:1" in " ".join(hit["evidence"])
