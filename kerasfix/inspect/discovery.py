"""Find the Python environments on this machine, each listed once, without running them.

API
    discover(roots=(), *, environ=os.environ, home=None, cwd=None, include_defaults=True,
             include_system=True, run_conda=True, conda_timeout=5.0, max_depth=3)
        -> DiscoveryResult(envs: list[FoundEnv], problems: list[tuple[str, str]], seconds)
    FoundEnv(python, prefix, found_by, kernel_env, name, kind)   frozen, hashable
    env_from_path(path, how="--python") -> FoundEnv   one folder or interpreter, no discovery
    prefix_of(python) -> str   the prefix an interpreter path implies (not spawned)

Sources, in the order environments are listed:
1. active: $VIRTUAL_ENV, $CONDA_PREFIX, `python3` and `python` on PATH;
2. conda / mamba: `conda env list --json` when conda, mamba or micromamba is on PATH (the only
   subprocess, bounded by `conda_timeout`; `run_conda=False` skips it), always also
   `~/.conda/environments.txt` (vanished entries are problems), `~/.conda/envs/*`, and the base
   and `envs/*` of common installs (~/miniconda3, ~/anaconda3, ~/miniforge3, ~/mambaforge,
   ~/micromamba, $MAMBA_ROOT_PREFIX, the root of $CONDA_PREFIX / $CONDA_EXE, and with
   `include_system` /opt/conda, /opt/miniconda3, /opt/anaconda3, /opt/miniforge3);
3. pyenv: `$PYENV_ROOT` or ~/.pyenv: `versions/*` and pyenv-virtualenv's `versions/*/envs/*`;
4. folders searched to `max_depth` levels (symlinks followed, each folder visited once, so
   loops end): every `roots` entry, then with `include_defaults` ~/.virtualenvs, ~/venvs,
   ~/.venvs, ~/.local/share/virtualenvs (pipenv), ~/.cache/pypoetry/virtualenvs, ./.venv,
   ./venv. A venv is a folder with pyvenv.cfg and bin/python (Scripts/python.exe on Windows);
   a folder with conda-meta/ and an interpreter counts too. Found environments are not
   searched inside;
5. Jupyter kernelspecs: user ($JUPYTER_DATA_DIR or ~/.local/share/jupyter, ~/Library/Jupyter,
   each $JUPYTER_PATH entry), system (/usr/local/share/jupyter, /usr/share/jupyter, with
   `include_system`), and `<prefix>/share/jupyter/kernels` of every environment found above.
   argv[0] is the interpreter (an `/usr/bin/env python` wrapper is unwrapped, its VAR=value
   assignments kept). A bare "python"/"python3" is the interpreter running Jupyter: for an
   env-local kernelspec that is the environment's own interpreter, otherwise it is resolved on
   PATH, and found_by says which. The "env" block (`${VAR}` expanded as Jupyter does) becomes
   `kernel_env`: TF_USE_LEGACY_KERAS, KERAS_BACKEND or PYTHONPATH set there change the scan.

Each environment is listed once: keyed by the real path of its prefix (the folder with
pyvenv.cfg or conda-meta/; for an interpreter path the parent of its bin/ or Scripts/, the
folder itself otherwise — a pyenv/asdf shim's key is its shims/ folder, /usr/bin/python3's is
/usr, sys.prefix), found_by merged in order, kernel env blocks merged (a conflicting value is
kept first-come and reported as a problem). `python` is kept as given, never symlink-resolved.

Nothing here raises for bad input: unreadable folders, broken kernelspecs, vanished or
Python-less environments, a failing conda become `problems` (path, one-line message).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from string import Template
from typing import Any

from kerasfix.errors import TargetError
from kerasfix.inspect.bounded import run_bounded
from kerasfix.inspect.target import interpreter_in

DEFAULT_ROOTS = ("~/.virtualenvs", "~/venvs", "~/.venvs", "~/.local/share/virtualenvs",
                 "~/.cache/pypoetry/virtualenvs", "./.venv", "./venv")
CONDA_HOMES = ("~/miniconda3", "~/anaconda3", "~/miniforge3", "~/mambaforge", "~/micromamba",
               "~/.local/share/mamba")
CONDA_SYSTEM = ("/opt/conda", "/opt/miniconda3", "/opt/anaconda3", "/opt/miniforge3")
SYSTEM_KERNELS = ("/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels")
CONDA_EXES = ("conda", "mamba", "micromamba")
GENERIC_NAMES = {".venv", "venv", "env", ".env", "virtualenv", ".virtualenv"}
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", "site-packages",
             ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
MAX_FOLDERS = 20000  # per root: a bound for `--root /` by mistake
_VERSION_NAME = re.compile(r"^(\d+(?:\.\d+)*)(.*)$")  # 3.13.0t: (3, 13, 0) and "t"
_PYTHON_NAME = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?[tmw]?(\.exe)?$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundEnv:
    python: str  # the interpreter, as found (not symlink-resolved)
    prefix: str  # the environment folder (sys.prefix it implies)
    found_by: tuple[str, ...]  # every way it was found, e.g. "conda: environments.txt"
    kernel_env: dict[str, str] = field(default_factory=dict, hash=False)  # kernelspec "env"
    name: str = ""  # short display name, unique within one DiscoveryResult
    kind: str = ""  # venv, conda, pyenv, shim, system


@dataclass
class DiscoveryResult:
    envs: list[FoundEnv]
    problems: list[tuple[str, str]]  # (path, one-line message)
    seconds: float = 0.0


def prefix_of(python: str) -> str:
    """The environment folder an interpreter path implies: the parent of bin/ or Scripts/,
    else the interpreter's own folder (a shims/ folder, a Windows conda prefix)."""
    folder = os.path.dirname(os.path.abspath(python))
    if os.path.basename(folder) in ("bin", "Scripts"):
        return os.path.dirname(folder)
    return folder


def _key_of_python(python: str) -> str:
    """Like prefix_of, but through the real bin/ folder, so /bin/python3 on a merged-/usr
    system and /usr/bin/python3 give one key."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(python)))
    if os.path.basename(folder) in ("bin", "Scripts"):
        folder = os.path.dirname(folder)
    return os.path.normcase(folder)


def _key(prefix: str) -> str:
    return os.path.normcase(os.path.realpath(prefix))


def _one_line(err: BaseException) -> str:
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return " ".join(str(text).split())[:200]


@dataclass
class _Record:
    python: str
    prefix: str
    found_by: list[str]
    kernel_env: dict[str, str]
    kind: str


class _Collector:
    """The environments found so far, keyed by real prefix, and the problems met."""

    def __init__(self, environ: Mapping[str, str], home: str, cwd: str, pyenv_root: str):
        self.environ, self.home, self.cwd, self.pyenv_root = environ, home, cwd, pyenv_root
        self.records: dict[str, _Record] = {}
        self.problems: list[tuple[str, str]] = []

    # ------------------------------------------------------------ helpers
    def expand(self, path: str) -> str:
        if path == "~" or path.startswith("~/"):
            path = self.home + path[1:]
        elif path.startswith("./"):
            path = os.path.join(self.cwd, path[2:])
        return os.path.abspath(path)

    def tilde(self, path: str) -> str:
        home = self.home.rstrip(os.sep)
        if home and (path == home or path.startswith(home + os.sep)):
            return "~" + path[len(home):]
        return path

    def problem(self, path: str, message: str) -> None:
        if (path, message) not in self.problems:
            self.problems.append((path, message))

    # ------------------------------------------------------------ adding
    def add(self, python: str, prefix: str, how: str, *, key: str | None = None,
            kernel_env: Mapping[str, str] | None = None) -> None:
        key = key or _key(prefix)
        rec = self.records.get(key)
        if rec is None:
            rec = _Record(python, prefix, [], {}, self.kind_of(prefix, python))
            self.records[key] = rec
        if how not in rec.found_by:
            rec.found_by.append(how)
        for var, value in (kernel_env or {}).items():
            old = rec.kernel_env.setdefault(var, value)
            if old != value:
                self.problem(rec.prefix, f"kernels set {var} differently ({old!r} and"
                                         f" {value!r}); scanned with {old!r}")

    def add_folder(self, folder: str, how: str, *, quiet: bool = False) -> bool:
        """An environment folder (venv, conda env, install prefix). False when it has no
        interpreter (reported unless quiet)."""
        python = interpreter_in(folder)
        if python:
            self.add(python, folder, how)
            return True
        if quiet:
            return False
        if os.path.isfile(os.path.join(folder, "pyvenv.cfg")):
            self.problem(folder, "a venv without a working interpreter (bin/python missing or"
                                 " a broken symlink: was its base Python removed?)")
        elif not os.path.isdir(folder):
            self.problem(folder, f"no such folder ({how})")
        else:
            self.problem(folder, f"no Python interpreter in this environment ({how}); skipped")
        return False

    def kind_of(self, prefix: str, python: str) -> str:
        if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
            return "venv"
        if os.path.isdir(os.path.join(prefix, "conda-meta")):
            return "conda"
        if os.path.basename(os.path.dirname(os.path.abspath(python))) == "shims":
            return "shim"
        versions = os.path.join(self.pyenv_root, "versions") + os.sep
        if os.path.abspath(prefix).startswith(versions):
            return "pyenv"
        return "system"


# ---------------------------------------------------------------- 1. active


def _active(col: _Collector) -> None:
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        folder = col.environ.get(var)
        if folder:
            col.add_folder(os.path.abspath(folder), f"active: ${var}")
    path = col.environ.get("PATH", os.defpath)
    for name in ("python3", "python"):
        found = shutil.which(name, path=path)
        if found:
            found = os.path.abspath(found)
            col.add(found, prefix_of(found), f"{name} on PATH", key=_key_of_python(found))


# ---------------------------------------------------------------- 2. conda


def _conda_roots(col: _Collector, conda_exe: str | None, include_system: bool) -> list[str]:
    """Install roots (folders with conda-meta/ whose envs/ hold environments)."""
    candidates = [col.expand(p) for p in CONDA_HOMES]
    if include_system:
        candidates += list(CONDA_SYSTEM)
    for var in ("MAMBA_ROOT_PREFIX", "CONDA_ROOT"):
        if col.environ.get(var):
            candidates.append(col.environ[var])
    prefix = col.environ.get("CONDA_PREFIX")
    if prefix:
        head, sep, _ = os.path.abspath(prefix).rpartition(os.sep + "envs" + os.sep)
        candidates.append(head if sep else prefix)
    for exe in (conda_exe, col.environ.get("CONDA_EXE")):
        if exe:  # <root>/bin/conda or <root>/condabin/conda
            candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(exe))))
    roots: list[str] = []
    for c in candidates:
        c = os.path.abspath(c)
        if c not in roots and os.path.isdir(os.path.join(c, "conda-meta")):
            roots.append(c)
    return roots


def _conda_env_list(col: _Collector, exe: str, timeout: float) -> None:
    label = f"{os.path.basename(exe)} env list"
    try:
        proc = run_bounded([exe, "env", "list", "--json"], timeout, env=col.environ)
    except OSError as err:
        col.problem(exe, f"cannot run {label}: {_one_line(err)}")
        return
    if proc.timed_out:
        col.problem(exe, f"{label} did not answer within {timeout:g} s; read its files instead")
        return
    try:
        envs = json.loads(proc.stdout.decode("utf-8", "replace"))["envs"]
        paths = [p for p in envs if isinstance(p, str)]
    except (ValueError, KeyError, TypeError):
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        col.problem(exe, f"{label} failed: " + (lines[-1][:160] if lines else
                                                   f"exit code {proc.returncode}"))
        return
    for path in paths:
        col.add_folder(path, label)


def _environments_txt(col: _Collector) -> None:
    path = col.expand("~/.conda/environments.txt")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = [line.strip() for line in fh]
    except FileNotFoundError:
        return
    except OSError as err:
        col.problem(path, f"cannot read: {_one_line(err)}")
        return
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if not os.path.isdir(line):
            col.problem(line, f"listed in {col.tilde(path)} but no longer exists")
        else:
            col.add_folder(line, "conda: environments.txt")


def _envs_dir(col: _Collector, folder: str, how: str) -> None:
    """Every environment in an envs/ folder (hidden entries and plain files skipped)."""
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it if not e.name.startswith(".") and e.is_dir())
    except FileNotFoundError:
        return
    except OSError as err:
        col.problem(folder, f"cannot read: {_one_line(err)}")
        return
    for name in names:
        col.add_folder(os.path.join(folder, name), how)


def _conda(col: _Collector, include_system: bool, run_conda: bool, timeout: float) -> None:
    path = col.environ.get("PATH", os.defpath)
    exe = next((found for name in CONDA_EXES if (found := shutil.which(name, path=path))), None)
    if exe and run_conda:
        _conda_env_list(col, exe, timeout)
    _environments_txt(col)
    for root in _conda_roots(col, exe, include_system):
        col.add_folder(root, f"conda: {col.tilde(root)}")
        _envs_dir(col, os.path.join(root, "envs"), f"conda: {col.tilde(root)}/envs")
    _envs_dir(col, col.expand("~/.conda/envs"), "conda: ~/.conda/envs")


# ---------------------------------------------------------------- 3. pyenv


def _version_order(name: str) -> tuple[int, tuple[int, ...], str]:
    """pyenv's version folders by version (3.6 before 3.13), other names after them. Tuples,
    not packaging: discovery is stdlib-only."""
    match = _VERSION_NAME.match(name)
    if match is None:
        return 1, (), name
    return 0, tuple(int(part) for part in match.group(1).split(".")), match.group(2)


def _pyenv(col: _Collector) -> None:
    versions = os.path.join(col.pyenv_root, "versions")
    try:
        with os.scandir(versions) as it:
            names = sorted((e.name for e in it if e.is_dir()), key=_version_order)
    except FileNotFoundError:
        return
    except OSError as err:
        col.problem(versions, f"cannot read: {_one_line(err)}")
        return
    for name in names:
        folder = os.path.join(versions, name)
        col.add_folder(folder, "pyenv")
        _envs_dir(col, os.path.join(folder, "envs"), "pyenv-virtualenv")


# ---------------------------------------------------------------- 4. folders


def _env_folder(col: _Collector, folder: str, label: str, at_root: bool) -> bool:
    """Add the folder when it is an environment; True means: do not search inside."""
    where = label if at_root else f"under {label}"
    if os.path.isfile(os.path.join(folder, "pyvenv.cfg")):
        col.add_folder(folder, f"venv {where}")
        return True
    if os.path.isdir(os.path.join(folder, "conda-meta")):
        col.add_folder(folder, f"conda env {where}", quiet=True)
        return True
    return False


def _walk(col: _Collector, root: str, label: str, max_depth: int, explicit: bool) -> None:
    if not os.path.isdir(root):
        if explicit:
            col.problem(root, "no such folder" if not os.path.lexists(root) else "not a folder")
        return
    seen: set[tuple[int, int]] = set()
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue  # a broken symlink below the root
        if (st.st_dev, st.st_ino) in seen:
            continue  # a symlink loop, or a folder reached twice
        seen.add((st.st_dev, st.st_ino))
        if len(seen) > MAX_FOLDERS:
            col.problem(root, f"stopped after {MAX_FOLDERS} folders; pass a narrower --root")
            return
        if _env_folder(col, folder, label, depth == 0) or depth >= max_depth:
            continue
        try:
            with os.scandir(folder) as it:
                children = [e.path for e in it if e.name not in SKIP_DIRS and e.is_dir()]
        except OSError as err:
            col.problem(folder, f"cannot read: {_one_line(err)}")
            continue
        stack.extend((child, depth + 1) for child in sorted(children, reverse=True))


# ---------------------------------------------------------------- 5. Jupyter kernels


def _kernel_dirs(col: _Collector, include_system: bool) -> list[str]:
    data = col.environ.get("JUPYTER_DATA_DIR")
    dirs = [os.path.join(data, "kernels")] if data else [
        col.expand("~/.local/share/jupyter/kernels")]
    dirs.append(col.expand("~/Library/Jupyter/kernels"))  # macOS
    if col.environ.get("APPDATA"):  # Windows
        dirs.append(os.path.join(col.environ["APPDATA"], "jupyter", "kernels"))
    for entry in col.environ.get("JUPYTER_PATH", "").split(os.pathsep):
        if entry:
            dirs.append(os.path.join(entry, "kernels"))
    if include_system:
        dirs += list(SYSTEM_KERNELS)
        if col.environ.get("PROGRAMDATA"):  # Windows
            dirs.append(os.path.join(col.environ["PROGRAMDATA"], "jupyter", "kernels"))
    return dirs


def _unwrap_env(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """`/usr/bin/env [-opts] [VAR=value…] python …` → the python argv and the assignments."""
    if os.path.basename(argv[0]) != "env":
        return argv, {}
    assigned: dict[str, str] = {}
    rest = argv[1:]
    while rest and (rest[0].startswith("-") or "=" in rest[0]):
        head, rest = rest[0], rest[1:]
        if head in ("-u", "--unset", "-C", "--chdir") and rest:
            rest = rest[1:]  # the option's argument
        elif not head.startswith("-"):
            var, _, value = head.partition("=")
            assigned[var] = value
    return rest, assigned


def _kernel_python(col: _Collector, program: str, owner: str | None, spec: str
                   ) -> tuple[str | None, str]:
    """The interpreter a kernel's argv[0] names, and how it was resolved (for found_by)."""
    if os.sep not in program and "/" not in program:
        if owner and _PYTHON_NAME.match(program):
            python = interpreter_in(owner)
            if python:
                return python, f"'{program}' is the environment's own interpreter"
        found = shutil.which(program, path=col.environ.get("PATH", os.defpath))
        if not found:
            col.problem(spec, f"argv[0] '{program}' is not on PATH")
            return None, ""
        return os.path.abspath(found), f"'{program}' resolved on PATH"
    python = col.expand(os.path.expanduser(program))
    if not os.path.exists(python):
        what = "a broken symlink" if os.path.lexists(python) else "does not exist"
        col.problem(spec, f"argv[0] {program} {what}")
        return None, ""
    return python, ""


def _read_kernelspec(col: _Collector, spec: str) -> dict[str, Any] | None:
    try:
        with open(spec, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        return None  # a folder that is not a kernelspec
    except ValueError as err:
        col.problem(spec, f"invalid JSON: {_one_line(err)}")
        return None
    except OSError as err:
        col.problem(spec, f"cannot read: {_one_line(err)}")
        return None
    argv = doc.get("argv") if isinstance(doc, dict) else None
    if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
        col.problem(spec, "no argv list in kernel.json")
        return None
    kernelspec: dict[str, Any] = doc  # an object with an argv list of strings (checked above)
    return kernelspec


def _kernel(col: _Collector, folder: str, name: str, owner: str | None) -> None:
    spec = os.path.join(folder, "kernel.json")
    doc = _read_kernelspec(col, spec)
    if doc is None or str(doc.get("language", "python")).lower() != "python":
        return
    argv, assigned = _unwrap_env(doc["argv"])
    if not argv:
        col.problem(spec, "argv names no program after env")
        return
    python, resolved = _kernel_python(col, argv[0], owner, spec)
    if python is None:
        return
    if not _PYTHON_NAME.match(os.path.basename(python)):
        col.problem(spec, f"argv[0] {argv[0]} is not a Python interpreter (a wrapper?);"
                          " not scanned")
        return
    raw_env = doc.get("env") or {}
    if not isinstance(raw_env, dict):
        col.problem(spec, "\"env\" is not an object; ignored")
        raw_env = {}
    env = {**assigned, **{str(k): Template(str(v)).safe_substitute(col.environ)
                          for k, v in raw_env.items()}}
    how = f"jupyter kernel '{name}' ({col.tilde(spec)})" + (f": {resolved}" if resolved else "")
    col.add(python, prefix_of(python), how, key=_key_of_python(python), kernel_env=env)


def _kernels_in(col: _Collector, kernels: str, owner: str | None) -> None:
    try:
        with os.scandir(kernels) as it:
            names = sorted(e.name for e in it if e.is_dir())
    except FileNotFoundError:
        return
    except NotADirectoryError:
        return
    except OSError as err:
        col.problem(kernels, f"cannot read: {_one_line(err)}")
        return
    for name in names:
        _kernel(col, os.path.join(kernels, name), name, owner)


def _jupyter(col: _Collector, include_system: bool) -> None:
    seen: set[str] = set()
    dirs: list[tuple[str, str | None]] = [(d, None) for d in _kernel_dirs(col, include_system)]
    dirs += [(os.path.join(r.prefix, "share", "jupyter", "kernels"), r.prefix)
             for r in list(col.records.values()) if r.kind != "shim"]
    for folder, owner in dirs:
        key = _key(folder)
        if key not in seen:
            seen.add(key)
            _kernels_in(col, folder, owner)


@dataclass(frozen=True)
class KernelSpec:
    name: str
    spec: str  # its kernel.json
    python: str  # the interpreter argv[0] names (an `env` wrapper unwrapped)


def python_kernelspecs(environ: Mapping[str, str], home: str, jupyter_prefix: str | None = None,
                       include_system: bool = True) -> list[KernelSpec]:
    """The Python kernels a Jupyter installed in `jupyter_prefix` offers, read as step 5 above
    reads them (user and JUPYTER_PATH folders, the prefix's own, system), first name winning."""
    col = _Collector(environ, home, home, "")
    user = _kernel_dirs(col, include_system=False)
    system = _kernel_dirs(col, include_system)[len(user):]
    own = [(os.path.join(jupyter_prefix, "share", "jupyter", "kernels"), jupyter_prefix)] \
        if jupyter_prefix else []
    found: dict[str, KernelSpec] = {}
    for folder, owner in [*((d, None) for d in user), *own, *((d, None) for d in system)]:
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in entries if e.is_dir())
        except OSError:
            continue
        for name in names:
            spec = os.path.join(folder, name, "kernel.json")
            doc = _read_kernelspec(col, spec)
            if name in found or doc is None or \
                    str(doc.get("language", "python")).lower() != "python":
                continue
            argv, _ = _unwrap_env(doc["argv"])
            python = _kernel_python(col, argv[0], owner, spec)[0] if argv else None
            if python:
                found[name] = KernelSpec(name, spec, python)
    return list(found.values())


# ---------------------------------------------------------------- names and entry point


def _names(records: list[_Record], tilde: Callable[[str], str]) -> list[str]:
    """Short display names, made longer only where two would be equal."""

    def short(r: _Record) -> str:
        base = os.path.basename(r.prefix.rstrip(os.sep)) or r.prefix
        parent = os.path.basename(os.path.dirname(r.prefix.rstrip(os.sep)))
        if r.kind == "shim":
            return f"{parent.lstrip('.') or 'python'} shim"
        if r.kind == "system":
            return tilde(r.prefix)
        return f"{parent}/{base}" if base in GENERIC_NAMES and parent else base

    def longer(r: _Record) -> str:
        parts = [p for p in r.prefix.rstrip(os.sep).split(os.sep) if p]
        parts = [p for p in parts if p not in ("envs", "versions")]
        return "/".join(parts[-2:]) if len(parts) >= 2 else tilde(r.prefix)

    def full(r: _Record) -> str:
        return tilde(r.prefix)

    names = [short(r) for r in records]
    for level in (longer, full):
        clash = {n for n in names if names.count(n) > 1}
        names = [level(r) if n in clash else n for r, n in zip(records, names)]
    return names


def discover(roots: Sequence[str] = (), *, environ: Mapping[str, str] = os.environ,
             home: str | None = None, cwd: str | None = None, include_defaults: bool = True,
             include_system: bool = True, run_conda: bool = True, conda_timeout: float = 5.0,
             max_depth: int = 3) -> DiscoveryResult:
    """Every Python environment found on this machine; see the module docstring."""
    started = time.perf_counter()
    home = os.path.abspath(home or environ.get("HOME") or os.path.expanduser("~"))
    try:
        cwd = os.path.abspath(cwd or os.getcwd())
    except OSError:  # the current folder was removed
        cwd = home
    pyenv_root = os.path.abspath(environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv"))
    col = _Collector(environ, home, cwd, pyenv_root)
    _active(col)
    _conda(col, include_system, run_conda, conda_timeout)
    _pyenv(col)
    for root in roots:
        full = col.expand(os.path.expanduser(root))
        _walk(col, full, col.tilde(full), max_depth, explicit=True)
    if include_defaults:
        for root in DEFAULT_ROOTS:
            _walk(col, col.expand(root), root, max_depth, explicit=False)
    _jupyter(col, include_system)
    records = list(col.records.values())
    envs = [FoundEnv(r.python, r.prefix, tuple(r.found_by), dict(r.kernel_env), name, r.kind)
            for r, name in zip(records, _names(records, col.tilde))]
    return DiscoveryResult(envs, col.problems, time.perf_counter() - started)


def env_from_path(path: str, how: str = "--python") -> FoundEnv:
    """One environment folder or interpreter given by the user. Raises TargetError."""
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(full):
        python = interpreter_in(full)
        if not python:
            raise TargetError(f"{path}: a folder without bin/python or Scripts/python.exe")
        prefix = full
    elif os.path.isfile(full):
        python, prefix = full, prefix_of(full)
    else:
        raise TargetError(f"{path}: no such file or folder")
    col = _Collector({}, os.path.expanduser("~"), full, os.path.expanduser("~/.pyenv"))
    kind = col.kind_of(prefix, python)
    rec = _Record(python, prefix, [how], {}, kind)
    return FoundEnv(python, prefix, (how,), {}, _names([rec], col.tilde)[0], kind)


__all__ = ["DiscoveryResult", "FoundEnv", "KernelSpec", "discover", "env_from_path", "prefix_of",
           "python_kernelspecs"]

