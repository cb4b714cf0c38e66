"""`scan --fail-on error|warning`: a pipeline can fail on warnings (Keras 3 silently under
TF 2.15), never on info. The rule is the engine's (ScanResult.exit_code_at); the JSON says which
level decided its exit code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv

from kerasfix.diagnose.findings import Severity
from kerasfix.diagnose.scan import exit_code_for
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK
from kerasfix.fleet import envs_json, scanning
from kerasfix.inspect.discovery import FoundEnv

KERASFIX = [sys.executable, "-m", "kerasfix"]
E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def run(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([*KERASFIX, *args], capture_output=True, text=True, timeout=180,
                          env={**env, "HOME": str(home)}, cwd=cwd)


def scan_json(fake: FakeEnv, *args: str) -> tuple[int, dict]:
    proc = run("scan", "--python", fake.python, "--json", *args, cwd=fake.root / "work",
               home=fake.root / "home")
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def keras3_over_tf215(fake: FakeEnv) -> FakeEnv:
    """Only a warning: Keras 3 silently under TF 2.15 (tests/test_checks.py, S1)."""
    fake.healthy("2.15.1")
    fake.keras("3.15.1")
    for info in fake.site.glob("keras-2.15.0.dist-info"):
        shutil.rmtree(info)
    return fake


@pytest.mark.parametrize("severities,fail_on,code", [
    ((), E, EXIT_OK), ((), W, EXIT_OK),
    ((INFO, INFO), E, EXIT_OK), ((INFO, INFO), W, EXIT_OK),  # info never fails
    ((W, INFO), E, EXIT_OK), ((W, INFO), W, EXIT_FINDINGS),
    ((E,), E, EXIT_FINDINGS), ((E, W), W, EXIT_FINDINGS), ((E,), W, EXIT_FINDINGS),
])
def test_the_rule(severities: tuple[Severity, ...], fail_on: Severity, code: int) -> None:
    assert exit_code_for(severities, fail_on) == code


def test_info_is_not_a_level_to_fail_on() -> None:
    with pytest.raises(ValueError, match="only on error, warning"):
        exit_code_for([INFO], INFO)


def test_a_warning_fails_only_with_fail_on_warning(fake: FakeEnv) -> None:
    keras3_over_tf215(fake)
    result = fake.scan()
    assert "keras3-under-tf-2.15" in {f.code for f in result.findings}
    assert result.exit_code == result.exit_code_at(E) == EXIT_OK
    assert result.exit_code_at(W) == EXIT_FINDINGS

    code, doc = scan_json(fake)
    assert doc["summary"]["error"] == 0 and doc["summary"]["warning"] >= 1
    assert (code, doc["exit_code"], doc["fail_on"]) == (0, 0, "error")
    code, doc = scan_json(fake, "--fail-on", "warning")
    assert (code, doc["exit_code"], doc["fail_on"]) == (1, 1, "warning")
    code, doc = scan_json(fake, "--fail-on", "error")
    assert (code, doc["fail_on"]) == (0, "error")


def test_errors_fail_at_either_level_and_info_at_neither(tmp_path: Path) -> None:
    broken = make_venv(tmp_path / "broken")  # Keras 3 under TF 2.14: an error (S2)
    broken.tensorflow("2.14.1")
    broken.keras("3.3.3")
    broken.simple("numpy", "1.26.4")
    assert scan_json(broken)[0] == scan_json(broken, "--fail-on", "warning")[0] == 1
    healthy = make_venv(tmp_path / "healthy")
    healthy.healthy("2.18.1")
    code, doc = scan_json(healthy, "--fail-on", "warning")
    assert doc["summary"]["error"] == doc["summary"]["warning"] == 0
    assert (code, doc["exit_code"]) == (0, 0)


def test_requirements_findings_count_too(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    req = fake.root / "work" / "requirements.txt"
    req.write_text("tensorflow==2.18.1\nkeras>=3.5\n")
    code, doc = scan_json(fake, "--requirements", str(req), "--fail-on", "warning")
    assert doc["summary"]["warning"] == doc["summary"]["error"] == 0 and code == 0
    req.write_text("tensorflow==2.18.1\nkeras>=3.5\nnot ~~ a requirement\n")
    code, doc = scan_json(fake, "--requirements", str(req))
    assert {f["code"]: f["severity"] for f in doc["findings"]} == {
        "req-unparsable-line": "warning"}
    assert (code, doc["fail_on"]) == (0, "error")
    code, doc = scan_json(fake, "--requirements", str(req), "--fail-on", "warning")
    assert (code, doc["exit_code"], doc["fail_on"]) == (1, 1, "warning")


def test_scan_all_entries_and_document(tmp_path: Path) -> None:
    warned = keras3_over_tf215(make_venv(tmp_path / "warned"))
    healthy = make_venv(tmp_path / "healthy")
    healthy.healthy("2.18.1")
    scans = [scanning.scan_env(FoundEnv(f.python, str(f.root / "venv"), ("test",), name=n,
                                        kind="venv"), cwd=str(f.root / "work"),
                               environ={**os.environ, "HOME": str(tmp_path)})
             for n, f in (("warned", warned), ("healthy", healthy))]
    default = envs_json.envs_document(scans)
    strict = envs_json.envs_document(scans, fail_on=W)
    assert default["fail_on"] == "error" and strict["fail_on"] == "warning"
    codes = {e["name"]: (e["severity"], e["exit_code"]) for e in default["environments"]}
    assert codes["warned"] == ("warning", 0) and default["exit_code"] == 0
    codes = {e["name"]: (e["severity"], e["exit_code"]) for e in strict["environments"]}
    assert codes["warned"] == ("warning", 1) and codes["healthy"][1] == 0
    assert strict["exit_code"] == 1
    full = envs_json.envs_document(scans[:1], full=True, fail_on=W)["environments"][0]["scan"]
    assert (full["fail_on"], full["exit_code"]) == ("warning", 1)


def test_scan_all_command_passes_the_level(tmp_path: Path) -> None:
    """What else discovery finds on this machine varies; the entry of ours and the document's
    level do not."""
    warned = keras3_over_tf215(make_venv(tmp_path / "roots" / "warned"))
    (tmp_path / "home").mkdir()
    proc = run("scan", "--all", "--root", str(tmp_path / "roots"), "--fail-on", "warning",
               "--json", cwd=tmp_path, home=tmp_path / "home")
    doc = json.loads(proc.stdout)
    ours = next(e for e in doc["environments"]
                if os.path.samefile(e["path"], warned.root / "venv"))
    assert (ours["severity"], ours["exit_code"]) == ("warning", 1)
    assert doc["fail_on"] == "warning" and proc.returncode == doc["exit_code"] >= 1


@pytest.mark.parametrize("value", ["info", "WARNING", ""])
def test_other_levels_are_usage_errors(value: str, tmp_path: Path) -> None:
    proc = run("scan", "--fail-on", value, cwd=tmp_path, home=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "invalid choice" in proc.stderr
    assert "Traceback" not in proc.stderr
