"""Input that must not get through: control characters from metadata, folders, pastes and pip;
report paths that are symlinks or nonsense; state that cannot be written; malformed answers
from the target. Every case ends as visible text, or as exit 2 with one line — never as raw
terminal control, a write through a symlink, or an internal error (exit 4)."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeenv import FakeEnv, make_venv, tree_hash
from fakeenv import pip_offline as pip

from kerasfix.fix import snapshot as snapshots
from kerasfix.fix import state
from kerasfix.textsafe import one_line, visible, visible_data

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX venvs, modes and mounts")

# An OSC that retitles the window, a screen clear, a C1 CSI, a BEL and a carriage return.
PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x9b1m\r"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b1m\\r"
# What survives of it in METADATA (the parser strips the trailing \r), and how it is shown.
META = "\x1b]0;pwned\x07\x1b[2J\x9b1m"
META_SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b1m"
RAW = ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\r")


def assert_no_raw(text: str) -> None:
    found = [r for r in RAW if r in text]
    assert not found, f"raw control characters reached the output: {found!r}"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kerasfix", *args], capture_output=True,
                          text=True, timeout=300, input=stdin, cwd=cwd,
                          env={**os.environ, "COLUMNS": "160", **(env or {})})


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr)
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state"
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(path))
    return path


def poisoned(root: Path) -> FakeEnv:
    """A healthy TF 2.18 stack whose keras METADATA carries the payload in `Version:`."""
    env = make_venv(root)
    env.healthy("2.18.1")
    meta = env.site / "keras-3.15.1.dist-info" / "METADATA"
    meta.write_text(meta.read_text().replace("Version: 3.15.1", f"Version: 3.15.1{PAYLOAD}"),
                    newline="")
    return env


# ---------------------------------------------------------------- 1. control characters


def test_visible_escapes_controls_and_keeps_the_rest() -> None:
    assert visible(PAYLOAD) == SHOWN
    assert visible("a\nb\tc\x7fd\u202ee") == "a\nb\tc\\x7fd\\u202ee"
    assert one_line("a\nb") == "a\\nb"
    assert visible("tensorflow 2.18.1 — ok ✓") == "tensorflow 2.18.1 — ok ✓"
    clean = {"a": ["b", ("c",)]}
    assert visible_data(clean) is clean  # nothing to change: nothing copied
    assert visible_data({"k\x1b": ["v\x07"]}) == {"k\\x1b": ["v\\x07"]}


def test_scan_never_prints_metadata_controls_raw(tmp_path: Path) -> None:
    env = poisoned(tmp_path)
    plain = run("scan", "--python", env.python, cwd=env.root / "work")
    assert plain.returncode in (0, 1), plain.stderr
    assert_no_raw(plain.stdout)
    assert "3.15.1" + META_SHOWN in plain.stdout
    coloured = run("scan", "--python", env.python, cwd=env.root / "work",
                   env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in coloured.stdout  # rich's own styling is still there…
    assert_no_raw(coloured.stdout)  # …but nothing from the metadata


def test_scan_json_keeps_controls_json_escaped(tmp_path: Path) -> None:
    env = poisoned(tmp_path)
    proc = run("scan", "--python", env.python, "--json", cwd=env.root / "work")
    assert_no_raw(proc.stdout)
    assert "\\u001b]0;pwned\\u0007" in proc.stdout and "\\u009b" in proc.stdout
    doc = json.loads(proc.stdout)
    keras = next(d for d in doc["distributions"] if d["name"] == "keras")
    assert keras["version"] == "3.15.1" + META  # the data itself is untouched


def test_fix_dry_run_markdown_shows_controls_visibly(tmp_path: Path, state_dir: Path,
                                                     wheelhouse: Path) -> None:
    env = poisoned(tmp_path)
    report = tmp_path / "x.md"
    proc = run("fix", "--dry-run", "--python", env.python, "--report", str(report),
               "--find-links", str(wheelhouse), "--no-index", cwd=env.root / "work")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert_no_raw(proc.stdout)
    md = report.read_bytes().decode()
    assert_no_raw(md)
    assert META_SHOWN in md


def test_folder_names_with_controls_and_markup(tmp_path: Path, state_dir: Path) -> None:
    env = make_venv(tmp_path / f"[bold]e{META}")  # (a \r in a folder name: see below)
    env.healthy("2.18.1")
    proc = run("scan", "--python", env.python, cwd=env.root / "work")
    assert proc.returncode in (0, 1), proc.stderr
    assert_no_raw(proc.stdout)
    assert f"[bold]e{META_SHOWN}" in proc.stdout.replace("\n", "")  # markup is not obeyed
    report = tmp_path / "r.md"
    proc = run("fix", "--dry-run", "--strategy", "upgrade", "--python", env.python,
               "--no-index", "--report", str(report), cwd=env.root / "work")
    assert proc.returncode in (0, 1, 3), proc.stderr  # 3: offline, pip cannot resolve it
    assert_no_raw(proc.stdout + report.read_bytes().decode())
    assert f"[bold]e{META_SHOWN}" in report.read_text()


def test_undecodable_folder_names_never_write_raw_bytes(tmp_path: Path) -> None:
    # b"\x9b" is a C1 CSI; as a file name it decodes to a lone surrogate, which stdout would
    # write back as that very byte
    make_venv(tmp_path / "plain").healthy("2.18.1")
    odd = tmp_path / os.fsdecode(b"caf\xe9-\x9b31m")
    (tmp_path / "plain").rename(odd)  # (venv itself refuses to create such a folder)
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "scan", "--python",
                           str(odd / "venv" / "bin" / "python")], capture_output=True,
                          timeout=300, cwd=odd / "work", env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode in (0, 1), proc.stderr
    out = proc.stdout.decode("utf-8")  # strict: no stray byte got through
    assert "caf\\xe9-\\x9b31m" in out


def test_pasted_text_is_shown_visibly(tmp_path: Path) -> None:
    paste = f"{META}ModuleNotFoundError: No module named 'tf_keras'\n"  # (\r splits lines)
    proc = run("explain", "-", "--no-scan", stdin=paste)
    assert proc.returncode in (0, 1), proc.stderr
    assert_no_raw(proc.stdout)
    # the matched line, visibly (explain itself drops colour codes such as \x1b[2J)
    assert "line 1: \\x1b]0;pwned\\x07" in proc.stdout


def test_pip_output_and_steps_are_shown_visibly() -> None:
    from rich.console import Console

    from kerasfix.fix.plan import Step, StepKind
    from kerasfix.report.fix_text import ConsoleEvents

    out = io.StringIO()
    events = ConsoleEvents(Console(file=out, force_terminal=True, width=120), 1)
    events.step_started(0, Step(StepKind.PIP_INSTALL, f"Install {PAYLOAD}",
                                argv=("pip", "install", f"x{PAYLOAD}")))
    events.output(0, f"Collecting x{PAYLOAD}")
    assert_no_raw(out.getvalue())
    assert SHOWN in out.getvalue()


def test_many_environments_table_and_audit_markdown(tmp_path: Path) -> None:
    from rich.console import Console

    from kerasfix.fleet import audit, audit_markdown, envs_json, scanning
    from kerasfix.fleet.table_text import render_envs
    from kerasfix.inspect.discovery import FoundEnv

    env = poisoned(tmp_path / f"[red]p{META}")
    found = FoundEnv(env.python, str(env.root / "venv"), (f"test{PAYLOAD}",),
                     name=f"[red]n{PAYLOAD}", kind="venv")
    scans = scanning.scan_many([found])
    out = io.StringIO()
    render_envs(envs_json.envs_document(scans), envs_json.summary_rows(scans),
                Console(file=out, width=200))
    assert_no_raw(out.getvalue())
    assert f"[red]n{SHOWN}" in out.getvalue()
    md = audit_markdown.audit_markdown(audit.audit_document(scans, with_preview=False))
    assert_no_raw(md)
    assert f"[red]n{SHOWN}" in md


def test_json_of_explain_keeps_controls_escaped() -> None:
    proc = run("explain", "-", "--no-scan", "--json",
               stdin=f"ModuleNotFoundError: No module named 'keras{PAYLOAD}'\n")
    assert_no_raw(proc.stdout)
    json.loads(proc.stdout)


async def test_tui_shows_names_paths_and_log_lines_visibly(tmp_path: Path, state_dir: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from rich.text import Text
    from textual.widgets import RichLog
    from tuikit import wait_for

    from kerasfix.diagnose.scan import scan
    from kerasfix.fix.plan import Step, StepKind
    from kerasfix.inspect.target import Target
    from kerasfix.tui.app import KerasfixApp
    from kerasfix.tui.fix_screen import FixScreen
    from kerasfix.tui.run_log import RunLogEvents
    from kerasfix.tui.scan_screen import ScanScreen
    from kerasfix.tui.settings import AppSettings
    from kerasfix.tui.undo_screen import UndoScreen

    env = poisoned(tmp_path / f"[b]t{META}")
    target = Target(env.python, "--python")
    app = KerasfixApp(target, settings=AppSettings(verify_deep=False),
                      scanner=lambda deep=False: scan(
        target, cwd=str(env.root / "work"), env={**os.environ, "HOME": str(env.root / "home")}))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = next(s for s in app.screen_stack if isinstance(s, ScanScreen))
        while screen.result is None:
            await pilot.pause(0.05)
        await pilot.pause()
        tree = screen.query_one("#env-tree")
        labels: list[str] = []
        stack = [tree.root]
        while stack:
            node = stack.pop()
            labels.append(node.label.plain)
            stack.extend(node.children)
        assert_no_raw("\n".join(labels))
        assert any("3.15.1" + META_SHOWN in label for label in labels), labels
        keras = next(n for n in _nodes(tree.root) if n.data and n.data.distribution
                     and n.data.distribution.name == "keras")
        tree.move_cursor(keras)
        await pilot.pause()
        detail = screen.query_one("#detail")
        assert_no_raw(detail.plain + str(detail.render()))
        header = screen.query_one("#env-header")
        assert_no_raw(str(header.render()))

        fix = FixScreen(screen.result, app.settings)
        await app.push_screen(fix)
        written: list[Text] = []
        monkeypatch.setattr(fix.query_one("#log", RichLog), "write",
                            lambda content, *a, **kw: written.append(content))
        step = Step(StepKind.PIP_INSTALL, f"Install {PAYLOAD}", argv=("pip", f"x{PAYLOAD}"))
        events = RunLogEvents(fix.run_log)  # the way a run reaches the log, from its thread
        events.step_started(0, step)
        events.output(0, f"Collecting x{PAYLOAD}")
        await wait_for(pilot, lambda: len(written) >= 2)
        assert_no_raw(str(fix.query_one("#run-step").render()))
        assert written and all(SHOWN in t.plain for t in written)
        assert_no_raw("".join(t.plain for t in written))
        fix.dismiss(None)
        await pilot.pause()

        undo = UndoScreen(screen.result, app.settings)
        await app.push_screen(undo)
        logged: list[Text] = []
        monkeypatch.setattr(undo.query_one("#undo-log", RichLog), "write",
                            lambda content, *a, **kw: logged.append(content))
        undo.write_log(Text(f"moved x{PAYLOAD}"))  # (rich itself drops the BEL and CR)
        assert logged and "x\\x1b]0;pwned" in logged[0].plain
        assert_no_raw(logged[0].plain)


def _nodes(root) -> Iterator:  # type: ignore[no-untyped-def]
    yield root
    for child in root.children:
        yield from _nodes(child)


# ---------------------------------------------------------------- 2. --report FILE


def test_report_symlink_is_refused_and_its_target_untouched(tmp_path: Path, state_dir: Path
                                                            ) -> None:
    env = make_venv(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    proc = run("fix", "--dry-run", "--python", env.python, "--no-index", "--report", str(link))
    one_line_error(proc, "symlink")
    assert victim.read_text() == "precious\n" and link.is_symlink()
    proc = run("audit", "--all", "--root", str(tmp_path), "--no-preview", "--report", str(link))
    one_line_error(proc, "symlink")
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("name,needle", [
    ("missing/x.md", "does not exist"),
    ("report.txt", ".md or .json"),
    ("adir", "a folder"),
    ("afile/x.md", "not a folder"),
])
def test_bad_report_paths_are_refused_before_anything(tmp_path: Path, name: str,
                                                      needle: str) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    # validated first: before the target is even looked at
    proc = run("fix", "--python", str(tmp_path / "no-such-python"), "--report",
               str(tmp_path / name))
    one_line_error(proc, needle)
    proc = run("audit", "--all", "--root", str(tmp_path), "--no-preview", "--report",
               str(tmp_path / name))
    one_line_error(proc, needle)


def test_report_checked_before_the_fix_changes_anything(tmp_path: Path, state_dir: Path,
                                                        wheelhouse: Path) -> None:
    env = make_venv(tmp_path)
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    before = tree_hash(env.root / "venv")
    proc = run("fix", "--yes", "--no-verify", "--python", env.python, "--find-links",
               str(wheelhouse), "--no-index", "--report", str(tmp_path / "gone" / "r.md"))
    one_line_error(proc, "gone")
    assert tree_hash(env.root / "venv") == before
    assert not state_dir.exists()


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    from kerasfix.files import ReportPathError, validate_report_path, write_atomic

    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o640)
    write_atomic(validate_report_path(str(out)), "new\n")
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    assert validate_report_path(str(tmp_path / "plain")) == tmp_path / "plain"
    link = tmp_path / "l.md"
    link.symlink_to(out)
    with pytest.raises(ReportPathError):
        write_atomic(link, "x")
    assert out.read_text() == "new\n"


# ---------------------------------------------------------------- 3. state modes and ids


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_is_private_whatever_the_umask(state_dir: Path, open_umask: None) -> None:
    prefix = "/some/env"
    folder = state.env_dir(prefix)
    with state.env_lock(prefix):
        pass
    state.audit(prefix, {"event": "test"})
    snap = snapshots.Snapshot("20250101T000000Z-abcd", prefix, "/some/env/bin/python",
                              "repair", state.now(), "me", [])
    snap.save()
    for path in (state_dir, state_dir / "envs", folder, folder / "snapshots", snap.folder):
        assert _mode(path) == 0o700, path
    for path in (folder / "lock", folder / "audit.jsonl", snap.folder / "snapshot.json"):
        assert _mode(path) == 0o600, path


def test_state_is_private_under_a_closed_umask(state_dir: Path) -> None:
    old = os.umask(0o777)
    try:
        snapshots.Snapshot("20250101T000000Z-abcd", "/e", "/e/bin/python", "repair",
                           state.now(), "me", []).save()
        state.audit("/e", {"event": "test"})
    finally:
        os.umask(old)
    folder = state.env_dir("/e")
    assert _mode(folder) == 0o700 and _mode(folder / "audit.jsonl") == 0o600


@pytest.mark.parametrize("bad", ["../../x", "..", ".", "", "a/b", "a\\b", "x\x1b", "a..b",
                                 "/etc"])
def test_snapshot_ids_are_validated(state_dir: Path, bad: str) -> None:
    with pytest.raises(snapshots.SnapshotError, match="invalid snapshot id"):
        snapshots.load("/e", bad)


def test_undo_refuses_a_path_as_snapshot_id(tmp_path: Path, state_dir: Path) -> None:
    env = make_venv(tmp_path)
    prefix = env.scan().inventory.interpreter.prefix
    # a snapshot of another environment, reachable by ../ from this one's folder
    foreign = state_dir / "envs" / "x"
    foreign.mkdir(parents=True)
    (foreign / "snapshot.json").write_text(json.dumps({
        "id": "x", "prefix": prefix, "python": env.python, "strategy": "repair",
        "created": state.now(), "user": "me", "distributions": []}))
    snapshots.Snapshot("20250101T000000Z-abcd", prefix, env.python, "repair", state.now(),
                       "me", []).save()
    proc = run("undo", "../../x", "--yes", "--python", env.python)
    one_line_error(proc, "invalid snapshot id")


# ---------------------------------------------------------------- 4. user and machine faults


@pytest.fixture
def broken_env(tmp_path: Path, wheelhouse: Path) -> FakeEnv:
    env = make_venv(tmp_path / "env")
    pip(env, wheelhouse, "install", "tensorflow-cpu==2.18.1")
    pip(env, wheelhouse, "install", "--no-deps", "tf-keras==2.15.0")
    return env


def fix_yes(env: FakeEnv, wheelhouse: Path, state_path: Path
            ) -> subprocess.CompletedProcess[str]:
    return run("fix", "--yes", "--no-verify", "--python", env.python, "--find-links",
               str(wheelhouse), "--no-index", env={"KERASFIX_STATE_DIR": str(state_path)},
               cwd=env.root / "work")


@pytest.mark.parametrize("where", ["below-a-file", "a-file"])
def test_unusable_state_dir_is_exit_2(tmp_path: Path, broken_env: FakeEnv, wheelhouse: Path,
                                      where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    path = blocker / "state" if where == "below-a-file" else blocker
    before = tree_hash(broken_env.root / "venv")
    proc = fix_yes(broken_env, wheelhouse, path)
    one_line_error(proc, "cannot write state in")
    assert tree_hash(broken_env.root / "venv") == before
    assert blocker.read_text() == "not a folder"


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 kB tmpfs (root only): a disk that fills up."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs",
                           str(mount)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError:  # full
        pass
    finally:
        os.close(fd)


def test_full_disk_while_writing_state_is_exit_2(broken_env: FakeEnv, wheelhouse: Path,
                                                 tmpfs: Path) -> None:
    (tmpfs / "state").mkdir()
    _fill(tmpfs)
    before = tree_hash(broken_env.root / "venv")
    proc = fix_yes(broken_env, wheelhouse, tmpfs / "state")
    one_line_error(proc, "cannot write state in", "No space left on device")
    assert tree_hash(broken_env.root / "venv") == before


def test_full_disk_while_saving_a_snapshot_or_the_audit_log(tmpfs: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("KERASFIX_STATE_DIR", str(tmpfs / "state"))
    snap = snapshots.Snapshot("20250101T000000Z-abcd", "/e", "/e/bin/python", "repair",
                              state.now(), "me", [{"name": "x" * 100, "version": "1"}] * 50)
    state.private_dir(snap.folder)
    _fill(tmpfs)
    with pytest.raises(state.StateError, match="No space left on device"):
        snap.save()
    assert not list(snap.folder.iterdir())  # no half-written snapshot, no temp file
    with pytest.raises(state.StateError, match="No space left on device"):
        state.audit("/e", {"event": "x" * 8000})


def test_full_disk_while_writing_the_report_is_exit_2(tmp_path: Path, tmpfs: Path) -> None:
    env = make_venv(tmp_path / "env")
    env.healthy("2.18.1")
    _fill(tmpfs)
    proc = run("fix", "--dry-run", "--strategy", "upgrade", "--python", env.python,
               "--no-index", "--report", str(tmpfs / "r.md"),
               env={"KERASFIX_STATE_DIR": str(tmp_path / "state")})
    one_line_error(proc, "No space left on device")
    assert sorted(p.name for p in tmpfs.iterdir()) == ["filler"]  # no temp file left


def test_read_only_state_dir_is_exit_2(tmp_path: Path, broken_env: FakeEnv,
                                       wheelhouse: Path) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mount)],
                          capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.decode().strip()}")
    try:
        proc = fix_yes(broken_env, wheelhouse, mount / "state")
        one_line_error(proc, "cannot write state in", "Read-only file system")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf"])
@pytest.mark.parametrize("command", ["scan", "fix"])
def test_timeout_must_be_a_positive_finite_number(command: str, value: str) -> None:
    proc = run(command, "--timeout", value, "--python", "/no/such/python")
    one_line_error(proc, "--timeout")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "abc"])
def test_probe_timeout_variable_is_checked(fake: FakeEnv, value: str) -> None:
    proc = run("scan", "--python", fake.python, env={"KERASFIX_PROBE_TIMEOUT": value})
    one_line_error(proc, "KERASFIX_PROBE_TIMEOUT")


def test_corrupt_snapshot_is_named_not_skipped(tmp_path: Path, state_dir: Path) -> None:
    env = make_venv(tmp_path)
    prefix = env.scan().inventory.interpreter.prefix
    snapshots.Snapshot("20250101T000000Z-aaaa", prefix, env.python, "repair", state.now(),
                       "me", []).save()
    bad = state.env_dir(prefix) / "snapshots" / "20250102T000000Z-bbbb"
    bad.mkdir()
    (bad / "snapshot.json").write_text('{"id": "20250102T000000Z-bbbb", "distrib')
    listed = run("undo", "--list", "--python", env.python)
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if "20250102T000000Z-bbbb" in x)
    assert "unreadable" in line
    assert "20250101T000000Z-aaaa" in listed.stdout
    proc = run("undo", "20250102T000000Z-bbbb", "--yes", "--python", env.python)
    one_line_error(proc, "20250102T000000Z-bbbb", "unreadable")
    # the newest is the corrupt one: undo must not quietly restore an older snapshot
    proc = run("undo", "--yes", "--python", env.python)
    one_line_error(proc, "20250102T000000Z-bbbb", "unreadable")


def test_snapshot_of_the_wrong_shape_is_unreadable(state_dir: Path) -> None:
    folder = state.env_dir("/e") / "snapshots" / "20250101T000000Z-cccc"
    folder.mkdir(parents=True)
    (folder / "snapshot.json").write_text(json.dumps({
        "id": "20250101T000000Z-cccc", "prefix": "/e", "python": "/e/bin/python",
        "strategy": "repair", "created": "x", "user": "me", "distributions": "oops"}))
    with pytest.raises(snapshots.SnapshotError, match="unreadable"):
        snapshots.load("/e", "20250101T000000Z-cccc")


def _real_probe_document(fake: FakeEnv) -> dict:
    from kerasfix.inspect.probe import run_probe
    from kerasfix.inspect.target import Target

    return run_probe(Target(fake.python, "test"))


def _mutations(doc: dict) -> list[str]:
    import copy

    out = ["{not json", "[]", '"text"', "{}", json.dumps({"interpreter": {}, "sys_path": []}),
           "[" * 100_000 + "]" * 100_000]
    for path, value in [(("interpreter", "version"), "3.11"),
                        (("interpreter", "executable"), 5),
                        (("interpreter", "markers"), []),
                        (("interpreter", "site_packages"), "x"),
                        (("sys_path",), {"a": 1}),
                        (("import_candidates",), ["x"]),
                        (("problems",), [{"kind": 1}])]:
        bad = copy.deepcopy(doc)
        node = bad
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        out.append(json.dumps(bad))
    bad = copy.deepcopy(doc)
    bad["sys_path"][0]["index"] = "zero"
    out.append(json.dumps(bad))
    bad = copy.deepcopy(doc)
    bad["sys_path"][-1].setdefault("dists", []).append({"name": 7, "path": None})
    out.append(json.dumps(bad))
    return out


def test_malformed_probe_answers_are_exit_2(fake: FakeEnv, tmp_path: Path) -> None:
    fake.healthy("2.18.1")
    doc = _real_probe_document(fake)
    failures = []
    for i, text in enumerate(_mutations(doc)):
        answer = tmp_path / f"answer{i}.json"
        answer.write_text(text)
        script = tmp_path / f"python{i}"
        script.write_text(f"#!/bin/sh\necho KERASFIX-PROBE-JSON\ncat '{answer}'\n")
        script.chmod(0o755)
        proc = run("scan", "--python", str(script))
        if not (proc.returncode == 2 and proc.stderr.count("\n") == 1
                and "internal error" not in proc.stderr and str(script) in proc.stderr):
            failures.append((text[:60], proc.returncode, proc.stderr[-300:]))
    assert not failures, failures


def test_too_old_marker_without_a_version_is_exit_2(tmp_path: Path) -> None:
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\necho KERASFIX-TOO-OLD\nexit 97\n")
    script.chmod(0o755)
    one_line_error(run("scan", "--python", str(script)))


# ---------------------------------------------------------------- 5. --python ""


@pytest.mark.parametrize("args", [["undo", ""], ["fix", "--report", ""],
                                  ["audit", "--all", "--report", ""]])
def test_empty_names_are_usage_errors(args: list[str]) -> None:
    one_line_error(run(*args), "empty")


def test_a_very_long_snapshot_id_gets_a_short_error(tmp_path: Path, state_dir: Path) -> None:
    env = make_venv(tmp_path)
    proc = run("undo", "x" * 5000, "--python", env.python)
    one_line_error(proc, "invalid snapshot id")
    assert len(proc.stderr) < 300


@pytest.mark.parametrize("args", [["scan", "--python", ""], ["fix", "--python", ""],
                                  ["undo", "--list", "--python", ""], ["--python", ""],
                                  ["scan", "--python", "  "]])
def test_empty_python_is_a_usage_error(args: list[str]) -> None:
    proc = run(*args)
    one_line_error(proc, "--python")
    assert "on PATH" not in proc.stdout


def test_control_characters_in_errors_stay_on_one_line(tmp_path: Path) -> None:
    proc = run("scan", "--python", str(tmp_path / f"no{PAYLOAD}\nsuch"))
    one_line_error(proc)
    assert_no_raw(proc.stderr)
    proc = run("scan", "--timeout", f"soon{PAYLOAD}")
    one_line_error(proc)
    assert_no_raw(proc.stderr)
