"""A real CUDA wheel beside real TensorFlow (issue 14): the GPU build `tensorflow` 2.18.1 with
one small real nvidia-*-cu12 wheel at TF 2.17's pin is flagged by name with the version 2.18.1
pins and who left it; at 2.18.1's own pin, no mismatch is raised. No GPU is needed: this is the
metadata half, read from the installed dist-infos as pip leaves them."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator

import pytest
from realenv import BaseEnv, RealEnv, codes, scenario_env

from kerasfix.knowledge import cuda

pytestmark = [
    pytest.mark.realtf,
    pytest.mark.skipif(not (sys.platform.startswith("linux")
                            and platform.machine() in ("x86_64", "AMD64")),
                       reason="uses tensorflow and nvidia-*-cu12 wheels for Linux x86_64"),
]

RUNTIME = "nvidia-cuda-runtime-cu12"  # about 1 MB: the smallest wheel of the and-cuda extra


def pinned(tf: str) -> str:
    spec = (cuda.and_cuda_pins(tf) or {})[RUNTIME]
    return str(cuda.wanted_version(spec))


@pytest.fixture(scope="module")
def gpu_build(tf218: BaseEnv) -> Iterator[RealEnv]:
    """tensorflow-cpu swapped for the GPU build `tensorflow` 2.18.1 (no CUDA wheels yet)."""
    env = scenario_env(tf218, "gpu")
    try:
        wheel = env.cached_wheel("tensorflow==2.18.1")
        env.pip("uninstall", "-y", "tensorflow-cpu")
        env.pip("install", "--no-deps", "--no-index", "--find-links", str(wheel.parent),
                "tensorflow==2.18.1")
        yield env
    finally:
        env.remove()


def test_a_cuda_runtime_from_another_release_is_named(gpu_build: RealEnv) -> None:
    env = gpu_build
    assert "cuda-wheels-mismatch" not in codes(env.scan())  # no CUDA wheels: a CPU install
    old, new = pinned("2.17.1"), pinned("2.18.1")
    assert old != new
    env.pip("install", "--no-deps", f"{RUNTIME}=={old}")
    finding = next(f for f in env.scan().findings if f.code == "cuda-wheels-mismatch")
    assert RUNTIME in finding.title and old in finding.title and new in finding.title
    assert any("2.17.1" in e for e in finding.evidence), finding.evidence  # who left it
    env.pip("install", "--no-deps", f"{RUNTIME}=={new}")
    after = codes(env.scan())
    assert "cuda-wheels-mismatch" not in after and "cuda-major-mismatch" not in after
