"""Helpers shared by the app's Pilot tests (tests/test_tui.py) and its SVG snapshots
(tests/test_tui_snapshots.py).

Deterministic snapshots: what differs between runs or machines never reaches the screen.
- Paths: the environments live under one fixed folder, `SNAP_ROOT` (held with a lock, so two
  runs on one machine take turns), so every path on screen is the same on every run.
- The interpreter's own install (stdlib entries of sys.path) differs between machines:
  `stable_scanner` shows it under `STDLIB_SHOWN`, through the app's own `scanner` option.
- Python's patch level and pip's version: `Display.machine_facts = False`, the documented
  test hook in kerasfix/tui/widgets.py.
- Time, snapshot ids, the user and step durations: `freeze_fix_clock` fixes them where the
  fix engine takes them (state.now, state.who, the run id, the runner's clock).
- pip: no user or site config, no root-user warning, no version check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.scan import ScanResult, scan
from kerasfix.fix.planner import FixOptions
from kerasfix.inspect.target import Target
from kerasfix.tui.app import KerasfixApp
from kerasfix.tui.fix_screen import FixScreen
from kerasfix.tui.scan_screen import ScanScreen
from kerasfix.tui.settings import AppSettings, Scanner

SNAP_ROOT = Path("/tmp/kerasfix-tui-snapshots")
STDLIB_SHOWN = "/opt/python"  # what snapshots show for the interpreter's base prefix
FROZEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

T = TypeVar("T")


def clean_environ(env: FakeEnv) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONPATH")}
    clean["HOME"] = str(env.root / "home")
    return clean


def make_app(env: FakeEnv, wheels: Path, *, dry_run: bool = False,
             find_links: Path | None = None,
             wrap: Callable[[ScanResult], ScanResult] | None = None) -> KerasfixApp:
    """The app on a fabricated environment, scanned from its own work folder with a clean
    environment; fixes install offline from `find_links` (default: `wheels`)."""
    clean = clean_environ(env)
    target = Target(env.python, "--python")

    def scanner(deep: bool = False) -> ScanResult:
        result = scan(target, deep=deep, cwd=str(env.root / "work"), env=clean)
        return wrap(result) if wrap else result

    typed: Scanner = scanner
    return KerasfixApp(
        target,
        settings=AppSettings(dry_run=dry_run, verify_deep=False, fix_options=FixOptions(
            find_links=(str(find_links or wheels),), no_index=True)),
        scanner=typed)


def stable_result(result: ScanResult) -> ScanResult:
    """The scan as snapshots show it: sys.path entries inside the interpreter's own install
    (stdlib, lib-dynload) under STDLIB_SHOWN, whatever the machine's Python lives in. Display
    only: fixes plan from the environment's own entries, which are left alone."""
    inv = result.inventory
    base = inv.interpreter.base_prefix.rstrip("/")
    entries = [dataclasses.replace(e, path=STDLIB_SHOWN + e.path[len(base):])
               if e.origin == "stdlib" and e.path.startswith(base + "/") else e
               for e in inv.path_entries]
    inv.path_entries[:] = entries
    return result


def freeze_fix_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time, run ids, the user and step durations, fixed where the fix engine takes them."""
    from kerasfix.fix import plan, runner, state

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Frozen:
            return cls.fromtimestamp(FROZEN.timestamp(), tz)

    monkeypatch.setattr(plan, "dt", SimpleNamespace(datetime=Frozen, timezone=dt.timezone))
    monkeypatch.setattr(plan, "secrets", SimpleNamespace(token_hex=lambda n: "0" * (2 * n)))
    monkeypatch.setattr(state, "now", lambda: FROZEN.isoformat(timespec="seconds"))
    monkeypatch.setattr(state, "who", lambda: "tester")
    monkeypatch.setattr(runner, "time", SimpleNamespace(monotonic=lambda: 0.0))


def quiet_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip's output the same for every user on every machine."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_ROOT_USER_ACTION", "ignore")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_NO_INPUT", "1")
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        monkeypatch.delenv(key, raising=False)


async def wait_for(pilot: Any, predicate: Callable[[], object], timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


def scan_screen(app: KerasfixApp) -> ScanScreen:
    return next(s for s in app.screen_stack if isinstance(s, ScanScreen))


async def open_preview(pilot: Any, app: KerasfixApp) -> FixScreen:
    """Wait for the scan, open the fix wizard, take the recommended strategy, wait for pip."""
    await wait_for(pilot, lambda: scan_screen(app).result is not None)
    await pilot.press("x", "enter")
    fix = app.screen
    assert isinstance(fix, FixScreen)
    await wait_for(pilot, lambda: fix.preview is not None)
    return fix


async def open_from_scan(pilot: Any, app: KerasfixApp, key: str, screen_type: type[T]) -> T:
    """Wait for the first scan, press `key`, and return the screen it opened."""
    await wait_for(pilot, lambda: scan_screen(app).result is not None)
    await pilot.press(key)
    screen = app.screen
    assert isinstance(screen, screen_type)
    return screen
