"""An SVG snapshot of every screen and state of the app that matters, each deterministic.

The environments are built once per module under tuikit.SNAP_ROOT, a fixed folder (a lock
makes two runs on one machine take turns), so every path on screen is the same on every run;
tuikit explains how the rest (time, ids, durations, the user, Python's patch level, pip's
version, the interpreter's own install) is kept off the screen. Each test first asserts that
the screen shows what the snapshot claims, so a blank or wrong screen cannot be accepted.

Regenerate: .venv/bin/python -m pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import fcntl
import html
import re
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakeenv import FakeEnv, build_wheel, make_venv
from fakeenv import pip_offline as pip
from textual import events
from textual.widgets import Button, Input, TextArea, Tree
from tuikit import (
    SNAP_ROOT,
    freeze_fix_clock,
    make_app,
    open_from_scan,
    open_preview,
    quiet_pip,
    scan_screen,
    stable_result,
    wait_for,
)

from kerasfix.tui.app import KerasfixApp
from kerasfix.tui.env_picker import EnvPickerScreen
from kerasfix.tui.explain_screen import ExplainScreen
from kerasfix.tui.fix_screen import FixScreen
from kerasfix.tui.help_screen import HelpScreen
from kerasfix.tui.undo_screen import UndoScreen
from kerasfix.tui.widgets import DetailPane, Display

SIZE = (120, 40)
PASTED = ("Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n"
          "    import tf_keras\nAttributeError: module 'tensorflow._api.v2.compat.v2.__internal__'"
          " has no attribute 'register_load_context_function'\n")


@dataclass
class Envs:
    root: Path
    wheels: Path  # the wheelhouse, copied under the fixed root (previews show its path)
    bad_wheels: Path  # the same, but tf-keras 2.18.0 cannot be installed
    scan: FakeEnv  # read-only screens share it: tensorflow-cpu 2.18.1, tf-keras 2.15.0, ~f_keras
    other: FakeEnv  # a second environment for the picker: Keras 3 under TF 2.14
    template: Path  # an empty venv with pip, copied for each environment a fix changes


@pytest.fixture(scope="module")
def envs(wheelhouse: Path) -> Iterator[Envs]:
    SNAP_ROOT.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{SNAP_ROOT}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run of this file on this machine waits
        shutil.rmtree(SNAP_ROOT, ignore_errors=True)
        SNAP_ROOT.mkdir(mode=0o700)
        try:
            yield _build(wheelhouse)
        finally:
            shutil.rmtree(SNAP_ROOT, ignore_errors=True)


def _build(wheelhouse: Path) -> Envs:
    wheels = SNAP_ROOT / "wheels"
    shutil.copytree(wheelhouse, wheels)
    bad = SNAP_ROOT / "bad-wheels"
    shutil.copytree(wheelhouse, bad)
    (bad / "tf_keras-2.18.0-py3-none-any.whl").unlink()
    # pip's dry run reads only the metadata; the install refuses a file outside site-packages
    build_wheel(bad, "tf-keras", "2.18.0", {"tf_keras/__init__.py": '__version__ = "2.18.0"',
                                            "../../../../escape.py": ""},
                ["tensorflow<2.19,>=2.18"])
    scan_env = _broken(make_venv(SNAP_ROOT / "scan"), wheels)
    other = make_venv(SNAP_ROOT / "other")
    other.tensorflow("2.14.1")
    other.keras("3.3.3")
    template = make_venv(SNAP_ROOT / "template", with_pip=True)
    _slim(template)
    return Envs(SNAP_ROOT, wheels, bad, scan_env, other, template.root)


def _slim(env: FakeEnv) -> None:
    """Only pip is needed (ensurepip adds setuptools on older Pythons); no bytecode: fewer
    files to copy for each environment and to remove at the end."""
    for pattern in ("setuptools*", "_distutils_hack", "distutils-precedence.pth",
                    "pkg_resources"):
        for found in env.site.glob(pattern):
            shutil.rmtree(found) if found.is_dir() else found.unlink()
    for cache in list(env.site.rglob("__pycache__")):
        shutil.rmtree(cache)


def _broken(env: FakeEnv, wheels: Path) -> FakeEnv:
    """tensorflow-cpu 2.18.1 with tf-keras 2.15.0 (no TF pin) and a pip leftover: S5 + S16."""
    pip(env, wheels, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheels, "install", "--no-deps", "tf-keras==2.15.0")
    (env.site / "~f_keras").mkdir()
    return env


def fix_env(envs: Envs, name: str) -> FakeEnv:
    """A broken environment of its own, with pip (previews then name only its interpreter)."""
    root = envs.root / name
    shutil.copytree(envs.template, root, symlinks=True)
    site = next((root / "venv" / "lib").glob("python3*/site-packages"))
    return _broken(FakeEnv(root=root, python=str(root / "venv" / "bin" / "python"),
                           site=site), envs.wheels)


@pytest.fixture(autouse=True)
def _stable(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(SNAP_ROOT / "state" / request.node.name))
    monkeypatch.setattr(Display, "machine_facts", False)
    freeze_fix_clock(monkeypatch)
    quiet_pip(monkeypatch)


def app_on(env: FakeEnv, envs: Envs, **kw: Any) -> KerasfixApp:
    return make_app(env, envs.wheels, wrap=stable_result, **kw)


def screen_text(app: KerasfixApp) -> str:
    """The text of the screen as the snapshot shows it, row by row."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text [^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append(
            (float(m.group(1)), html.unescape(m.group(3)).replace("\xa0", " ")))
    return "\n".join("".join(t for _, t in sorted(row)) for _, row in sorted(rows.items()))


def shows(app: KerasfixApp, *words: str) -> None:
    text = screen_text(app)
    missing = [w for w in words if w not in text]
    assert not missing, f"not on screen: {missing}\n{text}"


def no_blink(app: KerasfixApp) -> None:
    """A blinking cursor would make the snapshot depend on timing."""
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


Before = Callable[[Any], Awaitable[None]]


def snapshot(snap_compare: Any, app: KerasfixApp, steps: Before,
             taken: Callable[[], None] | None = None) -> None:
    """Run `steps`, check the app got there, compare the screen with the stored SVG.
    `taken` runs right after the screenshot (before the app exits)."""
    reached: list[bool] = []

    async def run_before(pilot: Any) -> None:
        await steps(pilot)
        no_blink(app)
        await pilot.pause()
        reached.append(True)
        if taken is not None:
            export = app.export_screenshot

            def export_then(**kw: Any) -> str:
                svg = export(**kw)
                taken()
                return svg
            app.export_screenshot = export_then  # type: ignore[method-assign]

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    assert reached, "the steps before the snapshot did not complete"


async def scanned(pilot: Any) -> None:
    await wait_for(pilot, lambda: scan_screen(pilot.app).result is not None)
    await pilot.pause()


# ---------------------------------------------------------------- scan screen


def test_scan(snap_compare: Any, envs: Envs) -> None:
    """The tree with the findings on top; the first error selected and explained."""
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        await scanned(pilot)
        node = app.screen.query_one("#env-tree", Tree).cursor_node
        assert node is not None and node.data is not None and node.data.kind == "finding"
        shows(app, "Findings (2)", "✗ tf-keras 2.15.0 does not match TensorFlow 2.18.1",
              "sys.path (import order)", "[1] stdlib: /opt/python/lib/", "severity", "error",
              "tf-keras-minor-mismatch", "Python 3.", "pip none")
    snapshot(snap_compare, app, steps)


def test_filter_problems_only(snap_compare: Any, envs: Envs) -> None:
    """`f`: only what is wrong (healthy distributions and stdlib entries hidden)."""
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        await scanned(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert scan_screen(app).problems_only
        shows(app, "Showing problems only", "✗ tensorflow-cpu 2.18.1", "✗ tf-keras 2.15.0")
        text = screen_text(app)
        assert "numpy 2.0.2" not in text and "stdlib:" not in text
    snapshot(snap_compare, app, steps)


def test_search(snap_compare: Any, envs: Envs) -> None:
    """`/` and a query typed: the tree keeps what matches."""
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        await scanned(pilot)
        await pilot.press("slash", *"numpy")
        await pilot.pause()
        assert scan_screen(app).search_text == "numpy"
        shows(app, "numpy", "numpy 2.0.2")
        assert "tensorflow-io-gcs-filesystem" not in screen_text(app)
    snapshot(snap_compare, app, steps)


def test_detail_of_a_finding(snap_compare: Any, envs: Envs) -> None:
    """The second finding (a warning) selected with the keys: the detail pane explains it."""
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        await scanned(pilot)
        await pilot.press("down")
        await pilot.pause()
        node = app.screen.query_one("#env-tree", Tree).cursor_node
        assert node is not None and node.data is not None and node.data.finding is not None
        assert node.data.finding.severity.value == "warning"
        assert "~f_keras" in app.screen.query_one("#detail", DetailPane).plain
        shows(app, "leftover folder", "warning", "~f_keras")
    snapshot(snap_compare, app, steps)


def test_dry_run_banner(snap_compare: Any, envs: Envs) -> None:
    """--dry-run: the banner on the first screen."""
    app = app_on(envs.scan, envs, dry_run=True)

    async def steps(pilot: Any) -> None:
        await scanned(pilot)
        shows(app, " DRY RUN ", "Findings (2)")
    snapshot(snap_compare, app, steps)


def test_help(snap_compare: Any, envs: Envs) -> None:
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        await scanned(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        shows(app, "fix wizard: strategy → preview → confirm → run → verify",
              "Esc closes this help.", "light / dark theme")
    snapshot(snap_compare, app, steps)


def test_explain_paste(snap_compare: Any, envs: Envs) -> None:
    """`p`, a real traceback pasted, ctrl+e: the cause, checked against this scan."""
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        screen = await open_from_scan(pilot, app, "p", ExplainScreen)
        await pilot.pause()
        app.post_message(events.Paste(PASTED))  # as the terminal delivers a paste
        await wait_for(pilot, lambda: "register_load_context_function" in
                       screen.query_one("#paste", TextArea).text)
        assert screen.query_one("#paste", TextArea).text == PASTED
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert "holds here" in screen.plain and "tf-keras" in screen.plain
        shows(app, "holds here", "register_load_context_function")
    snapshot(snap_compare, app, steps)


def test_environment_picker(snap_compare: Any, envs: Envs,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`e`: the environment the app is open on first, then what discovery found, scanned."""
    from kerasfix.inspect.discovery import DiscoveryResult, FoundEnv
    from kerasfix.tui import env_picker

    found = [FoundEnv(envs.other.python, str(envs.other.root / "venv"), ("venv under ~",),
                      name="other", kind="venv")]
    monkeypatch.setattr(env_picker, "discover", lambda _roots: DiscoveryResult(found, []))
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        picker = await open_from_scan(pilot, app, "e", EnvPickerScreen)
        await wait_for(pilot, lambda: "need attention" in str(
            picker.query_one("#picker-status").render()))
        await pilot.pause()
        shows(app, "2 environments, 2 need attention", "found by: open in kerasfix",
              "venv under ~", "2.14.1", "3.3.3", "2.18.1", "2.15.0", "error: tf-keras 2.15.0 does"
              " not match TensorFlow 2.18.1")
    snapshot(snap_compare, app, steps)


# ---------------------------------------------------------------- fix wizard and undo
# These drive FixScreen and UndoScreen through keys, clicks and public state only.


def test_strategy_list(snap_compare: Any, envs: Envs) -> None:
    app = app_on(envs.scan, envs)

    async def steps(pilot: Any) -> None:
        fix = await open_from_scan(pilot, app, "x", FixScreen)
        await pilot.pause()
        assert fix.phase == "choose"
        shows(app, "1 Choose a strategy", "★ recommended", "repair", "legacy", "upgrade",
              "fresh-venv")
    snapshot(snap_compare, app, steps)


def test_preview(snap_compare: Any, envs: Envs) -> None:
    """The recommended plan as pip resolves it, Run enabled."""
    app = app_on(fix_env(envs, "preview"), envs)

    async def steps(pilot: Any) -> None:
        fix = await open_preview(pilot, app)
        await pilot.pause()
        assert not fix.query_one("#confirm", Button).disabled
        shows(app, "2 Preview", "tf-keras~=2.18.0", "move aside", "Run 2 steps")
    snapshot(snap_compare, app, steps)


def test_run_in_progress(snap_compare: Any, envs: Envs,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The run, held before its second step: step 1 done and logged, step 2 announced."""
    from kerasfix.fix import runner

    release = threading.Event()
    original = runner._run_step

    def held(step: Any, index: int, *args: Any) -> tuple[int, str]:
        if index == 1:
            release.wait(60)
            return 1, "stopped by the test"  # the app is gone: run nothing more
        return original(step, index, *args)

    monkeypatch.setattr(runner, "_run_step", held)
    app = app_on(fix_env(envs, "running"), envs)

    async def steps(pilot: Any) -> None:
        fix = await open_preview(pilot, app)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: "Step 2" in str(fix.query_one("#run-step").render()))
        await pilot.pause()
        assert fix.phase == "run" and fix.run_result is None
        shows(app, "3 Running", "Step 2: Install tf-keras", "✓ (0.0 s)",
              "Cancel after this step")
    try:
        snapshot(snap_compare, app, steps, taken=release.set)
    finally:
        release.set()


def test_verify(snap_compare: Any, envs: Envs) -> None:
    """The fix ran: what was resolved, the undo command and the report."""
    app = app_on(fix_env(envs, "verify"), envs)

    async def steps(pilot: Any) -> None:
        fix = await open_preview(pilot, app)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: fix.phase == "verify" and "Undo" in str(
            fix.query_one("#verify-body").render()), timeout=120)
        await pilot.pause()
        assert fix.run_result is not None and fix.run_result.status == "complete"
        shows(app, "4 Verification", "resolved:", "tf-keras-minor-mismatch",
              "kerasfix undo 20260102T030405Z-0000", "Report:")
    snapshot(snap_compare, app, steps)


def test_failing_step(snap_compare: Any, envs: Envs) -> None:
    """A wheel that cannot be installed (a file outside site-packages): the run stops there."""
    env = fix_env(envs, "failing")
    app = make_app(env, envs.wheels, find_links=envs.bad_wheels, wrap=stable_result)

    async def steps(pilot: Any) -> None:
        fix = await open_preview(pilot, app)
        assert not fix.query_one("#confirm", Button).disabled
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: fix.run_result is not None and "stopped" in str(
            fix.query_one("#verify-body").render()), timeout=120)
        await pilot.pause()
        assert fix.run_result is not None and fix.run_result.status == "failed"
        shows(app, "The run stopped (failed) at step 2", "ERROR:",
              "kerasfix undo 20260102T030405Z-0000")
    snapshot(snap_compare, app, steps)


def test_undo(snap_compare: Any, envs: Envs) -> None:
    """The snapshot of a fix that stopped after its first step, tf-keras changed since: the
    list and the restore pip would run."""
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner
    from kerasfix.fix import snapshot as snapshots

    env = fix_env(envs, "undo")
    options = planner.FixOptions(find_links=(str(envs.wheels),), no_index=True)
    result = stable_result(env.scan())
    plan = planner.build_plan(result, Strategy.REPAIR, options)
    snap = snapshots.take(result.environment, env.python, plan, plan.index_flags)
    snap.steps_done = 1
    snap.status = snapshots.SnapshotStatus.FAILED
    snap.save()
    pip(env, envs.wheels, "install", "--no-deps", "tf-keras==2.18.0")
    app = app_on(env, envs)

    async def steps(pilot: Any) -> None:
        undo = await open_from_scan(pilot, app, "u", UndoScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not undo.query_one("#restore", Button).disabled)
        await pilot.pause()
        shows(app, "20260102T030405Z-0000  repair     failed       1/2 steps  by tester",
              "tf-keras==2.15.0", "Restore")
    snapshot(snap_compare, app, steps)


async def test_keys_typed_right_after_slash_are_the_query(envs: Envs) -> None:
    """Keys that arrive in one burst with `/` (a fast typist, a terminal multiplexer) are the
    query, `/` included: none of them reaches the scan screen's `f` or `t`."""
    app = app_on(envs.scan, envs)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        for char in "/tf-k/":  # posted at once: nothing in between lets focus settle
            app.post_message(events.Key("slash" if char == "/" else
                                        "minus" if char == "-" else char, char))
        await wait_for(pilot, lambda: scan_screen(app).search_text == "tf-k/")
        assert not scan_screen(app).problems_only and app.theme == "textual-dark"
