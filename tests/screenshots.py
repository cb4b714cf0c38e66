"""`make screenshots`: the real app on the real broken demo environment, saved as SVG.

scan, strategy choice, dry-run preview and audit, a real run with verification (then undone, so
the demo stays broken for the next person).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import demo

from kerasfix.diagnose.scan import scan
from kerasfix.inspect.target import Target
from kerasfix.tui.app import KerasfixApp
from kerasfix.tui.settings import AppSettings

OUT = demo.ROOT / "screenshots"
SIZE = (120, 40)


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 300) -> None:  # type: ignore
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise SystemExit("screenshots: timed out waiting for the app")
        await pilot.pause(0.1)


def app_for(python: Path, *, dry_run: bool) -> KerasfixApp:
    target = Target(str(python), "--python")
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS",
                                                            "KERAS_BACKEND")}
    return KerasfixApp(target, settings=AppSettings(dry_run=dry_run),
                       scanner=lambda deep=False: scan(target, deep=deep,
                                                       cwd=str(demo.project()), env=env))


def save(app: KerasfixApp, name: str) -> None:
    app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"screenshots/{name}.svg", flush=True)


async def audit_shots(python: Path) -> None:
    app = app_for(python, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        scan_screen = app.screen
        await wait_for(pilot, lambda: getattr(scan_screen, "result", None) is not None)
        await pilot.pause(0.5)
        save(app, "scan")
        await pilot.press("x")
        await pilot.pause(0.5)
        save(app, "strategy")
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "preview", None) is not None)
        await pilot.pause(0.5)
        save(app, "dry-run-preview")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: getattr(app.screen, "phase", "") == "verify")
        await pilot.pause(0.5)
        save(app, "dry-run-audit")
    for report in demo.project().glob("kerasfix-audit-*.md"):
        report.unlink()


async def fix_shots(python: Path) -> None:
    app = app_for(python, dry_run=False)
    async with app.run_test(size=SIZE) as pilot:
        scan_screen = app.screen
        await wait_for(pilot, lambda: getattr(scan_screen, "result", None) is not None)
        await pilot.press("x", "enter")
        fix = app.screen
        await wait_for(pilot, lambda: getattr(fix, "preview", None) is not None)
        await pilot.pause(0.3)
        save(app, "preview")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: fix.phase == "run")
        await wait_for(pilot, lambda: fix.run_result is not None
                       or len(fix.query_one("#log").lines) > 8)
        save(app, "run")
        await wait_for(pilot, lambda: fix.phase == "verify" and "Undo" in str(
            fix.query_one("#verify-body").render()), timeout=600)
        await pilot.pause(0.5)
        save(app, "verify")


GPU = demo.DEMO / "gpu"
RUNTIME = "nvidia-cuda-runtime-cu12"


def gpu_env() -> Path:
    """The GPU build `tensorflow` 2.18.1 with its CUDA runtime wheel at 2.17.1's pin, as the
    other release's `[and-cuda]` leaves it (real packages; no GPU needed to see the finding)."""
    from kerasfix.fix.installers import find_uv
    from kerasfix.knowledge import cuda

    py = GPU / "venv" / "bin" / "python"
    if not py.exists():
        uv = find_uv()
        old = cuda.wanted_version((cuda.and_cuda_pins("2.17.1") or {})[RUNTIME])
        wheels = demo.ROOT / ".cache" / "realtf" / "wheels"  # the test tier's, when there
        links = ["--find-links", str(wheels)] if wheels.is_dir() else []
        if uv:
            demo.run(uv, "venv", "-q", "--python", demo.PYTHON, str(GPU / "venv"))
            demo.run(uv, "pip", "install", "-q", "--python", str(py), *links,
                     "tensorflow==2.18.1", f"{RUNTIME}=={old}")
        else:
            demo.run(demo.PYTHON, "-m", "venv", str(GPU / "venv"))
            demo.run(str(py), "-m", "pip", "install", "-q", *links, "tensorflow==2.18.1",
                     f"{RUNTIME}=={old}")
    (GPU / "project").mkdir(exist_ok=True)
    (GPU / "project" / "requirements.txt").write_text("tensorflow[and-cuda]==2.18.1\n")
    return py


async def gpu_shot(python: Path) -> None:
    target = Target(str(python), "--python")
    app = KerasfixApp(target, settings=AppSettings(dry_run=True),
                      scanner=lambda deep=False: scan(target, deep=deep,
                                                      cwd=str(GPU / "project")))
    async with app.run_test(size=SIZE) as pilot:
        scan_screen = app.screen
        await wait_for(pilot, lambda: getattr(scan_screen, "result", None) is not None)
        await pilot.pause(0.5)
        save(app, "gpu")


def main() -> int:
    if "--gpu" in sys.argv:  # only the GPU finding's screenshot
        asyncio.run(gpu_shot(gpu_env()))
        return 0
    python = demo.build()
    OUT.mkdir(exist_ok=True)
    asyncio.run(gpu_shot(gpu_env()))
    asyncio.run(audit_shots(python))
    asyncio.run(fix_shots(python))
    # Put the demo back the way users break it, for the next `make demo`.
    subprocess.run([sys.executable, "-m", "kerasfix", "undo", "--yes", "--python", str(python)],
                   check=False, capture_output=True)
    demo.rebreak()
    shutil.rmtree(demo.project() / "__pycache__", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
