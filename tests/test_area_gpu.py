"""Catalogue area "gpu": TensorFlow and an NVIDIA GPU (cuDNN, the CUDA libraries, the driver,
CUDA_VISIBLE_DEVICES, the GPU's generation).

Messages are quoted from the public threads each signature records (tests/corpus/part-e-gpu.json
holds more); the causes are judged against real scans of fabricated environments carrying
TensorFlow's real and-cuda pins (kerasfix.knowledge.cuda, read from the committed metadata)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.explain import CONFIRMED, RULED_OUT, UNKNOWN, diagnose, explain_text
from kerasfix.knowledge import cuda

CUDNN_MISMATCH = (  # tensorflow/tensorflow#60913
    "E0000 00:00:1738697930.202924    7665 cuda_dnn.cc:522] Loaded runtime CuDNN library: 9.1.0"
    " but source was compiled with: 9.3.0.  CuDNN library needs to have matching major version"
    " and equal or higher minor version.")
DLOPEN = (  # tensorflow/tensorflow#60646
    "W tensorflow/core/common_runtime/gpu/gpu_device.cc:1956] Cannot dlopen some GPU libraries."
    " Please make sure the missing libraries mentioned above are installed properly if you would"
    " like to use GPU. Follow the guide at https://www.tensorflow.org/install/gpu for how to"
    " download and setup the required libraries for your platform.\nSkipping registering GPU"
    " devices...\n[]")
NO_DRIVER = ("2024-06-28 00:03:52.493638: I tensorflow/tsl/cuda/cudart_stub.cc:28] Could not find"
             " cuda drivers on your machine, GPU will not be used.")  # tensorflow/tensorflow#66750
FACTORY = ("E0000 00:00:1730497080.560232   55183 cuda_dnn.cc:8310] Unable to register cuDNN"
           " factory: Attempting to register factory for plugin cuDNN when one has already been"
           " registered")  # tensorflow/tensorflow#79268


@pytest.mark.parametrize("text,signature,first", [
    (CUDNN_MISMATCH, "cudnn-version-mismatch", "cudnn-mismatch"),
    ("Loaded runtime CuDNN library: 7005 (compatibility version 7000) but source was compiled"
     " with 7101 (compatibility version 7100)", "cudnn-version-mismatch", "cudnn-mismatch"),
    ("Node: 'residual_unet/conv2d/Conv2D'\nDNN library is not found.", "dnn-library-not-found",
     "cudnn-mismatch"),
    (DLOPEN, "gpu-libraries-dlopen", "cuda-libraries-missing"),
    ("W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic"
     " library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such"
     " file or directory; LD_LIBRARY_PATH: /usr/local/cuda/lib64", "cuda-library-not-loaded",
     "cuda-libraries-missing"),
    ("ImportError: libcudnn.so.7: cannot open shared object file: No such file or directory",
     "cuda-library-not-loaded", "cuda-libraries-missing"),
    (f"{NO_DRIVER}\nNum GPUs Available:  0", "no-cuda-driver-gpu-expected",
     "nvidia-driver-missing"),
    (f">>> print(tf.config.list_physical_devices('GPU'))\n{NO_DRIVER}\n[]",
     "no-cuda-driver-gpu-expected", "nvidia-driver-missing"),
    ("E tensorflow/stream_executor/cuda/cuda_driver.cc:328] failed call to cuInit:"
     " CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected", "cuinit-no-device",
     "cuda-visible-devices-hides-gpus"),
    ("cuda_driver.cc:318] failed call to cuInit: CUDA_ERROR_UNKNOWN: unknown error",
     "cuinit-unknown", "nvidia-driver-not-initialised"),
    ("Failed to initialize CUDA device #105: CUDA driver version is insufficient for CUDA"
     " runtime version", "cuda-driver-insufficient", "nvidia-driver-too-old"),
    ("no kernel image is available for execution on the device", "gpu-arch-not-in-build",
     "gpu-arch-unsupported"),
    ("W0000 00:00:1753232013.685876   24341 gpu_device.cc:2431] TensorFlow was not built with"
     " CUDA kernel binaries compatible with compute capability 12.0. CUDA kernels will be"
     " jit-compiled from PTX, which could take 30 minutes or longer.", "gpu-arch-not-in-build",
     "gpu-arch-unsupported"),
])
def test_gpu_messages(text: str, signature: str, first: str) -> None:
    explanation = explain_text(text)
    assert signature in [m.signature.id for m in explanation.matches]
    assert explanation.causes[0].id == first


def test_start_up_lines_alone_stay_notes() -> None:
    """On a machine without a GPU these lines are normal: only a sign that a GPU was expected
    (no GPU listed) makes the driver line a cause."""
    explanation = explain_text(f"{NO_DRIVER}\n{FACTORY}")
    assert explanation.causes == () and explanation.notes


def test_the_driver_line_needs_the_gpu_check_after_it() -> None:
    assert explain_text(f"Num GPUs Available:  0\n{NO_DRIVER}").causes == ()


def test_the_no_gpu_lookahead_is_bounded() -> None:
    """Thousands of repeated driver lines (a pasted log of a loop) with no GPU check: each
    occurrence looks ahead a bounded distance, so explain stays linear."""
    code = ("from kerasfix.diagnose.explain import explain_text\n"
            f"line = {NO_DRIVER!r} + '\\n'\n"
            "explain_text(line * 20000 + '[x]\\n' * 20000)\n"
            "explain_text(\"list_physical_devices('GPU')\\n\" * 50000)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------- against a scan


def _and_cuda(fake: FakeEnv, tf: str, **moved: str) -> None:
    """The nvidia-* wheels of TensorFlow's real and-cuda extra, at its pins unless moved."""
    pins = cuda.and_cuda_pins(tf)
    assert pins
    for name, spec in pins.items():
        version = moved.get(name) or str(cuda.wanted_version(spec))
        fake.simple(name, version)


def _verdicts(fake: FakeEnv, text: str) -> dict[str, object]:
    return {v.cause.id: v for v in diagnose(explain_text(text), fake.scan()).verdicts}


def test_cudnn_moved_by_another_framework_is_the_cause(fake: FakeEnv) -> None:
    fake.healthy("2.18.1", dist="tensorflow")
    _and_cuda(fake, "2.18.1", **{"nvidia-cudnn-cu12": "9.1.0.70"})
    verdict = _verdicts(fake, CUDNN_MISMATCH)["cudnn-mismatch"]
    assert verdict.status == CONFIRMED and verdict.is_the_cause  # type: ignore[attr-defined]
    assert any("nvidia-cudnn-cu12" in e for e in verdict.evidence)  # type: ignore[attr-defined]


def test_cudnn_at_tensorflows_pin_is_not_confirmed(fake: FakeEnv) -> None:
    fake.healthy("2.18.1", dist="tensorflow")
    _and_cuda(fake, "2.18.1")
    verdict = _verdicts(fake, CUDNN_MISMATCH)["cudnn-mismatch"]
    assert verdict.status == UNKNOWN  # type: ignore[attr-defined]


def test_a_gpu_build_without_its_cuda_wheels(fake: FakeEnv) -> None:
    fake.healthy("2.18.1", dist="tensorflow")
    verdict = _verdicts(fake, DLOPEN)["cuda-libraries-missing"]
    assert verdict.status == CONFIRMED  # type: ignore[attr-defined]
    assert "and-cuda" in verdict.evidence[0]  # type: ignore[attr-defined]


def test_a_cpu_build_rules_out_cuda_libraries_and_is_the_cause_of_no_gpu(fake: FakeEnv
                                                                         ) -> None:
    fake.healthy("2.18.1", dist="tensorflow-cpu")
    verdicts = _verdicts(fake, DLOPEN)
    assert verdicts["cuda-libraries-missing"].status == RULED_OUT  # type: ignore[attr-defined]
    assert verdicts["cudnn-mismatch"].status == RULED_OUT  # type: ignore[attr-defined]
    no_gpu = _verdicts(fake, f"{NO_DRIVER}\nNum GPUs Available:  0")
    cpu_only = no_gpu["tensorflow-cpu-only-build"]
    assert cpu_only.status == CONFIRMED  # type: ignore[attr-defined]
    assert "CPU-only" in cpu_only.evidence[0]  # type: ignore[attr-defined]


def test_a_gpu_build_on_linux_is_not_a_cpu_only_build(fake: FakeEnv) -> None:
    fake.healthy("2.18.1", dist="tensorflow")
    _and_cuda(fake, "2.18.1")
    verdict = _verdicts(fake, f"{NO_DRIVER}\nNum GPUs Available:  0")
    assert verdict["tensorflow-cpu-only-build"].status == RULED_OUT  # type: ignore[attr-defined]
