"""Real-world platform layouts: Debian's dpkg-owned metadata, externally managed Pythons,
pyenv shims, folders the user cannot read."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from asuser import nobody_venv, shared_tmp
from fakeenv import FakeEnv

from kerasfix.diagnose.checks import run_checks
from kerasfix.diagnose.findings import Finding
from kerasfix.diagnose.scan import ScanResult, scan
from kerasfix.inspect.target import Target, select_target

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX layouts")

DEBIAN_SITE = Path("/usr/lib/python3/dist-packages")
SYSTEM_PYTHON = "/usr/bin/python3"


def pip_commands(findings: list[Finding]) -> list[str]:
    return [m for f in findings for m in f.manual
            if "pip install" in m or "pip uninstall" in m or "-m pip" in m]


def dpkg_style_layout(folder: Path, name: str, version: str, installer: str = "debian") -> None:
    """What python3-cryptography ships: <name>-<v>.dist-info and <name>.egg-info side by side,
    the dist-info without RECORD (dpkg's file list is the record)."""
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: false\n")
    (info / "INSTALLER").write_text(f"{installer}\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    egg = folder / f"{name}.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (egg / "top_level.txt").write_text(f"{name}\n")
    (folder / name).mkdir()
    (folder / name / "__init__.py").write_text("")


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "TF_USE_LEGACY_KERAS", "KERAS_BACKEND")}
    return {**env, "HOME": str(home)}


# ---------------------------------------------------------------- 1. Debian / dpkg


def _debian_folder(fake: FakeEnv, name: str) -> Path:
    """A folder named dist-packages (added by a .pth file) for most names; the environment's
    own site-packages for stack names, which outside the environment are another finding."""
    if name == "numpy":
        return fake.site
    dist_packages = fake.root / "dist-packages"
    (fake.site / "debian.pth").write_text(f"{dist_packages}\n")
    return dist_packages


@pytest.mark.parametrize("name", ["cryptography", "numpy"])
def test_dpkg_owned_egg_info_beside_dist_info_is_not_an_interrupted_upgrade(
        fake: FakeEnv, name: str) -> None:
    dpkg_style_layout(_debian_folder(fake, name), name,
                      "38.0.4" if name == "cryptography" else "1.24.2")
    result = fake.scan()
    codes = {f.code for f in result.findings}
    assert "duplicate-dist-info" not in codes
    assert "corrupt-metadata" not in codes  # no RECORD is how dpkg-owned metadata looks
    dists = {d.format: d for d in result.inventory.distributions if d.name == name}
    assert dists["dist-info"].dpkg_owned and set(dists) == {"dist-info", "egg-info"}


@pytest.mark.parametrize("name,severity", [("cryptography", "warning"), ("numpy", "error")])
def test_the_same_layout_installed_by_pip_is_still_an_interrupted_upgrade(
        fake: FakeEnv, name: str, severity: str) -> None:
    dpkg_style_layout(_debian_folder(fake, name), name, "1.0", installer="pip")
    assert fake.codes()["duplicate-dist-info"] == severity


@pytest.mark.skipif(not list(DEBIAN_SITE.glob("cryptography*.egg-info"))
                    or not os.path.isdir("/var/lib/dpkg/info"),
                    reason="needs Debian's python3-cryptography (apt-get install"
                           " python3-cryptography)")
def test_debian_system_python_dpkg_files_are_not_damage(tmp_path: Path) -> None:
    result = scan(Target(SYSTEM_PYTHON, "test"), cwd=str(tmp_path), env=clean_env(tmp_path))
    codes = {f.code for f in result.findings}
    assert "duplicate-dist-info" not in codes
    # python3-distro's RECORD lists scripts-3.10/distro and python3-pip's ../scripts/pip: build
    # paths dpkg never installed. dpkg's own file list is what must be on disk.
    assert "damaged-install" not in codes
    crypto = [d for d in result.inventory.distributions if d.name == "cryptography"]
    assert len(crypto) == 2 and all(d.dpkg_owned for d in crypto)
    assert {d.dpkg_package for d in crypto} == {"python3-cryptography"}


def test_externally_managed_findings_never_suggest_pip(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.12.0")  # keras-minor-mismatch: a pip install of keras~=2.15.0
    os.remove(fake.site / "keras" / "api" / "_v2" / "keras" / "__init__.py")
    fake.simple("numpy", "1.26.4", installer="debian")  # dpkg's, its __init__.py gone
    os.remove(fake.site / "numpy" / "__init__.py")
    fake.simple("kfxdeb", "1.0", installer="debian")  # dpkg's, a file gone
    os.remove(fake.site / "kfxdeb" / "__init__.py")
    inv = fake.scan().inventory
    assert pip_commands(run_checks(inv))  # the same environment, not externally managed
    inv.distributions = [replace(d, dpkg_package="python3-kfxdeb") if d.name == "kfxdeb" else d
                         for d in inv.distributions]  # as if dpkg's list named the package
    managed = replace(inv, _active={}, interpreter=replace(
        inv.interpreter, externally_managed=True,
        externally_managed_path="/usr/lib/python3.11/EXTERNALLY-MANAGED"))
    findings = run_checks(managed)
    assert pip_commands(findings) == []
    damaged = {f.distributions[0]: f for f in findings if f.code == "damaged-install"}
    assert "fresh-venv" in damaged["keras 2.12.0"].manual[0]
    assert damaged["kfxdeb 1.0"].manual == ("sudo apt install --reinstall python3-kfxdeb",)
    numpy_dir = fake.site / "numpy-1.26.4.dist-info"
    assert damaged["numpy 1.26.4"].manual == (
        f'sudo apt install --reinstall "$(dpkg -S {numpy_dir} | cut -d: -f1)"',)
    mismatch = next(f for f in findings if f.code == "keras-minor-mismatch")
    assert "keras~=2.15.0" in mismatch.manual[0] and "fresh-venv" in mismatch.manual[0]


@pytest.mark.skipif(not os.path.isfile(SYSTEM_PYTHON), reason="no /usr/bin/python3")
def test_externally_managed_system_python_gets_no_pip_commands(tmp_path: Path) -> None:
    marker = subprocess.run([SYSTEM_PYTHON, "-c", "import os, sysconfig; print(os.path.isfile("
                             "os.path.join(sysconfig.get_paths()['stdlib'], 'EXTERNALLY-MANAGED'"
                             ")))"], capture_output=True, text=True).stdout.strip()
    if marker != "True":
        pytest.skip("/usr/bin/python3 is not externally managed (PEP 668)")
    fake = FakeEnv(root=tmp_path, python=SYSTEM_PYTHON, site=tmp_path / "extra")
    (tmp_path / "work").mkdir()
    fake.simple("kfxpip", "1.0")
    fake.add_dist("kfxpip", "1.0", files={"kfxpip/__init__.py": "", "kfxpip/core.py": ""})
    os.remove(fake.site / "kfxpip" / "core.py")
    result = scan(Target(SYSTEM_PYTHON, "test"), cwd=str(tmp_path / "work"),
                  env={**clean_env(tmp_path), "PYTHONPATH": str(fake.site)})
    assert result.inventory.interpreter.externally_managed
    damaged = next(f for f in result.findings if f.code == "damaged-install")
    assert "fresh-venv" in damaged.manual[0]
    assert pip_commands(result.findings) == []


# ---------------------------------------------------------------- 2. pyenv shims


def shim_for(python: str, folder: Path) -> Path:
    """What a pyenv shim amounts to: a bash script that execs the interpreter it picks."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "python3"
    shim.write_text(f'#!/usr/bin/env bash\n# pyenv shim\nexec {python} "$@"\n')
    shim.chmod(0o755)
    return shim


def test_pyenv_shim_is_resolved_to_the_interpreter_it_ran(fake: FakeEnv) -> None:
    from kerasfix.report.scan_json import scan_document
    from kerasfix.report.scan_text import target_panel

    fake.tensorflow("2.15.1")
    fake.keras("2.12.0")
    fake.simple("numpy", "1.26.4")
    shim = shim_for(fake.python, fake.root / "home" / ".pyenv" / "shims")
    target = select_target(str(shim))
    result: ScanResult = scan(target, cwd=str(fake.root / "work"),
                              env=clean_env(fake.root / "home"))
    assert result.inventory.python == fake.python
    commands = [m for f in result.findings for m in f.manual if "-m pip" in m]
    assert commands and all(m.startswith(fake.python + " -m pip") for m in commands)
    assert not any(str(shim) in m for f in result.findings for m in f.manual)
    assert result.target.python == str(shim)  # what the user chose, kept for the record
    assert "pyenv shim" in result.target.reason and fake.python in result.target.reason
    doc = scan_document(result, 0)["target"]
    assert doc["python"] == fake.python and doc["selected_as"] == str(shim)
    assert "pyenv shim" in doc["reason"]
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200)
    console.print(target_panel(result))
    assert "pyenv shim" in console.file.getvalue()


def test_a_plain_interpreter_is_not_called_a_shim(fake: FakeEnv) -> None:
    result = scan(select_target(fake.python), cwd=str(fake.root / "work"),
                  env=clean_env(fake.root / "home"))
    assert result.target.reason == "--python"
    assert result.inventory.python == fake.python


@pytest.mark.skipif(not os.path.isfile(os.path.expanduser("~/.pyenv/shims/python3")),
                    reason="no pyenv here")
def test_real_pyenv_shim(tmp_path: Path) -> None:
    shim = os.path.expanduser("~/.pyenv/shims/python3")
    result = scan(select_target(shim), cwd=str(tmp_path), env=os.environ)
    assert "/.pyenv/versions/" in result.inventory.python
    assert "pyenv shim" in result.target.reason


# ---------------------------------------------------------------- 3. folders the user cannot read


@pytest.fixture
def as_nobody() -> Iterator[FakeEnv]:
    """A fabricated venv whose probe runs as nobody (permissions apply even when we are root)."""
    with shared_tmp() as root:
        yield nobody_venv(root)


@pytest.mark.parametrize("locked", ["keras", "keras-3.15.1.dist-info"])
def test_unreadable_package_folder_is_a_permission_problem(as_nobody: FakeEnv,
                                                           locked: str) -> None:
    as_nobody.healthy("2.18.1")
    folder = as_nobody.site / locked
    folder.chmod(0)
    findings = as_nobody.scan().findings
    codes = {f.code for f in findings}
    assert not codes & {"damaged-install", "corrupt-metadata", "orphan-import-folder"}, codes
    finding = next(f for f in findings if f.code == "unreadable-path")
    assert finding.title == (f"cannot read {folder}: permission denied — ask the owner or run"
                             " as them")
    assert finding.paths == (str(folder),)


def test_unreadable_subfolder_names_the_folder_not_its_files(as_nobody: FakeEnv) -> None:
    as_nobody.healthy("2.18.1")
    (as_nobody.site / "keras" / "src").chmod(0)
    findings = as_nobody.scan().findings
    assert "damaged-install" not in {f.code for f in findings}
    finding = next(f for f in findings if f.code == "unreadable-path")
    assert finding.paths == (str(as_nobody.site / "keras" / "src"),)
