"""The machine side of TensorFlow's GPU (issue 14): the driver read from fabricated /proc files
and fake nvidia-smi programs, and the checks over fabricated environments that carry the real
`and-cuda` pins of TensorFlow's metadata. This machine has no GPU: nothing here claims one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.checks.gpu_machine import (
    CODE_DRIVER_OLD,
    CODE_HIDDEN,
    CODE_NO_DRIVER,
    CODE_SHADOWED,
    machine_findings,
    visible_devices,
)
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.scan import ScanResult
from kerasfix.inspect.gpu import Gpu, GpuInfo, driver_from_proc, read_gpu
from kerasfix.knowledge import cuda, releases
from kerasfix.tui.widgets import gpu_part

KERASFIX = [sys.executable, "-m", "kerasfix"]
REAL_DRIVER = os.path.exists("/proc/driver/nvidia/version")  # then the machine's own wins

# Real /proc/driver/nvidia/version contents, as posted:
# the open kernel module, https://github.com/nix-community/nixGL/issues/186 (565.57.01)
PROC_OPEN = ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build"
             "  (dvs-builder@U16-A24-9-2)  Thu Oct 10 12:15:00 UTC 2024\n"
             "GCC version:  gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)\n")
# the open module on Arch, https://github.com/nix-community/nixGL/issues/121 (525.60.11)
PROC_OPEN_ARCH = ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  525.60.11  Release"
                  " Build  (archlinux-builder@localhost)  \nGCC version:  gcc version 12.2.0"
                  " (GCC) \n")
# a two-part version, https://github.com/hyprwm/Hyprland/pull/6715 (555.58)
PROC_TWO_PART = ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  555.58  Release Build"
                 "  (portage@localhost)  Сб 29 июн 2024 14:36:22 MSK\n")
# the proprietary module's line (the layout nixGL's regex ".*Module  ([0-9.]+)  .*" was written
# for, issue 186 above); this one from a TITAN V machine's notes: 396.26
PROC_PROPRIETARY = ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  396.26  Mon Apr 30 18:01:39"
                    " PDT 2018\nGCC version:  gcc version 4.8.5 20150623 (Red Hat 4.8.5-36) (GCC)"
                    " \n")
# nvidia-smi's CSV rows, https://github.com/triton-inference-server/server/pull/8070
SMI_ROWS = "570.86.15, NVIDIA TITAN V, 7.0\n570.86.15, NVIDIA RTX 5880 Ada Generation, 8.9\n"
# drivers before R510, https://github.com/huggingface/candle/issues/733 (470.182.03)
NO_COMPUTE_CAP = 'Field "compute_cap" is not a valid field to query.'
# a GPU machine whose kernel module is not loaded
SMI_NO_DRIVER = ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
                 " Make sure that the latest NVIDIA driver is installed and running.")


@pytest.fixture(autouse=True)
def _no_inherited_gpu_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "CUDA_PATH"):
        monkeypatch.delenv(name, raising=False)


def fake_smi(folder: Path, script: str, name: str = "nvidia-smi") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def smi_saying(folder: Path, text: str, code: int) -> Path:
    """An nvidia-smi that prints `text` (any characters) and exits with `code`."""
    message = folder / "message.txt"
    folder.mkdir(parents=True, exist_ok=True)
    message.write_text(text)
    return fake_smi(folder, f"cat '{message}'\nexit {code}\n")


def smi_printing(folder: Path, rows: str) -> Path:
    """An nvidia-smi that answers only the query kerasfix sends, as the real one formats it."""
    return fake_smi(folder, 'if [ "$1" = "--query-gpu=driver_version,name,compute_cap" ] &&'
                            ' [ "$2" = "--format=csv,noheader" ]; then\n'
                            f"  printf '%s' '{rows}'\n  exit 0\nfi\nexit 7\n")


def read(tmp_path: Path, proc: str | None = None, smi: Path | str | None = None,
         **kw: object) -> GpuInfo:
    proc_file = tmp_path / "proc-version"
    if proc is not None:
        proc_file.write_text(proc)
    kernel = tmp_path / "kernel-version"
    if not kernel.exists():
        kernel.write_text("Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu\n")
    return read_gpu(str(proc_file), str(smi or tmp_path / "no-nvidia-smi"),
                    wsl_lib=str(tmp_path / "no-wsl"), kernel_version=str(kernel), **kw)


# ---------------------------------------------------------------- reading the driver


@pytest.mark.parametrize("text,driver", [(PROC_OPEN, "565.57.01"), (PROC_OPEN_ARCH, "525.60.11"),
                                         (PROC_TWO_PART, "555.58"), (PROC_PROPRIETARY, "396.26"),
                                         ("", None), ("GCC version: gcc version 12.3.0\n", None)])
def test_driver_version_from_the_proc_file(text: str, driver: str | None) -> None:
    assert driver_from_proc(text) == driver


def test_proc_file_alone_gives_the_driver_and_says_nvidia_smi_is_missing(tmp_path: Path) -> None:
    gpu = read(tmp_path, PROC_OPEN)
    assert (gpu.driver_version, gpu.source, gpu.gpus, gpu.wsl) == ("565.57.01", "proc", (), False)
    assert gpu.problems and "not found" in gpu.problems[0]
    assert gpu.summary() == "driver 565.57.01"


def test_no_proc_file_and_no_nvidia_smi_is_no_driver(tmp_path: Path) -> None:
    gpu = read(tmp_path)
    assert gpu == GpuInfo()
    assert gpu.summary() == "no NVIDIA driver"


def test_nvidia_smi_lists_the_gpus(tmp_path: Path) -> None:
    smi = smi_printing(tmp_path / "bin", SMI_ROWS)
    gpu = read(tmp_path, smi=smi)
    assert gpu.driver_version == "570.86.15" and gpu.source == "nvidia-smi"
    assert gpu.gpus == (Gpu("NVIDIA TITAN V", "7.0"), Gpu("NVIDIA RTX 5880 Ada Generation", "8.9"))
    assert gpu.summary() == ("driver 570.86.15 · NVIDIA TITAN V (7.0), NVIDIA RTX 5880 Ada"
                             " Generation (8.9)")
    with_proc = read(tmp_path, PROC_OPEN, smi=smi)  # the kernel module's version comes first
    assert (with_proc.driver_version, with_proc.source) == ("565.57.01", "proc")
    assert len(with_proc.gpus) == 2


def test_identical_cards_are_counted(tmp_path: Path) -> None:
    rows = "550.54.14, NVIDIA A100-SXM4-40GB, 8.0\n" * 4
    gpu = read(tmp_path, smi=smi_printing(tmp_path / "bin", rows))
    assert gpu.summary() == "driver 550.54.14 · 4× NVIDIA A100-SXM4-40GB (8.0)"


def test_a_driver_without_compute_cap_is_asked_again_without_it(tmp_path: Path) -> None:
    smi = fake_smi(tmp_path / "bin", 'case "$1" in\n'
                   f"  *compute_cap*) echo '{NO_COMPUTE_CAP}'; exit 2;;\n"
                   "  --query-gpu=driver_version,name) echo '470.182.03, Tesla T4'; exit 0;;\n"
                   "esac\nexit 7\n")
    gpu = read(tmp_path, smi=smi)
    assert gpu.driver_version == "470.182.03" and gpu.gpus == (Gpu("Tesla T4", None),)
    assert gpu.problems == () and gpu.summary() == "driver 470.182.03 · Tesla T4"


def test_failing_nvidia_smi_is_recorded_not_raised(tmp_path: Path) -> None:
    gpu = read(tmp_path, smi=smi_saying(tmp_path / "bin", SMI_NO_DRIVER + "\n", 9))
    assert gpu.driver_version is None and gpu.source is None
    assert gpu.problems == (f"nvidia-smi exited 9: {SMI_NO_DRIVER}",)


def test_hanging_nvidia_smi_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    smi = fake_smi(tmp_path / "bin", "sleep 30 & sleep 30\n")  # a grandchild holds the pipes
    started = time.monotonic()
    gpu = read(tmp_path, smi=smi, timeout=0.5)
    assert time.monotonic() - started < 10
    assert gpu.driver_version is None
    assert gpu.problems == ("nvidia-smi did not answer within 0.5 s (stopped)",)


@pytest.mark.parametrize("output", ["hello world\n", "550.54.14\n", "NVIDIA, A100, 8.0\n",
                                    "\x1b[31m550.54.14, evil\x1b[0m, 8.0, extra, cells\n", ""])
def test_garbage_from_nvidia_smi_is_recorded(tmp_path: Path, output: str) -> None:
    gpu = read(tmp_path, smi=smi_saying(tmp_path / "bin", output, 0))
    assert gpu.driver_version is None and gpu.gpus == ()
    assert len(gpu.problems) == 1 and "\x1b" not in gpu.problems[0]
    assert "nvidia-smi" in gpu.problems[0]


def test_an_unstartable_nvidia_smi_is_recorded(tmp_path: Path) -> None:
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text("not a program")  # not executable
    gpu = read(tmp_path, smi=smi)
    assert gpu.driver_version is None and "could not start" in gpu.problems[0]


def test_wsl2_is_detected_and_its_nvidia_smi_found(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # nvidia-smi is not on PATH in WSL2
    wsl = tmp_path / "wsl-lib"
    smi_printing(wsl, "551.61, NVIDIA GeForce RTX 3080, 8.6\n")
    kernel = tmp_path / "kernel-version"
    kernel.write_text("Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1)\n")
    gpu = read_gpu(str(tmp_path / "none"), "nvidia-smi", wsl_lib=str(wsl),
                   kernel_version=str(kernel))
    assert gpu.wsl and gpu.driver_version == "551.61" and gpu.source == "nvidia-smi"
    assert gpu.summary() == ("driver 551.61 · NVIDIA GeForce RTX 3080 (8.6) · WSL2 (the Windows"
                             " host's driver)")
    kernel.write_text("Linux version 6.8.0-45-generic\n")  # the folder alone says WSL2 too
    assert read_gpu(str(tmp_path / "none"), "nvidia-smi", wsl_lib=str(wsl),
                    kernel_version=str(kernel)).wsl
    wsl_kernel_only = read_gpu(str(tmp_path / "none"), "nvidia-smi",
                               wsl_lib=str(tmp_path / "absent"), kernel_version=str(kernel))
    assert not wsl_kernel_only.wsl and wsl_kernel_only.summary() == "no NVIDIA driver"


# ---------------------------------------------------------------- fabricated CUDA stacks


def linux_requires(tf_version: str) -> list[str]:
    """TensorFlow's real Requires-Dist (its Linux x86_64 wheel) from the committed metadata."""
    row = releases.release("tensorflow", tf_version)
    assert row is not None
    wheel = next(w for w in row["wheels_read"] if w["kind"] == cuda.LINUX_X86)
    return list(wheel["requires_dist"])


def cuda_stack(fake: FakeEnv, tf_version: str = "2.15.1", *, dist: str = "tensorflow",
               **versions: str) -> dict[str, str]:
    """TensorFlow's CUDA build with the nvidia wheels at its own and-cuda pins (or `versions`,
    by name with _ for -), each with the library file the real wheel puts in nvidia/*/lib."""
    fake.add_dist(dist, tf_version, requires=linux_requires(tf_version),
                  files={"tensorflow/__init__.py": f"__version__ = '{tf_version}'\n"},
                  tags=("cp311-cp311-manylinux_2_17_x86_64",))
    pins = cuda.and_cuda_pins(tf_version)
    assert pins
    chosen = {}
    for name, spec in pins.items():
        version = versions.get(name.replace("-", "_")) or str(cuda.wanted_version(spec))
        lib = {"nvidia-cudnn-cu12": f"nvidia/cudnn/lib/libcudnn.so.{version.split('.')[0]}",
               "nvidia-cublas-cu12": "nvidia/cublas/lib/libcublas.so.12"}.get(name)
        fake.add_dist(name, version, files={lib: ""} if lib else {})
        chosen[name] = version
    return chosen


def lib_dir(tmp_path: Path, *names: str, folder: str = "cuda-12.1/lib64") -> Path:
    path = tmp_path / folder
    path.mkdir(parents=True)
    for name in names:
        (path / name).write_text("")  # an empty file: only its name is read
    return path


def findings(fake: FakeEnv, code: str) -> list[Finding]:
    return [f for f in fake.scan().findings if f.code == code]


def test_a_system_cudnn_on_ld_library_path_is_flagged(fake: FakeEnv, tmp_path: Path) -> None:
    cuda_stack(fake)  # TF 2.15.1: nvidia-cudnn-cu12==8.9.4.25
    system = lib_dir(tmp_path, "libcudnn.so.8", "libcudnn.so.8.6.0", "libcudart.so.12")
    fake.env["LD_LIBRARY_PATH"] = f"{system}:/nonexistent"
    fake.env["CUDA_HOME"] = str(tmp_path / "cuda-12.1")
    inv = fake.scan().inventory
    assert [(d.folder, d.files) for d in inv.cuda_libraries] == [
        (str(system), ("libcudnn.so.8", "libcudnn.so.8.6.0"))]
    [finding] = findings(fake, CODE_SHADOWED)
    assert finding.severity is Severity.WARNING
    assert str(system) in finding.title and "cuDNN" in finding.title
    assert "8.6.0" in finding.detail and "nvidia-cudnn-cu12 8.9.4.25" in finding.detail
    assert finding.symptom == ("Loaded runtime CuDNN library: 8.6.0 but source was compiled"
                               " with: 8.9.4")  # TF 2.15.1's and-cuda pin: 8.9.4.25
    assert finding.paths == (str(system),)
    assert f"CUDA_HOME={tmp_path / 'cuda-12.1'}" in finding.evidence
    assert finding.manual[0].startswith('export LD_LIBRARY_PATH="/nonexistent" (')


def test_an_empty_libcudnn_so_8_alone_is_enough(fake: FakeEnv, tmp_path: Path) -> None:
    cuda_stack(fake)
    system = lib_dir(tmp_path, "libcudnn.so.8")
    fake.env["LD_LIBRARY_PATH"] = str(system)
    [finding] = findings(fake, CODE_SHADOWED)
    assert "libcudnn.so.8" in finding.detail  # no version in the name: the soname is said
    assert finding.symptom is None
    assert finding.manual[0].startswith("unset LD_LIBRARY_PATH")


def test_a_newer_system_cudnn_still_shadows_but_loads_quietly(fake: FakeEnv,
                                                              tmp_path: Path) -> None:
    cuda_stack(fake)  # 8.9.4.25 pinned; cuDNN accepts a newer minor of the same major
    fake.env["LD_LIBRARY_PATH"] = str(lib_dir(tmp_path, "libcudnn.so.8", "libcudnn.so.8.9.7"))
    [finding] = findings(fake, CODE_SHADOWED)
    assert "8.9.7" in finding.detail and finding.symptom is None


def test_cublas_from_a_system_cuda_is_flagged_too(fake: FakeEnv, tmp_path: Path) -> None:
    cuda_stack(fake, "2.18.1")
    system = lib_dir(tmp_path, "libcublas.so.12", "libcublasLt.so.12.1.3.1")
    fake.env["LD_LIBRARY_PATH"] = str(system)
    [finding] = findings(fake, CODE_SHADOWED)
    assert "cuBLAS" in finding.title and "12.1.3.1" in finding.detail
    assert "nvidia-cublas-cu12 12.5.3.2" in finding.distributions


@pytest.mark.parametrize("files,why", [
    (("libcudnn.so.9", "libcudnn_ops.so.9.1.0"), "another soname: TF 2.15 dlopens .so.8"),
    (("libcudnn.so.8.9.4",), "the wheel's own release"),
    (("libcudart.so.12", "libnccl.so.2"), "neither cuDNN nor cuBLAS"),
])
def test_folders_that_do_not_shadow(fake: FakeEnv, tmp_path: Path, files: tuple[str, ...],
                                    why: str) -> None:
    cuda_stack(fake)
    fake.env["LD_LIBRARY_PATH"] = str(lib_dir(tmp_path, *files))
    assert findings(fake, CODE_SHADOWED) == [], why


def test_the_wheels_own_folder_on_ld_library_path_is_fine(fake: FakeEnv) -> None:
    cuda_stack(fake)  # as TensorFlow's old install page told users to do
    fake.env["LD_LIBRARY_PATH"] = str(fake.site / "nvidia" / "cudnn" / "lib")
    assert fake.scan().inventory.cuda_libraries  # listed, but it is the wheel's own copy
    assert findings(fake, CODE_SHADOWED) == []


def test_without_the_wheels_ld_library_path_is_the_route(fake: FakeEnv, tmp_path: Path) -> None:
    fake.add_dist("tensorflow", "2.15.1", requires=linux_requires("2.15.1"),
                  files={"tensorflow/__init__.py": ""})
    fake.env["LD_LIBRARY_PATH"] = str(lib_dir(tmp_path, "libcudnn.so.8"))
    assert findings(fake, CODE_SHADOWED) == []  # a system CUDA is how it finds cuDNN


def test_a_cpu_build_is_not_judged(fake: FakeEnv, tmp_path: Path) -> None:
    cuda_stack(fake, dist="tensorflow-cpu")
    fake.env["LD_LIBRARY_PATH"] = str(lib_dir(tmp_path, "libcudnn.so.8"))
    fake.env["CUDA_VISIBLE_DEVICES"] = "-1"
    result = fake.scan()
    assert not {CODE_SHADOWED, CODE_NO_DRIVER, CODE_HIDDEN} & {f.code for f in result.findings}
    assert machine_findings(result.inventory, GpuInfo("470.82.01", source="proc")) == []


# ---------------------------------------------------------------- the driver against CUDA


@pytest.fixture
def tf218(fake: FakeEnv) -> ScanResult:
    cuda_stack(fake, "2.18.1")  # nvidia-cuda-runtime-cu12==12.5.82
    fake.env["CUDA_VISIBLE_DEVICES"] = "0"
    return fake.scan()


def codes(result: ScanResult, gpu: GpuInfo) -> dict[str, Finding]:
    return {f.code: f for f in machine_findings(result.inventory, gpu)}


def test_a_driver_older_than_any_cuda_12_is_an_error(tf218: ScanResult) -> None:
    found = codes(tf218, GpuInfo("470.82.01", (Gpu("Tesla T4", "7.5"),), "proc"))
    finding = found[CODE_DRIVER_OLD]
    assert finding.severity is Severity.ERROR
    assert "525.60.13" in finding.title and "CUDA 12.5" in finding.title
    assert "installed: nvidia-cuda-runtime-cu12 12.5.82" in finding.evidence
    assert finding.manual == ("install NVIDIA driver 525.60.13 or newer on this machine"
                              " (https://www.nvidia.com/Download/index.aspx), then reboot",)


def test_a_driver_older_than_the_toolkits_is_a_warning(tf218: ScanResult) -> None:
    finding = codes(tf218, GpuInfo("535.104.05", source="proc"))[CODE_DRIVER_OLD]
    assert finding.severity is Severity.WARNING
    assert "555.42.02" in finding.title  # CUDA 12.5 GA's driver in NVIDIA's table


def test_a_new_enough_driver_says_nothing(tf218: ScanResult) -> None:
    assert codes(tf218, GpuInfo("560.35.03", (Gpu("NVIDIA A100-SXM4-40GB", "8.0"),),
                                "nvidia-smi")) == {}


def test_wsl2_compares_the_windows_drivers_numbers(tf218: ScanResult) -> None:
    finding = codes(tf218, GpuInfo("551.61", source="nvidia-smi", wsl=True))[CODE_DRIVER_OLD]
    assert finding.severity is Severity.WARNING and "555.85" in finding.title
    assert "in Windows" in finding.manual[0]


def test_without_the_runtime_wheel_the_tested_cuda_is_used(fake: FakeEnv) -> None:
    fake.add_dist("tensorflow", "2.15.1", requires=linux_requires("2.15.1"),
                  files={"tensorflow/__init__.py": ""})
    finding = codes(fake.scan(), GpuInfo("470.82.01", source="proc"))[CODE_DRIVER_OLD]
    assert "CUDA 12.2" in finding.title and any(cuda.BUILD_TABLE_SOURCE in e
                                                 for e in finding.evidence)


def test_no_driver_with_cuda_wheels_is_info(tf218: ScanResult) -> None:
    found = codes(tf218, GpuInfo())
    assert list(found) == [CODE_NO_DRIVER]
    finding = found[CODE_NO_DRIVER]
    assert finding.severity is Severity.INFO and finding.strategies == ()
    assert finding.symptom == "Could not find cuda drivers on your machine, GPU will not be used."
    assert "525.60.13" in finding.manual[0]


def test_a_failing_nvidia_smi_makes_no_driver_a_warning(tf218: ScanResult) -> None:
    gpu = GpuInfo(problems=(f"nvidia-smi exited 9: {SMI_NO_DRIVER}",))
    finding = codes(tf218, gpu)[CODE_NO_DRIVER]
    assert finding.severity is Severity.WARNING and gpu.problems[0] in finding.evidence


def test_no_driver_and_no_cuda_wheels_is_silent(fake: FakeEnv) -> None:
    fake.add_dist("tensorflow", "2.18.1", requires=linux_requires("2.18.1"),
                  files={"tensorflow/__init__.py": ""})
    assert codes(fake.scan(), GpuInfo()) == {}


@pytest.mark.parametrize("value,count,visible", [
    ("", None, []), ("-1", None, []), ("-1,0", None, []), ("0", None, ["0"]),
    ("0,1", None, ["0", "1"]), ("1,0", 1, []), ("0,2,1", 2, ["0"]), (" 1 ", None, ["1"]),
    ("GPU-8932f937-d72c-4106-c12f-20bd9faed9f6", None,
     ["GPU-8932f937-d72c-4106-c12f-20bd9faed9f6"]), ("nvidia0", None, []),
])
def test_visible_devices_follow_nvidias_rule(value: str, count: int | None,
                                             visible: list[str]) -> None:
    assert visible_devices(value, count) == visible


@pytest.mark.parametrize("value,hidden", [("-1", True), ("", True), ("3", True), ("0", False),
                                          ("GPU-8932f937", False)])
def test_cuda_visible_devices_hiding_every_gpu(fake: FakeEnv, value: str, hidden: bool) -> None:
    cuda_stack(fake, "2.18.1")
    fake.env["CUDA_VISIBLE_DEVICES"] = value
    gpu = GpuInfo("560.35.03", (Gpu("NVIDIA L4", "8.9"),), "proc")
    found = codes(fake.scan(), gpu)
    assert (CODE_HIDDEN in found) is hidden
    if hidden:
        assert found[CODE_HIDDEN].severity is Severity.WARNING
        assert found[CODE_HIDDEN].manual[0].startswith("unset CUDA_VISIBLE_DEVICES")
    assert CODE_HIDDEN not in codes(fake.scan(), GpuInfo())  # no driver: nothing to hide


# ---------------------------------------------------------------- headers


def test_app_header_part_only_where_the_gpu_matters(tf218: ScanResult, fake: FakeEnv) -> None:
    a100 = GpuInfo("550.54.14", (Gpu("NVIDIA A100-SXM4-40GB", "8.0"),) * 2, "proc")
    assert gpu_part(replace(tf218, gpu=a100)) == " · GPU: driver 550.54.14 · A100-SXM4-40GB +1"
    assert gpu_part(replace(tf218, gpu=GpuInfo())) == " · no NVIDIA driver"
    assert gpu_part(replace(tf218, gpu=None)) == ""
    cpu = make_cpu_result(fake)
    assert gpu_part(replace(cpu, gpu=a100)) == ""  # a CPU build's header stays as it was


def make_cpu_result(fake: FakeEnv) -> ScanResult:
    for info in fake.site.glob("tensorflow-*.dist-info"):
        (info / "METADATA").write_text((info / "METADATA").read_text().replace(
            "Name: tensorflow\n", "Name: tensorflow-cpu\n"))
    return fake.scan()


def run_cli(fake: FakeEnv, path_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{path_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "NO_COLOR": "1", "COLUMNS": "80", "HOME": str(fake.root / "home")}
    return subprocess.run([*KERASFIX, "scan", "--python", fake.python, *args],
                          capture_output=True, text=True, timeout=120, env=env,
                          cwd=fake.root / "work")


@pytest.mark.skipif(REAL_DRIVER, reason="this machine's own driver would be shown")
def test_scan_header_and_json_show_the_driver_and_gpu(fake: FakeEnv, tmp_path: Path) -> None:
    cuda_stack(fake, "2.18.1")
    bin_dir = tmp_path / "bin"
    smi_printing(bin_dir, "550.54.14, NVIDIA A100-SXM4-40GB, 8.0\n")
    proc = run_cli(fake, bin_dir)
    assert "GPU" in proc.stdout and "driver 550.54.14 · NVIDIA A100-SXM4-40GB (8.0)" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    doc = json.loads(run_cli(fake, bin_dir, "--json").stdout)
    assert doc["target"]["gpu"] == {
        "driver_version": "550.54.14", "source": "nvidia-smi", "wsl": False,
        "gpus": [{"name": "NVIDIA A100-SXM4-40GB", "compute_cap": "8.0"}],
        "summary": "driver 550.54.14 · NVIDIA A100-SXM4-40GB (8.0)", "problems": []}
    old = next(f for f in doc["findings"] if f["code"] == CODE_DRIVER_OLD)  # 550 < CUDA 12.5's
    assert old["severity"] == "warning"


@pytest.mark.skipif(REAL_DRIVER, reason="this machine has a driver")
def test_scan_header_says_no_nvidia_driver(fake: FakeEnv, tmp_path: Path) -> None:
    cuda_stack(fake, "2.18.1")
    bin_dir = tmp_path / "bin"
    smi_saying(bin_dir, SMI_NO_DRIVER + "\n", 9)
    proc = run_cli(fake, bin_dir)
    assert "no NVIDIA driver" in proc.stdout and CODE_NO_DRIVER in proc.stdout
    doc = json.loads(run_cli(fake, bin_dir, "--json").stdout)
    assert doc["target"]["gpu"]["driver_version"] is None
    assert doc["target"]["gpu"]["problems"] == [f"nvidia-smi exited 9: {SMI_NO_DRIVER}"]
    finding = next(f for f in doc["findings"] if f["code"] == CODE_NO_DRIVER)
    assert finding["severity"] == "warning"  # nvidia-smi is there: a broken driver
