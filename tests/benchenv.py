"""Environments for tests/bench.py, built once and cached under .cache/bench/ (git-ignored).

- a real TensorFlow env: tensorflow-cpu==2.18.1 in a venv on CPython 3.11.7 (uv, pip fallback);
- an empty venv (pip, setuptools, wheel and packaging, as `uv venv --seed` makes it): the fixed
  cost every tool pays;
- N-distribution envs: the empty venv plus N fabricated dist-info folders, each with METADATA
  (a few Requires-Dist lines between them, all satisfied), INSTALLER, WHEEL and a RECORD listing
  ~10 files that are really written (every eighth also ships a top-level module, like six.py).

Each env is complete only when its stamp file exists and matches what this module would build;
anything else (an interrupted build, a moved or removed base interpreter, a changed recipe) is
deleted and rebuilt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
UV_CACHE = ROOT / ".cache" / "uv"
BASE_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3"
TF_SPEC = "tensorflow-cpu==2.18.1"
STAMP = ".kerasfix-bench.json"
RECIPE = 4  # bump when the fabricated layout changes: cached envs are then rebuilt

# Per fabricated distribution: package files beside METADATA, WHEEL, INSTALLER and RECORD (and
# for every eighth one a top-level module too).
MODULES = ("__init__.py", "core.py", "utils.py", "io.py", "config.py", "errors.py", "py.typed")


class EnvError(Exception):
    """An environment could not be built."""


@dataclass(frozen=True)
class Env:
    name: str
    path: Path
    fabricated: int  # fabricated distributions (0 for the real and the empty env)

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")


def base_python() -> str:
    """The interpreter the envs are built on (BENCH_BASE_PYTHON overrides it)."""
    py = os.environ.get("BENCH_BASE_PYTHON", BASE_PYTHON)
    if not os.access(py, os.X_OK):
        raise EnvError(f"base interpreter {py} not found (set BENCH_BASE_PYTHON)")
    return py


def _run(argv: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kw)


def _tool(name: str) -> str:
    """A tool of the project venv (the one running this file), else from PATH."""
    own = Path(sys.executable).parent / name
    return str(own) if own.exists() else (shutil.which(name) or name)


def _uv_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env["UV_CACHE_DIR"] = str(UV_CACHE)
    return env


def _stamp(spec: dict) -> dict:
    return {"base_python": base_python(), **spec}


def _valid(path: Path, spec: dict, probe: str) -> bool:
    """The stamp matches and the env's interpreter answers `probe` with 'ok'."""
    try:
        if json.loads((path / STAMP).read_text()) != _stamp(spec):
            return False
    except (OSError, ValueError):
        return False
    try:
        out = _run([str(path / "bin" / "python"), "-c", probe], timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == "ok"


def _fresh_venv(path: Path) -> None:
    """A new venv with pip, setuptools and wheel: uv venv --seed, else python -m venv."""
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    py = base_python()
    try:
        out = _run([_tool("uv"), "venv", "--seed", "--python", py, str(path)], env=_uv_env())
        if out.returncode == 0 and (path / "bin" / "python").exists():
            return
        reason = out.stderr.strip()[-300:]
    except OSError as err:
        reason = str(err)
    print(f"  uv venv failed ({reason}); falling back to python -m venv", file=sys.stderr)
    shutil.rmtree(path, ignore_errors=True)
    out = _run([py, "-m", "venv", str(path)])
    if out.returncode != 0:
        raise EnvError(f"python -m venv {path} failed: {out.stderr.strip()[-500:]}")
    # 3.11's ensurepip installs pip and setuptools; add wheel like uv's --seed does (best effort).
    _run([str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "wheel"])


_PIP_OK = "import pip, importlib.metadata as m; m.version('pip'); print('ok')"


def ensure_empty(force: bool = False) -> Env:
    path = CACHE / "empty"
    spec = {"kind": "empty"}
    if force or not _valid(path, spec, _PIP_OK):
        print(f"  building {path.relative_to(ROOT)} …", file=sys.stderr)
        _fresh_venv(path)
        (path / STAMP).write_text(json.dumps(_stamp(spec)))
    return Env("empty venv", path, 0)


def ensure_tensorflow(force: bool = False) -> Env:
    path = CACHE / "tf-2.18.1"
    spec = {"kind": "tensorflow", "spec": TF_SPEC}
    name, _, version = TF_SPEC.partition("==")
    probe = ("import pip, importlib.metadata as m\n"
             f"assert m.version({name!r}) == {version!r}\n"
             "import os, sysconfig\n"
             "assert os.path.isfile(os.path.join(sysconfig.get_paths()['purelib'],"
             " 'tensorflow', '__init__.py'))\nprint('ok')")
    if not force and _valid(path, spec, probe):
        return Env("tf-2.18.1", path, 0)
    print(f"  building {path.relative_to(ROOT)} ({TF_SPEC}; downloads ~250 MB once) …",
          file=sys.stderr)
    _fresh_venv(path)
    py = str(path / "bin" / "python")
    try:
        out = _run([_tool("uv"), "pip", "install", "--python", py, TF_SPEC], env=_uv_env())
        ok, reason = out.returncode == 0, out.stderr.strip()[-500:]
    except OSError as err:
        ok, reason = False, str(err)
    if not ok:
        print(f"  uv pip install failed ({reason}); falling back to pip", file=sys.stderr)
        out = _run([py, "-m", "pip", "install", "--quiet", TF_SPEC])
        if out.returncode != 0:
            shutil.rmtree(path, ignore_errors=True)
            raise EnvError(f"installing {TF_SPEC} failed: {out.stderr.strip()[-800:]}")
    (path / STAMP).write_text(json.dumps(_stamp(spec)))
    if not _valid(path, spec, probe):
        raise EnvError(f"{path}: {TF_SPEC} installed but the env does not check out")
    return Env("tf-2.18.1", path, 0)


# ---------------------------------------------------------------- fabricated distributions


def dist_name(i: int) -> str:
    return f"bench-pkg-{i:04d}"


def _requires(i: int) -> list[str]:
    """0-3 satisfied requirements on lower-numbered dists, in a shallow DAG like a real env's.

    Rank i % 4 is the layer: a rank-r dist requires one dist of each rank below r, chosen
    pseudo-randomly among lower numbers, so chains are at most four deep (a chain i -> i-1 would
    make tree renderers such as pipdeptree expand a 1,000-level tree).
    """
    lines = []
    for s in range(i % 4):
        q = (i // 4 * (s + 3) * 7919 + s) % (i // 4 + 1)
        j = 4 * q + s  # < i, rank s
        if j < 1:
            continue
        spec = (">=1.0", f"<3,>=1.0.{j % 3}", '!=0.9; python_version >= "3.8"')[s]
        lines.append(f"{dist_name(j)}{spec}")
    lines.append('pytest>=8; extra == "test"')  # not installed; the extra is not requested
    return lines


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_dist(site: Path, i: int) -> None:
    name, version = dist_name(i), f"1.0.{i}"
    pkg = name.replace("-", "_")
    info = f"{pkg}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
            f"Summary: Fabricated distribution number {i} for the kerasfix benchmark",
            "Home-page: https://example.invalid/bench", "Author: kerasfix bench",
            "License: MIT", "Classifier: Programming Language :: Python :: 3",
            "Requires-Python: >=3.8", "Provides-Extra: test",
            *(f"Requires-Dist: {r}" for r in _requires(i)),
            "Description-Content-Type: text/markdown"]
    body = f"# {name}\n\nA fabricated package.\n\n" + "Some long description text.\n" * 20
    files: dict[str, bytes] = {}
    for mod in MODULES:
        text = "" if mod == "py.typed" else f'"""{name}: {mod}."""\n\nVALUE = {i}\n'
        files[f"{pkg}/{mod}"] = text.encode()
    if i % 8 == 0:  # some dists also ship a top-level module (like six.py, typing_extensions.py)
        files[f"{pkg}_compat.py"] = f'"""{name}: top-level compat module."""\n'.encode()
    files[f"{info}/METADATA"] = ("\n".join(meta) + "\n\n" + body).encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: kerasfix-bench\n" \
                             b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/INSTALLER"] = b"pip\n"
    (site / pkg).mkdir(parents=True, exist_ok=True)
    (site / info).mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (site / rel).write_bytes(data)
    record = [f"{rel},{_hash(data)},{len(data)}" for rel, data in files.items()]
    record.append(f"{info}/RECORD,,")
    (site / info / "RECORD").write_text("\n".join(record) + "\n")


def purelib(python: str) -> Path:
    out = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    if out.returncode != 0:
        raise EnvError(f"{python} does not run: {out.stderr.strip()[-300:]}")
    return Path(out.stdout.strip())


def ensure_fabricated(n: int, force: bool = False) -> Env:
    path = CACHE / f"dists-{n}"
    spec = {"kind": "fabricated", "n": n, "recipe": RECIPE}
    probe = ("import importlib.metadata as m, pip\n"
             f"names = [d.metadata['Name'] for d in m.distributions()]\n"
             f"assert sum(x.startswith('bench-pkg-') for x in names) == {n}\n"
             f"assert m.version({dist_name(n)!r}) == '1.0.{n}'\nprint('ok')")
    if not force and _valid(path, spec, probe):
        return Env(f"{n} dists", path, n)
    print(f"  building {path.relative_to(ROOT)} ({n} fabricated distributions) …",
          file=sys.stderr)
    _fresh_venv(path)
    site = purelib(str(path / "bin" / "python"))
    for i in range(1, n + 1):
        write_dist(site, i)
    (path / STAMP).write_text(json.dumps(_stamp(spec)))
    if not _valid(path, spec, probe):
        raise EnvError(f"{path}: fabricated env does not check out")
    return Env(f"{n} dists", path, n)
