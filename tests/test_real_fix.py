"""The real-package FIX tier: real tensorflow-cpu 2.15.1 / 2.18.1 venvs (see realenv.py), broken
the ways users break them, then fixed by the real CLI (`kerasfix fix --yes`), proved healthy
independently of kerasfix, and restored with `kerasfix undo`.

For every scenario, in this order (class-scoped fixtures, one fresh venv per scenario):

1. broken:  the break is applied with the venv's own pip; `pip list` and site-packages recorded.
2. fixed:   `python -m kerasfix fix --yes --python <venv> --report fix.json` (state in the
            scenario's own KERASFIX_STATE_DIR) must exit 0: fixed, and verified by the CLI's own
            runtime check (TensorFlow imports, a Sequential model trains).
3. proof:   without kerasfix: a `tf.keras.Sequential` model is built and fit in the venv, exactly
            one RECORD claims tensorflow/__init__.py, and `pip check` has no real complaint.
4. undone:  `kerasfix undo <snapshot>` exits 0 and `pip list` is again what it was when broken.

`pytest -s` prints each step's time and a table at the end. The 615 MB `tensorflow` wheel and the
230 MB `tensorflow-cpu` wheel are downloaded once into .cache/realtf/wheels; S9's fix and undo
get that folder as --find-links, so they never download TensorFlow again.
"""

from __future__ import annotations

import contextlib
import csv
import json
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakeenv import tree_hash
from packaging.utils import canonicalize_name
from realenv import (
    CACHE,
    BaseEnv,
    Installer,
    RealEnv,
    codes,
    log,
    run,
    scenario_env,
)

pytestmark = [
    pytest.mark.realtf,
    pytest.mark.skipif(not (sys.platform.startswith("linux")
                            and platform.machine() in ("x86_64", "AMD64")),
                       reason="uses tensorflow-cpu wheels for Linux x86_64"),
]

WHEELS = CACHE / "wheels"  # realenv's big-wheel cache: --find-links for S9's fix and undo
CLI_TIMEOUT = 1200
# Built and trained with nothing but the scenario's own interpreter and variables.
TRAIN_SCRIPT = """\
import numpy as np
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Input((3,)), tf.keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
print("TRAINED", tf.__version__, type(model).__module__, len(history.history["loss"]))
"""
# tf-keras requires the `tensorflow` distribution by name; on tensorflow-cpu kerasfix installs it
# with --no-deps on purpose (pip would otherwise add a second 600 MB TensorFlow build), so this
# one complaint of pip check is benign there: tensorflow-cpu provides what it asks for.
BENIGN_TF_KERAS = re.compile(r"^tf-keras \S+ requires tensorflow, which is not installed\.$")
TIMINGS: dict[str, dict[str, float]] = {}


# ------------------------------------------------------------------ scenarios


def _s9_two_tensorflows(env: RealEnv) -> None:
    """`pip install tensorflow` beside tensorflow-cpu: both RECORDs own tensorflow/."""
    wheel = env.cached_wheel("tensorflow==2.18.1")  # 615 MB, downloaded once
    env.cached_wheel("tensorflow-cpu==2.18.1")  # for undo: it reinstalls the one the fix removed
    env.pip("install", "--no-deps", "--no-index", "--find-links", str(wheel.parent),
            "tensorflow==2.18.1")


def _s4_legacy_variable(env: RealEnv) -> None:
    env.env["TF_USE_LEGACY_KERAS"] = "1"  # the user's shell profile sets it


def _s16_interrupted_numpy_upgrade(env: RealEnv) -> None:
    """pip killed mid-upgrade: it had stashed numpy's folders under '~' names (pip's
    AdjacentTempDirectory) and not yet installed the new version."""
    site = env.site_packages()
    (dist_info,) = site.glob("numpy-*.dist-info")
    for name in ("numpy", "numpy.libs", dist_info.name):
        if (site / name).exists():
            (site / name).rename(site / ("~" + name[1:]))


@dataclass(frozen=True)
class Case:
    name: str
    tf: str  # the base: tensorflow-cpu 2.15.1 or 2.18.1
    breaking: Callable[[RealEnv], None]
    problems: frozenset[str]  # error/warning codes the break must produce (the fix resolves)
    fix_args: tuple[str, ...] = ()
    undo_args: tuple[str, ...] = ()
    tf_keras_no_deps: bool = False  # pip check may name tf-keras -> tensorflow (benign)
    keras_module: str = "keras"  # where tf.keras's Sequential comes from after the fix
    owner: str = "tensorflow-cpu"  # the one distribution owning tensorflow/ after the fix

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("s5-tf-keras-2.15-on-tf-2.18", "2.18.1",
         lambda env: env.pip("install", "--no-deps", "tf-keras==2.15.0"),
         frozenset({"tf-keras-minor-mismatch"}), tf_keras_no_deps=True),
    Case("s9-tensorflow-beside-tensorflow-cpu", "2.18.1", _s9_two_tensorflows,
         frozenset({"import-package-owned-twice"}),
         # pip, as the user broke it: the base is uv's (its fix would run uv), and uv may take
         # another wheel build of the same release from the index, which lays out other files.
         fix_args=("--find-links", str(WHEELS), "--installer", "pip"),
         undo_args=("--find-links", str(WHEELS), "--installer", "pip"),
         owner="tensorflow"),  # kerasfix keeps the build installed last (and asked for)
    Case("s11-numpy-2-under-tf-2.15", "2.15.1", lambda env: env.pip("install", "numpy>=2"),
         frozenset({"numpy-incompatible"})),
    Case("s23-keras-uninstalled-tf-2.18", "2.18.1",
         lambda env: env.pip("uninstall", "-y", "keras"),
         frozenset({"tensorflow-without-keras"})),
    Case("s7-keras-2.13-on-tf-2.15", "2.15.1",
         lambda env: env.pip("install", "--no-deps", "keras==2.13.1"),
         frozenset({"keras-minor-mismatch"})),
    # S1 is only a warning (it works, as Keras 3): the user asks for repair explicitly.
    Case("s1-keras-3-over-tf-2.15-repair", "2.15.1",
         lambda env: env.pip("install", "-U", "keras>=3"), frozenset({"keras3-under-tf-2.15"}),
         fix_args=("--strategy", "repair")),
    Case("s4-legacy-keras-without-tf-keras", "2.18.1", _s4_legacy_variable,
         frozenset({"legacy-keras-without-tf-keras"}), tf_keras_no_deps=True,
         keras_module="tf_keras"),
    Case("s16-numpy-stashed-by-killed-pip", "2.18.1", _s16_interrupted_numpy_upgrade,
         frozenset({"half-uninstalled-package", "interrupted-pip-leftovers"})),
]


# ------------------------------------------------------------------ environments


@pytest.fixture(scope="module", autouse=True)
def timing_table() -> Iterator[None]:
    yield
    if not TIMINGS:
        return
    log("fix tier timings (s):")
    for name, steps in TIMINGS.items():
        parts = ", ".join(f"{step} {secs:.1f}" for step, secs in steps.items())
        log(f"  {name}: {parts}, total {sum(steps.values()):.1f}")


@contextlib.contextmanager
def timed(name: str, step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        TIMINGS.setdefault(name, {})[step] = seconds
        log(f"{name}: {step} took {seconds:.1f} s")


@contextlib.contextmanager
def broken_env(base: BaseEnv, case: Case) -> Iterator[RealEnv]:
    """A fresh venv from `base`, broken the case's way; removed afterwards."""
    with timed(case.name, "setup"):
        env = scenario_env(base, case.name.split("-")[0])
    try:
        with timed(case.name, "break"):
            case.breaking(env)
        yield env
    finally:
        env.remove()


# ------------------------------------------------------------------ what is checked


@dataclass
class Installed:
    """What an environment holds, seen by pip and by a directory listing (not by kerasfix)."""

    versions: dict[str, str]
    site: list[str]
    problems: set[str] = field(default_factory=set)  # kerasfix's error and warning codes


def pip_versions(env: RealEnv) -> dict[str, str]:
    proc = env.pip("list", "--format", "json")
    return {canonicalize_name(d["name"]): d["version"] for d in json.loads(proc.stdout)}


def site_listing(env: RealEnv) -> list[str]:
    return sorted(p.name for p in env.site_packages().iterdir() if p.name != "__pycache__")


def installed_now(env: RealEnv) -> Installed:
    problems = set(codes(env.scan(), "error", "warning"))
    return Installed(pip_versions(env), site_listing(env), problems)


def owners_of_tensorflow(env: RealEnv) -> list[str]:
    """Every installed distribution whose RECORD lists tensorflow/__init__.py (read directly)."""
    owners = []
    for record in sorted(env.site_packages().glob("*.dist-info/RECORD")):
        if record.parent.name.startswith("~"):  # pip's stash, not an installed distribution
            continue
        with record.open(newline="", encoding="utf-8") as fh:
            if any(row and row[0] == "tensorflow/__init__.py" for row in csv.reader(fh)):
                name, version = record.parent.name[: -len(".dist-info")].split("-", 1)
                owners.append(f"{canonicalize_name(name)} {version}")
    return owners


def snapshot_files(state: Path) -> list[Path]:
    return sorted(state.glob("envs/*/snapshots/*/snapshot.json"))


def kerasfix(env: RealEnv, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI, as the user runs it from their folder, with their variables."""
    cli_env = {**env.user_env(), **Installer.pip_vars(), "KERASFIX_STATE_DIR": str(state),
               "KERASFIX_DEBUG": "1"}  # a kerasfix bug shows its traceback here
    return subprocess.run([sys.executable, "-m", "kerasfix", *args], capture_output=True,
                          text=True, timeout=CLI_TIMEOUT, env=cli_env, cwd=env.work,
                          stdin=subprocess.DEVNULL)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n" \
           f"{proc.stderr[-3000:]}"


def severities(findings: list[dict]) -> dict[str, str]:
    """Code -> worst severity (findings arrive worst first)."""
    out: dict[str, str] = {}
    for f in findings:
        out.setdefault(f["code"], f["severity"])
    return out


# ------------------------------------------------------------------ fix, prove, undo


class TestFixThenUndo:
    @pytest.fixture(scope="class", params=CASES, ids=str)
    def case(self, request: pytest.FixtureRequest) -> Case:
        return request.param

    @pytest.fixture(scope="class")
    def env(self, case: Case, request: pytest.FixtureRequest) -> Iterator[RealEnv]:
        base = request.getfixturevalue("tf215" if case.tf == "2.15.1" else "tf218")
        with broken_env(base, case) as env:
            yield env

    @pytest.fixture(scope="class")
    def state(self, env: RealEnv) -> Path:
        return env.root / "state"

    @pytest.fixture(scope="class")
    def broken(self, env: RealEnv) -> Installed:
        return installed_now(env)

    @pytest.fixture(scope="class")
    def fixed(self, case: Case, env: RealEnv, state: Path, broken: Installed) -> dict:
        report = env.root / "fix.json"
        with timed(case.name, "fix"):
            proc = kerasfix(env, state, "fix", "--yes", "--python", env.python,
                            "--report", str(report), *case.fix_args)
        doc = json.loads(report.read_text()) if report.is_file() else None
        return {"proc": proc, "report": doc}

    @pytest.fixture(scope="class")
    def proof(self, case: Case, env: RealEnv, state: Path, fixed: dict) -> dict:
        """Everything about the fixed environment, gathered before undo changes it."""
        with timed(case.name, "prove"):
            train = run([env.python, "-c", TRAIN_SCRIPT], env=env.user_env(), cwd=env.work,
                        check=False, timeout=600)
            owners = owners_of_tensorflow(env)
            pip_check = env.pip_check()
            refix = kerasfix(env, state, "fix", "--dry-run", "--python", env.python)
        return {"train": train, "owners": owners, "pip_check": pip_check, "refix": refix}

    @pytest.fixture(scope="class")
    def undone(self, case: Case, env: RealEnv, state: Path, fixed: dict, proof: dict) -> dict:
        doc = fixed["report"] or {}
        snapshot_id = (doc.get("run") or {}).get("snapshot")
        with timed(case.name, "undo"):
            proc = kerasfix(env, state, "undo", *([snapshot_id] if snapshot_id else []),
                            "--yes", "--python", env.python, *case.undo_args)
        return {"proc": proc, "after": installed_now(env), "snapshots": snapshot_files(state)}

    # ---------------------------------------------------------- the break

    def test_break_is_the_scenario(self, case: Case, broken: Installed) -> None:
        assert case.problems <= broken.problems, broken.problems

    # ---------------------------------------------------------- the fix

    def test_fix_exits_0(self, fixed: dict) -> None:
        proc, doc = fixed["proc"], fixed["report"]
        assert proc.returncode == 0, output(proc)
        assert doc is not None, output(proc)
        assert doc["schema"] == "kerasfix.fix/1" and doc["exit_code"] == 0
        assert doc["dry_run"] is False
        assert doc["run"]["status"] == "complete"
        assert all(step["exit_code"] == 0 for step in doc["run"]["steps"]), doc["run"]

    def test_fix_report_says_resolved_and_runtime_ok(self, case: Case, fixed: dict) -> None:
        doc = fixed["report"]
        assert doc is not None, output(fixed["proc"])
        after = severities(doc["findings_after"])
        assert after.get("runtime-ok") == "info", after  # the CLI's deep check trained a model
        assert "error" not in after.values(), after
        comparison = doc["comparison"]
        assert case.problems <= set(comparison["resolved"]), comparison
        for code in comparison["remaining"] + comparison["new"]:
            assert after.get(code) != "error", (code, comparison)

    # ---------------------------------------------------------- proved without kerasfix

    def test_sequential_model_trains(self, case: Case, proof: dict) -> None:
        train = proof["train"]
        assert train.returncode == 0, train.stderr[-4000:]
        line = next(x for x in train.stdout.splitlines() if x.startswith("TRAINED"))
        _, tf_version, module, epochs = line.split()
        assert tf_version == case.tf and epochs == "1"
        assert module.split(".")[0] == case.keras_module, line

    def test_exactly_one_distribution_owns_tensorflow(self, case: Case, proof: dict) -> None:
        assert proof["owners"] == [f"{case.owner} {case.tf}"]

    def test_pip_check_has_no_real_complaint(self, case: Case, proof: dict) -> None:
        check = proof["pip_check"]
        complaints = [x for x in check.stdout.splitlines() if x.strip()]
        if check.returncode != 0 and case.tf_keras_no_deps:
            assert complaints and all(BENIGN_TF_KERAS.match(x) for x in complaints), check.stdout
        else:
            assert check.returncode == 0, check.stdout + check.stderr

    def test_fixing_again_finds_nothing_to_do(self, proof: dict) -> None:
        refix = proof["refix"]
        assert refix.returncode == 0, output(refix)
        assert "Nothing to fix." in refix.stdout

    # ---------------------------------------------------------- undo

    def test_undo_returns_to_the_snapshot(self, broken: Installed, undone: dict) -> None:
        proc, after = undone["proc"], undone["after"]
        assert proc.returncode == 0, output(proc)
        assert after.versions == broken.versions
        assert after.site == broken.site  # moved-aside folders are back, added ones gone
        assert after.problems == broken.problems  # broken again, the same way

    def test_undo_marks_the_snapshot_restored(self, undone: dict) -> None:
        (path,) = undone["snapshots"]  # one fix, one snapshot
        assert json.loads(path.read_text())["status"] == "restored"


# ------------------------------------------------------------------ dry run


class TestDryRunChangesNothing:
    """S11 (NumPy 2 under TF 2.15): `fix --dry-run` plans and previews, and touches nothing."""

    CASE = next(c for c in CASES if c.name.startswith("s11"))

    @pytest.fixture(scope="class")
    def env(self, tf215: BaseEnv) -> Iterator[RealEnv]:
        case = Case("dry-run-" + self.CASE.name, self.CASE.tf, self.CASE.breaking,
                    self.CASE.problems)
        with broken_env(tf215, case) as env:
            yield env

    @pytest.fixture(scope="class")
    def dry_run(self, env: RealEnv) -> dict:
        state, report = env.root / "state", env.root / "dry-run.json"
        name = "dry-run-" + self.CASE.name
        with timed(name, "hash before"):
            before = tree_hash(env.venv)
        with timed(name, "fix --dry-run"):
            proc = kerasfix(env, state, "fix", "--dry-run", "--python", env.python,
                            "--report", str(report))
        with timed(name, "hash after"):
            after = tree_hash(env.venv)
        return {"proc": proc, "before": before, "after": after, "state": state,
                "report": json.loads(report.read_text()) if report.is_file() else None}

    def test_exit_1_and_the_venv_is_unchanged(self, dry_run: dict) -> None:
        assert dry_run["proc"].returncode == 1, output(dry_run["proc"])
        assert dry_run["after"] == dry_run["before"]
        assert snapshot_files(dry_run["state"]) == []

    def test_report_has_the_plan_and_no_run(self, dry_run: dict) -> None:
        doc = dry_run["report"]
        assert doc is not None, output(dry_run["proc"])
        assert doc["dry_run"] is True and doc["exit_code"] == 1
        assert doc["run"] is None and doc["findings_after"] is None
        assert doc["plan"]["strategy"] == "repair" and doc["plan"]["steps"]
        assert self.CASE.problems <= set(doc["plan"]["resolves"])
        assert "numpy" in {c["name"] for s in doc["plan"]["steps"] for c in s["changes"]}


# ------------------------------------------------------------------ outside the environment


class TestPythonpathCopyIsNeverTouched:
    """keras 2.15.0 left by `pip install --target` in a folder on PYTHONPATH inside the venv,
    plus a real environment problem (tf-keras 2.15 on TF 2.18). pip run with that PYTHONPATH
    once uninstalled the folder's keras; now the fix repairs the environment, leaves the folder
    byte-identical, names it as the cause, and exits 1 while it remains."""

    @pytest.fixture(scope="class")
    def env(self, tf218: BaseEnv) -> Iterator[RealEnv]:
        env = scenario_env(tf218, "pythonpath")
        try:
            env.pip("install", "--no-deps", "tf-keras==2.15.0")
            env.pip("install", "--no-deps", "--target", str(env.venv / "extra"), "keras==2.15.0")
            env.env["PYTHONPATH"] = str(env.venv / "extra")
            yield env
        finally:
            env.remove()

    @pytest.fixture(scope="class")
    def fixed(self, env: RealEnv) -> dict:
        folder = env.venv / "extra"
        before = tree_hash(folder)
        report = env.root / "fix.json"
        proc = kerasfix(env, env.root / "state", "fix", "--yes", "--python", env.python,
                        "--report", str(report))
        env.env.pop("PYTHONPATH")  # the manual step, done: the environment's own keras again
        train = run([env.python, "-c", TRAIN_SCRIPT], env=env.user_env(), cwd=env.work,
                    check=False, timeout=600)
        return {"proc": proc, "before": before, "after": tree_hash(folder), "train": train,
                "report": json.loads(report.read_text()) if report.is_file() else None}

    def test_the_folder_is_byte_identical(self, fixed: dict) -> None:
        assert fixed["after"] == fixed["before"], output(fixed["proc"])

    def test_exit_1_names_the_folder(self, env: RealEnv, fixed: dict) -> None:
        proc = fixed["proc"]
        assert proc.returncode == 1, output(proc)
        folder = env.venv / "extra"
        assert f"take {folder} off PYTHONPATH" in " ".join(proc.stdout.split()), output(proc)
        doc = fixed["report"]
        assert doc is not None and doc["exit_code"] == 1
        before = severities(doc["findings_before"])
        assert before["package-outside-environment"] == "error", before
        assert "package-outside-environment" in doc["comparison"]["remaining"]
        assert "tf-keras-minor-mismatch" in doc["comparison"]["resolved"]

    def test_the_environment_itself_was_repaired(self, fixed: dict) -> None:
        train = fixed["train"]
        assert train.returncode == 0, train.stderr[-4000:]
        line = next(x for x in train.stdout.splitlines() if x.startswith("TRAINED"))
        assert line.split()[1] == "2.18.1" and line.split()[2].startswith("keras"), line
