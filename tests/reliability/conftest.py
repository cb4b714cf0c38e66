"""Session-wide environments for the reliability cases, the pool that runs the independent cases
two at a time per core, and the tally printed at the end of the run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakeenv import FakeEnv, build_wheel, make_venv, pip_offline
from relkit import (
    BAD_INPUT,
    FAULT,
    KERASFIX,
    Case,
    Ctx,
    Result,
    base_env,
    check_nothing_lost,
    check_result,
    cleanup_all,
)

# ---------------------------------------------------------------------------- base environments


class Bases:
    """Environments built once per session; cases copy them (symlinks kept) before use."""

    def __init__(self, root: Path, wheels: Path) -> None:
        self.root = root
        self.wheels = wheels
        self._lock = threading.RLock()

    def _venv(self, name: str) -> FakeEnv:
        return make_venv(self.root / name)

    def _locked(self, name: str, build) -> Any:  # type: ignore[no-untyped-def]
        with self._lock:
            cache = self.__dict__.setdefault("_built", {})
            if name not in cache:
                cache[name] = build()
            return cache[name]

    @property
    def healthy(self) -> FakeEnv:
        """Fabricated: tensorflow-cpu 2.18.1 with its Keras, numpy, protobuf, ml-dtypes."""
        def build() -> FakeEnv:
            env = self._venv("healthy")
            env.healthy("2.18.1")
            return env
        return self._locked("healthy", build)

    @property
    def mismatch(self) -> FakeEnv:
        """Fabricated and broken: the healthy stack plus tf-keras 2.15.0 (a repair plan)."""
        def build() -> FakeEnv:
            env = self._venv("mismatch")
            env.healthy("2.18.1")
            env.tf_keras("2.15.0")
            return env
        return self._locked("mismatch", build)

    @property
    def clobbered(self) -> FakeEnv:
        """Installed by pip: tensorflow-cpu 2.18.1, then tensorflow 2.18.1 over it (--no-deps).
        Its repair downloads, uninstalls, moves aside and reinstalls."""
        def build() -> FakeEnv:
            env = self._venv("clobbered")
            pip_offline(env, self.wheels, "install", "tensorflow-cpu==2.18.1")
            pip_offline(env, self.wheels, "install", "--no-deps", "tensorflow==2.18.1")
            return env
        return self._locked("clobbered", build)

    @property
    def pip_mismatch(self) -> FakeEnv:
        """Installed by pip: tensorflow-cpu 2.18.1 and tf-keras 2.15.0 (--no-deps)."""
        def build() -> FakeEnv:
            env = self._venv("pip-mismatch")
            pip_offline(env, self.wheels, "install", "tensorflow-cpu==2.18.1")
            pip_offline(env, self.wheels, "install", "--no-deps", "tf-keras==2.15.0")
            return env
        return self._locked("pip_mismatch", build)

    @property
    def pip_healthy(self) -> FakeEnv:
        """Installed by pip: tensorflow-cpu 2.18.1 and its dependencies, nothing wrong."""
        def build() -> FakeEnv:
            env = self._venv("pip-healthy")
            pip_offline(env, self.wheels, "install", "tensorflow-cpu==2.18.1")
            return env
        return self._locked("pip_healthy", build)

    @property
    def probe_doc(self) -> dict[str, Any]:
        """The real probe's answer for the healthy environment."""
        def build() -> dict[str, Any]:
            from kerasfix.inspect.probe import run_probe
            from kerasfix.inspect.target import Target

            return run_probe(Target(self.healthy.python, "test"))
        return self._locked("probe_doc", build)

    @property
    def scan_doc(self) -> dict[str, Any]:
        """`kerasfix scan --json` of the healthy environment (a good report to merge)."""
        def build() -> dict[str, Any]:
            proc = subprocess.run([*KERASFIX, "scan", "--json", "--python", self.healthy.python],
                                  capture_output=True, text=True, env=base_env(self.root),
                                  cwd=self.root, timeout=120)
            return json.loads(proc.stdout)
        return self._locked("scan_doc", build)

    @property
    def extra_wheels(self) -> Path:
        """A package nobody else has (a user's later install), and a tensorflow 2.18.1 wheel
        holding 256 kB of data (too big for a 64 kB state folder)."""
        def build() -> Path:
            out = self.root / "extra-wheels"
            build_wheel(out, "userpkg", "1.0", {"userpkg/__init__.py": "X = 1\n"})
            big = out / "big"
            big.mkdir()
            for wheel in self.wheels.glob("*.whl"):
                if not wheel.name.startswith("tensorflow-2.18.1-"):
                    shutil.copy2(wheel, big / wheel.name)
            from fakeenv import TF_REQUIRES

            blob = os.urandom(192 * 1024).hex()  # hex: text, incompressible enough
            build_wheel(big, "tensorflow", "2.18.1",
                        {"tensorflow/__init__.py": "__version__ = '2.18.1'\n",
                         "tensorflow/python/__init__.py": "", "tensorflow/blob.txt": blob},
                        TF_REQUIRES["2.18.1"])
            return out
        return self._locked("extra_wheels", build)


@pytest.fixture(scope="session")
def bases(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Bases:
    return Bases(tmp_path_factory.mktemp("bases"), wheelhouse)


# ---------------------------------------------------------------------------- running a case


def execute(case: Case, tmp: Path, bases: Bases) -> Result:
    """Set up, remember, run, check: the same for every case."""
    ctx = Ctx(tmp, bases)
    with cleanup_all(ctx):
        _available(case)
        ctx.env.update(case.env)
        if case.setup is not None:
            case.setup(ctx)
        ctx.remember()
        if case.run is not None:
            result = case.run(ctx)
        else:
            result = ctx.kerasfix(*ctx.argv(case.argv), stdin=case.stdin, timeout=case.timeout)
        check_result(case, ctx, result)
        check_nothing_lost(case, ctx)
        return result


def _available(case: Case) -> None:
    if "chattr" in case.needs and shutil.which("chattr") is None:
        pytest.skip("needs chattr")
    if "root" in case.needs and os.geteuid() != 0:
        pytest.skip("needs root")


class Pool:
    """Runs this session's cases in threads (a case is subprocesses, file copies and waiting),
    the slow ones first, so that two cores stay busy; each test then checks its own case.
    Fault drivers need no quiet machine: they wait for states (a pip child running, a
    snapshot written, a request held), never for a number of seconds."""

    def __init__(self, root: Path, bases: Bases, items: list[pytest.Item]) -> None:
        self.root, self.bases = root, bases
        self.futures: dict[str, Future[Result]] = {}
        workers = int(os.environ.get("KERASFIX_RELIABILITY_WORKERS") or
                      max(2, 2 * (os.cpu_count() or 1)))
        self.executor = ThreadPoolExecutor(max_workers=workers,
                                           thread_name_prefix="reliability")
        cases = {c.name: c for c in (_case_of(item) for item in items) if c is not None}
        for case in sorted(cases.values(), key=weight, reverse=True):
            self.futures[case.name] = self.executor.submit(self._one, case)

    def _one(self, case: Case) -> Result:
        return execute(case, self.root / case.name, self.bases)

    def result(self, case: Case) -> Result:
        future = self.futures.get(case.name)
        if future is None:  # not among the collected items (called directly)
            return self._one(case)
        return future.result()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def weight(case: Case) -> int:
    """A rough cost, to start the slow cases first: drivers, then pip runs, then the rest."""
    argv = case.argv if isinstance(case.argv, tuple) else ()
    return 3 if case.run is not None else 2 if "fix" in argv or "--deep" in argv else 1


@pytest.fixture(scope="session")
def pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         bases: Bases) -> Any:
    p = Pool(tmp_path_factory.mktemp("cases"), bases, list(request.session.items))
    yield p
    p.close()


@pytest.fixture
def run_case(pool: Pool):  # type: ignore[no-untyped-def]
    """run_case(case): set up, run and check the case (it ran in the pool), or raise."""
    return pool.result


# ---------------------------------------------------------------------------- the tally

_KIND: dict[str, tuple[str, str]] = {}  # nodeid -> (kind, case name)
_OUTCOME: dict[str, str] = {}


def _case_of(item: pytest.Item) -> Case | None:
    spec = getattr(item, "callspec", None)
    case = spec.params.get("case") if spec is not None else None
    return case if isinstance(case, Case) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        case = _case_of(item)
        if case is None:
            continue
        if case.name in seen and seen[case.name] != item.nodeid:
            raise pytest.UsageError(f"two reliability cases are named {case.name}:"
                                    f" {seen[case.name]} and {item.nodeid}")
        seen[case.name] = item.nodeid
        _KIND[item.nodeid] = (case.kind, case.name)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid not in _KIND:
        return
    previous = _OUTCOME.get(report.nodeid)
    if report.failed:
        _OUTCOME[report.nodeid] = "failed"
    elif report.skipped and previous != "failed":
        _OUTCOME[report.nodeid] = "skipped"
    elif report.when == "call" and previous is None:
        _OUTCOME[report.nodeid] = "passed"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = {node: _KIND[node] for node in _OUTCOME}
    if not ran:
        return
    counts = {BAD_INPUT: 0, FAULT: 0}
    failed, skipped = [], []
    for node, (kind, name) in ran.items():
        counts[kind] += 1
        if _OUTCOME[node] == "failed":
            failed.append(name)
        elif _OUTCOME[node] == "skipped":
            skipped.append(name)
    line = f"reliability: {counts[BAD_INPUT]} bad inputs, {counts[FAULT]} faults, "
    line += "all handled" if not failed else f"{len(failed)} not handled: {', '.join(failed)}"
    if skipped:
        line += f" ({len(skipped)} skipped: {', '.join(skipped)})"
    terminalreporter.write_sep("-", "reliability")
    terminalreporter.write_line(line)
