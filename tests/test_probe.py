"""The probe over fabricated, damaged and hostile site-packages trees: reported, never fatal."""

from __future__ import annotations

import os
import subprocess
import zipfile

import pytest
from fakeenv import FakeEnv

from kerasfix.inspect.probe import run_probe
from kerasfix.inspect.target import Target


def probe(fake: FakeEnv, **env: str) -> dict:
    return run_probe(Target(fake.python, "test"), cwd=str(fake.root / "work"),
                     env={**os.environ, **env})


def entry(doc: dict, origin: str) -> dict:
    return next(e for e in doc["sys_path"] if e["origin"] == origin)


def test_sys_path_is_labelled_in_import_order(fake: FakeEnv, tmp_path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    pth_target = tmp_path / "from_pth"
    pth_target.mkdir()
    (fake.site / "my.pth").write_text(f"{pth_target}\n")
    doc = probe(fake, PYTHONPATH=str(extra))
    origins = [e["origin"] for e in doc["sys_path"]]
    assert origins[0] == "cwd"
    assert origins.index("pythonpath") < origins.index("site-packages") < origins.index("pth")
    assert entry(doc, "pth")["pth"].endswith("my.pth")
    assert doc["interpreter"]["kind"] == "venv"
    assert doc["interpreter"]["writable"][doc["interpreter"]["purelib"]] is True


def test_every_copy_of_a_distribution_is_listed(fake: FakeEnv, tmp_path) -> None:
    other = tmp_path / "other"
    fake.keras("3.15.1")
    fake.keras("2.15.0", site=other)
    doc = probe(fake, PYTHONPATH=str(other))
    found = [(d["name"], d["version"]) for e in doc["sys_path"] for d in e["dists"]]
    assert found.count(("keras", "2.15.0")) == 1 and found.count(("keras", "3.15.1")) == 1


def test_record_ownership_and_missing_files(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    os.remove(fake.site / "tensorflow" / "python" / "__init__.py")
    dist = entry(probe(fake), "site-packages")["dists"][0]
    assert dist["owns_init"] == ["tensorflow"]
    assert "tensorflow" in dist["tops"] and "tensorflow_cpu.libs" in dist["tops"]
    assert dist["missing_files"] == 1
    assert dist["missing_examples"] == ["tensorflow/python/__init__.py"]


def test_corrupt_metadata_is_reported_not_fatal(fake: FakeEnv) -> None:
    bad = fake.site / "broken-1.0.dist-info"
    bad.mkdir()
    (bad / "METADATA").write_bytes(b"Name: broken\nVersion: 1.0\xff\xfe\nRequires-Dist: ???\n")
    nometa = fake.site / "empty-2.0.dist-info"
    nometa.mkdir()
    badver = fake.add_dist("weird", "not.a.version")
    assert badver.exists()
    result = fake.scan()
    codes = [f.code for f in result.findings]
    assert codes.count("corrupt-metadata") == 3
    kinds = {p.kind for p in result.inventory.problems}
    assert "non-utf8" in kinds


def test_symlink_loop_and_zip_entries(fake: FakeEnv, tmp_path) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n")
    doc = probe(fake, PYTHONPATH=f"{loop}{os.pathsep}{archive}")
    kinds = {e["path"]: e["kind"] for e in doc["sys_path"]}
    assert kinds[str(loop)] == "missing"
    assert kinds[str(archive)] == "zip"
    zipped = next(e for e in doc["sys_path"] if e["path"] == str(archive))
    assert zipped["dists"][0]["name"] == "zipped"


def test_unreadable_folder_is_a_finding() -> None:
    from asuser import nobody_venv, shared_tmp

    with shared_tmp() as root:  # the probe runs as nobody: root reads every folder
        fake = nobody_venv(root)
        locked = root / "locked"
        locked.mkdir()
        locked.chmod(0)
        fake.env["PYTHONPATH"] = str(locked)
        finding = next(f for f in fake.scan().findings if f.code == "unreadable-path")
        assert finding.title == (f"cannot read {locked}: permission denied — ask the owner or"
                                 " run as them")


def test_users_json_py_does_not_break_the_probe(fake: FakeEnv) -> None:
    for name in ("json", "csv", "re", "platform"):
        (fake.root / "work" / f"{name}.py").write_text("raise SystemExit('shadowed!')\n")
    doc = probe(fake)
    assert doc["schema"] == "kerasfix.probe/1"


def test_probe_never_imports_tensorflow(fake: FakeEnv) -> None:
    (fake.site / "tensorflow").mkdir()
    (fake.site / "tensorflow" / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (fake.site / "keras.py").write_text("raise SystemExit('imported!')\n")
    assert probe(fake)["schema"] == "kerasfix.probe/1"


def test_sitecustomize_noise_on_stdout_is_tolerated(fake: FakeEnv) -> None:
    (fake.site / "sitecustomize.py").write_text("print('hello from sitecustomize')\n")
    doc = probe(fake)
    assert any(p["kind"] == "stdout-noise" for p in doc["problems"])


def test_probe_runs_on_the_oldest_supported_python(tmp_path) -> None:
    py38 = "/root/.pyenv/versions/3.8.18/bin/python"
    if not os.path.exists(py38):
        pytest.skip("no Python 3.8 here")
    from fakeenv import make_venv

    env = make_venv(tmp_path, python=py38)
    env.healthy("2.18.1")
    result = env.scan()
    assert result.inventory.interpreter.short_version == (3, 8)
    assert result.inventory.tensorflow() is not None


def test_externally_managed_marker_is_read(tmp_path) -> None:
    # A copy of the stdlib marker cannot be faked without root in the base Python; check the
    # field exists and is false for a venv (PEP 668 does not apply inside venvs).
    from fakeenv import make_venv

    env = make_venv(tmp_path)
    out = subprocess.run([env.python, "-c", "print(1)"], capture_output=True, text=True)
    assert out.stdout.strip() == "1"
    assert env.scan().inventory.interpreter.externally_managed is False


def test_scan_time_counts_from_the_probes_launch(fake: FakeEnv) -> None:
    """The CLI starts the probe before importing the rest; the reported time includes that."""
    import time

    from kerasfix.diagnose.scan import scan
    from kerasfix.inspect.probe import start_probe

    target = Target(fake.python, "test")
    probe = start_probe(target, cwd=str(fake.root / "work"))
    time.sleep(0.4)
    result = scan(target, cwd=str(fake.root / "work"), started_probe=probe)
    assert result.seconds >= 0.4
