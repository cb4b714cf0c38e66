"""The CUDA wheels beside TensorFlow, judged from metadata (issue 14). Fabricated environments
carry the REAL Requires-Dist of TensorFlow releases (kerasfix/knowledge/data/tf-keras-matrix.json,
read through kerasfix.knowledge, never retyped) and of torch 2.5.1 (tests/data/, from PyPI); the
scan runs for real in each venv. No GPU is needed, and none is claimed."""

from __future__ import annotations

import json
import platform
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fakeenv import FakeEnv
from packaging.requirements import Requirement
from packaging.version import Version

from kerasfix.diagnose.checks import gpu, run_checks
from kerasfix.diagnose.findings import Finding, Severity, Strategy
from kerasfix.inspect.inventory import Inventory
from kerasfix.knowledge import cuda, releases

GPU_CODES = {gpu.CODE_MISMATCH, gpu.CODE_MISSING, gpu.CODE_CPU_BUILD, gpu.CODE_MAJOR,
             gpu.CODE_WINDOWS, gpu.CODE_MACOS, gpu.CODE_METAL}
TORCH = json.loads((Path(__file__).parent / "data" / "torch-2.5.1-requires.json").read_text())
CUDNN = "nvidia-cudnn-cu12"

x86_only = pytest.mark.skipif(platform.machine() != "x86_64",
                              reason="torch 2.5.1 pins its CUDA wheels on Linux x86_64 only")


def tf_requires(version: str, dist: str = "tensorflow") -> list[str]:
    """The real Requires-Dist of the release's Linux x86_64 wheel."""
    row = releases.release(dist, version)
    assert row is not None, f"{dist} {version} is not in the committed metadata"
    wheel = next(w for w in row["wheels_read"] if w["kind"] == cuda.LINUX_X86)
    return list(wheel["requires_dist"])


def install(env: FakeEnv, name: str, version: str, requires: list[str] | None = None) -> None:
    """As pip leaves it: the previous version's dist-info replaced by this one's."""
    norm = name.replace("-", "_")
    for old in env.site.glob(f"{norm}-*.dist-info"):
        shutil.rmtree(old)
    lib = name.removeprefix("nvidia-").rsplit("-cu", 1)[0]
    files = ({f"nvidia/{lib}/lib/lib{lib}.so": "x"} if cuda.is_cuda_wheel(name)
             else {f"{norm}/__init__.py": ""})
    env.add_dist(name, version, requires=requires or [], files=files)


def install_tf(env: FakeEnv, version: str, dist: str = "tensorflow") -> None:
    env.add_dist(dist, version, requires=tf_requires(version, dist),
                 files={"tensorflow/__init__.py": f"__version__ = '{version}'\n",
                        "tensorflow/python/__init__.py": ""},
                 tags=("cp311-cp311-manylinux_2_17_x86_64",))


def install_and_cuda(env: FakeEnv, version: str, dist: str = "tensorflow") -> dict[str, str]:
    """`pip install tensorflow[and-cuda]==<version>`: TF plus every wheel its extra pins."""
    install_tf(env, version, dist)
    pins = cuda.and_cuda_pins(version, distribution=dist)
    assert pins, f"{dist} {version} has no and-cuda extra"
    wanted = {name: str(cuda.wanted_version(spec)) for name, spec in pins.items()}
    for name, pinned in wanted.items():
        install(env, name, pinned)
    return wanted


def install_torch(env: FakeEnv) -> None:
    """`pip install torch==2.5.1` afterwards: its own exact CUDA pins replace TensorFlow's."""
    for line in TORCH["requires_dist"]:
        req = Requirement(line)
        pinned = [s.version for s in req.specifier if s.operator == "=="]
        if cuda.is_cuda_wheel(req.name) and pinned:
            install(env, req.name, pinned[0])
    install(env, "torch", TORCH["version"], TORCH["requires_dist"])


def gpu_findings(findings: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in findings if f.code in GPU_CODES}


def scan_gpu(env: FakeEnv) -> dict[str, Finding]:
    return gpu_findings(env.scan().findings)


def as_platform(inv: Inventory, system: str, sys_platform: str) -> Inventory:
    """The same inventory as the probe would report it on another OS."""
    markers = {**inv.interpreter.markers, "platform_system": system,
               "sys_platform": sys_platform}
    return replace(inv, interpreter=replace(inv.interpreter, platform=sys_platform,
                                            markers=markers))


# ---------------------------------------------------------------- TensorFlow's exact pins


@pytest.mark.parametrize("version", ["2.14.1", "2.15.1", "2.17.1", "2.18.1", "2.21.0"])
def test_tensorflow_with_its_exact_and_cuda_pins_raises_nothing_about_cuda(
        fake: FakeEnv, version: str) -> None:
    wanted = install_and_cuda(fake, version)
    assert len(wanted) >= 11  # 10 nvidia-* wheels and tensorrt for 2.14, 12 nvidia-* after
    assert scan_gpu(fake) == {}


def test_a_tensorflow_without_cuda_wheels_is_a_cpu_install_with_nothing_to_say(
        fake: FakeEnv) -> None:
    install_tf(fake, "2.18.1")
    assert scan_gpu(fake) == {}


# ---------------------------------------------------------------- cuda-wheels-mismatch


def test_tf_218_over_the_cudnn_89_an_older_tf_left_is_flagged(fake: FakeEnv) -> None:
    """As TF 2.16/2.17's [and-cuda] leaves them, then `pip install -U tensorflow==2.18.1`."""
    install_and_cuda(fake, "2.17.1")
    for old in fake.site.glob("tensorflow-*.dist-info"):
        shutil.rmtree(old)
    install_tf(fake, "2.18.1")
    found = scan_gpu(fake)
    mismatch = found.pop(gpu.CODE_MISMATCH)
    assert mismatch.severity is Severity.ERROR
    assert mismatch.title.startswith(f"{CUDNN} 8.9.7.29 is not the ==9.3.0.75 that TensorFlow"
                                     " 2.18.1 pins")
    cudnn_line = next(e for e in mismatch.evidence if e.startswith(f"{CUDNN} 8.9.7.29"))
    assert "left by tensorflow[and-cuda] 2.16.1, 2.16.2, 2.17.1" in cudnn_line
    assert mismatch.strategies == (Strategy.REPAIR,)
    assert mismatch.manual and '"tensorflow[and-cuda]==2.18.1"' in mismatch.manual[0]
    assert mismatch.symptom is not None and mismatch.symptom.startswith(
        "Loaded runtime CuDNN library: 8.9.7 but source was compiled with: 9.3.0.")
    assert found == {}  # every 2.18 wheel is there, at the wrong versions: nothing missing


@x86_only
def test_torch_beside_tf_218_is_named_as_who_moved_the_cuda_wheels(fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.18.1")
    install_torch(fake)
    found = scan_gpu(fake)
    mismatch = found.pop(gpu.CODE_MISMATCH)
    assert mismatch.severity is Severity.ERROR
    assert mismatch.title.startswith(f"{CUDNN} 9.1.0.70 is not the ==9.3.0.75")
    cudnn_line = next(e for e in mismatch.evidence if e.startswith(f"{CUDNN} 9.1.0.70"))
    assert f"torch 2.5.1 requires {CUDNN}==9.1.0.70" in cudnn_line
    assert "torch 2.5.1" in mismatch.distributions
    assert "CuDNN library: 9.1.0 but source was compiled with: 9.3.0" in (mismatch.symptom or "")
    assert "torch 2.5.1 requires the versions found" in mismatch.detail
    # torch pins cuDNN exactly: one environment cannot satisfy both
    assert Strategy.FRESH_VENV in mismatch.strategies
    assert "torch 2.5.1 pins other versions" in mismatch.manual[0]
    # nvcc is TensorFlow's alone (torch does not ask for it): still at TF's pin, not missing
    assert found == {}


def test_the_mismatch_check_reads_the_installed_tensorflows_own_metadata(fake: FakeEnv) -> None:
    """A TF release kerasfix holds no metadata for is judged by its own Requires-Dist."""
    fake.add_dist("tensorflow", "2.18.0", requires=[f'{CUDNN}==9.3.0.75; extra == "and-cuda"'],
                  files={"tensorflow/__init__.py": "", "tensorflow/python/__init__.py": ""})
    install(fake, CUDNN, "9.1.0.70")
    assert cuda.and_cuda_pins("2.18.0") is None
    mismatch = scan_gpu(fake)[gpu.CODE_MISMATCH]
    assert "==9.3.0.75" in mismatch.title and "2.18.0" in mismatch.title


def test_a_newer_cudnn_of_the_same_major_is_outside_the_pin_but_not_refused(
        fake: FakeEnv) -> None:
    """TensorFlow accepts a cuDNN of its major with an equal or higher minor: no refusal
    message is predicted, the pin is still named."""
    install_and_cuda(fake, "2.18.1")
    install(fake, CUDNN, "9.5.1.17")
    mismatch = scan_gpu(fake)[gpu.CODE_MISMATCH]
    assert mismatch.title.startswith(f"{CUDNN} 9.5.1.17 is not the ==9.3.0.75")
    assert mismatch.symptom is None
    assert "no installed distribution requires it" in mismatch.evidence[0]


# ---------------------------------------------------------------- missing, major, cpu build


def test_some_of_the_and_cuda_wheels_missing_is_a_warning(fake: FakeEnv) -> None:
    wanted = install_and_cuda(fake, "2.18.1")
    gone = sorted(wanted)[:3]
    for name in gone:
        shutil.rmtree(next(fake.site.glob(f"{name.replace('-', '_')}-*.dist-info")))
    found = scan_gpu(fake)
    missing = found.pop(gpu.CODE_MISSING)
    assert missing.severity is Severity.WARNING
    assert missing.title.startswith("3 of the 12 CUDA wheels TensorFlow 2.18.1")
    assert all(name in missing.evidence[0] for name in gone)
    assert found == {}


def test_cuda_11_wheels_under_a_cuda_12_tensorflow_are_an_error(fake: FakeEnv) -> None:
    wanted = install_and_cuda(fake, "2.18.1")
    cu11 = cuda.and_cuda_pins("2.14.1")
    assert cu11 is not None and cuda.cuda_major("2.14.1") == 11
    install(fake, "nvidia-cudnn-cu11", str(cuda.wanted_version(cu11["nvidia-cudnn-cu11"])))
    found = scan_gpu(fake)
    major = found.pop(gpu.CODE_MAJOR)
    assert major.severity is Severity.ERROR
    assert major.title == "-cu11 CUDA wheels beside TensorFlow 2.18.1, a CUDA 12 build"
    assert "installed: nvidia-cudnn-cu11 8.7.0.84" in major.evidence
    assert len(wanted) == 12 and found == {}


def test_cuda_wheels_beside_the_cpu_build_are_info_only(fake: FakeEnv) -> None:
    install_tf(fake, "2.18.1", dist="tensorflow-cpu")
    for name, spec in (cuda.and_cuda_pins("2.18.1") or {}).items():
        install(fake, name, str(cuda.wanted_version(spec)))
    install(fake, CUDNN, "8.9.7.29")  # even at a version the GPU build would refuse
    found = scan_gpu(fake)
    assert set(found) == {gpu.CODE_CPU_BUILD}
    info = found[gpu.CODE_CPU_BUILD]
    assert info.severity is Severity.INFO
    assert info.title == "12 CUDA wheels beside tensorflow-cpu 2.18.1, a build without CUDA"
    assert not info.strategies


# ---------------------------------------------------------------- Windows, macOS, metal


def test_windows_native_after_210_gets_one_warning_and_no_linux_findings(
        fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.15.1")
    install(fake, CUDNN, "9.1.0.70")  # would be a mismatch on Linux
    inv = as_platform(fake.scan().inventory, "Windows", "win32")
    found = gpu_findings(run_checks(inv))
    assert set(found) == {gpu.CODE_WINDOWS}
    assert found[gpu.CODE_WINDOWS].severity is Severity.WARNING
    assert "2.15.1 has no GPU support on native Windows" in found[gpu.CODE_WINDOWS].title
    assert cuda.WINDOWS_GPU_SOURCE in found[gpu.CODE_WINDOWS].detail


def test_windows_native_210_could_still_use_the_gpu(fake: FakeEnv) -> None:
    install_tf(fake, "2.10.1")
    install(fake, "nvidia-cudnn-cu11", "8.7.0.84")
    inv = as_platform(fake.scan().inventory, "Windows", "win32")
    assert gpu.CODE_WINDOWS not in gpu_findings(run_checks(inv))


def test_cuda_wheels_on_macos_are_info(fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.18.1")
    inv = as_platform(fake.scan().inventory, "Darwin", "darwin")
    found = gpu_findings(run_checks(inv))
    assert set(found) == {gpu.CODE_MACOS}
    assert found[gpu.CODE_MACOS].severity is Severity.INFO


@pytest.mark.parametrize(("metal", "tf", "flagged"), [
    ("1.0.0", "2.16.2", True),  # Apple's table: 1.0.0 is for TF 2.13
    ("1.1.0", "2.16.2", False),  # 1.1.0: TF 2.14-2.18
    ("1.2.0", "2.18.1", False),
    ("0.8.0", "2.18.1", True),
])
def test_tensorflow_metal_against_apples_pairing_table(
        fake: FakeEnv, metal: str, tf: str, flagged: bool) -> None:
    install_tf(fake, tf)
    install(fake, "tensorflow-metal", metal)
    inv = as_platform(fake.scan().inventory, "Darwin", "darwin")
    found = gpu_findings(run_checks(inv))
    assert (gpu.CODE_METAL in found) is flagged
    if flagged:
        finding = found[gpu.CODE_METAL]
        assert finding.severity is Severity.WARNING
        assert finding.title.startswith(f"tensorflow-metal {metal} pairs with TF 2.")
        assert '"tensorflow-metal==1.1.0"' in finding.manual[0] or "1.2.0" in finding.manual[0]


# ---------------------------------------------------------------- the knowledge itself


def test_and_cuda_pins_are_the_real_metadata() -> None:
    pins = cuda.and_cuda_pins("2.18.1")
    assert pins is not None and str(pins[CUDNN]) == "==9.3.0.75"
    assert str((cuda.and_cuda_pins("2.17.1") or {})[CUDNN]) == "==8.9.7.29"
    assert str((cuda.and_cuda_pins("2.15.1") or {})[CUDNN]) == "==8.9.4.25"
    line = next(x for x in tf_requires("2.18.1") if x.startswith(CUDNN))
    assert Requirement(line).specifier == pins[CUDNN]
    assert cuda.and_cuda_pins("2.13.1") is None and cuda.has_and_cuda("2.13.1") is False
    assert cuda.has_and_cuda("2.14.1") is True and cuda.has_and_cuda("9.9.9") is None
    assert cuda.cuda_major("2.14.1") == 11 and cuda.cuda_major("2.18.1") == 12
    assert cuda.cuda_major("2.12.1") == 11  # no extra: the tested build configuration
    assert cuda.is_cuda_wheel("nvidia-cudnn-cu12") and not cuda.is_cuda_wheel("nvidia-ml-py")
    assert cuda.wheel_cuda_major("nvidia_cuda_runtime_cu11") == 11


def test_the_tested_build_table_agrees_with_every_and_cuda_extra() -> None:
    """Two public sources, one fact: tensorflow.org's tested cuDNN/CUDA per line and the pins of
    each release's and-cuda extra on PyPI."""
    checked = 0
    for row in releases.releases("tensorflow"):
        pins = cuda.and_cuda_pins(row["version"])
        if not pins:
            continue
        build = cuda.tested_build(row["version"])
        assert build is not None, row["version"]
        major = cuda.pins_cuda_major(pins)
        cudnn = cuda.wanted_version(pins[f"nvidia-cudnn-cu{major}"])
        runtime = cuda.wanted_version(pins[f"nvidia-cuda-runtime-cu{major}"])
        assert cudnn is not None and runtime is not None
        assert f"{cudnn.major}.{cudnn.minor}" == build.cudnn, row["version"]
        assert f"{runtime.major}.{runtime.minor}" == build.cuda, row["version"]
        checked += 1
    assert checked >= 8


def test_the_driver_table_holds_nvidias_values() -> None:
    assert cuda.minor_compat_driver(12) == "525.60.13"
    assert cuda.minor_compat_driver(11) == "450.80.02"
    assert cuda.toolkit_driver((12, 5)) == "555.42.02"
    assert cuda.toolkit_driver((12, 5), windows=True) == "555.85"
    assert cuda.toolkit_driver((11, 8)) == "520.61.05"
    assert cuda.driver_at_least("550.54.15", "525.60.13")
    assert not cuda.driver_at_least("470.82.01", "525.60.13")
    # newest first, as NVIDIA lists them, and every 12.x row at least the 12.x minimum
    keys = [(r.cuda, cuda.driver_key(r.linux)) for r in cuda.TOOLKIT_DRIVERS]
    assert keys == sorted(keys, reverse=True)
    assert all(cuda.driver_at_least(r.linux, "525.60.13")
               for r in cuda.TOOLKIT_DRIVERS if r.cuda[0] == 12)


def test_every_table_names_its_public_source() -> None:
    text = Path(cuda.__file__).read_text(encoding="utf-8")
    sources = {
        cuda.DRIVER_TABLE_SOURCE: "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/",
        cuda.BUILD_TABLE_SOURCE: "https://www.tensorflow.org/install/source",
        cuda.WINDOWS_GPU_SOURCE: "https://www.tensorflow.org/install/pip",
        cuda.METAL_TABLE_SOURCE: "https://pypi.org/project/tensorflow-metal/",
    }
    for source, prefix in sources.items():
        assert source.startswith(prefix)
        # the comment above each table names it too
        assert len(re.findall(re.escape(source.split("#")[0]), text)) >= 2, source
    assert TORCH["source"].startswith("https://pypi.org/pypi/torch/2.5.1/json")
    assert cuda.metal_fits("1.1.0", Version("2.16.2")) is True
    assert cuda.metal_fits("1.0.0", Version("2.16.2")) is False
    assert cuda.metal_fits("0.0.1", Version("2.16.2")) is None


def test_every_gpu_code_is_in_the_readmes_findings_table() -> None:
    """The codes are constants here (the README test greps `code="..."` literals only)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert [c for c in sorted(GPU_CODES) if f"`{c}`" not in readme] == []
