"""Many environments at once: real venvs scanned concurrently, documents, audit, fleet merge."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv

from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix import planner
from kerasfix.fleet import audit, audit_markdown, envs_json, scanning
from kerasfix.inspect.discovery import FoundEnv, discover

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX venv layout")


def found(fake: FakeEnv, name: str, **kw) -> FoundEnv:
    return FoundEnv(fake.python, str(fake.root / "venv"), (f"test {name}",), name=name,
                    kind="venv", **kw)


def isolated_environ(tmp_path: Path) -> dict[str, str]:
    """This process's environment without variables that change a diagnosis."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(tmp_path / "home")
    return env


@pytest.fixture
def fleet(tmp_path: Path) -> dict[str, FakeEnv | Path]:
    healthy = make_venv(tmp_path / "healthy")
    healthy.healthy("2.18.1")
    broken = make_venv(tmp_path / "broken")  # Keras 3 under TF 2.14 (S2)
    broken.tensorflow("2.14.1")
    broken.keras("3.3.3")
    broken.simple("numpy", "1.26.4")
    legacy = make_venv(tmp_path / "legacy")  # healthy, but its kernel sets the variable
    legacy.healthy("2.18.1")
    not_python = tmp_path / "fake" / "bin" / "python"
    not_python.parent.mkdir(parents=True)
    not_python.write_text("#!/bin/sh\necho 'I am not Python'\n")
    not_python.chmod(0o755)
    (tmp_path / "home").mkdir(exist_ok=True)
    return {"healthy": healthy, "broken": broken, "legacy": legacy, "not_python": not_python,
            "tmp": tmp_path}


def envs_of(fleet) -> list[FoundEnv]:
    return [found(fleet["healthy"], "healthy"), found(fleet["broken"], "broken"),
            FoundEnv(str(fleet["not_python"]), str(fleet["not_python"].parent.parent),
                     ("test not-python",), name="not-python", kind="system"),
            found(fleet["legacy"], "legacy", kernel_env={"TF_USE_LEGACY_KERAS": "1"})]


def scan_fleet(fleet, **kw) -> list[scanning.EnvScan]:
    tmp = fleet["tmp"]
    return scanning.scan_many(envs_of(fleet), cwd=str(tmp), environ=isolated_environ(tmp), **kw)


def test_scan_many_keeps_order_and_one_failure_stops_nothing(fleet) -> None:
    seen: list[str] = []
    scans = scan_fleet(fleet, workers=3, progress=lambda s: seen.append(s.env.name))
    assert [s.env.name for s in scans] == ["healthy", "broken", "not-python", "legacy"]
    assert sorted(seen) == sorted(s.env.name for s in scans)
    healthy, broken, not_python, legacy = scans
    assert not_python.result is None and not_python.writable is None
    assert "not a Python 3.8+ interpreter" in not_python.error and "\n" not in not_python.error
    assert (not_python.severity, not_python.exit_code) == ("unscannable", 2)
    assert healthy.error is None and healthy.writable is True and healthy.exit_code == 0
    assert broken.severity == "error" and broken.exit_code == 1
    # the kernel's env block reached the probe: the same healthy stack is now an error
    assert "legacy-keras-without-tf-keras" in {f.code for f in legacy.result.findings}
    assert all(s.seconds > 0 for s in scans)
    assert broken.result.target.reason == "test broken"


def test_summary_rows(fleet) -> None:
    rows = {r["name"]: r for r in envs_json.summary_rows(scan_fleet(fleet))}
    assert rows["healthy"]["tensorflow"] == "2.18.1 (tensorflow-cpu)"
    assert rows["healthy"]["keras"] == "3.15.1" and rows["healthy"]["tf_keras"] is None
    assert rows["healthy"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert rows["healthy"]["severity"] in ("ok", "info")
    assert rows["healthy"]["access"] == "writable"
    assert rows["broken"]["severity"] == "error" and "Keras 3" in rows["broken"]["finding"]
    assert rows["not-python"]["severity"] == "unscannable"
    assert rows["not-python"]["finding"] == rows["not-python"]["error"]
    assert rows["not-python"]["access"] is None
    assert set(rows["broken"]) == set(rows["not-python"])


def test_envs_document(fleet) -> None:
    scans = scan_fleet(fleet)
    doc = envs_json.envs_document(scans, [("/gone/env", "listed but no longer exists")])
    json.dumps(doc)  # serialisable as is
    assert doc["schema"] == "kerasfix.envs/1" and doc["host"] and doc["user"]
    assert [e["name"] for e in doc["environments"]] == ["healthy", "broken", "not-python",
                                                        "legacy"]
    healthy, broken, not_python, legacy = doc["environments"]
    assert healthy["path"] == str(fleet["healthy"].root / "venv")
    assert healthy["interpreter"] == fleet["healthy"].python
    assert healthy["found_by"] == ["test healthy"] and healthy["writable"] is True
    assert healthy["target"]["kind"] == "venv" and healthy["stack"]["keras"]["version"]
    assert broken["summary"]["error"] >= 1 and broken["exit_code"] == 1
    assert {f["code"] for f in broken["findings"]} >= {"keras3-under-tf-2.14-or-older"}
    assert not_python["error"] and not_python["findings"] == [] and not_python["target"] is None
    assert legacy["kernel_env"] == {"TF_USE_LEGACY_KERAS": "1"}
    assert doc["problems"] == [{"path": "/gone/env", "error": "listed but no longer exists"}]
    assert doc["summary"]["environments"] == 4 and doc["summary"]["unscannable"] == 1
    assert doc["exit_code"] == 2  # an environment could not be scanned
    without = envs_json.envs_document([s for s in scans if s.result is not None])
    assert without["exit_code"] == 1
    assert envs_json.envs_document([])["exit_code"] == 2  # nothing was checked
    assert "scan" not in healthy
    full = envs_json.envs_document(scans[:1], full=True)["environments"][0]
    assert full["scan"]["schema"] == "kerasfix.scan/1"


def read_only(scan: scanning.EnvScan, *, externally_managed: bool = False) -> scanning.EnvScan:
    """The same scan as a user without write access sees it (chmod does not stop root)."""
    result = scan.result
    assert result is not None
    interp = dataclasses.replace(result.inventory.interpreter, site_writable=False,
                                 externally_managed=externally_managed,
                                 externally_managed_path="/usr/lib/python3/EXTERNALLY-MANAGED"
                                 if externally_managed else None)
    result.inventory.interpreter = interp
    reason = planner.can_change_in_place(result.inventory)
    return dataclasses.replace(scan, writable=False, read_only_reason=reason)


def test_audit_marks_read_only_and_never_plans_in_place(fleet) -> None:
    healthy, broken, not_python, legacy = scan_fleet(fleet)
    if os.geteuid() != 0:  # a real read-only environment where the OS enforces it
        site = fleet["broken"].site
        site.chmod(0o555)
        try:
            (ro,) = scanning.scan_many([found(fleet["broken"], "broken")], cwd=str(fleet["tmp"]),
                                    environ=isolated_environ(fleet["tmp"]))
        finally:
            site.chmod(0o755)
        assert ro.writable is False
    else:
        ro = read_only(broken)
    managed = read_only(legacy, externally_managed=True)
    doc = audit.audit_document([healthy, ro, not_python, managed], planner.FixOptions(),
                               with_preview=False, cwd=str(fleet["tmp"]))
    text = json.dumps(doc)
    assert "sudo" not in text
    assert doc["schema"] == "kerasfix.audit/1" and doc["previewed"] is False
    assert doc["user"] and doc["host"] and doc["kerasfix_version"]
    h, r, n, m = doc["environments"]
    assert h["status"] == "ok" and h["plan"] is None and h["access"] == "writable"
    assert r["access"] == "read-only" and "not writable" in r["read_only_reason"]
    assert r["strategy"] == "fresh-venv" and r["status"] == "plan"
    kinds = [s["kind"] for s in r["plan"]["steps"]]
    assert kinds == ["create-venv", "pip-install"]
    assert r["plan"]["steps"][0]["argv"][-1] == str(fleet["tmp"] / ".venv-tf-broken")
    assert all(s["changes"] == [] and s["preview_error"] is None for s in r["plan"]["steps"])
    # the owner of the unwritable environment may run the in-place plan (as that owner)
    assert r["admin"]["plan"]["strategy"] == "repair" and "owner" in r["admin"]["advice"]
    in_place = r["admin"]["plan"]["steps"][-1]["argv"]
    assert in_place[:3] == [fleet["broken"].python, "-m", "pip"] or "--python" in in_place
    assert m["access"] == "read-only" and m["strategy"] == "fresh-venv"
    assert m["admin"]["plan"] is None and "package manager" in m["admin"]["advice"]
    assert n["status"] == "unscannable" and n["plan"] is None and n["exit_code"] == 2
    assert r["exit_code"] == 1 and doc["exit_code"] == 2

    md = audit_markdown.audit_markdown(doc)
    assert md.startswith("# kerasfix audit")
    assert "## broken — plan" in md and "## not-python — unscannable" in md
    assert f"-m venv {fleet['tmp'] / '.venv-tf-broken'}" in md
    assert "In-place plan for the owner" in md and "Nothing to fix." in md
    assert "| healthy |" in md and "sudo" not in md


def test_audit_with_preview_asks_pip_offline(fleet, wheelhouse: Path) -> None:
    healthy, broken, _, legacy = scan_fleet(fleet)
    options = planner.FixOptions(find_links=(str(wheelhouse),), no_index=True)
    doc = audit.audit_document([healthy, broken, legacy], options, with_preview=True,
                               cwd=str(fleet["tmp"]))
    assert doc["previewed"] is True and doc["options"]["no_index"] is True
    # the legacy kernel's environment needs tf-keras: pip resolves it from the wheelhouse
    steps = doc["environments"][2]["plan"]["steps"]
    (install,) = [s for s in steps if s["kind"] == "pip-install"]
    assert "--no-index" in install["argv"] and install["preview_error"] is None
    assert {"name": "tf-keras", "before": None, "after": "2.18.0", "flag": None} in \
        install["changes"]
    # TF 2.14.1 is not in the wheelhouse: the preview says so in one line, the plan stays
    (align,) = [s for s in doc["environments"][1]["plan"]["steps"] if s["kind"] ==
                "pip-install"]
    assert align["preview_error"] and "\n" not in align["preview_error"]


def run_cli_scan(fake: FakeEnv, out: Path, env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "scan", "--json", "--python",
                           fake.python], capture_output=True, text=True, env=env,
                          cwd=str(fake.root / "work"))
    assert proc.returncode in (0, 1), proc.stderr
    out.write_text(proc.stdout)


def test_merge_reports_from_a_fleet(fleet) -> None:
    tmp = fleet["tmp"]
    reports = tmp / "reports"
    reports.mkdir()
    env = isolated_environ(tmp)
    run_cli_scan(fleet["healthy"], reports / "gpu-node-1.json", env)
    run_cli_scan(fleet["broken"], reports / "gpu-node-2.json", env)
    (reports / "junk.json").write_text("<html>502 Bad Gateway</html>")
    (reports / "other.json").write_text(json.dumps({"schema": "something/9"}))
    (reports / "cut.json").write_text(json.dumps({"schema": "kerasfix.scan/1"}))
    envs_file = reports / "workstation.json"
    scans = scan_fleet(fleet)
    envs_file.write_text(json.dumps(envs_json.envs_document(scans[:2])))
    paths = [str(reports / n) for n in ("gpu-node-1.json", "gpu-node-2.json", "junk.json",
                                        "other.json", "workstation.json", "missing.json",
                                        "cut.json")]
    doc = envs_json.merge_reports(paths)
    json.dumps(doc)
    assert doc["schema"] == "kerasfix.envs/1" and doc["merged"] is True
    hosts = [e["host"] for e in doc["environments"]]
    local = envs_json.envs_document([])["host"]
    assert hosts == ["gpu-node-1", "gpu-node-2", local, local]
    node2 = doc["environments"][1]
    assert node2["severity"] == "error" and node2["path"] == str(fleet["broken"].root / "venv")
    assert node2["interpreter"] == fleet["broken"].python and node2["found_by"] == ["--python"]
    errors = {Path(p["path"]).name: p["error"] for p in doc["problems"]}
    assert set(errors) == {"junk.json", "other.json", "missing.json", "cut.json"}
    assert errors["cut.json"].startswith("malformed kerasfix.scan/1 document")
    assert errors["junk.json"].startswith("not JSON") and "\n" not in errors["junk.json"]
    assert "something/9" in errors["other.json"]
    assert [s["environments"] for s in doc["sources"]] == [1, 1, 2]
    assert doc["summary"]["environments"] == 4 and doc["exit_code"] == 2
    rows = envs_json.merged_rows(doc)
    assert [r["host"] for r in rows[:4]] == hosts
    assert rows[1]["tensorflow"] == "2.14.1 (tensorflow-cpu)" and rows[1]["severity"] == "error"
    assert [r["severity"] for r in rows[4:]] == ["unscannable"] * 4
    clean = envs_json.merge_reports(paths[:2])
    assert clean["exit_code"] == 1 and clean["problems"] == []


def test_a_shim_and_its_interpreter_are_merged_after_scanning(fleet) -> None:
    shims = fleet["tmp"] / "pyenv" / "shims"
    shims.mkdir(parents=True)
    shim = shims / "python3"
    shim.write_text(f"#!/bin/sh\nexec {fleet['healthy'].python} \"$@\"\n")
    shim.chmod(0o755)
    envs = [FoundEnv(str(shim), str(shims), ("python3 on PATH",), name="pyenv shim",
                     kind="shim"), found(fleet["healthy"], "healthy")]
    scans = scanning.scan_many(envs, environ=isolated_environ(fleet["tmp"]))
    (only,) = scans
    assert only.env.python == fleet["healthy"].python
    assert only.env.found_by == ("test healthy", f"python3 on PATH (via {shim})")
    assert len(scanning.scan_many(envs, environ=isolated_environ(fleet["tmp"]), merge=False)) == 2


def test_fifty_environments_wall_time(tmp_path: Path) -> None:
    """Not timed strictly: prints the wall time (pytest -s). Target: <= 5 s on 2 cores."""
    root = tmp_path / "envs"
    first = root / "team0" / "env0"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(first)], check=True)
    for i in range(1, 50):
        shutil.copytree(first, root / f"team{i % 5}" / f"env{i}", symlinks=True)
    (tmp_path / "home").mkdir()
    started = time.perf_counter()
    found_envs = discover([str(root)], environ={"HOME": str(tmp_path / "home"), "PATH": ""},
                          home=str(tmp_path / "home"), cwd=str(tmp_path),
                          include_system=False)
    discovered = time.perf_counter() - started
    scans = scanning.scan_many(found_envs.envs, cwd=str(tmp_path),
                            environ=isolated_environ(tmp_path))
    total = time.perf_counter() - started
    print(f"\n50 environments: discovery {discovered * 1000:.0f} ms, discovery + scan"
          f" {total:.2f} s with {scanning.default_workers()} workers on {os.cpu_count()} CPUs")
    assert len(scans) == 50 and all(isinstance(s.result, ScanResult) for s in scans), \
        [s.error for s in scans if s.error]
    assert total < 60
