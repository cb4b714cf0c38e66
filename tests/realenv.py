"""Real TensorFlow environments for the `realtf` tier: real wheels from PyPI, broken with real pip.

Layout under .cache/realtf/ (git-ignored; override with KERASFIX_REALTF_CACHE):

    uv-cache/            uv's cache: the TF wheels are downloaded once, then hardlinked
    pip-cache/           the scenario pips' HTTP cache
    wheels/              S9's 615 MB `tensorflow` wheel, downloaded once, installed by real pip
    wheelhouse/          pip fallback only (no uv): the base wheels, for offline reinstalls
    base-tf2.18.1-uv/    a venv with `tensorflow-cpu==2.18.1`, frozen.txt, and a completion marker
    scenarios/<name>-<pid>-xxxx/{venv,work,home}   one throwaway env per scenario

A base venv counts only once its marker file is written (last); an interrupted build has no
marker and is rebuilt. A scenario venv is a fresh venv into which uv installs the base's frozen
list from its cache (hardlinks: seconds); the break is then done with the venv's own pip, as a
user would do it.

Knobs: KERASFIX_REALTF_PYTHON (the interpreter for the venvs; default CPython 3.11),
KERASFIX_REALTF_NO_UV=1 (use only pip), KERASFIX_REALTF_KEEP=1 (keep scenario venvs).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kerasfix.diagnose.scan import ScanResult, scan
from kerasfix.inspect.target import Target

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KERASFIX_REALTF_CACHE") or ROOT / ".cache" / "realtf")
MARKER = ".kerasfix-realtf-complete"
RECIPE_FORMAT = 2
INSTALL_TIMEOUT = 1200  # one pip/uv command; the 615 MB wheel on a slow line
PYENV_311 = "/root/.pyenv/versions/3.11.7/bin/python3"
SCRUBBED = ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
            "CONDA_PREFIX", "PYTHONSTARTUP", "PIP_REQUIRE_VIRTUALENV", "PIP_TARGET", "PIP_PREFIX",
            "PIP_USER", "UV_SYSTEM_PYTHON", "UV_PYTHON")


class SetupError(RuntimeError):
    """A command that builds or breaks an environment failed."""


def log(message: str) -> None:
    """Progress that `pytest -s` shows (captured, and shown only on failure, otherwise)."""
    print(f"[realtf] {message}", flush=True)


# ------------------------------------------------------------------ tools and interpreters


def find_uv() -> str | None:
    if os.environ.get("KERASFIX_REALTF_NO_UV"):
        return None
    try:
        from uv import find_uv_bin  # the `uv` package in the dev group

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.is_file() else shutil.which("uv")


def find_python(uv: str | None) -> str | None:
    """The CPython the scenario venvs run: 3.11 has wheels for both TF 2.15 and 2.18."""
    explicit = os.environ.get("KERASFIX_REALTF_PYTHON")
    if explicit:
        return explicit
    for candidate in (PYENV_311, shutil.which("python3.11")):
        if candidate and os.path.exists(candidate):
            return candidate
    if (3, 9) <= sys.version_info[:2] <= (3, 11):
        return sys.executable
    return "3.11" if uv else None  # uv finds one, or downloads a managed CPython 3.11


def base_env_vars(**extra: str) -> dict[str, str]:
    """os.environ without what would change where things install or what TF does."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(extra)
    return env


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
        check: bool = True, timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          env=dict(env) if env is not None else base_env_vars(),
                          cwd=str(cwd) if cwd else None, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise SetupError(f"{' '.join(map(str, argv))} exited {proc.returncode}\n"
                         f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def bin_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@contextlib.contextmanager
def cache_lock() -> Iterator[None]:
    """One builder at a time per cache folder (two pytest sessions, or a second terminal)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: the tier runs on Linux only anyway
            pass
        yield


def _rmtree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------ installers


@dataclass(frozen=True)
class Installer:
    """uv (fast, from its cache) or plain pip (slow fallback) for building venvs."""

    uv: str | None
    python: str

    @property
    def name(self) -> str:
        return "uv" if self.uv else "pip"

    def uv_env(self) -> dict[str, str]:
        return base_env_vars(UV_CACHE_DIR=str(CACHE / "uv-cache"), UV_NO_PROGRESS="1")

    @staticmethod
    def pip_vars() -> dict[str, str]:
        # uv's cache too: a fix of a uv-managed venv runs uv, which must find TF there.
        return {"PIP_CACHE_DIR": str(CACHE / "pip-cache"), "PIP_NO_INPUT": "1",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "UV_CACHE_DIR": str(CACHE / "uv-cache"),
                "UV_NO_PROGRESS": "1"}

    def pip_env(self) -> dict[str, str]:
        return base_env_vars(**self.pip_vars())

    def create_venv(self, venv: Path) -> None:
        """A venv with pip in it: the breaking steps use the venv's own pip."""
        if self.uv:
            run([self.uv, "venv", "--seed", "--python", self.python, venv], env=self.uv_env())
        else:
            run([self.python, "-m", "venv", venv], env=self.pip_env())

    def install_base(self, venv: Path, requirement: str) -> None:
        if self.uv:
            run([self.uv, "pip", "install", "--python", bin_python(venv), requirement],
                env=self.uv_env())
        else:  # download once into the wheelhouse, so that scenarios can install offline
            pip = [bin_python(venv), "-m", "pip"]
            run([*pip, "download", "-d", CACHE / "wheelhouse", requirement], env=self.pip_env())
            run([*pip, "install", "--no-index", "--find-links", CACHE / "wheelhouse",
                 requirement], env=self.pip_env())

    def freeze(self, venv: Path) -> str:
        if self.uv:
            return run([self.uv, "pip", "freeze", "--python", bin_python(venv)],
                       env=self.uv_env()).stdout
        return run([bin_python(venv), "-m", "pip", "freeze", "--all"],  # wheel: astunparse
                   env=self.pip_env()).stdout

    def install_frozen(self, venv: Path, frozen: Path) -> None:
        """Exactly the base's versions, no resolution: from the cache when it has them."""
        if self.uv:
            argv = [self.uv, "pip", "install", "--python", bin_python(venv), "--no-deps",
                    "-r", frozen]
            if run([*argv, "--offline"], env=self.uv_env(), check=False).returncode != 0:
                run(argv, env=self.uv_env())  # the cache was pruned: download again
        else:
            run([bin_python(venv), "-m", "pip", "install", "--no-index", "--find-links",
                 CACHE / "wheelhouse", "--no-deps", "-r", frozen], env=self.pip_env())


def installer() -> Installer | None:
    uv = find_uv()
    python = find_python(uv)
    return Installer(uv, python) if python else None


# ------------------------------------------------------------------ base environments


@dataclass(frozen=True)
class BaseEnv:
    tf_version: str
    venv: Path
    frozen: Path
    installer: Installer
    seconds: float  # 0 when reused from the cache


def base_env(inst: Installer, tf_version: str) -> BaseEnv:
    """`tensorflow-cpu==<tf_version>` in a venv under the cache; built once, reused after."""
    venv = CACHE / f"base-tf{tf_version}-{inst.name}"
    frozen = venv / "frozen.txt"
    recipe = {"format": RECIPE_FORMAT, "requirement": f"tensorflow-cpu=={tf_version}",
              "installer": inst.name, "python": inst.python}
    with cache_lock():
        marker = venv / MARKER
        if marker.is_file() and bin_python(venv).exists():
            try:
                if json.loads(marker.read_text()) == recipe:
                    log(f"base tensorflow-cpu {tf_version}: reused {venv}")
                    return BaseEnv(tf_version, venv, frozen, inst, 0.0)
            except ValueError:
                pass
        started = time.perf_counter()
        log(f"base tensorflow-cpu {tf_version}: building with {inst.name} in {venv}")
        _rmtree(venv)  # an interrupted or outdated build: start over
        inst.create_venv(venv)
        inst.install_base(venv, recipe["requirement"])
        frozen.write_text(inst.freeze(venv))
        tmp = venv / (MARKER + ".tmp")
        tmp.write_text(json.dumps(recipe))
        os.replace(tmp, marker)  # last: only a complete build has the marker
        seconds = time.perf_counter() - started
        log(f"base tensorflow-cpu {tf_version}: built in {seconds:.1f} s")
        return BaseEnv(tf_version, venv, frozen, inst, seconds)


# ------------------------------------------------------------------ scenario environments


@dataclass
class RealEnv:
    """One scenario's own environment: venv, the folder the user works in, a HOME."""

    name: str
    root: Path
    base: BaseEnv
    env: dict[str, str] = field(default_factory=dict)  # extra variables the user has set
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> str:
        return str(bin_python(self.venv))

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def user_env(self) -> dict[str, str]:
        """The user's shell: a clean HOME, no stray TF/Keras variables unless set on purpose."""
        return base_env_vars(HOME=str(self.home), **self.env)

    # ---------------------------------------------------------- what the user types
    def pip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m pip ...` with the venv's own pip, from the user's folder."""
        started = time.perf_counter()
        env = {**self.user_env(), **Installer.pip_vars()}
        proc = run([self.python, "-m", "pip", *args], env=env, cwd=self.work, check=check)
        seconds = time.perf_counter() - started
        key = "pip " + " ".join(args)
        self.timings[key] = self.timings.get(key, 0.0) + seconds
        log(f"{self.name}: pip {' '.join(args)} -> exit {proc.returncode} in {seconds:.1f} s")
        return proc

    def pip_check(self) -> subprocess.CompletedProcess[str]:
        return self.pip("check", check=False)

    def scan(self, *, deep: bool = False) -> ScanResult:
        return scan(Target(self.python, "test"), cwd=str(self.work), env=self.user_env(),
                    deep=deep)

    def cli_scan(self, *extra: str) -> tuple[int, dict]:
        """`kerasfix scan --python <venv> --json`, as a user runs it from their folder."""
        script = Path(sys.executable).with_name("kerasfix")
        command = [str(script)] if script.is_file() else [sys.executable, "-m", "kerasfix"]
        env = self.user_env()
        proc = subprocess.run([*command, "scan", "--python", str(self.venv), "--json", *extra],
                              capture_output=True, text=True, timeout=600, env=env,
                              cwd=self.work, stdin=subprocess.DEVNULL)
        assert proc.returncode in (0, 1), proc.stderr
        return proc.returncode, json.loads(proc.stdout)

    def cached_wheel(self, requirement: str) -> Path:
        """A big wheel downloaded once into CACHE/wheels by this venv's pip (pip's own HTTP cache
        is not reliable for it: some proxies mark responses uncacheable)."""
        name, version = requirement.split("==")
        wheels = CACHE / "wheels"
        with cache_lock():
            found = sorted(wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
            if found:
                return found[0]
            started = time.perf_counter()
            tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=CACHE))
            try:
                run([self.python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                     "-d", tmp, requirement], env={**self.user_env(), **Installer.pip_vars()})
                (wheel,) = tmp.glob("*.whl")
                wheels.mkdir(exist_ok=True)
                os.replace(wheel, wheels / wheel.name)  # whole, or not there at all
            finally:
                _rmtree(tmp)
            self.timings[f"download {requirement}"] = time.perf_counter() - started
            return wheels / wheel.name

    def site_packages(self) -> Path:
        return Path(run([self.python, "-c", "import sysconfig;print(sysconfig.get_paths()"
                         "['purelib'])"], env=self.user_env()).stdout.strip())

    def remove(self) -> None:
        if os.environ.get("KERASFIX_REALTF_KEEP"):
            log(f"{self.name}: kept {self.root}")
            return
        _rmtree(self.root)


SCENARIOS = CACHE / "scenarios"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_scenarios() -> None:
    """Scenario folders of sessions that died (killed, Ctrl-C) before their teardown."""
    if not SCENARIOS.is_dir():
        return
    for folder in SCENARIOS.iterdir():
        parts = folder.name.rsplit("-", 2)
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) != os.getpid() \
                and not _pid_alive(int(parts[1])):
            _rmtree(folder)


def scenario_env(base: BaseEnv, name: str) -> RealEnv:
    """A fresh venv holding exactly the base's distributions, for one scenario to break."""
    started = time.perf_counter()
    SCENARIOS.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"{name}-{os.getpid()}-", dir=SCENARIOS))
    env = RealEnv(name, root, base)
    env.work.mkdir()
    env.home.mkdir()
    base.installer.create_venv(env.venv)
    base.installer.install_frozen(env.venv, base.frozen)
    env.timings["fresh env from the base"] = time.perf_counter() - started
    return env


def codes(result: ScanResult, *severities: str) -> dict[str, str]:
    """{code: worst severity} of the findings, optionally only of the given severities."""
    out: dict[str, str] = {}
    for f in result.findings:  # sorted worst first
        if not severities or f.severity.value in severities:
            out.setdefault(f.code, f.severity.value)
    return out
