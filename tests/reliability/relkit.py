"""The reliability suite's harness: a case is data (what to set up, what to run, what must come
out), and one runner checks every case the same way.

Every kerasfix process a case starts is checked for the same things:
- it ended on its own (no hang), with a documented exit code and never 4 (an internal bug);
- no traceback and no "Exception ignored" on stdout or stderr;
- its output is valid UTF-8 without raw control characters (ESC, BEL, C1, CR, ...), unless it
  wrote to a terminal;
- with --json, stdout is one JSON document;
- exit 2 means exactly one `kerasfix...: error: ...` line on stderr.

And after the case, nothing was lost: the environment, the user's folders and the kerasfix state
folder are compared with their state before (a manifest of every path, file content, mode and
symlink target — fakeenv.tree_hash plus symlinks, modes and non-UTF-8 names).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from fakeenv import FakeEnv

KERASFIX = [sys.executable, "-m", "kerasfix"]
BAD_INPUT, FAULT = "bad-input", "fault"
# A message a user would paste; matches the catalogue, so `explain` scans the target.
KNOWN_ERROR = "ModuleNotFoundError: No module named 'tensorflow.keras'"

Argv = Union[Sequence[Union[str, bytes]], Callable[["Ctx"], Sequence[Union[str, bytes]]]]


# ---------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Expect:
    """What must come out of a case, beyond the checks every process gets."""

    stdout_has: tuple[str, ...] = ()  # substrings (whitespace-insensitive)
    stderr_has: tuple[str, ...] = ()
    output_has: tuple[str, ...] = ()  # in stdout or stderr
    output_lacks: tuple[str, ...] = ()
    one_line_error: bool | None = None  # None: when the exit code is 2
    json_out: bool | None = None  # None: when argv has --json and the exit code is 0 or 1
    tty: bool = False  # output went to a terminal: escape sequences are allowed there
    unchanged: tuple[str, ...] = ("*",)  # watched names that must be identical ("*": all)
    preserved: tuple[str, ...] = ("state",)  # watched names whose old content must survive
    check: Callable[[Ctx, Result], None] | None = None


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # BAD_INPUT or FAULT
    setup: Callable[[Ctx], None] | None
    argv: Argv
    exit: int | frozenset[int]
    expect: Expect = Expect()
    stdin: bytes | None = b""  # None: inherit nothing (a closed stdin is a fault driver's job)
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 120.0
    run: Callable[[Ctx], Result] | None = None  # a fault's own driver (kills, races, signals)
    needs: tuple[str, ...] = ()  # "chattr", "mount", "nobody": skipped when unavailable

    def __post_init__(self) -> None:
        assert self.kind in (BAD_INPUT, FAULT), self.kind
        assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", self.name), self.name

    @property
    def exits(self) -> frozenset[int]:
        return frozenset([self.exit]) if isinstance(self.exit, int) else self.exit

    def __repr__(self) -> str:  # pytest ids and failure headers
        return f"Case({self.name})"


@dataclass
class Result:
    argv: list[str]
    code: int | None
    out: bytes
    err: bytes
    seconds: float
    timed_out: bool = False
    tty: bool = False
    note: str = ""

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "replace")

    def show(self, limit: int = 4000) -> str:
        def cut(text: str) -> str:
            return text if len(text) <= limit else text[:limit // 2] + "\n[...]\n" + \
                text[-limit // 2:]
        return (f"$ {' '.join(self.argv[2:])}\nexit {self.code} in {self.seconds:.1f} s"
                f"{' (TIMED OUT)' if self.timed_out else ''} {self.note}\n"
                f"--- stdout\n{cut(self.stdout)}\n--- stderr\n{cut(self.stderr)}")


# ---------------------------------------------------------------------------- the context


@dataclass
class Ctx:
    """One case's world: its own folders, environment variables and processes."""

    tmp: Path
    bases: Any  # conftest.Bases: session-wide environments to copy
    env: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    watched: dict[str, Path] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    venv: FakeEnv | None = None
    cwd: Path | None = None
    before: dict[str, dict[bytes, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("home", "work", "state-parent", "cache"):
            (self.tmp / name).mkdir(parents=True, exist_ok=True)
        self.cwd = self.tmp / "work"
        self.env = base_env(self.tmp)
        self.vars.update(tmp=str(self.tmp), state=self.env["KERASFIX_STATE_DIR"],
                         wheels=str(self.bases.wheels), work=str(self.cwd))
        self.watched["state"] = Path(self.env["KERASFIX_STATE_DIR"])

    @property
    def state(self) -> Path:
        return Path(self.env["KERASFIX_STATE_DIR"])

    # ------------------------------------------------ building
    def use(self, base: str, where: str = "env") -> FakeEnv:
        """A private copy of a session environment (symlinks kept), watched as "venv"."""
        src: FakeEnv = getattr(self.bases, base)
        dest = self.tmp / where
        shutil.copytree(src.root / "venv", dest / "venv", symlinks=True)
        return self.adopt(dest, src)

    def adopt(self, root: Path, like: FakeEnv | None = None) -> FakeEnv:
        venv = root / "venv"
        if like is not None:
            site = venv / like.site.relative_to(like.root / "venv")
        else:
            site = next((venv / "lib").glob("python3*/site-packages"))
        self.venv = FakeEnv(root=root, python=str(venv / "bin" / "python"), site=site)
        self.vars.update(py=self.venv.python, venv=str(venv), site=str(site))
        self.watched["venv"] = venv
        return self.venv

    def user_dir(self, name: str) -> Path:
        """A folder of the user's that kerasfix must never change."""
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        self.watched[name] = path
        return path

    def script(self, name: str, body: str, mode: int = 0o755) -> str:
        """An executable file in the case folder (a fake interpreter, usually)."""
        path = self.tmp / "bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(body)
        path.chmod(mode)
        return str(path)

    def on_cleanup(self, fn: Callable[[], None]) -> None:
        self.cleanups.append(fn)

    def env_state_dir(self, prefix: str | None = None) -> Path:
        """The state folder kerasfix keeps for this environment (its own naming)."""
        from kerasfix.fix import state

        return self.state / "envs" / state.env_key(prefix or self.vars["venv"])

    # ------------------------------------------------ running
    def argv(self, argv: Argv) -> list[str | bytes]:
        items = argv(self) if callable(argv) else argv
        return [a if isinstance(a, bytes) else a.format(**self.vars) for a in items]

    def kerasfix(self, *args: str | bytes, env: Mapping[str, str] | None = None,
                 stdin: bytes | None = b"", timeout: float = 120.0, check: bool = True,
                 cwd: Path | None = None, python: str = sys.executable,
                 close_fds: tuple[int, ...] = ()) -> Result:
        """Run kerasfix to the end (or the timeout) and check what every run must satisfy.
        stdin None: /dev/null; close_fds (0, 1): descriptors it starts without (`<&-`)."""
        argv = [python, *KERASFIX[1:], *args]
        started = time.monotonic()
        command: list[str | bytes] = list(argv)
        if close_fds:  # the shell closes them: no preexec_fn in a threaded test process
            redirs = " ".join({0: "<&-", 1: ">&-", 2: "2>&-"}[fd] for fd in close_fds)
            command = ["sh", "-c", f'exec "$@" {redirs}', "sh", *argv]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else
                                subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd or self.cwd,
                                env={**self.env, **(env or {})}, start_new_session=True)
        timed_out = False
        try:
            out, err = proc.communicate(stdin if stdin is not None and 0 not in close_fds
                                        else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc.pid)
            out, err = proc.communicate()
        result = Result([os.fsdecode(a) for a in argv], proc.returncode, out, err,
                        time.monotonic() - started, timed_out)
        self.results.append(result)
        if check:
            check_process(result)
        return result

    def spawn(self, *args: str, env: Mapping[str, str] | None = None,
              stdout: Any = subprocess.PIPE, stdin: Any = subprocess.DEVNULL
              ) -> subprocess.Popen[bytes]:
        """Start kerasfix in its own process group, for a driver that signals or races it."""
        return subprocess.Popen([*KERASFIX, *args], stdin=stdin, stdout=stdout,
                                stderr=subprocess.PIPE, cwd=self.cwd,
                                env={**self.env, **(env or {})}, start_new_session=True)

    def collect(self, proc: subprocess.Popen[bytes], argv: Sequence[str], started: float,
                timeout: float = 120.0, check: bool = True, note: str = "") -> Result:
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc.pid)
            out, err = proc.communicate()
        result = Result([*KERASFIX, *argv], proc.returncode, out or b"", err or b"",
                        time.monotonic() - started, timed_out, note=note)
        self.results.append(result)
        if check:
            check_process(result)
        return result

    # ------------------------------------------------ nothing lost
    def remember(self) -> None:
        self.before = {name: manifest(path) for name, path in self.watched.items()}


def base_env(tmp: Path) -> dict[str, str]:
    """This machine's environment without anything that chooses a target, a pip index or a
    kerasfix setting, and with HOME, caches and state inside the case folder."""
    drop = ("PIP_", "KERASFIX_", "PYTHON", "VIRTUAL_ENV", "CONDA", "UV_", "XDG_", "TF_",
            "KERAS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(HOME=str(tmp / "home"), XDG_CACHE_HOME=str(tmp / "cache"),
               KERASFIX_STATE_DIR=str(tmp / "state-parent" / "state"), COLUMNS="200",
               LINES="50", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1", PYENV_ROOT=str(tmp / "no-pyenv"))
    return env


# ---------------------------------------------------------------------------- checks

_ERROR_LINE = re.compile(r"^kerasfix[\w -]*: error: \S")
# C0 controls but \t and \n, DEL, C1 controls (output is checked to be UTF-8 first).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_process(r: Result) -> None:
    assert not r.timed_out, f"kerasfix hung (killed after {r.seconds:.0f} s)\n{r.show()}"
    assert r.code is not None and r.code >= 0, f"kerasfix died of a signal\n{r.show()}"
    assert r.code != 4, f"exit 4: an internal error\n{r.show()}"
    both = r.stdout + r.stderr
    assert "Traceback" not in both, f"a traceback\n{r.show()}"
    assert "Exception ignored" not in both, f"an ignored exception at exit\n{r.show()}"
    for stream, raw in (("stdout", r.out), ("stderr", r.err)):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise AssertionError(f"{stream} is not UTF-8 ({err})\n{r.show()}") from None
        if not r.tty:
            bad = _CONTROL.search(text)
            near = text[max(0, bad.start() - 60):bad.end() + 20] if bad else ""
            assert bad is None, (f"raw control character {bad.group()!r} on {stream} at"
                                 f" {bad.start()}: {near!r}\n{r.show()}")


def check_result(case: Case, ctx: Ctx, r: Result) -> None:
    """The case's own expectations on its final result."""
    assert r.code in case.exits, f"exit {r.code}, expected {sorted(case.exits)}\n{r.show()}"
    one_line = case.expect.one_line_error
    if one_line is None:
        one_line = r.code == 2
    if one_line:
        lines = r.stderr.splitlines()
        errors = [line for line in lines if _ERROR_LINE.match(line)]
        assert len(errors) == 1, f"expected one `kerasfix: error:` line on stderr\n{r.show()}"
        assert len(errors[0]) <= 2000, f"an error line of {len(errors[0])} characters"
        strays = [line for line in lines if not line.startswith("kerasfix")]
        assert not strays, f"stderr lines that are not kerasfix's one-line messages:" \
                           f" {strays[:3]}\n{r.show()}"
    json_out = case.expect.json_out
    if json_out is None:
        json_out = "--json" in r.argv and r.code in (0, 1)
    if json_out:
        try:
            json.loads(r.stdout)
        except ValueError as err:
            raise AssertionError(f"--json output is not one JSON document: {err}\n"
                                 f"{r.show()}") from None
    flat_out, flat_err = squash(r.stdout), squash(r.stderr)
    for text in case.expect.stdout_has:
        assert squash(ctx_format(ctx, text)) in flat_out, f"stdout lacks {text!r}\n{r.show()}"
    for text in case.expect.stderr_has:
        assert squash(ctx_format(ctx, text)) in flat_err, f"stderr lacks {text!r}\n{r.show()}"
    for text in case.expect.output_has:
        want = squash(ctx_format(ctx, text))
        assert want in flat_out or want in flat_err, f"output lacks {text!r}\n{r.show()}"
    for text in case.expect.output_lacks:
        want = squash(ctx_format(ctx, text))
        assert want not in flat_out + flat_err, f"output has {text!r}\n{r.show()}"
    if case.expect.check is not None:
        case.expect.check(ctx, r)


def check_nothing_lost(case: Case, ctx: Ctx) -> None:
    names = list(ctx.watched) if "*" in case.expect.unchanged else list(case.expect.unchanged)
    for name in names:
        if name not in ctx.watched or name in case.expect.preserved:
            continue
        now = manifest(ctx.watched[name])
        assert now == ctx.before[name], \
            f"{name} ({ctx.watched[name]}) changed: {diff(ctx.before[name], now)}"
    for name in case.expect.preserved:
        if name in ctx.watched:
            lost = lost_entries(ctx.before[name], manifest(ctx.watched[name]))
            assert not lost, f"{name} ({ctx.watched[name]}) lost or rewrote: {lost}"


def ctx_format(ctx: Ctx, text: str) -> str:
    try:
        return text.format(**ctx.vars)
    except (KeyError, IndexError, ValueError):
        return text


def squash(text: str) -> str:
    """Text without whitespace: rich wraps long lines wherever it likes."""
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------- manifests


def manifest(root: Path) -> dict[bytes, str]:
    """Every path under root (itself included) with its type, mode, content digest or link
    target. __pycache__ is left out (Python writes it whenever it likes)."""
    out: dict[bytes, str] = {}
    top = os.fsencode(root)
    if not os.path.lexists(top):
        return {b"": "absent"}
    out[b""] = _entry(top)
    if not os.path.isdir(top) or os.path.islink(top):
        return out
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d != b"__pycache__"]
        for name in [*dirs, *files]:
            full = os.path.join(folder, name)
            out[os.path.relpath(full, top)] = _entry(full)
    return out


def _entry(path: bytes) -> str:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return "link:" + os.fsdecode(os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return f"dir:{stat.S_IMODE(st.st_mode):o}"
    if stat.S_ISREG(st.st_mode):
        try:
            with open(path, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()[:16]
        except OSError as err:
            digest = f"unreadable({err.errno})"
        return f"file:{stat.S_IMODE(st.st_mode):o}:{digest}"
    return f"other:{stat.S_IFMT(st.st_mode):o}"


def diff(before: dict[bytes, str], after: dict[bytes, str], limit: int = 8) -> str:
    gone = [os.fsdecode(k) for k in before if k not in after]
    new = [os.fsdecode(k) for k in after if k not in before]
    changed = [os.fsdecode(k) for k in before if k in after and before[k] != after[k]]
    return (f"removed {gone[:limit]}{'...' if len(gone) > limit else ''}, added"
            f" {new[:limit]}{'...' if len(new) > limit else ''}, changed {changed[:limit]}")


def lost_entries(before: dict[bytes, str], after: dict[bytes, str]) -> list[str]:
    """What was there before and is gone or different now; kerasfix's own lock files may be
    rewritten, its append-only audit log may grow, a missing folder may appear."""
    lost = []
    for key, old in before.items():
        name = os.path.basename(key)
        if key == b"" and old == "absent":
            continue
        if name in (b"lock", b"audit.jsonl") or key.endswith(b".lock"):
            continue
        if old.startswith("dir:") and after.get(key, "").startswith("dir:"):
            continue
        if after.get(key) != old:
            lost.append(os.fsdecode(key) or ".")
    return lost


# ---------------------------------------------------------------------------- processes


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (zombies excluded), from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields_ = text[text.rfind(")") + 2:].split()
        if fields_[0] != "Z" and int(fields_[2]) == pgid:
            pids.append(int(entry))
    return pids


def descendants(pid: int) -> list[int]:
    """Children, grandchildren... of a process (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
            except OSError:
                continue
            for child in map(int, text.split()):
                found.append(child)
                todo.append(child)
    return found


def proc_state(pid: int) -> str:
    """R (running), S (sleeping, e.g. waiting for a child), D, Z, ... ('' if gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [os.fsdecode(a) for a in raw.split(b"\0") if a]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_group_gone(pgid: int, timeout: float = 60.0) -> None:
    """After a kill -9 of kerasfix, its orphaned children (pip) finish or die on their own."""
    wait_until(lambda: not group_members(pgid), timeout, f"process group {pgid} to end",
               interval=0.05)


# ---------------------------------------------------------------------------- small helpers


def chattr(path: Path, flag: str) -> bool:
    try:
        proc = subprocess.run(["chattr", flag, str(path)], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def immutable(ctx: Ctx, path: Path) -> None:
    """Make a folder unwritable even for root: chattr +i, else a read-only bind mount of it
    onto itself; undone when the case ends. Skips the case when neither works."""
    if chattr(path, "+i"):
        ctx.on_cleanup(lambda: chattr(path, "-i"))
        return

    def mount(*args: str) -> bool:
        try:
            return subprocess.run(["mount", *args], capture_output=True, timeout=30
                                  ).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    if mount("--bind", str(path), str(path)):
        ctx.on_cleanup(lambda: subprocess.run(["umount", "-l", str(path)], capture_output=True,
                                              timeout=30) and None)
        if mount("-o", "remount,bind,ro", str(path)):
            return
    import pytest

    pytest.skip("neither chattr +i nor a read-only bind mount works here")


def probe_doc(ctx: Ctx) -> dict[str, Any]:
    """A real probe answer from a healthy environment, to be bent into a wrong shape."""
    return json.loads(json.dumps(ctx.bases.probe_doc))


def fake_python(ctx: Ctx, name: str, stdout: bytes, code: int = 0) -> str:
    """A fake interpreter that prints `stdout` (whatever it is asked) and exits with `code`."""
    payload = ctx.tmp / "bin" / f"{name}.out"
    payload.parent.mkdir(exist_ok=True)
    payload.write_bytes(stdout)
    return ctx.script(name, f"#!/bin/sh\ncat '{payload}'\nexit {code}\n")


@contextlib.contextmanager
def cleanup_all(ctx: Ctx) -> Iterator[None]:
    try:
        yield
    finally:
        for fn in reversed(ctx.cleanups):
            with contextlib.suppress(Exception):
                fn()


# ---------------------------------------------------------------------------- fabricated Pythons


def fake_system_python(ctx: Ctx, where: str, *, externally_managed: bool) -> str:
    """A "system" Python of its own prefix: the real interpreter binary copied, the real stdlib
    linked entry by entry, an empty site-packages, and (optionally) PEP 668's
    EXTERNALLY-MANAGED marker in its stdlib folder. Nothing outside the case folder changes."""
    import sysconfig

    base = Path(sys.base_prefix)
    real = Path(os.path.realpath(sys._base_executable))  # type: ignore[attr-defined]
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    prefix = ctx.tmp / where
    (prefix / "bin").mkdir(parents=True)
    shutil.copy2(real, prefix / "bin" / version)
    (prefix / "bin" / "python3").symlink_to(version)
    (prefix / "bin" / "python").symlink_to(version)
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    for lib in libdir.glob("libpython*.so*"):
        (prefix / "lib").mkdir(exist_ok=True)
        (prefix / "lib" / lib.name).symlink_to(lib)
    stdlib = prefix / "lib" / version
    stdlib.mkdir(parents=True)
    real_stdlib = Path(sysconfig.get_paths()["stdlib"])
    for entry in real_stdlib.iterdir():
        if entry.name not in ("site-packages", "EXTERNALLY-MANAGED"):
            (stdlib / entry.name).symlink_to(entry)
    (stdlib / "site-packages").mkdir()
    if externally_managed:
        (stdlib / "EXTERNALLY-MANAGED").write_text(
            "[externally-managed]\nError=This Python belongs to the system's package manager."
            "\n Use a virtual environment.\n")
    python = str(prefix / "bin" / "python3")
    probe = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True,
                           text=True, timeout=60)
    assert probe.stdout.strip() == str(prefix), f"the fabricated Python is not its own: {probe}"
    return python


# ---------------------------------------------------------------------------- a slow wheel source


class WheelServer:
    """Serves a wheel folder over HTTP on 127.0.0.1 (pip takes it as a secure origin, and as
    --find-links). Once `gate()` is true, every request waits until `release()`: a download
    that is really in progress, for as long as a test needs it."""

    def __init__(self, folder: Path, gate: Callable[[], bool]) -> None:
        import functools
        import http.server
        import threading

        self.gate = gate
        self.blocked = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.gate():
                    server.blocked.set()
                    server.released.wait(120)
                super().do_GET()

            def log_message(self, *args: Any) -> None:
                pass

        handler = functools.partial(Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------- terminals


def run_on_pty(ctx: Ctx, args: Sequence[str], *, pty_for: str, timeout: float = 120.0
               ) -> Result:
    """kerasfix with a terminal on one side only: stdout ("stdout") or stdin ("stdin")."""
    import pty
    import select

    master, slave = pty.openpty()
    argv = [*KERASFIX, *args]
    started = time.monotonic()
    if pty_for == "stdout":
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.PIPE, cwd=ctx.cwd, env=ctx.env,
                                start_new_session=True)
    else:
        proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ctx.cwd, env=ctx.env,
                                start_new_session=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = started + timeout
    timed_out = False
    try:
        if pty_for == "stdout":
            while True:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                ready, _, _ = select.select([master], [], [], 0.2)
                if ready:
                    try:
                        data = os.read(master, 65536)
                    except OSError:  # EIO: the slave side is closed
                        break
                    if not data:
                        break
                    chunks.append(data)
                elif proc.poll() is not None:
                    continue
            out, err = b"".join(chunks), proc.stderr.read() if proc.stderr else b""
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        else:
            out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        out, err = b"".join(chunks), b""
    finally:
        if timed_out:
            kill_group(proc.pid)
            proc.wait()
        os.close(master)
    result = Result([os.fsdecode(a) for a in argv], proc.returncode, out, err,
                    time.monotonic() - started, timed_out, tty=pty_for == "stdout",
                    note=f"(a terminal on {pty_for})")
    ctx.results.append(result)
    check_process(result)
    return result


def processes_running(needle: str) -> list[tuple[int, list[str]]]:
    """Live processes whose command line mentions `needle` (left-over children)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        argv = cmdline(int(entry))
        try:
            state_ = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state_ != "Z" and any(needle in a for a in argv):
            found.append((int(entry), argv))
    return found
