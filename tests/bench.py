"""kerasfix scan --json side by side with pip check, pipdeptree and uv pip check.

    .venv/bin/python tests/bench.py [--rounds 7] [--sizes 250,500,1000] [--rebuild] [--skip-tf]

Environments (built once, cached under .cache/bench/, see tests/benchenv.py): a real
tensorflow-cpu==2.18.1 venv, an empty venv (pip, setuptools, wheel, packaging: the fixed cost),
and venvs with 250, 500 and 1,000 fabricated distributions.

Method: one warm-up round (outputs checked, bytecode compiled, not timed), then --rounds
interleaved rounds; in each round every environment gets every tool once, in an order that
rotates from round to round. Each tool is started by a bare `python -I -S` launcher that times it
and reads its rusage with os.wait4 (see LAUNCHER). Reported per environment and tool: the median
wall time (min, max), the median CPU time (user + system of the tool and the children it waited
for: much less disturbed than wall time when other work shares the 2 CPUs) and the median peak
RSS. Peak RSS is ru_maxrss: Linux folds in the peaks of the waited-for descendants as a
*maximum*, not a sum, so for kerasfix (whose probe runs beside it) it is the largest single
process, not the pair's total. kerasfix's phases (probe subprocess, build_inventory, run_checks)
are also timed through the library, interleaved the same way.

Targets are printed as PASS/FAIL lines (judged on wall time, as specified) and never change the
exit code. Exit codes: 0; 1 when a tool crashed (an exit code it does not use for findings, or a
signal); 2 when an environment could not be built. Results: .cache/bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchenv  # tests/ is not a package: found through sys.path
from benchenv import CACHE, ROOT, Env, EnvError

from kerasfix.diagnose.checks import run_checks
from kerasfix.inspect.inventory import build_inventory
from kerasfix.inspect.probe import run_probe
from kerasfix.inspect.target import Target

BIN = Path(sys.executable).parent
SIZES = (250, 500, 1000)
RESULTS = CACHE / "results.json"
TOOLS = ("kerasfix", "pip check", "pipdeptree", "uv")
PHASES = ("probe", "build", "checks")
# Exit codes each tool uses for "ran fine" (findings included); anything else is a crash.
OK_CODES = {"kerasfix": {0, 1}, "pip check": {0, 1}, "pipdeptree": {0}, "uv": {0, 1}}
TARGET_TF_RATIO = 0.3
TARGET_1000_SECONDS = 1.0
TARGET_TUI_SECONDS = 1.0
# The app headless in a fresh interpreter: from process start to the scan on screen.
TUI_PROBE = """
import asyncio, sys
from kerasfix.inspect.target import Target
from kerasfix.tui.app import KerasfixApp

async def main():
    app = KerasfixApp(Target(sys.argv[1], "--python"))
    async with app.run_test(size=(120, 40)) as pilot:
        while app.last_scan is None:
            await pilot.pause(0.005)
        await pilot.pause()
        print("SHOWN", flush=True)

asyncio.run(main())
"""
TARGET_LINEAR = 1.5


def command(tool: str, env: Env) -> list[str]:
    py = env.python
    if tool == "kerasfix":
        return [str(BIN / "kerasfix"), "scan", "--python", py, "--json"]
    if tool == "pip check":
        return [py, "-m", "pip", "check"]
    if tool == "pipdeptree":
        return [str(BIN / "pipdeptree"), "--python", py, "-w", "silence"]
    if tool == "uv":
        return [str(BIN / "uv"), "pip", "check", "--python", py]
    raise ValueError(tool)


PYCACHE = CACHE / "pycache"


def child_env() -> dict[str, str]:
    """The bench's own environment without anything that would pick another target.

    Bytecode: an installed environment has .pyc files (pip compiles on install), but `uv pip
    install` does not, an editable kerasfix has none, and a PYTHONDONTWRITEBYTECODE=1 in the
    caller's environment would make every run compile pip, packaging and kerasfix from source.
    So the tools run with bytecode writing on, into PYTHONPYCACHEPREFIX under .cache/bench/: the
    warm-up round compiles, the timed rounds read .pyc like an installed environment does.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME",
                        "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["UV_CACHE_DIR"] = str(benchenv.UV_CACHE)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["NO_COLOR"] = "1"
    return env


@dataclass
class Sample:
    seconds: float
    rss_kib: int
    code: int | None  # None: killed by a signal
    signal: int | None = None
    cpu: float = float("nan")  # user + system seconds of the tool and its waited-for children


@dataclass
class Run:
    """One tool on one environment: its samples and what the warm-up saw."""
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    codes: list[int | None] = field(default_factory=list)
    warmup_note: str = ""


class Crash(Exception):
    pass


# Runs the tool and measures it from a small process of its own. A child exec'd straight from
# this process would inherit this process's RSS as the floor of its ru_maxrss (Linux keeps the
# pre-exec high-water mark, and vfork shares our memory), so a bare `python -I -S` (~9 MiB) starts
# the tool, times it and reads its rusage with os.wait4. Its own startup is not in the time.
LAUNCHER = """
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(out, "w") as fh:
    fh.write("%r %d %d %r" % (seconds, status, usage.ru_maxrss,
                              usage.ru_utime + usage.ru_stime))
"""


def run_once(argv: list[str], cwd: Path, env: dict[str, str], stdout: int | object,
             stderr_file, result_path: Path) -> Sample:
    stderr_file.seek(0)
    stderr_file.truncate()
    result_path.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, str(result_path), *argv],
                   cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr_file,
                   check=False)
    try:
        seconds, status, rss, cpu = result_path.read_text().split()
    except (OSError, ValueError):
        return Sample(float("nan"), 0, None, None)  # the launcher itself failed
    st = int(status)
    if os.WIFSIGNALED(st):
        return Sample(float(seconds), int(rss), None, os.WTERMSIG(st), float(cpu))
    return Sample(float(seconds), int(rss), os.WEXITSTATUS(st), None, float(cpu))


def launcher_floor(cwd: Path, env: dict[str, str]) -> int:
    """ru_maxrss the launcher reports for /bin/true: the floor under every RSS figure (KiB)."""
    with tempfile.TemporaryFile() as err:
        return run_once(["/bin/true"], cwd, env, subprocess.DEVNULL, err,
                        cwd / f"launch-{os.getpid()}.txt").rss_kib


_CLEAN = ("No broken requirements found.", "All installed packages are compatible")


def warmup_note(tool: str, out: str, code: int | None) -> str:
    """What the tool said in the warm-up round, in a few words."""
    if tool == "kerasfix":
        try:
            doc = json.loads(out)
        except ValueError:
            return "stdout is not JSON"
        findings = doc.get("findings") or []
        errors = sum(1 for f in findings if f.get("severity") == "error")
        return f"{_count_dists(doc)} dists, {len(findings)} findings ({errors} errors)"
    lines = [line.strip() for line in out.strip().splitlines() if line.strip()]
    if tool == "pipdeptree":
        return f"{len(lines)} lines" + (f", exit {code}" if code else "")
    if code == 0 and any(line in _CLEAN for line in lines):
        return "clean"
    return f"exit {code}: {lines[-1][:30] if lines else ''}"


def _count_dists(doc: dict) -> int | str:
    inv = doc.get("inventory") or doc
    for key in ("distributions", "dists"):
        if isinstance(inv.get(key), list):
            return len(inv[key])
    return "?"


def phases_once(env: Env, cwd: Path, environ: dict[str, str]) -> dict[str, float]:
    """Wall and CPU seconds of each phase; the probe's CPU is its process's (RUSAGE_CHILDREN)."""
    def children_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    c0, t0 = children_cpu(), time.perf_counter()
    doc = run_probe(Target(env.python, "bench"), cwd=str(cwd), env=environ)
    t1, c1, p1 = time.perf_counter(), children_cpu(), time.process_time()
    inv = build_inventory(doc)
    t2, p2 = time.perf_counter(), time.process_time()
    run_checks(inv)
    t3, p3 = time.perf_counter(), time.process_time()
    return {"probe": t1 - t0, "build": t2 - t1, "checks": t3 - t2,
            "probe_cpu": c1 - c0, "build_cpu": p2 - p1, "checks_cpu": p3 - p2}


def tool_versions(environ: dict[str, str]) -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, env=environ, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"unavailable ({err})"
        return (out.stdout.strip() or out.stderr.strip()).splitlines()[0] if out.returncode == 0 \
            else f"exit {out.returncode}"
    return {
        "kerasfix": first_line([str(BIN / "kerasfix"), "--version"]),
        "pipdeptree": first_line([str(BIN / "pipdeptree"), "--version"]),
        "uv": first_line([str(BIN / "uv"), "--version"]),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- the benchmark


def tui_first_screen(python: Path, rounds: int) -> float | None:
    """Median seconds from starting `kerasfix` to the scan results on the first screen."""
    times = []
    for _ in range(rounds + 1):  # the first is a warm-up
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", TUI_PROBE, str(python)],
                                stdout=subprocess.PIPE, text=True, env=child_env())
        line = proc.stdout.readline() if proc.stdout else ""
        shown = time.perf_counter() - started
        proc.wait()
        if "SHOWN" in line:
            times.append(shown)
    return median(times[1:]) if len(times) > 1 else None


def build_envs(args: argparse.Namespace) -> tuple[list[Env], list[str]]:
    envs, failed = [], []
    steps = [("empty venv", lambda: benchenv.ensure_empty(args.rebuild))]
    if not args.skip_tf:
        steps.insert(0, ("tf-2.18.1", lambda: benchenv.ensure_tensorflow(args.rebuild)))
    steps += [(f"{n} dists", lambda n=n: benchenv.ensure_fabricated(n, args.rebuild))
              for n in args.sizes]
    for name, make in steps:
        try:
            envs.append(make())
        except EnvError as err:
            failed.append(f"{name}: {err}")
            print(f"ENV FAILED {name}: {err}", file=sys.stderr)
    return envs, failed


def bench(envs: list[Env], rounds: int) -> tuple[dict, list[str], int]:
    environ = child_env()
    work = CACHE / "work"  # a neutral folder: the probe scans its cwd (sys.path[0])
    work.mkdir(parents=True, exist_ok=True)
    runs = {(e.name, t): Run() for e in envs for t in TOOLS}
    phases: dict[str, list[dict[str, float]]] = {e.name: [] for e in envs}
    crashes: list[str] = []
    result_path = work / f"launch-{os.getpid()}.txt"  # two benches at once do not collide
    floor = launcher_floor(work, environ)
    with tempfile.TemporaryFile() as err_file, tempfile.TemporaryFile() as out_file:
        for r in range(rounds + 1):  # round 0 is the warm-up
            label = "warm-up" if r == 0 else f"round {r}/{rounds}"
            print(f"  {label} …", file=sys.stderr, flush=True)
            for e_i, env in enumerate(envs):
                shift = (r + e_i) % len(TOOLS)
                order = TOOLS[shift:] + TOOLS[:shift]
                for tool in order:
                    run = runs[(env.name, tool)]
                    if r == 0:
                        out_file.seek(0)
                        out_file.truncate()
                    sample = run_once(command(tool, env), work, environ,
                                      out_file if r == 0 else subprocess.DEVNULL, err_file,
                                      result_path)
                    ok = sample.code in OK_CODES[tool]
                    if not ok:
                        err_file.seek(0)
                        tail = err_file.read().decode("utf-8", "replace").strip()[-600:]
                        why = (f"exit {sample.code}" if sample.code is not None else
                               f"signal {sample.signal}" if sample.signal is not None else
                               "the launcher failed")
                        crashes.append(f"{tool} on {env.name}: {why}: {tail}")
                        print(f"CRASH {tool} on {env.name} ({why}):\n{tail}", file=sys.stderr)
                    if r == 0:  # uv reports on stderr
                        out_file.seek(0)
                        err_file.seek(0)
                        said = (out_file.read() + b"\n" + err_file.read()).decode("utf-8",
                                                                                  "replace")
                        run.warmup_note = warmup_note(tool, said, sample.code)
                        continue
                    run.codes.append(sample.code)
                    if ok:  # a crashed run's time says nothing about the tool
                        run.times.append(sample.seconds)
                        run.cpu.append(sample.cpu)
                        run.rss.append(sample.rss_kib)
                try:
                    ph = phases_once(env, work, environ)
                except Exception as err:  # a kerasfix bug: report it, keep benchmarking
                    crashes.append(f"kerasfix phases on {env.name}: {type(err).__name__}: {err}")
                    print(f"CRASH kerasfix phases on {env.name}: {err!r}", file=sys.stderr)
                    continue
                if r > 0:
                    phases[env.name].append(ph)
    result = {}
    for env in envs:
        tools = {}
        for tool in TOOLS:
            run = runs[(env.name, tool)]
            tools[tool] = {
                "command": command(tool, env),
                "median_s": median(run.times), "min_s": min(run.times, default=float("nan")),
                "max_s": max(run.times, default=float("nan")),
                "median_cpu_s": median(run.cpu), "cpu_s": run.cpu,
                "median_rss_mib": median(run.rss) / 1024,
                "max_rss_mib": max(run.rss, default=0) / 1024,
                "times_s": run.times, "rss_kib": run.rss, "exit_codes": run.codes,
                "warmup_output": run.warmup_note,
            }
        ph = phases[env.name]
        result[env.name] = {
            "path": str(env.path), "fabricated_dists": env.fabricated,
            "dists": count_dists(env),
            "tools": tools,
            "phases_ms": {k: median([p[k] * 1000 for p in ph]) for k in PHASES},
            "phases_cpu_ms": {k: median([p[k + "_cpu"] * 1000 for p in ph]) for k in PHASES},
            "phases_samples_ms": [{k: v * 1000 for k, v in p.items()} for p in ph],
        }
    result_path.unlink(missing_ok=True)
    return result, crashes, floor


def count_dists(env: Env) -> int:
    site = benchenv.purelib(env.python)
    try:
        return sum(1 for n in os.listdir(site) if n.endswith(".dist-info"))
    except OSError:
        return -1


# ---------------------------------------------------------------- targets and report


def metric(env: dict, what: str, cpu: bool = False) -> float:
    """Median seconds of a tool (wall or CPU) or of a kerasfix phase on one environment."""
    if what in TOOLS:
        return env["tools"][what]["median_cpu_s" if cpu else "median_s"]
    return env["phases_cpu_ms" if cpu else "phases_ms"][what] / 1000


def per_dist(result: dict, n: int, what: str, cpu: bool = False) -> float | None:
    """Seconds per fabricated distribution above the empty venv's fixed cost."""
    env, empty = result.get(f"{n} dists"), result.get("empty venv")
    if not env or not empty or n <= 0:
        return None
    return (metric(env, what, cpu) - metric(empty, what, cpu)) / n


def growth(result: dict, small: int, big: int, what: str, cpu: bool = False) -> float | None:
    lo, hi = per_dist(result, small, what, cpu), per_dist(result, big, what, cpu)
    if lo is None or hi is None:
        return None
    return hi / lo if lo > 0 else float("inf")


def targets(result: dict, sizes: list[int]) -> list[dict]:
    out = []
    tf = result.get("tf-2.18.1")
    if tf:
        k, p = metric(tf, "kerasfix"), metric(tf, "pip check")
        kc, pc = metric(tf, "kerasfix", True), metric(tf, "pip check", True)
        out.append({"name": f"real TF env: kerasfix <= {TARGET_TF_RATIO}x pip check (wall)",
                    "value": k / p, "ok": k / p <= TARGET_TF_RATIO,
                    "detail": f"{k * 1000:.0f} vs {p * 1000:.0f} ms = {k / p:.2f}x"
                              f" (CPU {kc * 1000:.0f} vs {pc * 1000:.0f} ms = {kc / pc:.2f}x)"})
    else:
        out.append({"name": "real TF env", "value": None, "detail": "not measured", "ok": None})
    big = result.get("1000 dists")
    if not big:
        out.append({"name": "1,000 dists", "value": None, "detail": "not measured",
                    "ok": None})
    else:
        k, kc = metric(big, "kerasfix"), metric(big, "kerasfix", True)
        out.append({"name": f"1,000 dists: kerasfix <= {TARGET_1000_SECONDS:g} s (wall)",
                    "value": k, "ok": k <= TARGET_1000_SECONDS,
                    "detail": f"{k * 1000:.0f} ms (CPU {kc * 1000:.0f} ms)"})
    small = min(sizes)
    ratio = growth(result, small, 1000, "kerasfix")
    ratio_cpu = growth(result, small, 1000, "kerasfix", True)
    if ratio is None or ratio_cpu is None or small == 1000:
        out.append({"name": "linear growth", "value": None, "ok": None,
                    "detail": "needs the empty venv, 1,000 dists and a smaller size"})
    else:
        lo, hi = per_dist(result, small, "kerasfix"), per_dist(result, 1000, "kerasfix")
        base = metric(result["empty venv"], "kerasfix")
        said = f"{ratio:.2f}x" if lo > 0 else f"not measurable ({small} dists no slower than none)"
        out.append({"name": f"linear: per-dist time at 1,000 within {TARGET_LINEAR}x of {small}"
                    " (wall)", "value": ratio,
                    "ok": 1 / TARGET_LINEAR <= ratio <= TARGET_LINEAR,
                    "detail": f"{hi * 1e6:.0f} vs {lo * 1e6:.0f} µs/dist = {said}, fixed"
                              f" {base * 1000:.0f} ms subtracted (CPU: {ratio_cpu:.2f}x)"})
    return out


def ms(seconds: float, width: int) -> str:
    return f"{seconds * 1000:{width}.0f}" if seconds == seconds else f"{'-':>{width}}"


def report(result: dict, checks: list[dict], sizes: list[int], rounds: int, floor: int,
           load: tuple[list[float], list[float]]) -> str:
    before, after = (" ".join(f"{x:.2f}" for x in la) for la in load)
    lines = [f"kerasfix benchmark: {rounds} rounds after 1 warm-up, medians; {os.cpu_count()}"
             f" CPUs; targets on {platform.python_implementation()} {platform.python_version()}",
             f"load average before: {before}, after: {after}; bytecode cached in"
             f" {PYCACHE.relative_to(ROOT)} (PYTHONPYCACHEPREFIX)",
             "", f"{'environment':<12}{'dists':>6}  {'tool':<11}{'wall ms':>9}{'min':>7}"
             f"{'max':>7}{'CPU ms':>8}{'RSS MiB':>9}  {'kerasfix/tool wall':>18}  {'CPU':>6}",
             "-" * 99]
    for name, env in result.items():
        k = env["tools"]["kerasfix"]
        for i, tool in enumerate(TOOLS):
            t = env["tools"][tool]
            wall = "" if tool == "kerasfix" else f"{k['median_s'] / t['median_s']:.2f}x"
            cpu = "" if tool == "kerasfix" else f"{k['median_cpu_s'] / t['median_cpu_s']:.2f}x"
            lines.append(f"{name if i == 0 else '':<12}{env['dists'] if i == 0 else '':>6}  "
                         f"{tool:<11}{ms(t['median_s'], 9)}{ms(t['min_s'], 7)}"
                         f"{ms(t['max_s'], 7)}{ms(t['median_cpu_s'], 8)}"
                         f"{t['median_rss_mib']:9.1f}  {wall:>18}  {cpu:>6}")
    lines += ["", f"{'warm-up':<14}" + "".join(f"{t:<{w}}" for t, w in zip(
        TOOLS, (36, 17, 17, 17))), "-" * 99]
    for name, env in result.items():
        lines.append(f"{name:<14}" + "".join(f"{env['tools'][t]['warmup_output'][:w - 1]:<{w}}"
                                              for t, w in zip(TOOLS, (36, 17, 17, 17))))
    lines += ["", "CPU: user + system time of the tool and the children it waited for (less"
              " disturbed by other load).", "RSS: ru_maxrss from os.wait4, the max of the tool's"
              " process and its waited-for children, not", f"     their sum (kerasfix's probe"
              f" runs beside kerasfix); floor {floor / 1024:.1f} MiB (the launcher's own).", "",
              "kerasfix phases through the library (median ms): probe = the probe subprocess in"
              " the target,", "build = build_inventory, checks = run_checks; other = CLI minus"
              " the phases (startup, imports, JSON)",
              f"{'':<12}{'wall':^48}  {'CPU':^32}",
              f"{'environment':<12}" + "".join(f"{h:>8}" for h in (
                  "probe", "build", "checks", "sum", "CLI", "other")) + "  "
              + "".join(f"{h:>8}" for h in ("probe", "build", "checks", "CLI")), "-" * 99]
    for name, env in result.items():
        ph, pc = env["phases_ms"], env["phases_cpu_ms"]
        total = sum(ph.values())
        cli = metric(env, "kerasfix") * 1000
        cli_cpu = metric(env, "kerasfix", True) * 1000
        lines.append(f"{name:<12}" + "".join(f"{v:8.1f}" for v in (
            ph["probe"], ph["build"], ph["checks"], total, cli, cli - total)) + "  "
            + "".join(f"{v:8.1f}" for v in (pc["probe"], pc["build"], pc["checks"], cli_cpu)))
    empty = result.get("empty venv")
    if empty:
        small, big = min(sizes), max(sizes)
        head = "".join(f"{n:>7}" for n in sizes) + f"{f'{big}/{small}':>9}"
        lines += ["", "Cost per fabricated distribution above the empty venv (µs/dist, medians):",
                  f"{'':<12}{'wall':^{len(head)}}  {'CPU':^{len(head)}}",
                  f"{'':<12}{head}  {head}", "-" * 99]
        for what in [*TOOLS, *PHASES]:
            row = f"{what:<12}"
            for cpu in (False, True):
                for n in sizes:
                    v = per_dist(result, n, what, cpu)
                    row += f"{v * 1e6:7.0f}" if v is not None else f"{'-':>7}"
                    ratio = growth(result, small, big, what, cpu)
                row += (f"{ratio:8.2f}x" if ratio is not None and ratio != float("inf")
                        else f"{'-':>9}") + ("  " if not cpu else "")
            lines.append(row)
    lines.append("")
    busy = max(load[0][0], load[1][0])
    if busy > 0.75 * (os.cpu_count() or 1):
        lines += [f"NOTE: load average {busy:.1f} on {os.cpu_count()} CPUs: other work competed"
                  " with the tools, so wall times", "      (and the wall-based verdicts) are"
                  " unreliable; the CPU columns are much less affected.", ""]
    for c in checks:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[c["ok"]]
        lines.append(f"{verdict}  {c['name']}")
        lines.append(f"      {c['detail']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=list(SIZES), help="fabricated env sizes (default 250,500,1000)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached envs")
    parser.add_argument("--skip-tf", action="store_true", help="leave out the real TF env")
    args = parser.parse_args(argv)
    args.rounds = max(1, args.rounds)
    print("Preparing environments (cached in .cache/bench/) …", file=sys.stderr)
    envs, failed = build_envs(args)
    load_before = list(os.getloadavg())
    environ = child_env()
    print(f"Benchmarking {len(envs)} environments × {len(TOOLS)} tools …", file=sys.stderr)
    result, crashes, floor = bench(envs, args.rounds)
    checks = targets(result, args.sizes)
    tf_env = next((e for e in envs if e.name == "tf-2.18.1"), None)
    if tf_env is not None:
        shown = tui_first_screen(tf_env.python, max(3, args.rounds // 2))
        checks.append({"name": f"app: first screen with scan results <= {TARGET_TUI_SECONDS:g}"
                       " s on the real TF env (wall, from process start)", "value": shown,
                       "ok": shown is not None and shown <= TARGET_TUI_SECONDS,
                       "detail": f"{shown * 1000:.0f} ms" if shown else "app did not start"})
    load = (load_before, list(os.getloadavg()))
    print(report(result, checks, args.sizes, args.rounds, floor, load))
    doc = {
        "schema": "kerasfix.bench/1",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "bench_python": platform.python_version(),
                    "base_python": benchenv.BASE_PYTHON},
        "tool_versions": tool_versions(environ),
        "rounds": args.rounds, "warmup_rounds": 1, "load_average": load,
        "bytecode": f"PYTHONPYCACHEPREFIX={PYCACHE}, PYTHONDONTWRITEBYTECODE removed (it was"
                    f" {os.environ.get('PYTHONDONTWRITEBYTECODE')!r} in the caller)",
        "rss_note": "ru_maxrss of the tool's process from os.wait4 in a small launcher: the max"
                    " over the process and the descendants it waited for, not a sum; the"
                    " launcher's own high-water mark is a floor under it",
        "rss_floor_kib": floor,
        "environments": result,
        "targets": checks,
        "crashes": crashes,
        "env_failures": failed,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"\nResults: {RESULTS.relative_to(ROOT)}")
    if crashes:
        print(f"{len(crashes)} tool run(s) crashed; see above", file=sys.stderr)
        return 1
    if failed:
        print("environment(s) could not be built: " + "; ".join(failed), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
