"""`kerasfix fix` wall time through pip and through uv, on the same two real breakages.

    .venv/bin/python tests/bench_fix.py [--rounds 3] [--rebuild] [--no-find-links]

Breakages, each made in a fresh copy of the realtf tier's `tensorflow-cpu==2.18.1` venv
(tests/realenv.py: built once under .cache/realtf/, reused, never changed here; the copy is the
base's frozen list installed by uv from its cache, under .cache/bench/fix/):

- two-builds: `pip install --no-deps tensorflow==2.18.1` over tensorflow-cpu with the venv's own
  pip (as the S9 scenario of tests/test_real_fix.py): two RECORDs own tensorflow/;
- damaged: tensorflow/__init__.py, listed in tensorflow-cpu's RECORD, deleted.

Each break is checked by a scan before the fix starts (import-package-owned-twice,
damaged-install). Timed: `kerasfix fix --yes --no-verify --no-manifest --installer ROUTE
--python P` from an empty work folder (the checkout's pyproject.toml above it is not the venv's
project: --no-manifest), state in the run's own KERASFIX_STATE_DIR, wall time around the process.
A fix counts only if it exits 0 and `kerasfix scan --json` afterwards exits 0 with no error.

Warm caches: one warm-up fix per route and breakage first (not timed); both routes get the
realtf caches (PIP_CACHE_DIR, UV_CACHE_DIR) and, unless --no-find-links, the realtf wheel folder
as --find-links, like S9's fix: pip's HTTP cache cannot hold the wheels where a proxy strips
PyPI's caching headers (results.json says whether pip's cache grew), so the local wheels are
what a warm cache gives pip. Then --rounds rounds, the first route alternating per round.

Prints per breakage the median (min-max) of each route and uv/pip, then the overall ratio (sum
of medians) and a PASS/FAIL line for the goal uv <= 0.3x pip, which never changes the exit code.
Exit codes: 0; 1 when a fix failed (not a time); 2 when an environment could not be built.
Results: .cache/bench/fix-results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realenv  # tests/ is not a package: found through sys.path
from benchenv import CACHE, ROOT, EnvError
from realenv import BaseEnv, Installer, RealEnv

from kerasfix.fix.installers import find_uv

BIN = Path(sys.executable).parent
TF = "2.18.1"
ROUTES = ("pip", "uv")
BREAKAGES = ("two-builds", "damaged")
EXPECTED = {"two-builds": "import-package-owned-twice", "damaged": "damaged-install"}
DAMAGED_FILE = "tensorflow/__init__.py"
FIX_ROOT = CACHE / "fix"
RESULTS = CACHE / "fix-results.json"
WHEELS = realenv.CACHE / "wheels"
TARGET_RATIO = 0.3
STEP_ORDER = ("fetch", "uninstall", "move aside", "install", "kerasfix itself")
FIX_TIMEOUT = 1800


@dataclass
class Cell:
    """One breakage through one route: its timed fixes and what went wrong."""
    times: list[float] = field(default_factory=list)
    steps: list[dict[str, float]] = field(default_factory=list)  # per timed fix: step -> s
    warmup: float | None = None
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    seconds: float
    failure: str | None  # None: fixed, and the scan after it has no error
    steps: dict[str, float]


# ---------------------------------------------------------------- environments


def cli_env(env: RealEnv, state: Path) -> dict[str, str]:
    """The user's shell (realenv's), the realtf caches, state in the run's folder.

    PYTHONDONTWRITEBYTECODE is dropped so the warm-up leaves kerasfix's own bytecode behind,
    as an installed kerasfix has it (pip compiles what it installs either way).
    """
    environ = {**env.user_env(), **Installer.pip_vars(), "KERASFIX_STATE_DIR": str(state),
               "KERASFIX_DEBUG": "1", "NO_COLOR": "1"}
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return environ


def kerasfix(env: RealEnv, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "kerasfix"), *args], capture_output=True, text=True,
                          timeout=FIX_TIMEOUT, env=cli_env(env, state), cwd=env.work,
                          stdin=subprocess.DEVNULL, check=False)


def fresh_env(base: BaseEnv, name: str) -> RealEnv:
    """The base's distributions in a new venv under .cache/bench/fix/ (realenv's recipe)."""
    root = FIX_ROOT / name
    shutil.rmtree(root, ignore_errors=True)
    env = RealEnv(name, root, base)
    env.work.mkdir(parents=True)
    env.home.mkdir()
    base.installer.create_venv(env.venv)
    base.installer.install_frozen(env.venv, base.frozen)
    return env


def break_two_builds(env: RealEnv) -> None:
    """`pip install tensorflow` beside tensorflow-cpu, with the venv's own pip (S9)."""
    realenv.run([env.python, "-m", "pip", "install", "--no-deps", "--no-index", "--find-links",
                 str(WHEELS), f"tensorflow=={TF}"],
                env={**env.user_env(), **Installer.pip_vars()}, cwd=env.work)


def break_damaged(env: RealEnv) -> None:
    """Delete a file tensorflow-cpu's RECORD lists: the scan reports damaged-install."""
    site = env.site_packages()
    (record,) = site.glob(f"tensorflow_cpu-{TF}.dist-info/RECORD")
    with record.open(newline="", encoding="utf-8") as fh:
        if not any(row and row[0] == DAMAGED_FILE for row in csv.reader(fh)):
            raise EnvError(f"{record} does not list {DAMAGED_FILE}")
    (site / DAMAGED_FILE).unlink()


def scan_errors(env: RealEnv, state: Path) -> tuple[int, list[str]]:
    """`kerasfix scan --json`: its exit code and its error codes."""
    proc = kerasfix(env, state, "scan", "--json", "--python", env.python)
    try:
        findings = json.loads(proc.stdout)["findings"]
    except (ValueError, KeyError):
        return proc.returncode, [f"unreadable scan output: {proc.stderr.strip()[-300:]}"]
    return proc.returncode, sorted({f["code"] for f in findings if f["severity"] == "error"})


def broken_env(base: BaseEnv, breakage: str, route: str) -> RealEnv:
    """A fresh copy of the base, broken the breakage's way, the break checked by a scan."""
    try:
        env = fresh_env(base, f"{breakage}-{route}")
        if breakage == "two-builds":
            break_two_builds(env)
        else:
            break_damaged(env)
    except (realenv.SetupError, OSError, ValueError, subprocess.SubprocessError) as err:
        raise EnvError(f"{breakage}: {type(err).__name__}: {err}") from err
    _, errors = scan_errors(env, env.root / "state")
    if EXPECTED[breakage] not in errors:
        raise EnvError(f"{breakage}: the scan does not report {EXPECTED[breakage]} ({errors})")
    return env


# ---------------------------------------------------------------- one timed fix


def step_label(command: str) -> str:
    """'fetch', 'uninstall', 'install' or 'move aside' for a fix report's step command."""
    words = command.split()
    if "pip" not in words:
        return "move aside"
    verb = words[words.index("pip") + 1] if words.index("pip") + 1 < len(words) else "?"
    return "fetch" if verb == "download" or "--target" in words else verb


def step_times(report: Path, total: float) -> dict[str, float]:
    """Seconds per step kind from the fix's JSON report; the rest is kerasfix's own work
    (scan, plan, preview through the installer, snapshot, rescan)."""
    try:
        steps = json.loads(report.read_text())["run"]["steps"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    out: dict[str, float] = {}
    for s in steps:
        label = step_label(s["command"])
        out[label] = out.get(label, 0.0) + float(s["seconds"])
    out["kerasfix itself"] = max(0.0, total - sum(out.values()))
    return out


def fix_once(env: RealEnv, route: str, find_links: bool) -> Outcome:
    state, report = env.root / "state", env.root / "fix.json"
    argv = ["fix", "--yes", "--no-verify", "--no-manifest", "--installer", route,
            "--python", env.python, "--report", str(report)]
    if find_links:
        argv += ["--find-links", str(WHEELS)]
    started = time.perf_counter()
    proc = kerasfix(env, state, *argv)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stdout[-1500:] + "\n" + proc.stderr[-1500:]).strip()
        return Outcome(seconds, f"fix exited {proc.returncode}:\n{tail}", {})
    code, errors = scan_errors(env, state)
    if code != 0 or errors:
        return Outcome(seconds, f"scan after the fix exited {code}, errors {errors}", {})
    return Outcome(seconds, None, step_times(report, seconds))


# ---------------------------------------------------------------- the benchmark


def order(r: int) -> tuple[str, ...]:
    """The routes in round r: the first one alternates from round to round."""
    return ROUTES if r % 2 == 0 else ROUTES[::-1]


def one_run(base: BaseEnv, breakage: str, route: str, find_links: bool) -> Outcome:
    env = broken_env(base, breakage, route)
    try:
        return fix_once(env, route, find_links)
    finally:
        shutil.rmtree(env.root, ignore_errors=True)


def measure(base: BaseEnv, rounds: int, find_links: bool) -> dict[tuple[str, str], Cell]:
    cells = {(b, r): Cell() for b in BREAKAGES for r in ROUTES}
    for rnd in range(rounds + 1):  # round 0 is the warm-up
        label = "warm-up" if rnd == 0 else f"round {rnd}/{rounds}"
        for breakage in BREAKAGES:
            for route in order(rnd):
                cell = cells[(breakage, route)]
                if cell.failures and rnd > 0 and cell.warmup is None:
                    continue  # the warm-up failed: the timed runs would fail the same way
                out = one_run(base, breakage, route, find_links)
                state = "ok" if out.failure is None else "FAILED"
                print(f"  {label}: {breakage} via {route}: {out.seconds:.1f} s {state}",
                      file=sys.stderr, flush=True)
                if out.failure is not None:
                    cell.failures.append(f"{label}: {out.failure}")
                    print(out.failure, file=sys.stderr)
                elif rnd == 0:
                    cell.warmup = out.seconds
                else:
                    cell.times.append(out.seconds)
                    cell.steps.append(out.steps)
    return cells


def span(times: list[float]) -> str:
    if not times:
        return "failed"
    return f"{statistics.median(times):.1f} s ({min(times):.1f}-{max(times):.1f})"


def median_steps(steps: list[dict[str, float]]) -> dict[str, float]:
    """Median seconds per step kind, in the order a fix runs them."""
    keys = sorted({k for s in steps for k in s},
                  key=lambda k: (STEP_ORDER.index(k) if k in STEP_ORDER else len(STEP_ORDER), k))
    return {k: round(statistics.median(s.get(k, 0.0) for s in steps), 2) for k in keys}


def ratio(cells: dict[tuple[str, str], Cell], breakages: tuple[str, ...]) -> float | None:
    """uv / pip over the sum of the medians of `breakages`; None when a route has no time."""
    sums = {}
    for route in ROUTES:
        medians = [cells[(b, route)].times for b in breakages]
        if not all(medians):
            return None
        sums[route] = sum(statistics.median(t) for t in medians)
    return sums["uv"] / sums["pip"] if sums["pip"] else None


def report(cells: dict[tuple[str, str], Cell], rounds: int) -> str:
    lines = [f"kerasfix fix wall time, pip route vs uv route (warm caches; median (min-max) of"
             f" {rounds} rounds)", "",
             f"{'breakage':<14}{'pip route':<24}{'uv route':<24}uv / pip", "-" * 70]
    for b in BREAKAGES:
        r = ratio(cells, (b,))
        lines.append(f"{b:<14}{span(cells[(b, 'pip')].times):<24}"
                     f"{span(cells[(b, 'uv')].times):<24}{_x(r)}")
    overall = ratio(cells, BREAKAGES)
    lines += ["-" * 70, f"{'both (sum of medians)':<62}{_x(overall)}", "",
              "Where the time goes (medians, s):"]
    for (b, route), cell in cells.items():
        parts = ", ".join(f"{k} {v:.1f}" for k, v in median_steps(cell.steps).items())
        lines.append(f"  {b} via {route}: {parts or '-'}")
    verdict = "FAIL" if overall is None or overall > TARGET_RATIO else "PASS"
    lines += ["", f"{verdict}  uv route <= {TARGET_RATIO:g}x the pip route (sum of the medians"
              " over both breakages)", f"      {_x(overall)}"]
    return "\n".join(lines)


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


# ---------------------------------------------------------------- results


def versions(base: BaseEnv) -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"unavailable ({err})"
        said = (out.stdout.strip() or out.stderr.strip()).splitlines()
        return said[0] if out.returncode == 0 and said else f"exit {out.returncode}"
    uv = find_uv()
    return {"kerasfix": first_line([str(BIN / "kerasfix"), "--version"]),
            "pip (in the venv)": first_line([str(realenv.bin_python(base.venv)), "-m", "pip",
                                             "--version"]),
            "uv (the one kerasfix runs)": first_line([uv, "--version"]) if uv else "not found",
            "git": first_line(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])}


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def document(cells: dict[tuple[str, str], Cell], args: argparse.Namespace, base: BaseEnv,
             load: list[list[float]], pip_cache: tuple[int, int]) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    for b in BREAKAGES:
        results[b] = {"ratio_uv_over_pip": ratio(cells, (b,))}
        for route in ROUTES:
            cell = cells[(b, route)]
            results[b][route] = {
                "times": [round(t, 2) for t in cell.times], "warmup": cell.warmup,
                "median": statistics.median(cell.times) if cell.times else None,
                "min": min(cell.times, default=None), "max": max(cell.times, default=None),
                "steps_median": median_steps(cell.steps), "failures": cell.failures}
    overall = ratio(cells, BREAKAGES)
    return {
        "schema": "kerasfix.bench-fix/1",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "venv_python": base.installer.python},
        "versions": versions(base),
        "rounds": args.rounds, "warmup_rounds": 1, "load_average": load,
        "method": {"base": str(base.venv), "find_links": str(WHEELS) if args.find_links else None,
                   "command": "kerasfix fix --yes --no-verify --no-manifest --installer ROUTE"
                              " --python P", "caches": Installer.pip_vars(),
                   "pip_cache_bytes_before_after": list(pip_cache)},
        "results": results,
        "overall_ratio_uv_over_pip": overall,
        "target": {"ratio_at_most": TARGET_RATIO,
                   "ok": overall is not None and overall <= TARGET_RATIO},
    }


def wheel_present(requirement: str) -> bool:
    name, version = requirement.split("==")
    return any(WHEELS.glob(f"{name.replace('-', '_')}-{version}-*.whl"))


def prepare_base() -> BaseEnv:
    """realenv's base venv (built once if missing) and the two TF wheels in its wheel folder."""
    inst = realenv.installer()
    if inst is None:
        raise EnvError("no Python 3.11 for the tensorflow-cpu venvs (set KERASFIX_REALTF_PYTHON)")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # realenv logs its progress on stdout
            base = realenv.base_env(inst, TF)
            missing = [r for r in (f"tensorflow=={TF}", f"tensorflow-cpu=={TF}")
                       if not wheel_present(r)]
            if missing:  # downloaded once, by a throwaway copy's pip, as realenv does it
                env = fresh_env(base, "wheels")
                try:
                    for requirement in missing:
                        env.cached_wheel(requirement)
                finally:
                    shutil.rmtree(env.root, ignore_errors=True)
    except (realenv.SetupError, OSError, subprocess.SubprocessError) as err:
        raise EnvError(f"tensorflow-cpu {TF} base: {err}") from err
    return base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--rebuild", action="store_true",
                        help="start from an empty .cache/bench/fix/ (the realtf base venvs are"
                             " reused, never rebuilt or changed here)")
    parser.add_argument("--no-find-links", dest="find_links", action="store_false",
                        help=f"do not give the fixes {WHEELS} (pip then relies on its HTTP cache)")
    args = parser.parse_args(argv)
    args.rounds = max(1, args.rounds)
    if args.rebuild:
        shutil.rmtree(FIX_ROOT, ignore_errors=True)
    print("Preparing the tensorflow-cpu base (realtf cache) …", file=sys.stderr)
    try:
        base = prepare_base()
        pip_cache = folder_bytes(realenv.CACHE / "pip-cache")
        load_before = list(os.getloadavg())
        cells = measure(base, args.rounds, args.find_links)
    except EnvError as err:
        print(f"environment could not be built: {err}", file=sys.stderr)
        return 2
    load = [load_before, list(os.getloadavg())]
    print(report(cells, args.rounds))
    doc = document(cells, args, base, load, (pip_cache, folder_bytes(realenv.CACHE / "pip-cache")))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, RESULTS)
    print(f"\nResults: {RESULTS.relative_to(ROOT)}")
    failed = [f for cell in cells.values() for f in cell.failures]
    if failed:
        print(f"{len(failed)} fix(es) failed; see above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
