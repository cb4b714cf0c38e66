"""The app driven with Textual's Pilot over real venvs, and SVG snapshots of each screen.

Environments live in this run's own folder, /tmp/kerasfix-tui-XXXXX (two runs on one machine
never share it); the snapshots show it as /tmp/kerasfix-tui-tests, a name of the same length,
so they are byte-for-byte repeatable.
"""

from __future__ import annotations

import functools
import secrets
import shutil
import string
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import tuikit
from fakeenv import FakeEnv, make_venv, tree_hash
from fakeenv import pip_offline as pip
from textual.widgets import Button
from tuikit import open_from_scan, open_preview, scan_screen, wait_for

from kerasfix.diagnose.scan import scan
from kerasfix.inspect.target import Target
from kerasfix.tui.app import KerasfixApp
from kerasfix.tui.fix_screen import FixScreen
from kerasfix.tui.scan_screen import ScanScreen
from kerasfix.tui.undo_screen import UndoScreen

SHOWN = "kerasfix-tui-tests"  # what the snapshots show for this run's folder


@functools.cache
def run_root() -> Path:
    """This run's folder: unique, and as long as SHOWN (the layout must not move). Not under
    pytest's basetemp, whose length varies (user name, run number)."""
    alphabet = string.ascii_lowercase + string.digits
    for _ in range(100):
        root = Path("/tmp") / ("kerasfix-tui-" + "".join(secrets.choice(alphabet)
                                                         for _ in range(5)))
        try:
            root.mkdir(mode=0o700)
        except FileExistsError:  # another run's
            continue
        return root
    raise RuntimeError("no free /tmp/kerasfix-tui-XXXXX folder")


@pytest.fixture(scope="module", autouse=True)
def _remove_run_root() -> Iterator[None]:
    yield
    if run_root.cache_info().currsize:
        shutil.rmtree(run_root(), ignore_errors=True)
        run_root.cache_clear()


@pytest.fixture
def snap_compare(snap_compare, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """pytest-textual-snapshot's, with this run's folder shown by its fixed name."""
    import textual._doc

    take = textual._doc.take_svg_screenshot

    def screenshot(*args, **kwargs) -> str:  # type: ignore[no-untyped-def]
        return take(*args, **kwargs).replace(run_root().name, SHOWN)

    monkeypatch.setattr(textual._doc, "take_svg_screenshot", screenshot)
    return snap_compare


def fixed_env(name: str, *, with_pip: bool = False) -> FakeEnv:
    root = run_root() / name
    shutil.rmtree(root, ignore_errors=True)
    return make_venv(root, with_pip=with_pip)




def broken(name: str, wheels: Path, *, with_pip: bool = False) -> FakeEnv:
    """tensorflow-cpu 2.18.1 with tf-keras 2.15.0 (no TF pin) and a pip leftover: S5 + S16."""
    env = fixed_env(name, with_pip=with_pip)
    pip(env, wheels, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheels, "install", "--no-deps", "tf-keras==2.15.0")
    (env.site / "~f_keras").mkdir()
    return env


def fixed_wheels(wheels: Path) -> Path:
    """The wheelhouse in this run's folder: it appears in previews, and snapshots must not
    drift."""
    out = run_root() / "wheels"
    if not out.exists():
        shutil.copytree(wheels, out)
    return out


def make_app(env: FakeEnv, wheels: Path, *, dry_run: bool = False,
             find_links: Path | None = None) -> KerasfixApp:
    return tuikit.make_app(env, fixed_wheels(wheels), dry_run=dry_run, find_links=find_links)


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))


async def test_culprit_is_on_the_first_screen(wheelhouse: Path) -> None:
    env = broken("first", wheelhouse)
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: scan_screen(app).result is not None)
        await pilot.pause()
        tree = app.screen.query_one("#env-tree")
        node = tree.cursor_node
        assert node is not None and node.data.kind == "finding"
        assert node.data.finding.severity.value == "error"
        assert "tf-keras" in app.screen.query_one("#detail").plain


async def test_filter_search_and_rescan(wheelhouse: Path) -> None:
    env = broken("filter", wheelhouse)
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = scan_screen(app)
        await wait_for(pilot, lambda: screen.result is not None)
        await pilot.press("f")
        labels = [n.data.label for n in screen.query_one("#env-tree").root.children[1]
                  .children[0].children] if screen.query_one("#env-tree").root.children[1]\
            .children else []
        assert all("numpy" not in label for label in labels)  # healthy ones hidden
        await pilot.press("slash", *"numpy")
        assert screen.search_text == "numpy"
        await pilot.press("escape")
        assert screen.search_text == ""
        first = screen.result
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.result is not first)


async def test_fix_flow_scan_to_verify_then_undo(wheelhouse: Path) -> None:
    env = broken("flow", wheelhouse)
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: scan_screen(app).result is not None)
        await pilot.press("x")
        assert isinstance(app.screen, FixScreen)
        fix = app.screen
        await pilot.press("enter")  # the recommended strategy is highlighted
        await wait_for(pilot, lambda: fix.preview is not None)
        assert not fix.query_one("#confirm").disabled
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: fix.phase == "verify" and "Undo" in str(
            fix.query_one("#verify-body").render()), timeout=120)
        body = str(fix.query_one("#verify-body").render())
        assert "resolved" in body and "tf-keras-minor-mismatch" in body
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen))
    inv = scan(Target(env.python, "t"), cwd=str(env.root / "work")).inventory
    assert inv.get("tf-keras").raw_version == "2.18.0"
    assert not (env.site / "~f_keras").exists()
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        undo = await open_from_scan(pilot, app, "u", UndoScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not undo.query_one("#restore").disabled)
        await pilot.click("#restore")
        await wait_for(pilot, lambda: undo.snap is not None and undo.snap.status == "restored",
                       timeout=120)
        await wait_for(pilot, lambda: "Restored snapshot" in "".join(
            str(line.text) for line in undo.query_one("#undo-log").lines))
        # restored: Restore is no longer offered, and the list says so
        assert undo.query_one("#restore", Button).disabled
        options = undo.query_one("#snapshots")
        option = options.get_option(undo.snap.id)
        assert option.disabled and "restored" in str(option.prompt)
        options.focus()
        await pilot.press("enter")  # the restored snapshot cannot be chosen again
        await pilot.pause(0.5)
        assert undo.query_one("#restore", Button).disabled
    inv = scan(Target(env.python, "t"), cwd=str(env.root / "work")).inventory
    assert inv.get("tf-keras").raw_version == "2.15.0"
    assert (env.site / "~f_keras").exists()


async def test_strategy_list_opens_highlighted_when_none_is_recommended(
        wheelhouse: Path) -> None:
    """Nothing to fix, so no recommendation: the first possible strategy is highlighted and
    Enter opens its preview."""
    from textual.widgets import OptionList

    env = fixed_env("nothing-to-fix")
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        fix = await open_from_scan(pilot, app, "x", FixScreen)
        strategies = fix.query_one("#strategies", OptionList)
        assert strategies.highlighted is not None
        assert not strategies.get_option_at_index(strategies.highlighted).disabled
        first = next(i for i in range(strategies.option_count)
                     if not strategies.get_option_at_index(i).disabled)
        assert strategies.highlighted == first
        await pilot.press("enter")
        assert fix.phase == "preview"


async def test_dry_run_writes_the_audit_and_changes_nothing(wheelhouse: Path) -> None:
    env = broken("dry", wheelhouse)
    before = tree_hash(env.root / "venv")
    app = make_app(env, wheelhouse, dry_run=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: scan_screen(app).result is not None)
        assert "DRY RUN" in str(app.screen.query_one("#env-header").render())
        await pilot.press("x", "enter")
        fix = app.screen
        await wait_for(pilot, lambda: fix.preview is not None)
        assert str(fix.query_one("#confirm").label) == "Write audit report"
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: fix.phase == "verify")
        body = str(fix.query_one("#verify-body").render())
        assert "Nothing was changed" in body
    assert tree_hash(env.root / "venv") == before
    reports = list((env.root / "work").glob("kerasfix-audit-*.md"))
    assert len(reports) == 1 and "dry-run audit" in reports[0].read_text()


async def test_unresolvable_plan_cannot_start(wheelhouse: Path, tmp_path: Path) -> None:
    """Offline without wheels: pip's dry-run fails, so Run stays disabled and says why."""
    env = broken("unresolvable", wheelhouse)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    app = make_app(env, wheelhouse, find_links=empty)
    async with app.run_test(size=(120, 40)) as pilot:
        fix = await open_preview(pilot, app)
        assert fix.query_one("#confirm", Button).disabled
        assert "Could not find a version" in (fix.preview.unresolved or "")
        await pilot.click("#confirm")
        assert fix.phase == "preview" and fix.run_result is None


async def test_failing_step_stops_the_run(wheelhouse: Path) -> None:
    """A step that really fails (pip cannot remove an immutable folder) stops the run."""
    env = broken("fail", wheelhouse)
    locked = env.site / "tf_keras"
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        app = make_app(env, wheelhouse)
        async with app.run_test(size=(120, 40)) as pilot:
            fix = await open_preview(pilot, app)
            await pilot.click("#confirm")
            await wait_for(pilot, lambda: fix.run_result is not None, timeout=120)
            assert fix.run_result.status == "failed"
            await wait_for(pilot,
                           lambda: "stopped" in str(fix.query_one("#verify-body").render()))
    finally:
        subprocess.run(["chattr", "-i", str(locked)], capture_output=True)


async def test_cancel_stops_after_the_current_step(wheelhouse: Path) -> None:
    env = fixed_env("cancel")
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tensorflow==2.18.1")
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        fix = await open_preview(pilot, app)
        total = len(fix.preview.plan.automatic_steps)
        assert total >= 3
        await pilot.click("#confirm")
        await pilot.press("c")
        await wait_for(pilot, lambda: fix.run_result is not None, timeout=120)
        assert fix.run_result.status == "cancelled"
        assert len(fix.run_result.outcomes) < total


async def test_a_run_that_cannot_start_is_the_outcome_and_esc_leaves(wheelhouse: Path) -> None:
    """Another kerasfix holds the environment's lock when Run is pressed: the run never
    starts, the outcome says why in the CLI's words, and Esc goes back."""
    from kerasfix.fix import state

    env = broken("locked", wheelhouse)
    before = tree_hash(env.root / "venv")
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        fix = await open_preview(pilot, app)
        assert not fix.query_one("#confirm", Button).disabled
        with state.env_lock(fix.session.prefix):
            await pilot.click("#confirm")
            await wait_for(pilot, lambda: fix.phase == "verify")
        body = str(fix.query_one("#verify-body").render())
        assert "error: another kerasfix" in body and "try again when it has finished" in body
        assert fix.session.report_written is None  # as the CLI: no report of a run not begun
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen))
    assert tree_hash(env.root / "venv") == before


async def test_a_restore_that_cannot_start_says_why_and_esc_leaves(wheelhouse: Path) -> None:
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner, state
    from kerasfix.fix import snapshot as snapshots

    env = broken("undo-locked", wheelhouse)
    result = env.scan()
    snap = snapshots.take(result.environment, env.python,
                          planner.build_plan(result, Strategy.REPAIR, planner.FixOptions()))
    snap.status = snapshots.SnapshotStatus.FAILED
    snap.save()
    pip(env, fixed_wheels(wheelhouse), "install", "--no-deps", "tf-keras==2.18.0")
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        undo = await open_from_scan(pilot, app, "u", UndoScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not undo.query_one("#restore", Button).disabled)
        with state.env_lock(undo.session.prefix):
            await pilot.click("#restore")
            await wait_for(pilot, lambda: "error: another kerasfix" in "".join(
                str(line.text) for line in undo.query_one("#undo-log").lines))
        assert not undo.running
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen))
    assert snapshots.load(snap.prefix, snap.id).status == "failed"


def test_step_counts_read_as_words() -> None:
    """A one-step fix is "1/1 step" in the undo list and "1 of 1 step" in the notice."""
    from kerasfix.fix import snapshot as snapshots
    from kerasfix.fix.session import interrupted_message
    from kerasfix.tui.undo_screen import _label

    snap = snapshots.Snapshot(id="20260101T000000Z-abcd", prefix="/p", python="/p/bin/python",
                              strategy="repair", created="2026-01-01T00:00:00Z", user="u",
                              distributions=[], steps_total=1, steps_done=1, status="complete")
    assert "1/1 step  by u" in str(_label(snap))
    assert "after 1 of 1 step." in interrupted_message(snap)
    snap.steps_total = 2
    assert "1/2 steps  by u" in str(_label(snap))


def test_readme_lists_every_footer_key_and_what_setup_needs() -> None:
    """Each key a screen's footer shows is in the README's key table; the README says which
    Python kerasfix needs and what `make test` needs; `make clean` removes `.cache`."""
    from kerasfix.tui.env_picker import EnvPickerScreen
    from kerasfix.tui.explain_screen import ExplainScreen
    from kerasfix.tui.help_screen import HelpScreen

    top = Path(__file__).resolve().parent.parent
    readme = (top / "README.md").read_text()
    keys_table = readme[readme.index("| screen | keys |"):]
    keys_table = keys_table[:keys_table.index("\n\n")]
    names = {"question_mark": "?", "slash": "/"}
    shown = [(cls.__name__, key) for cls in (KerasfixApp, ScanScreen, FixScreen, UndoScreen,
                                              ExplainScreen, EnvPickerScreen, HelpScreen)
             for binding in cls.BINDINGS if binding.show
             for key in binding.key.split(",")]
    shown.append(("KerasfixApp", KerasfixApp.COMMAND_PALETTE_BINDING))
    missing = [(where, key) for where, key in shown
               if f"`{names.get(key, key)}`" not in keys_table]
    assert not missing
    assert "Python 3.9+" in readme and "network" in readme and "4 GB" in readme
    clean = (top / "Makefile").read_text().split("\nclean:")[1].split("\n\n")[0]
    assert ".cache" in clean.split()


async def test_help_theme_and_palette(wheelhouse: Path) -> None:
    env = broken("help", wheelhouse)
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: scan_screen(app).result is not None)
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("t")
        assert app.theme == "textual-light"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Fix…", "Deep check", "Undo…", "Rescan"} <= set(titles)
        await pilot.press("q")


# ---------------------------------------------------------------- snapshots


def _ready(app: KerasfixApp):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: scan_screen(app).result is not None)
        await pilot.pause()
    return run_before


def test_snapshot_scan_screen(snap_compare, wheelhouse: Path) -> None:  # type: ignore
    app = make_app(broken("snap-scan", wheelhouse), wheelhouse)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_ready(app))


def test_snapshot_scan_screen_80x24(snap_compare, wheelhouse: Path) -> None:  # type: ignore
    app = make_app(broken("snap-small", wheelhouse), wheelhouse)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_ready(app))


def test_snapshot_strategy_choice(snap_compare, wheelhouse: Path) -> None:  # type: ignore
    app = make_app(broken("snap-choose", wheelhouse), wheelhouse)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _ready(app)(pilot)
        await pilot.press("x")
        await pilot.pause()
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_snapshot_dry_run_preview(snap_compare, wheelhouse: Path) -> None:  # type: ignore
    # its own pip: the previewed argv must not name this checkout's interpreter
    app = make_app(broken("snap-preview", wheelhouse, with_pip=True), wheelhouse, dry_run=True)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _ready(app)(pilot)
        await pilot.press("x", "enter")
        await wait_for(pilot, lambda: getattr(app.screen, "preview", None) is not None)
        await pilot.pause()
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_environment_picker_opens_the_chosen_env(wheelhouse: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from kerasfix.tui.env_picker import EnvPickerScreen

    root = tmp_path / "envs"
    bad = make_venv(root / "bad")
    bad.tensorflow("2.14.1")
    bad.keras("3.3.3")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "nopyenv"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    env = broken("picker", wheelhouse)
    app = make_app(env, wheelhouse)
    app.roots = (str(root),)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_from_scan(pilot, app, "e", EnvPickerScreen)
        await wait_for(pilot, lambda: str(bad.root / "venv") in picker.scans)
        table = picker.query_one("#envs")
        row = table.get_row_index(str(bad.root / "venv"))
        table.move_cursor(row=row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen)
                       and app.screen.result is not None
                       and app.screen.result.target.python == bad.python)
        codes = {f.code for f in app.screen.result.findings}
        assert "keras3-under-tf-2.14-or-older" in codes


async def test_environment_picker_merges_a_shim_and_shows_the_open_env(
        wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyenv shim and the interpreter it runs are one row (as `scan --all` shows them), and
    the environment the app is open on is listed even when discovery did not find it."""
    from kerasfix.inspect.discovery import DiscoveryResult, FoundEnv
    from kerasfix.tui import env_picker
    from kerasfix.tui.env_picker import EnvPickerScreen

    other = make_venv(tmp_path / "other")
    shims = tmp_path / "pyenv" / "shims"
    shims.mkdir(parents=True)
    shim = shims / "python3"
    shim.write_text(f"#!/bin/sh\nexec {other.python} \"$@\"\n")
    shim.chmod(0o755)
    found = [FoundEnv(str(shim), str(shims), ("python3 on PATH",), name="shims", kind="shim"),
             FoundEnv(other.python, str(other.root / "venv"), ("venv under ~",), name="other",
                      kind="venv")]
    monkeypatch.setattr(env_picker, "discover", lambda roots: DiscoveryResult(found, []))
    env = broken("picker-merge", wheelhouse)
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_from_scan(pilot, app, "e", EnvPickerScreen)
        await wait_for(pilot, lambda: "need attention" in str(
            picker.query_one("#picker-status").render()))
        table = picker.query_one("#envs")
        keys = [row.key.value for row in table.ordered_rows]
        assert keys == [str(env.root / "venv"), str(other.root / "venv")]
        assert table.get_row_index(str(other.root / "venv")) == 1
        found_by = str(table.get_cell(str(other.root / "venv"), list(table.columns)[7]))
        assert found_by == f"venv under ~; python3 on PATH (via {shim})"
        assert [e.prefix for e in picker.found] == keys


async def test_paste_box_names_the_cause(wheelhouse: Path) -> None:
    from kerasfix.tui.explain_screen import ExplainScreen

    env = broken("explain", wheelhouse)
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_scan(pilot, app, "p", ExplainScreen)
        header = str(screen.query_one("#env-header").render())  # the interpreter, as elsewhere
        assert env.python in header and "Python 3." in header
        screen.query_one("#paste").text = (
            "AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no"
            " attribute 'register_load_context_function'")
        await pilot.press("ctrl+e")
        assert "holds here" in screen.plain and "tf-keras" in screen.plain


async def test_an_interrupted_fix_is_announced(wheelhouse: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A fix killed half-way left its snapshot in progress: the app says so on the first
    screen, with the undo command, and marks nothing."""
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner
    from kerasfix.fix import snapshot as snapshots

    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmp_path / "state"))
    env = broken("interrupted", wheelhouse)
    result = env.scan()
    snap = snapshots.take(result.environment, env.python,
                          planner.build_plan(result, Strategy.REPAIR, planner.FixOptions()))
    app = make_app(env, wheelhouse)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: scan_screen(app).result is not None)
        await wait_for(pilot, lambda: any("was interrupted" in str(n.message)
                                          for n in app._notifications))
        message = next(str(n.message) for n in app._notifications
                       if "was interrupted" in str(n.message))
        assert f"kerasfix undo {snap.id}" in message
    assert snapshots.load(snap.prefix, snap.id).status == "in-progress"
