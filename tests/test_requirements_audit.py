"""The requirements audit (kerasfix.diagnose.requirements_audit): a requirements file's
TensorFlow stack pins, against each other and the target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kerasfix.diagnose.requirements_audit import REQ_CODES, RequirementsError, audit_requirements
from kerasfix.errors import KerasfixError
from kerasfix.inspect.inventory import Interpreter


def interp(version: tuple[int, int, int] = (3, 11, 7), bits: int = 64) -> Interpreter:
    """A target interpreter as the probe describes it (Linux x86_64 CPython)."""
    py = f"{version[0]}.{version[1]}"
    markers = {"implementation_name": "cpython", "implementation_version": ".".join(
        map(str, version)), "os_name": "posix", "platform_machine": "x86_64",
        "platform_release": "6.1", "platform_system": "Linux", "platform_version": "#1",
        "python_full_version": ".".join(map(str, version)),
        "platform_python_implementation": "CPython", "python_version": py,
        "sys_platform": "linux"}
    return Interpreter(
        executable=f"/envs/py{py}/bin/python", base_executable="/usr/bin/python3",
        version=version, implementation="cpython", platform="linux-x86_64", bits=bits,
        kind="venv", prefix=f"/envs/py{py}", base_prefix="/usr",
        purelib=f"/envs/py{py}/lib/python{py}/site-packages",
        site_packages=(f"/envs/py{py}/lib/python{py}/site-packages",), user_site=None,
        user_site_enabled=False, externally_managed=False, externally_managed_path=None,
        site_writable=True, include_system_site_packages=False, cwd="/work", home="/root",
        markers=markers, env={})


def audit(tmp_path: Path, text: str, target: Interpreter | None = None,
          name: str = "requirements.txt") -> dict[str, object]:
    path = tmp_path / name
    path.write_text(text)
    findings = audit_requirements(str(path), target or interp())
    assert all(f.code in REQ_CODES for f in findings)
    return {f.code: f for f in findings}


@pytest.mark.parametrize("text,version,code,severity", [
    ("tensorflow==2.15.1\nkeras>=3\n", (3, 11, 7), "req-keras3-with-tf-2.15-or-older", "error"),
    ("tensorflow==2.14.1\nkeras==3.3.3\n", (3, 11, 7), "req-keras3-with-tf-2.15-or-older",
     "error"),
    ("tensorflow>=2.16\nkeras==2.15.0\n", (3, 11, 7), "req-keras2-with-tf-2.16-or-newer",
     "error"),
    ("tensorflow==2.18.1\ntf-keras==2.15.0\n", (3, 11, 7), "req-tf-keras-mismatch", "error"),
    ("tensorflow==2.13.0\n", (3, 12, 1), "req-no-tensorflow-wheels-for-python", "error"),
    ("tensorflow==2.15.1\nnumpy>=2\n", (3, 11, 7), "req-numpy-conflict", "error"),
    ("tensorflow-gpu==2.10\n", (3, 10, 12), "req-tensorflow-gpu", "warning"),
    ("tensorflow-gpu\n", (3, 10, 12), "req-tensorflow-gpu", "error"),
    ("tensorflow==2.11.*\nprotobuf>=4\n", (3, 10, 12), "req-protobuf-conflict", "error"),
    ("tensorflow==2.15.1\ntf-keras\n", (3, 11, 7), "req-tf-keras-not-pinned", "warning"),
    ("tensorflow==2.11.1\n", (3, 10, 12), "req-numpy-uncapped-tensorflow", "error"),
    ("tensorflow==2.14.0\nnumpy>=1.23\n", (3, 11, 7), "req-numpy-uncapped-tensorflow",
     "error"),
    ("tensorflow==2.15.1\nkeras==2.4.3\n", (3, 11, 7), "req-keras-minor-mismatch", "error"),
    ("tensorflow==2.15.1\nkeras==2.13.1\n", (3, 11, 7), "req-keras-minor-mismatch", "error"),
    ("tensorflow==2.21.0\nkeras==3.13.0\n", (3, 10, 12), "req-keras-needs-newer-python",
     "error"),
    ("tensorflow-cpu==2.18.1\ntf-keras~=2.18.0\n", (3, 11, 7),
     "req-tf-keras-pulls-second-tensorflow", "warning"),
    ("tensorflow==2.18.1\ntensorflow-cpu==2.18.1\n", (3, 11, 7), "req-two-tensorflow-builds",
     "error"),
    ("keras==3.5.0\nkeras-nightly\n", (3, 11, 7), "req-two-keras-distributions", "error"),
    ("tensorflow==2.18.1\ntransformers==4.49.0\n", (3, 11, 7),
     "req-transformers-needs-tf-keras", "warning"),
    ("tensorflow[and-cuda]==2.12.*\n", (3, 11, 7), "req-unknown-extra", "warning"),
    ("tensorflow==2.9.1\n", (3, 10, 12), "req-tensorflow-line-unknown", "info"),
    ("tensorflow==2.18.1\n", (3, 11, 7), None, None),
])
def test_bad_pins_are_flagged(tmp_path: Path, text: str, version: tuple[int, int, int],
                              code: str | None, severity: str | None) -> None:
    found = audit(tmp_path, text, interp(version))
    if code is None:
        assert found == {}
        return
    assert code in found, found.keys()
    finding = found[code]
    assert finding.severity.value == severity
    assert finding.evidence and all("requirements.txt:" in e for e in finding.evidence)
    assert finding.strategies and finding.strategies[0].value == "manual"


@pytest.mark.parametrize("text", [
    "tensorflow==2.18.1\ntf-keras~=2.18.0\n",
    "tensorflow-cpu==2.15.1\nkeras~=2.15.0\n",
    "tensorflow==2.18.1\nkeras>=3.5\nnumpy<2.1\nprotobuf>=4.25,<6\n",
    "tensorflow==2.21.0\nkeras>=3.12\nnumpy>=2\nprotobuf>=6.31.1\n",
    "tensorflow==2.15.1\ntf-keras~=2.15.1\nkeras==2.15.0\nnumpy==1.26.4\nprotobuf==4.25.9\n",
    "tensorflow==2.13.1\nkeras>=2.13.1,<2.14\n",
    "# just comments\n\n",
])
def test_correct_pairs_are_not_flagged(tmp_path: Path, text: str) -> None:
    assert audit(tmp_path, text) == {}


def test_examples_say_what_to_write(tmp_path: Path) -> None:
    found = audit(tmp_path, "tensorflow==2.15.1\nkeras>=3\n")
    finding = found["req-keras3-with-tf-2.15-or-older"]
    assert finding.scenario == "S1"
    assert finding.manual[0].startswith("keras~=2.15.0")
    assert "ResolutionImpossible" in finding.detail
    found = audit(tmp_path, "tensorflow==2.13.0\n", interp((3, 12, 1)))
    wheels = found["req-no-tensorflow-wheels-for-python"]
    assert wheels.manual[0].startswith("tensorflow==2.21.*")
    assert "Keras 3" in wheels.manual[0]
    assert "2.13: 3.8-3.11" in wheels.detail
    found = audit(tmp_path, "tensorflow==2.18.1\ntf-keras==2.15.0\n")
    assert "silently" in found["req-tf-keras-mismatch"].detail  # 2.15.0 declares no TF pin
    assert found["req-tf-keras-mismatch"].manual[0].startswith("tf-keras~=2.18.0")
    found = audit(tmp_path, "tensorflow==2.18.1\ntf-keras==2.15.1\n")
    assert "refuses" in found["req-tf-keras-mismatch"].detail


def test_windows_stub_and_payload_are_not_two_builds(tmp_path: Path) -> None:
    text = ('tensorflow==2.15.1\ntensorflow-intel==2.15.1; platform_system == "Windows"\n')
    windows = interp()
    windows = Interpreter(**{**windows.__dict__, "markers": {
        **windows.markers, "platform_system": "Windows", "sys_platform": "win32"}})
    assert audit(tmp_path, text, windows) == {}
    # ...while the marker really was evaluated for Windows: a -cpu build next to it is two
    found = audit(tmp_path, text.replace("tensorflow==", "tensorflow-cpu=="), windows)
    assert "req-two-tensorflow-builds" in found
    assert audit(tmp_path, text.replace("tensorflow==", "tensorflow-cpu=="), interp()) == {}


def test_32_bit_python_has_no_tensorflow(tmp_path: Path) -> None:
    found = audit(tmp_path, "tensorflow\n", interp(bits=32))
    assert "req-no-tensorflow-wheels-for-python" in found


def test_markers_are_evaluated_for_the_target(tmp_path: Path) -> None:
    text = ('tensorflow==2.13.1; python_version < "3.12"\n'
            'tensorflow==2.16.2; python_version >= "3.12"\n'
            "keras>=2.13.1,<2.14\n")
    assert audit(tmp_path, text, interp((3, 11, 7))) == {}
    found = audit(tmp_path, text, interp((3, 12, 1)))
    finding = found["req-keras2-with-tf-2.16-or-newer"]
    assert any("tensorflow==2.16.2" in e for e in finding.evidence)
    assert any(":2: " in e for e in finding.evidence)


def test_includes_comments_extras_and_continuations(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ml.txt").write_text("# the model stack\ntf-keras==2.15.0\n")
    text = ("# pinned for the GPU box\n--extra-index-url https://example.org/simple\n"
            "numpy==1.26.4 \\\n    --hash=sha256:aaaa\n"
            "tensorflow[and-cuda]==2.18.1  # with CUDA\n-r sub/ml.txt\n")
    found = audit(tmp_path, text)
    finding = found["req-tf-keras-mismatch"]
    assert any(e.endswith("requirements.txt:5: tensorflow[and-cuda]==2.18.1")
               for e in finding.evidence)
    assert any("sub/ml.txt:2: tf-keras==2.15.0" in e for e in finding.evidence)
    assert set(found) == {"req-tf-keras-mismatch"}  # the extra exists on 2.18


def test_a_wheel_url_counts_as_its_version(tmp_path: Path) -> None:
    found = audit(tmp_path, "tensorflow==2.15.1\n"
                  "keras @ https://example.org/keras-3.5.0-py3-none-any.whl\n")
    assert "req-keras3-with-tf-2.15-or-older" in found


def test_invalid_line_is_a_warning(tmp_path: Path) -> None:
    found = audit(tmp_path, "tensorflow=2.15.1\n")
    finding = found["req-unparsable-line"]
    assert finding.evidence[0].endswith("requirements.txt:1: Invalid requirement:"
                                        " 'tensorflow=2.15.1'")


def test_without_interpreter_python_checks_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("tensorflow==2.13.0\n")
    assert audit_requirements(str(path)) == []


@pytest.mark.parametrize("setup,expected", [
    (lambda d: d / "missing.txt", "no such file"),
    (lambda d: d, "is a folder"),
    (lambda d: _write(d / "r.txt", "-r other.txt\n"), "other.txt"),
    (lambda d: _write(d / "r.txt", "tensorflow==2.15.1\ntensorflow==2.16.1\n"),
     "Double requirement"),
])
def test_bad_files_give_one_clear_error(tmp_path: Path, setup, expected: str) -> None:
    path = setup(tmp_path)
    with pytest.raises(RequirementsError) as info:
        audit_requirements(str(path), interp())
    assert expected in str(info.value)
    assert isinstance(info.value, KerasfixError) and "\n" not in str(info.value)


def test_pip_api_failure_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path / "r.txt", "tensorflow==2.18.1\n")
    monkeypatch.setitem(sys.modules, "pip_api", None)  # import fails like a pip-less Python
    with pytest.raises(RequirementsError, match="pip-api needs pip"):
        audit_requirements(str(path), interp())


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_pyproject_dependency_lists_are_audited(tmp_path) -> None:
    """`scan --requirements pyproject.toml`: [project] dependencies, optional groups and
    dependency-groups, markers evaluated, each pin on its line."""
    from kerasfix.diagnose.pyproject_pins import read_pyproject_pins

    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\ndependencies = [\n  "tensorflow-cpu==2.15.1",\n'
                    '  "numpy<2; python_version < \'3\'",\n]\n'
                    '[project.optional-dependencies]\nkeras = ["keras>=3"]\n'
                    '[dependency-groups]\ndev = ["pytest", {include-group = "keras"}]\n')
    pins = {p.name: p for p in read_pyproject_pins(str(path))}
    assert set(pins) == {"tensorflow-cpu", "keras", "pytest"}  # the marker excludes numpy
    assert pins["tensorflow-cpu"].line == 4 and pins["keras"].line == 8
    codes = {f.code for f in audit_requirements(str(path))}
    assert "req-keras3-with-tf-2.15-or-older" in codes


def test_pyproject_that_does_not_parse_is_one_line(tmp_path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\ndependencies = ["keras"\n')
    with pytest.raises(RequirementsError) as err:
        audit_requirements(str(path))
    assert "pyproject.toml does not parse" in str(err.value) and "\n" not in str(err.value)
    assert err.value.exit_code == 2
