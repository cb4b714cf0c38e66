"""Faults: kerasfix killed or interrupted half-way, two of it at once, environments it may not
or cannot change, a full disk, pip missing or failing, targets and runtime checks that crash or
hang, closed pipes, no terminal, and packages outside the environment it must never touch."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeenv import FakeEnv, build_wheel, pip_offline
from relkit import (
    FAULT,
    KERASFIX,
    Case,
    Ctx,
    Expect,
    Result,
    WheelServer,
    check_process,
    cmdline,
    descendants,
    diff,
    fake_system_python,
    immutable,
    kill_group,
    manifest,
    proc_state,
    processes_running,
    run_on_pty,
    squash,
    wait_group_gone,
    wait_until,
)

FIX = ("fix", "--yes", "--no-verify", "--python", "{py}", "--find-links", "{wheels}",
       "--no-index")
DRY_RUN = ("fix", "--dry-run", "--python", "{py}", "--find-links", "{wheels}", "--no-index")
SCAN = ("scan", "--python", "{py}")


def fmt(ctx: Ctx, argv: tuple[str, ...]) -> list[str]:
    return [a.format(**ctx.vars) for a in argv]


def snapshots(ctx: Ctx) -> list[Path]:
    return sorted(ctx.state.glob("envs/*/snapshots/*/snapshot.json"))


def venv_now(ctx: Ctx) -> dict[bytes, str]:
    return manifest(ctx.watched["venv"])


def assert_venv_as_before(ctx: Ctx, why: str) -> None:
    now = venv_now(ctx)
    assert now == ctx.before["venv"], f"{why}: {diff(ctx.before['venv'], now)}"


def no_leftovers(ctx: Ctx, needle: str | None = None, within: float = 10.0) -> None:
    """No process of the target's interpreter outlives kerasfix (probe, runtime check)."""
    needle = needle or ctx.vars["py"]
    deadline = time.monotonic() + within
    while processes_running(needle) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = processes_running(needle)
    for pid, _ in left:
        kill_group(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running: {left}"


def use(base: str) -> Callable[[Ctx], None]:
    return lambda ctx: ctx.use(base) and None


CASES: list[Case] = []

# ---------------------------------------------------------------------------- kill -9 mid-fix

STEP_OF = {
    "download": lambda argv: "pip" in argv and "download" in argv,
    "uninstall": lambda argv: "pip" in argv and "uninstall" in argv,
    "reinstall": lambda argv: "pip" in argv and "install" in argv and
    "--force-reinstall" in argv and "--dry-run" not in argv,
}


def _kill_during(step: str) -> Callable[[Ctx], Result]:
    """kill -9 kerasfix while its pip child runs `step`; the next fix must notice, and undo
    must bring back the exact tree of before."""
    def run(ctx: Ctx) -> Result:
        argv = fmt(ctx, FIX)
        proc = ctx.spawn(*argv, stdout=subprocess.DEVNULL)

        def in_step() -> int | None:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"the fix ended (exit {proc.returncode}) before its {step}"
                                     f" step ran: {err}")
            if not snapshots(ctx):
                return None
            return next((pid for pid in descendants(proc.pid) if STEP_OF[step](cmdline(pid))),
                        None)

        wait_until(in_step, 120, f"the fix's {step} step")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stderr:
            proc.stderr.close()
        wait_group_gone(proc.pid)  # its pip child ends on its own (or dies on the broken pipe)
        notice = ctx.kerasfix(*fmt(ctx, DRY_RUN))
        text = squash(notice.stdout + notice.stderr)
        assert "interrupted" in text and "kerasfixundo" in text, \
            f"the next fix does not tell of the interrupted one\n{notice.show()}"
        return ctx.kerasfix("undo", "--yes", "--python", ctx.vars["py"])
    return run


CASES += [
    Case(f"kill-9-during-{step}", FAULT, use("clobbered"), (), 0, run=_kill_during(step))
    for step in STEP_OF
]

# ---------------------------------------------------------------------------- two fixers


def _two_fixers(ctx: Ctx) -> Result:
    """The first fixer is held in its download by a slow wheel source; the second one must
    refuse at once, change nothing, and the first must then finish."""
    server = WheelServer(ctx.bases.wheels, gate=lambda: bool(snapshots(ctx)))
    ctx.on_cleanup(server.close)
    argv = fmt(ctx, ("fix", "--yes", "--no-verify", "--python", "{py}", "--no-index",
                     "--find-links", server.url))
    started = time.monotonic()
    first = ctx.spawn(*argv, env={"PIP_NO_CACHE_DIR": "1"})
    wait_until(lambda: server.blocked.is_set() or first.poll() is not None, 120,
               "the first fixer to start downloading")
    assert first.poll() is None, "the first fixer ended before its download"
    during = venv_now(ctx)
    second = ctx.kerasfix(*fmt(ctx, FIX))
    assert second.code == 2, f"the second fixer was not refused\n{second.show()}"
    assert "another kerasfix" in second.stderr and "is changing" in second.stderr, second.show()
    assert venv_now(ctx) == during, "the second fixer changed the environment"
    server.release()
    result = ctx.collect(first, argv, started)
    after = ctx.kerasfix(*fmt(ctx, SCAN))
    assert after.code == 0, f"the first fixer did not leave a clean environment\n{after.show()}"
    return result


CASES.append(Case("two-fixers-at-once", FAULT, use("clobbered"), (), 0, run=_two_fixers,
                  expect=Expect(unchanged=())))

# ---------------------------------------------------------------------------- may not change it


def _read_only(ctx: Ctx) -> None:
    env = ctx.use("mismatch")
    immutable(ctx, env.site)


def _system_python(externally_managed: bool, in_venv: bool = False) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        python = fake_system_python(ctx, "system", externally_managed=externally_managed)
        if in_venv:
            subprocess.run([python, "-m", "venv", "--without-pip", str(ctx.tmp / "env" / "venv")],
                           check=True, capture_output=True, timeout=120)
            env = ctx.adopt(ctx.tmp / "env")
            ctx.watched["system"] = ctx.tmp / "system"
        else:
            prefix = ctx.tmp / "system"
            site = next((prefix / "lib").glob("python3*/site-packages"))
            env = FakeEnv(root=prefix, python=python, site=site)
            ctx.venv = env
            ctx.vars.update(py=python, venv=str(prefix), site=str(site))
            ctx.watched["venv"] = prefix
        env.healthy("2.18.1")
        env.tf_keras("2.15.0")
    return setup


CASES += [
    Case("read-only-env-fix-dry-run", FAULT, _read_only, DRY_RUN, 1,
         Expect(stdout_has=("fresh-venv",)), needs=("chattr",)),
    Case("read-only-env-fix-repair", FAULT, _read_only, (*FIX, "--strategy", "repair"), 3,
         Expect(output_has=("fresh-venv",)), needs=("chattr",)),
    Case("externally-managed-fix-dry-run", FAULT, _system_python(True), DRY_RUN, 1,
         Expect(stdout_has=("fresh-venv", "externally managed"))),
    Case("externally-managed-fix-repair", FAULT, _system_python(True),
         (*FIX, "--strategy", "repair"), 3, Expect(output_has=("externally managed",))),
    Case("venv-of-externally-managed-python-fix", FAULT, _system_python(True, in_venv=True),
         FIX, 0, Expect(unchanged=("system",))),
]

# ---------------------------------------------------------------------------- a full disk


def _tiny_state_disk(ctx: Ctx) -> None:
    ctx.use("clobbered")
    disk = ctx.tmp / "small-disk"
    disk.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                          capture_output=True, timeout=30)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.decode().strip()}")
    ctx.on_cleanup(lambda: subprocess.run(["umount", "-l", str(disk)], capture_output=True,
                                          timeout=30) and None)
    ctx.env["KERASFIX_STATE_DIR"] = str(disk / "kerasfix")
    ctx.watched["state"] = disk / "kerasfix"
    ctx.vars["big"] = str(ctx.bases.extra_wheels / "big")


CASES.append(Case("state-on-full-64k-tmpfs", FAULT, _tiny_state_disk,
                  ("fix", "--yes", "--no-verify", "--python", "{py}", "--find-links", "{big}",
                   "--no-index"), 2, needs=("root",)))

# ---------------------------------------------------------------------------- pip fails


def _pipless_kerasfix(ctx: Ctx) -> str:
    """kerasfix run by an interpreter that has no pip (as a `uv tool install` leaves it)."""
    runner = ctx.tmp / "kerasfix-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(runner)], check=True,
                   timeout=120)
    site = next((runner / "lib").glob("python3*/site-packages"))
    libs = ctx.tmp / "kerasfix-libs"
    libs.mkdir()
    import re

    import kerasfix

    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name == "pip" or re.fullmatch(r"pip-[\d.]+\.dist-info", entry.name) or \
                entry.suffix == ".pth" or entry.name == "__pycache__":
            continue
        (libs / entry.name).symlink_to(entry)
    repo = Path(kerasfix.__file__).resolve().parent.parent
    (site / "kerasfix-test.pth").write_text(f"{libs}\n{repo}\n")
    python = str(runner / "bin" / "python")
    check = subprocess.run([python, "-c", "import importlib.util as u, kerasfix, rich;"
                            " print(u.find_spec('pip'))"], capture_output=True, text=True,
                           timeout=60)
    assert check.stdout.strip() == "None", check
    return python


def _no_pip_anywhere(ctx: Ctx) -> Result:
    python = _pipless_kerasfix(ctx)
    ctx.remember()
    return ctx.kerasfix(*fmt(ctx, FIX), python=python)


def _broken_pip(ctx: Ctx) -> None:
    env = ctx.use("mismatch")
    env.add_dist("pip", "24.0", files={"pip/__init__.py": "", "pip/__main__.py": ""})
    shutil.rmtree(env.site / "pip")


def _broken_pip_outcome(ctx: Ctx, r: Result) -> None:
    if r.code == 3:
        assert_venv_as_before(ctx, "a failed fix changed the environment")
    else:
        assert ctx.venv is not None
        assert list(ctx.venv.site.glob("tf_keras-2.18.*.dist-info")), "exit 0, not fixed"


def _wheels_without(ctx: Ctx, *prefixes: str, evil: bool = False) -> str:
    """A copy of the wheelhouse without some wheels (or with a tf-keras pip cannot install)."""
    folder = ctx.tmp / "some-wheels"
    folder.mkdir()
    for wheel in ctx.bases.wheels.glob("*.whl"):
        if not wheel.name.startswith(prefixes):
            (folder / wheel.name).symlink_to(wheel)
    if evil:  # resolvable (its metadata is fine), but pip refuses to install it
        build_wheel(folder, "tf-keras", "2.18.0", {"tf_keras/__init__.py": "",
                                                   "../../escape.py": "x = 1\n"},
                    ["tensorflow<2.19,>=2.18"])
    return str(folder)


def _clobbered_with_old_tf_keras(ctx: Ctx) -> FakeEnv:
    env = ctx.use("clobbered")
    env.tf_keras("2.15.0")
    (env.site / "~ensorflow").mkdir()
    (env.site / "~ensorflow" / "__init__.py").write_text("")
    return env


def _missing_wheel(prefix: str) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        _clobbered_with_old_tf_keras(ctx)
        ctx.vars["some"] = _wheels_without(ctx, prefix)
    return setup


def _install_fails_after_changes(ctx: Ctx) -> Result:
    """pip refuses a wheel only when it installs it (the preview resolved it): a step fails
    after others changed the environment; undo must bring back the exact tree."""
    some = _wheels_without(ctx, "tf_keras-2.18.0", evil=True)
    fix = ctx.kerasfix("fix", "--yes", "--no-verify", "--python", ctx.vars["py"],
                       "--find-links", some, "--no-index")
    assert fix.code == 3, f"expected the failed step to end the fix with exit 3\n{fix.show()}"
    assert not list(ctx.tmp.rglob("escape.py")), "the wheel wrote outside the environment"
    if not snapshots(ctx):  # stopped before the first change
        assert_venv_as_before(ctx, "a fix that never started changed the environment")
        return fix
    return ctx.kerasfix("undo", "--yes", "--python", ctx.vars["py"])


CASES += [
    Case("pip-missing-everywhere", FAULT, use("mismatch"), (), frozenset({2, 3}),
         Expect(output_has=("pip",), one_line_error=None), run=_no_pip_anywhere),
    Case("pip-broken-in-target", FAULT, _broken_pip, FIX, frozenset({0, 3}),
         Expect(unchanged=("state",), check=_broken_pip_outcome)),
    Case("pip-cannot-resolve-a-later-step", FAULT, _missing_wheel("tf_keras-2.18.0"),
         ("fix", "--yes", "--no-verify", "--python", "{py}", "--find-links", "{some}",
          "--no-index"), 3),
    Case("pip-cannot-resolve-the-reinstall", FAULT, _missing_wheel("tensorflow-2.18.1"),
         ("fix", "--yes", "--no-verify", "--python", "{py}", "--find-links", "{some}",
          "--no-index"), 3),
    Case("pip-install-fails-after-changes", FAULT,
         lambda ctx: _clobbered_with_old_tf_keras(ctx) and None, (), frozenset({0, 3}),
         run=_install_fails_after_changes),
]

# ---------------------------------------------------------------------------- the probe crashes

PTH = {
    "os-exit": ("import os; os._exit(3)", 2),
    "segfault": ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", 2),
    "raises": ("import sys; raise RuntimeError('broken .pth')", 1),
    "closes-stdout": ("import os; os.close(1)", 2),
    "prints-noise": ("import sys; sys.stdout.write('hello from a .pth\\n')", 1),
    "spoofs-marker": ("import sys; sys.stdout.write('KERASFIX-PROBE-JSON\\n{}\\n')",
                      frozenset({1, 2})),
    "hangs": ("import time; time.sleep(300)", 2),
}


def _pth(code: str, base: str = "mismatch") -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        env = ctx.use(base)
        (env.site / "zz-startup.pth").write_text(code + "\n")
    return setup


def _sitecustomize(ctx: Ctx) -> None:
    env = ctx.use("mismatch")
    (env.site / "sitecustomize.py").write_text("raise ImportError('sitecustomize is broken')\n")


CASES += [
    Case(f"probe-pth-{name}", FAULT, _pth(code), SCAN, exit_,
         Expect(check=lambda ctx, r: no_leftovers(ctx)),
         env={"KERASFIX_PROBE_TIMEOUT": "3"} if name == "hangs" else {})
    for name, (code, exit_) in PTH.items()
] + [
    Case("probe-sitecustomize-raises", FAULT, _sitecustomize, SCAN, 1),
    Case("probe-pth-os-exit-fix", FAULT, _pth(PTH["os-exit"][0]), FIX, 2),
]

# ---------------------------------------------------------------------------- the runtime check


def _tf_init(code: str, base: str = "healthy", package: str = "tensorflow"
             ) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        env = ctx.use(base)
        (env.site / package / "__init__.py").write_text(code + "\n")
    return setup


DEEP = ("scan", "--deep", "--timeout", "5", "--python", "{py}")
RUNTIME = {
    "segfault": ("import os; os.kill(os.getpid(), 11)", "SIGSEGV"),
    "abort": ("import os; os.abort()", "SIGABRT"),
    "sigkill": ("import os; os.kill(os.getpid(), 9)", "SIGKILL"),
    "closes-pipes-then-crashes": ("import os; os.close(1); os.close(2);"
                                  " os.kill(os.getpid(), 11)", "SIGSEGV"),
    "floods-output": ("import sys\nfor _ in range(48):\n    sys.stdout.write('x' * 65536)\n"
                      "    sys.stderr.write('y' * 65536)\nraise SystemExit(0)", ""),
}


def _fast_enough(limit: float) -> Callable[[Ctx, Result], None]:
    def check(ctx: Ctx, r: Result) -> None:
        assert r.seconds < limit, f"took {r.seconds:.0f} s (timeout was set lower)"
        no_leftovers(ctx)
    return check


CASES += [
    Case(f"runtime-{name}", FAULT, _tf_init(code), DEEP, 1,
         Expect(stdout_has=(says,) if says else (), check=lambda ctx, r: no_leftovers(ctx)),
         timeout=90)
    for name, (code, says) in RUNTIME.items()
] + [
    Case("runtime-hangs", FAULT, _tf_init("import time; time.sleep(300)"),
         ("scan", "--deep", "--timeout", "2", "--python", "{py}"), 1,
         Expect(stdout_has=("timed out",), check=_fast_enough(60)), timeout=90),
    Case("runtime-keras-exits", FAULT, _tf_init("import os; os._exit(1)", package="keras"),
         DEEP, 1, timeout=90),
    Case("runtime-crash-in-fix-verification", FAULT,
         _tf_init("import os; os.kill(os.getpid(), 11)", base="mismatch"),
         ("fix", "--yes", "--timeout", "5", "--python", "{py}", "--find-links", "{wheels}",
          "--no-index"), 1, Expect(stdout_has=("runtime-crash",), unchanged=()), timeout=120),
]

# ---------------------------------------------------------------------------- SIGINT


def _sigint_scan(deep: bool) -> Callable[[Ctx], Result]:
    def run(ctx: Ctx) -> Result:
        argv = fmt(ctx, ("scan", "--deep", "--timeout", "100", "--python", "{py}") if deep
                   else SCAN)
        started = time.monotonic()
        proc = ctx.spawn(*argv)
        marker = "runtime_script" if deep else "KERASFIX"
        wait_until(lambda: proc.poll() is not None or any(
            marker in " ".join(a) for _, a in processes_running(ctx.vars["py"])), 60,
            "the target's process to start")
        assert proc.poll() is None, "the scan ended by itself"
        waiting = []  # kerasfix asleep (waiting for its child) three polls in a row

        def asleep() -> bool:
            waiting.append(proc_state(proc.pid) == "S")
            return waiting[-3:] == [True] * 3
        wait_until(asleep, 60, "kerasfix to wait for its child")
        os.kill(proc.pid, signal.SIGINT)
        result = ctx.collect(proc, argv, started, timeout=30)
        no_leftovers(ctx)
        return result
    return run


def _sigint_fix(ctx: Ctx) -> Result:
    """Ctrl-C (SIGINT to the whole process group) while pip uninstalls; undo restores."""
    argv = fmt(ctx, FIX)
    started = time.monotonic()
    proc = ctx.spawn(*argv)
    wait_until(lambda: proc.poll() is not None or (snapshots(ctx) and any(
        STEP_OF["uninstall"](cmdline(pid)) for pid in descendants(proc.pid))), 120,
        "the uninstall step")
    assert proc.poll() is None, "the fix ended before its uninstall step"
    kill_group(proc.pid, signal.SIGINT)
    fix = ctx.collect(proc, argv, started)
    assert fix.code in (3, 130), f"exit {fix.code} after Ctrl-C\n{fix.show()}"
    wait_group_gone(proc.pid)
    return ctx.kerasfix("undo", "--yes", "--python", ctx.vars["py"])


CASES += [
    Case("sigint-during-scan-probe", FAULT, _pth("import time; time.sleep(300)", "healthy"),
         (), 130, Expect(stderr_has=("interrupted",)),
         run=_sigint_scan(deep=False)),
    Case("sigint-during-runtime-check", FAULT, _tf_init("import time; time.sleep(300)"), (),
         130, Expect(stderr_has=("interrupted",)), run=_sigint_scan(deep=True)),
    Case("sigint-during-fix-step", FAULT, use("clobbered"), (), 0, run=_sigint_fix),
]

# ---------------------------------------------------------------------------- closed pipes


def _reader_gone(args: tuple[str, ...]) -> Callable[[Ctx], Result]:
    """stdout is a pipe whose reader is gone before kerasfix writes (`kerasfix ... | true`)."""
    def run(ctx: Ctx) -> Result:
        argv = fmt(ctx, args)
        read, write = os.pipe()
        os.close(read)
        started = time.monotonic()
        proc = subprocess.Popen([*KERASFIX, *argv], stdin=subprocess.DEVNULL, stdout=write,
                                stderr=subprocess.PIPE, cwd=ctx.cwd, env=ctx.env,
                                start_new_session=True)
        os.close(write)
        _, err = proc.communicate(timeout=120)
        result = Result([*KERASFIX, *argv], proc.returncode, b"", err,
                        time.monotonic() - started, note="(stdout: a pipe nobody reads)")
        ctx.results.append(result)
        check_process(result)
        return result
    return run


def _head_c1(ctx: Ctx) -> Result:
    """The shell's `kerasfix scan | head -c 1`, status of kerasfix's side."""
    cmd = " ".join(f"'{a}'" for a in [*KERASFIX, *fmt(ctx, SCAN)])
    started = time.monotonic()
    proc = subprocess.run(["bash", "-c", f"{cmd} | head -c 1; exit ${{PIPESTATUS[0]}}"],
                          capture_output=True, cwd=ctx.cwd, env=ctx.env, timeout=120)
    assert len(proc.stdout) == 1, proc.stdout  # head's byte, maybe half a character
    result = Result([*KERASFIX, *fmt(ctx, SCAN)], proc.returncode, b"", proc.stderr,
                    time.monotonic() - started, note="(| head -c 1)")
    ctx.results.append(result)
    check_process(result)
    return result


def _stdout_closed(ctx: Ctx) -> Result:
    return ctx.kerasfix(*fmt(ctx, SCAN), close_fds=(1,))


def _fix_reader_gone(ctx: Ctx) -> Result:
    """`kerasfix fix --yes | true`: the fix completes, or stops and leaves nothing changed
    (or changes that undo takes back)."""
    result = _reader_gone(FIX)(ctx)
    if result.code == 0:
        scan = ctx.kerasfix(*fmt(ctx, SCAN))
        assert scan.code == 0, f"exit 0, but the environment is not fixed\n{scan.show()}"
    else:
        if snapshots(ctx):
            undo = ctx.kerasfix("undo", "--yes", "--python", ctx.vars["py"])
            assert undo.code == 0, undo.show()
        assert_venv_as_before(ctx, "a fix that stopped is not undone")
    return result


CASES += [
    Case("stdout-reader-gone-scan", FAULT, use("mismatch"), (), frozenset({0, 1}),
         run=_reader_gone(SCAN)),
    Case("stdout-reader-gone-scan-json", FAULT, use("mismatch"), (), frozenset({0, 1}),
         Expect(json_out=False), run=_reader_gone(("scan", "--json", "--python", "{py}"))),
    Case("stdout-head-c-1", FAULT, use("mismatch"), (), frozenset({0, 1}), run=_head_c1),
    Case("stdout-closed-fd", FAULT, use("mismatch"), (), frozenset({0, 1, 2}),
         run=_stdout_closed),
    Case("stdout-reader-gone-fix", FAULT, use("clobbered"), (), frozenset({0, 1, 3}),
         Expect(unchanged=()), run=_fix_reader_gone),
]

# ---------------------------------------------------------------------------- no terminal


def _no_terminal(side: str) -> Callable[[Ctx], Result]:
    return lambda ctx: run_on_pty(ctx, ["--python", ctx.vars["py"]], pty_for=side)


REPORT = ("TensorFlow / Keras stack", "tf-keras-minor-mismatch")
CASES += [
    Case("no-terminal-stdin-devnull", FAULT, use("mismatch"), (), 1,
         Expect(stdout_has=REPORT, tty=True), run=_no_terminal("stdout")),
    Case("no-terminal-stdout-piped", FAULT, use("mismatch"), (), 1,
         Expect(stdout_has=REPORT), run=_no_terminal("stdin")),
    Case("no-stdin-explain", FAULT, None, (), 2, run=lambda ctx: ctx.kerasfix(
        "explain", "-", "--no-scan", stdin=None, close_fds=(0,))),
    Case("no-stdin-fix-without-yes", FAULT, use("mismatch"), (), 2, run=lambda ctx: ctx.kerasfix(
        *[a for a in fmt(ctx, FIX) if a != "--yes"], stdin=None, close_fds=(0,))),
]

# ---------------------------------------------------------------------------- outside the env


def _pythonpath(ctx: Ctx) -> None:
    env = ctx.use("pip_healthy")
    folder = ctx.user_dir("shared-libs")
    pip_offline(env, ctx.bases.wheels, "install", "--no-deps", "--target", str(folder),
                "keras==2.15.0")
    ctx.env["PYTHONPATH"] = str(folder)
    ctx.vars["folder"] = str(folder)


def _user_site(ctx: Ctx) -> None:
    python = fake_system_python(ctx, "system", externally_managed=False)
    subprocess.run([python, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(ctx.tmp / "env" / "venv")], check=True, capture_output=True, timeout=120)
    env = ctx.adopt(ctx.tmp / "env")
    env.healthy("2.18.1")
    shutil.rmtree(next(env.site.glob("keras-*.dist-info")))  # keras: only the user site's
    shutil.rmtree(env.site / "keras")
    userbase = ctx.tmp / "userbase"
    ctx.env["PYTHONUSERBASE"] = str(userbase)
    user_site = subprocess.run([env.python, "-c", "import site; print(site.getusersitepackages())"],
                               capture_output=True, text=True, env=ctx.env, timeout=60
                               ).stdout.strip()
    assert user_site.startswith(str(userbase)), user_site
    env.keras("2.15.0", site=Path(user_site))
    ctx.watched["userbase"] = userbase
    ctx.vars["user_site"] = user_site


def _later_change(ctx: Ctx) -> Result:
    """A fix, then the user's own `pip install userpkg`, then undo: userpkg stays."""
    fix = ctx.kerasfix(*fmt(ctx, FIX))
    assert fix.code == 0, fix.show()
    assert ctx.venv is not None
    pip_offline(ctx.venv, ctx.bases.extra_wheels, "install", "userpkg==1.0")
    mine = {k: v for k, v in venv_now(ctx).items() if b"userpkg" in k}
    assert mine, "userpkg was not installed"
    undo = ctx.kerasfix("undo", "--yes", "--python", ctx.vars["py"])
    assert "userpkg" in undo.stdout + undo.stderr, f"undo does not show the later change\n" \
                                                   f"{undo.show()}"
    now = venv_now(ctx)
    kept = {k: v for k, v in now.items() if b"userpkg" in k}
    assert kept == mine, "undo removed or changed the package installed after the fix"
    rest = {k: v for k, v in now.items() if b"userpkg" not in k}
    assert rest == ctx.before["venv"], f"undo did not restore the fix's changes:" \
                                       f" {diff(ctx.before['venv'], rest)}"
    return undo


CASES += [
    Case("pythonpath-keras-untouched", FAULT, _pythonpath, FIX, 1,
         Expect(stdout_has=("off PYTHONPATH", "{folder}"), unchanged=("shared-libs",))),
    Case("user-site-keras-untouched", FAULT, _user_site, FIX, 1,
         Expect(stdout_has=("{user_site}",), unchanged=("userbase", "system"))),
    Case("undo-keeps-a-later-install", FAULT, use("pip_mismatch"), (), 0, run=_later_change,
         expect=Expect(unchanged=())),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fault(case: Case, run_case) -> None:  # type: ignore[no-untyped-def]
    run_case(case)
