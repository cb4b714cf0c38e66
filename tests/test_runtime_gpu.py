"""--deep on GPU: TensorFlow's own log lines (captured from fd 2 in the runtime subprocess) and
its GPU facts as findings.

This machine has no GPU: the parser is fed log text users pasted in public threads (the URL
next to each), and the runtime check runs for real against fabricated `tensorflow` packages in
a real venv that write those lines to fd 2 the way TensorFlow's C++ logging does, list fake
devices and answer tf.sysconfig.get_build_info() with a real build's keys."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fakeenv import FakeEnv, make_venv

from kerasfix.diagnose.runtime_findings import runtime_findings
from kerasfix.diagnose.runtime_gpu import LOADED_CUDNN, gpu_findings
from kerasfix.inspect.runtime import ProcessOutcome, RuntimeReport, StepResult, run_runtime_check
from kerasfix.inspect.runtime_steps import RuntimeStep

# tensorflow/tensorflow#60913 (a comment, TF 2.18 with torch's cuDNN 9.1)
CUDNN_91 = (
    "E0000 00:00:1738697930.202924    7665 cuda_dnn.cc:522] Loaded runtime CuDNN library: 9.1.0"
    " but source was compiled with: 9.3.0.  CuDNN library needs to have matching major version"
    " and equal or higher minor version. If using a binary install, upgrade your CuDNN library."
    "  If building from sources, make sure the library loaded at runtime is compatible with the"
    " version specified during compile configuration.\n"
    "2025-02-04 20:38:50.230519: W tensorflow/core/framework/op_kernel.cc:1841] OP_REQUIRES"
    " failed at xla_ops.cc:577 : FAILED_PRECONDITION: DNN library initialization failed. Look"
    " at the errors above for more details.")
# NVIDIA/tensorflow#110
DLOPEN = (
    "2024-06-19 16:06:44.996032: W tensorflow/stream_executor/platform/default/dso_loader.cc:60]"
    " Could not load dynamic library 'libcusolver.so.11'; dlerror: libnvJitLink.so.12: cannot"
    " open shared object file: No such file or directory\n"
    "2024-06-19 16:06:44.996140: W tensorflow/core/common_runtime/gpu/gpu_device.cc:1689]"
    " Cannot dlopen some GPU libraries. Please make sure the missing libraries mentioned above"
    " are installed properly if you would like to use GPU. Follow the guide at"
    " https://www.tensorflow.org/install/gpu for how to download and setup the required"
    " libraries for your platform.\nSkipping registering GPU devices...")
# tensorflow/tensorflow#79268 (TF 2.18.0, GPU found afterwards)
FACTORIES = (
    "2024-11-02 01:08:00.536542: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:477]"
    " Unable to register cuFFT factory: Attempting to register factory for plugin cuFFT when"
    " one has already been registered\n"
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "E0000 00:00:1730497080.560232   55183 cuda_dnn.cc:8310] Unable to register cuDNN factory:"
    " Attempting to register factory for plugin cuDNN when one has already been registered\n"
    "E0000 00:00:1730497080.565334   55183 cuda_blas.cc:1418] Unable to register cuBLAS factory:"
    " Attempting to register factory for plugin cuBLAS when one has already been registered")
# tensorflow/tensorflow#66750
NO_DRIVER = ("2024-06-28 00:03:52.493638: I tensorflow/tsl/cuda/cudart_stub.cc:28] Could not find"
             " cuda drivers on your machine, GPU will not be used.")
# tensorflow/tensorflow#62494
NO_DEVICE = ("2023-11-28 16:42:02.738968: E tensorflow/stream_executor/cuda/cuda_driver.cc:328]"
             " failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected")
# tensorflow/tensorflow#97387
JIT = ("W0000 00:00:1753232013.685876   24341 gpu_device.cc:2431] TensorFlow was not built with"
       " CUDA kernel binaries compatible with compute capability 12.0. CUDA kernels will be"
       " jit-compiled from PTX, which could take 30 minutes or longer.")
# tensorflow/tensorflow#39842 (TF 2.2 era wording) and carpedm20/DCGAN-tensorflow#242 (TF 1.x)
OLD_WORDING = ("Loaded runtime CuDNN library: 7.5.0 but source was compiled with: 7.6.5. CuDNN"
               " library major and minor version needs to match",
               "E tensorflow/stream_executor/cuda/cuda_dnn.cc:352] Loaded runtime CuDNN library:"
               " 5005 (compatibility version 5000) but source was compiled with 5110"
               " (compatibility version 5100).  If using a binary install")


def report_of(log: str, gpu: dict[str, Any] | None = None, version: str = "2.18.1"
              ) -> RuntimeReport:
    data: dict[str, Any] = {"version": version, "tf_log": log.splitlines()}
    if gpu is not None:
        data["gpu"] = gpu
    step = StepResult(RuntimeStep.IMPORT_TENSORFLOW, True, 1.0, data=data)
    return RuntimeReport([ProcessOutcome("tensorflow", [step], 0, None, False, "", False, 1.0)],
                         60.0)


def codes(findings: list) -> dict[str, str]:
    return {f.code: f.severity.value for f in findings}


# ---------------------------------------------------------------- the parser, on real log text


def test_cudnn_mismatch_names_both_versions_and_the_fix() -> None:
    [finding] = [f for f in gpu_findings(report_of(CUDNN_91)) if f.code ==
                 "cudnn-version-mismatch"]
    assert finding.severity.value == "error"
    assert "cuDNN 9.1.0 loaded" in finding.title and "cuDNN 9.3.0" in finding.title
    assert '"tensorflow[and-cuda]==2.18.1"' in finding.manual[0]


@pytest.mark.parametrize("text,loaded,built", [
    (CUDNN_91, "9.1.0", "9.3.0"), (OLD_WORDING[0], "7.5.0", "7.6.5"),
    (OLD_WORDING[1], "5005", "5110")])
def test_the_cudnn_pattern_reads_every_era(text: str, loaded: str, built: str) -> None:
    match = LOADED_CUDNN.search(text)
    assert match and (match["loaded"], match["built"]) == (loaded, built)


def test_dlopen_warning_names_the_libraries_and_folds_the_skip_line() -> None:
    found = {f.code: f for f in gpu_findings(report_of(DLOPEN, version="2.15.1"))}
    assert set(found) == {"gpu-libraries-missing"}  # "Skipping ..." is the same warning
    finding = found["gpu-libraries-missing"]
    assert "libcusolver.so.11" in finding.detail
    assert "not loaded: libcusolver.so.11" in finding.evidence
    assert '"tensorflow[and-cuda]==2.15.1"' in finding.manual[0]


def test_a_skip_line_alone_is_its_own_finding() -> None:
    assert codes(gpu_findings(report_of("Skipping registering GPU devices..."))) == {
        "gpu-skipped": "warning"}


def test_factory_duplicates_are_info_and_called_harmless() -> None:
    [finding] = gpu_findings(report_of(FACTORIES))
    assert finding.code == "gpu-duplicate-factories" and finding.severity.value == "info"
    assert "harmless" in finding.title and "cuFFT/cuDNN/cuBLAS" in finding.title
    assert "https://github.com/tensorflow/tensorflow/issues/62075" in finding.detail


@pytest.mark.parametrize("text,code,severity", [
    (NO_DRIVER, "gpu-no-driver", "info"), (NO_DEVICE, "gpu-cuinit-failed", "warning"),
    (JIT, "gpu-compute-capability-jit", "warning")])
def test_other_gpu_lines(text: str, code: str, severity: str) -> None:
    assert codes(gpu_findings(report_of(text))) == {code: severity}


def test_cuinit_status_is_explained() -> None:
    [finding] = gpu_findings(report_of(NO_DEVICE))
    assert "CUDA_ERROR_NO_DEVICE" in finding.title and "CUDA_VISIBLE_DEVICES" in finding.detail


def test_a_cpu_build_without_gpus_says_nothing_about_cuda() -> None:
    gpu = {"gpus": [], "build": {"is_cuda_build": False, "is_rocm_build": False}}
    assert gpu_findings(report_of("", gpu)) == []


def test_gpus_and_build_are_reported() -> None:
    gpu = {"gpus": [{"name": "/physical_device:GPU:0", "device_name": "NVIDIA A100-SXM4-40GB",
                     "compute_capability": "8.0"}],
           "build": {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"},
           "conv": "ok"}
    [finding] = gpu_findings(report_of("", gpu))
    assert finding.code == "runtime-gpu" and finding.severity.value == "info"
    assert "NVIDIA A100-SXM4-40GB (compute 8.0)" in finding.title
    assert "CUDA 12.5.1 / cuDNN 9" in finding.title


def test_a_cuda_build_that_sees_no_gpu_is_info() -> None:
    gpu = {"gpus": [], "build": {"is_cuda_build": True, "cuda_version": "12.5.1",
                                 "cudnn_version": "9"}}
    [finding] = gpu_findings(report_of("", gpu))
    assert (finding.code, finding.severity.value) == ("runtime-gpu", "info")
    assert "sees no GPU" in finding.title


def test_no_log_lines_fall_back_to_the_stderr_tail_of_a_crash() -> None:
    begun = StepResult(RuntimeStep.IMPORT_TENSORFLOW, None)
    outcome = ProcessOutcome("tensorflow", [begun], -6, "SIGABRT", False, CUDNN_91, False, 1.0)
    found = codes(runtime_findings(RuntimeReport([outcome], 60.0)))
    assert found["cudnn-version-mismatch"] == "error" and found["runtime-crash"] == "error"


# ---------------------------------------------------------------- the real runtime subprocess

FAKE_TF = '''
import os as _os
__version__ = "2.18.1"
for _line in {import_lines!r}:
    _os.write(2, (_line + "\\n").encode())


class _Device:
    def __init__(self, name):
        self.name = name


class config:
    class experimental:
        @staticmethod
        def get_device_details(device):
            return {{"device_name": "NVIDIA GeForce RTX 3090", "compute_capability": (8, 6)}}

    @staticmethod
    def list_physical_devices(kind):
        for _line in {probe_lines!r}:
            _os.write(2, (_line + "\\n").encode())
        return [_Device("/physical_device:GPU:%d" % i) for i in range({gpus})]


class sysconfig:
    @staticmethod
    def get_build_info():
        return {{"is_cuda_build": {cuda}, "is_rocm_build": False, "is_tensorrt_build": {cuda},
                **({{"cuda_version": "12.5.1", "cudnn_version": "9",
                    "cuda_compute_capabilities": ["sm_60", "sm_70", "compute_90"]}}
                   if {cuda} else {{}})}}


class _Ctx:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def device(name):
    return _Ctx()


def zeros(shape):
    return shape


class nn:
    @staticmethod
    def conv2d(*args):
        for _line in {conv_lines!r}:
            _os.write(2, (_line + "\\n").encode())
        if {conv_fails}:
            raise RuntimeError("{{{{function_node __wrapped__Conv2D}}}} DNN library"
                               " initialization failed. [Op:Conv2D]\\nmore")
'''


def fake_tf(env: FakeEnv, *, import_lines: tuple[str, ...] = (), probe_lines: tuple[str, ...]
            = (), conv_lines: tuple[str, ...] = (), gpus: int = 0, cuda: bool = True,
            conv_fails: bool = False) -> None:
    source = FAKE_TF.format(import_lines=list(import_lines), probe_lines=list(probe_lines),
                            conv_lines=list(conv_lines), gpus=gpus, cuda=cuda,
                            conv_fails=conv_fails)
    env.add_dist("tensorflow", "2.18.1", files={"tensorflow/__init__.py": source})


def deep(env: FakeEnv, **env_vars: str) -> RuntimeReport:
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return run_runtime_check(env.python, ["tensorflow"], timeout=60, cwd=str(env.root / "work"),
                             env={**environ, **env_vars})


@pytest.fixture
def venv(tmp_path: Path) -> FakeEnv:
    return make_venv(tmp_path)


def test_deep_reads_the_log_tensorflow_writes_to_fd2(venv: FakeEnv) -> None:
    fake_tf(venv, import_lines=(*FACTORIES.splitlines(), NO_DRIVER),
            probe_lines=tuple(DLOPEN.splitlines()))
    report = deep(venv)
    step = report.step(RuntimeStep.IMPORT_TENSORFLOW)
    assert step and step.ok and step.data["gpu"]["gpus"] == []
    assert step.data["gpu"]["build"]["cuda_version"] == "12.5.1"
    assert NO_DRIVER in step.data["tf_log"]
    found = codes(runtime_findings(report))
    assert found["gpu-duplicate-factories"] == "info" and found["gpu-no-driver"] == "info"
    assert found["gpu-libraries-missing"] == "warning" and found["runtime-gpu"] == "info"
    # TensorFlow's INFO lines were captured but not echoed: stderr stays as quiet as before
    tail = report.outcomes[0].stderr_tail
    assert "Cannot dlopen" in tail and "cudart_stub" not in tail


def test_deep_echoes_info_lines_when_the_user_asked_for_them(venv: FakeEnv) -> None:
    fake_tf(venv, import_lines=(NO_DRIVER,))
    report = deep(venv, TF_CPP_MIN_LOG_LEVEL="0")
    assert "cudart_stub" in report.outcomes[0].stderr_tail


def test_deep_on_a_gpu_with_the_wrong_cudnn(venv: FakeEnv) -> None:
    fake_tf(venv, gpus=2, conv_lines=(CUDNN_91.splitlines()[0],), conv_fails=True)
    report = deep(venv)
    gpu = report.step(RuntimeStep.IMPORT_TENSORFLOW).data["gpu"]  # type: ignore[union-attr]
    assert gpu["gpus"][1] == {"name": "/physical_device:GPU:1",
                              "device_name": "NVIDIA GeForce RTX 3090",
                              "compute_capability": "8.6"}
    assert gpu["conv_error"].startswith("RuntimeError: {{function_node")
    found = {f.code: f for f in runtime_findings(report)}
    assert "9.1.0" in found["cudnn-version-mismatch"].title
    assert any("DNN library initialization failed" in e
               for e in found["cudnn-version-mismatch"].evidence)
    assert found["runtime-gpu-op-failed"].severity.value == "error"
    assert "2 GPU(s)" in found["runtime-gpu-op-failed"].title


def test_deep_on_a_working_gpu(venv: FakeEnv) -> None:
    fake_tf(venv, import_lines=tuple(FACTORIES.splitlines()), gpus=1)
    found = {f.code: f for f in runtime_findings(deep(venv))}
    assert {c for c in found if c.startswith(("gpu", "cudnn", "runtime-gpu"))} == {
        "gpu-duplicate-factories", "runtime-gpu"}
    assert "NVIDIA GeForce RTX 3090 (compute 8.6)" in found["runtime-gpu"].title


def test_deep_on_a_cpu_build_says_nothing_about_cuda(venv: FakeEnv) -> None:
    fake_tf(venv, cuda=False)
    report = deep(venv)
    step = report.step(RuntimeStep.IMPORT_TENSORFLOW)
    assert step and step.data["gpu"] == {"gpus": [], "build": {"is_cuda_build": False,
                                                               "is_rocm_build": False}}
    assert not [f for f in runtime_findings(report) if "gpu" in f.code or "cud" in f.code]


def test_a_native_crash_keeps_tensorflows_last_lines(venv: FakeEnv) -> None:
    """fd 2 goes through a separate tee process: lines written just before an abort reach the
    parent."""
    source = textwrap.dedent(f"""
        import os
        os.write(2, {CUDNN_91.splitlines()[0]!r}.encode() + b"\\n")
        os.abort()
    """)
    venv.add_dist("tensorflow", "2.18.1", files={"tensorflow/__init__.py": source})
    report = deep(venv)
    assert report.outcomes[0].signal_name == "SIGABRT"
    found = codes(runtime_findings(report))
    assert found["runtime-crash"] == "error" and found["cudnn-version-mismatch"] == "error"


def test_info_lines_after_the_probe_stay_out_of_the_stderr_tail(venv: FakeEnv) -> None:
    """TF_CPP_MIN_LOG_LEVEL=0 (set for the probe) lasts the whole process: INFO lines logged
    during the Keras steps are filtered too, so a failure's last lines stay visible."""
    fake_tf(venv)
    init = venv.site / "tensorflow" / "__init__.py"
    init.write_text(init.read_text() + textwrap.dedent('''
        def __getattr__(name):
            _os.write(2, b"I0000 00:00:1 device_compiler.h:188] Compiled cluster using XLA!\\n")
            _os.write(2, b"W0000 00:00:1 op_kernel.cc:1] a warning after the probe\\n")
            raise AttributeError(name)
    '''))
    tail = deep(venv).outcomes[0].stderr_tail
    assert "a warning after the probe" in tail and "Compiled cluster" not in tail
