"""Plans for TensorFlow's CUDA wheels (issue 14): repair realigns them to TensorFlow's own
`and-cuda` pins in the call that holds TensorFlow, says whose pins that breaks, and fresh-venv
keeps each framework in its own environment. Fabricated environments with real metadata."""

from __future__ import annotations

import platform

import pytest
from fakeenv import FakeEnv
from test_gpu_static import CUDNN, install, install_and_cuda, install_torch

from kerasfix.diagnose.findings import Strategy
from kerasfix.fix import planner
from kerasfix.fix.plan import StepKind
from kerasfix.knowledge import cuda

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64",
                                reason="the CUDA wheels are pinned for Linux x86_64")


def align(plan) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return next(s.argv for s in plan.steps if s.kind is StepKind.PIP_INSTALL
                and s.title.startswith("Align"))


def test_moved_cudnn_is_realigned_with_the_extra(fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.18.1")
    install(fake, CUDNN, "8.9.7.29")  # as TF 2.17's extra leaves it
    result = fake.scan()
    assert planner.recommend(result) is Strategy.REPAIR
    plan = planner.build_plan(result, Strategy.REPAIR, planner.FixOptions())
    assert "tensorflow[and-cuda]==2.18.1" in align(plan)
    assert not [n for n in plan.notes if "breaks it" in n]


def test_the_framework_that_moved_it_is_named_in_the_plan(fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.18.1")
    install_torch(fake)  # torch 2.5.1 pins nvidia-cudnn-cu12==9.1.0.70
    plan = planner.build_plan(fake.scan(), Strategy.REPAIR, planner.FixOptions())
    assert "tensorflow[and-cuda]==2.18.1" in align(plan)
    note = next(n for n in plan.notes if n.startswith("torch 2.5.1 requires " + CUDNN))
    assert "==9.1.0.70" in note and "==9.3.0.75" in note and "fresh-venv" in note


def test_fresh_venv_keeps_torch_in_its_own_environment(fake: FakeEnv, tmp_path) -> None:
    install_and_cuda(fake, "2.18.1")
    install_torch(fake)
    torch = next(fake.site.glob("torch-*.dist-info"))
    (torch / "REQUESTED").write_text("")
    plan = planner.build_plan(fake.scan(), Strategy.FRESH_VENV, planner.FixOptions(
        venv_path=str(tmp_path / "new"), carry_over=True))
    install_step = next(s for s in plan.steps if s.kind is StepKind.PIP_INSTALL)
    assert any(a.startswith("tensorflow[and-cuda]") for a in install_step.argv)
    assert not any(a.startswith("torch") for a in install_step.argv)
    assert any(n.startswith("not carried over: torch 2.5.1") for n in plan.notes)


def test_other_major_wheels_nobody_needs_are_uninstalled(fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.18.1")
    install(fake, "nvidia-cudnn-cu11", "8.6.0.163")  # TF 2.13's CUDA 11 wheels, left behind
    plan = planner.build_plan(fake.scan(), Strategy.REPAIR, planner.FixOptions())
    removal = next(s for s in plan.steps if s.kind is StepKind.PIP_UNINSTALL)
    assert removal.packages == ("nvidia-cudnn-cu11",)
    assert "tensorflow[and-cuda]==2.18.1" in align(plan)


def test_exact_pins_plan_nothing_for_cuda(fake: FakeEnv) -> None:
    install_and_cuda(fake, "2.18.1")
    result = fake.scan()
    assert not {f.code for f in result.findings} & planner.CUDA_CODES
    assert cuda.and_cuda_pins("2.18.1")  # the metadata the plan would read is there
