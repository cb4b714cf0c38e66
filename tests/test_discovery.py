"""Discovery over fabricated machines: a conda install, pyenv, venvs under roots, kernelspecs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kerasfix.errors import TargetError
from kerasfix.inspect.discovery import DiscoveryResult, FoundEnv, discover, env_from_path, prefix_of

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fabricated POSIX layouts")


def link_python(prefix: Path) -> Path:
    """bin/python as a symlink to this interpreter, as conda and pyenv layouts look."""
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    py = prefix / "bin" / "python"
    py.symlink_to(sys.executable)
    return py


def conda_env(prefix: Path, python: bool = True) -> Path:
    (prefix / "conda-meta").mkdir(parents=True)
    if python:
        link_python(prefix)
    return prefix


def real_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def kernelspec(kernels: Path, name: str, content: object) -> Path:
    folder = kernels / name
    folder.mkdir(parents=True)
    spec = folder / "kernel.json"
    spec.write_text(content if isinstance(content, str) else json.dumps(content))
    return spec


def argv_for(python: str | Path) -> list[str]:
    return [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def by_prefix(result: DiscoveryResult) -> dict[str, FoundEnv]:
    return {os.path.realpath(e.prefix): e for e in result.envs}


def problem_for(result: DiscoveryResult, path: Path | str) -> str:
    hits = [msg for p, msg in result.problems if os.path.realpath(p) == os.path.realpath(path)]
    assert hits, f"no problem for {path}: {result.problems}"
    return hits[0]


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """One workstation: home, conda install with a fake `conda`, pyenv, venvs, kernels."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    usr_bin = tmp_path / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    (usr_bin / "python3").symlink_to(sys.executable)
    # conda: base, envs a and b, an R-only env, environments.txt with a vanished entry
    conda = conda_env(home / "miniconda3")
    env_a = conda_env(conda / "envs" / "a")
    env_b = conda_env(conda / "envs" / "b")
    env_r = conda_env(conda / "envs" / "r-only", python=False)
    (home / ".conda").mkdir()
    (home / ".conda" / "environments.txt").write_text(
        f"{conda}\n{env_a}\n{env_b}\n{conda / 'envs' / 'gone'}\n")
    (conda / "condabin").mkdir()
    fake_conda = conda / "condabin" / "conda"
    fake_conda.write_text("#!/bin/sh\n" + "echo '" + json.dumps(
        {"envs": [str(conda), str(env_a), str(env_b)]}) + "'\n")
    fake_conda.chmod(0o755)
    # pyenv: a version, a pyenv-virtualenv env, and pyenv's symlink to it
    pyenv = home / ".pyenv"
    version = pyenv / "versions" / "3.11.0"
    link_python(version)
    proj = real_venv(version / "envs" / "proj")
    (pyenv / "versions" / "proj").symlink_to(proj)
    # venvs under a --root: nested two levels, one top level, one too deep, a symlink loop
    root = tmp_path / "projects"
    nested = real_venv(root / "team" / "model" / ".venv")
    solo = real_venv(root / "solo")
    real_venv(root / "a" / "b" / "c" / "deep")
    (root / "team" / "loop").symlink_to(root)
    (root / "team" / "up").symlink_to(root / "team")
    # kernelspecs (user folder): good, invalid JSON, vanished interpreter, bare name, R
    kernels = home / ".local" / "share" / "jupyter" / "kernels"
    kernelspec(kernels, "model", {"argv": argv_for(nested / "bin" / "python"),
                                  "display_name": "Model", "language": "python",
                                  "env": {"TF_USE_LEGACY_KERAS": "1",
                                          "PYTHONPATH": "${HOME}/lib"}})
    kernelspec(kernels, "broken", "{not json")
    kernelspec(kernels, "vanished", {"argv": argv_for(tmp_path / "old" / "bin" / "python"),
                                     "language": "python"})
    kernelspec(kernels, "system", {"argv": argv_for("python3"), "language": "python"})
    kernelspec(kernels, "ir", {"argv": ["R", "--slave"], "language": "R"})
    # env-local kernelspec of conda env a, with jupyter's bare "python"
    kernelspec(env_a / "share" / "jupyter" / "kernels", "python3",
               {"argv": argv_for("python"), "language": "python",
                "env": {"KERAS_BACKEND": "tensorflow"}})
    return {"home": home, "work": work, "usr_bin": usr_bin, "conda": conda, "a": env_a,
            "b": env_b, "r": env_r, "version": version, "proj": proj, "root": root,
            "nested": nested, "solo": solo, "kernels": kernels, "tmp": tmp_path}


def run(m: dict[str, Path], **kw) -> DiscoveryResult:
    environ = {"HOME": str(m["home"]), "VIRTUAL_ENV": str(m["solo"]),
               "PATH": f"{m['usr_bin']}{os.pathsep}{m['conda'] / 'condabin'}"}
    environ.update(kw.pop("environ", {}))
    return discover([str(m["root"])], environ=environ, home=str(m["home"]), cwd=str(m["work"]),
                    include_system=False, **kw)


def test_pyenv_versions_in_version_order(tmp_path: Path) -> None:
    """3.6 before 3.13 (not text order); names that are no version come after."""
    home = tmp_path / "home"
    versions = home / ".pyenv" / "versions"
    for name in ("3.13.0", "3.6.15", "3.10.4", "miniforge3"):
        link_python(versions / name)
    result = discover(environ={"HOME": str(home), "PATH": ""}, home=str(home),
                      cwd=str(tmp_path), include_defaults=False, include_system=False,
                      run_conda=False)
    assert [os.path.basename(e.prefix) for e in result.envs] == [
        "3.6.15", "3.10.4", "3.13.0", "miniforge3"]


def test_every_environment_once_with_every_way_it_was_found(machine: dict[str, Path]) -> None:
    result = run(machine)
    prefixes = [os.path.realpath(e.prefix) for e in result.envs]
    assert len(prefixes) == len(set(prefixes)), prefixes
    envs = by_prefix(result)
    m = machine
    expected = {m["conda"], m["a"], m["b"], m["version"], m["proj"], m["nested"], m["solo"],
                m["usr_bin"].parent}
    assert {os.path.realpath(p) for p in expected} == set(envs), sorted(envs)

    a = envs[os.path.realpath(m["a"])]
    assert a.kind == "conda" and a.name == "a"
    assert a.found_by[:3] == ("conda env list", "conda: environments.txt",
                              "conda: ~/miniconda3/envs")
    kernel = [h for h in a.found_by if h.startswith("jupyter kernel 'python3'")]
    assert kernel and "'python' is the environment's own interpreter" in kernel[0]
    assert a.kernel_env == {"KERAS_BACKEND": "tensorflow"}

    base = envs[os.path.realpath(m["conda"])]
    assert "conda: ~/miniconda3" in base.found_by and base.name == "miniconda3"

    proj = envs[os.path.realpath(m["proj"])]
    assert set(proj.found_by) == {"pyenv", "pyenv-virtualenv"} and proj.kind == "venv"
    assert envs[os.path.realpath(m["version"])].kind == "pyenv"

    nested = envs[os.path.realpath(m["nested"])]
    assert nested.name == "model/.venv" and nested.python == str(m["nested"] / "bin" / "python")
    assert nested.found_by[0] == f"venv under {m['root']}"
    assert nested.found_by[1].startswith("jupyter kernel 'model' (~/.local/share/jupyter")
    assert nested.kernel_env == {"TF_USE_LEGACY_KERAS": "1",
                                 "PYTHONPATH": f"{m['home']}/lib"}  # ${HOME} as Jupyter does

    solo = envs[os.path.realpath(m["solo"])]
    assert solo.found_by == ("active: $VIRTUAL_ENV", f"venv under {m['root']}")

    system = envs[os.path.realpath(m["usr_bin"].parent)]
    assert system.python == str(m["usr_bin"] / "python3")  # kept as given, not resolved
    assert system.found_by[0] == "python3 on PATH"
    assert "resolved on PATH" in system.found_by[1] and system.kind == "system"


def test_problems_are_reported_never_raised(machine: dict[str, Path]) -> None:
    result = run(machine)
    m = machine
    assert "no longer exists" in problem_for(result, m["conda"] / "envs" / "gone")
    assert "no Python interpreter" in problem_for(result, m["r"])
    assert problem_for(result, m["kernels"] / "broken" / "kernel.json").startswith(
        "invalid JSON")
    assert "does not exist" in problem_for(result, m["kernels"] / "vanished" / "kernel.json")
    assert not any("ir" in Path(p).parts for p, _ in result.problems)  # R kernel: not ours
    assert str(m["root"] / "a" / "b" / "c" / "deep") not in {e.prefix for e in result.envs}
    assert all("\n" not in msg for _, msg in result.problems)


def test_symlink_loops_end_and_depth_is_a_parameter(machine: dict[str, Path]) -> None:
    started = time.perf_counter()
    result = run(machine, max_depth=6)
    assert time.perf_counter() - started < 5
    deep = os.path.realpath(machine["root"] / "a" / "b" / "c" / "deep")
    assert deep in by_prefix(result)


def test_conda_that_hangs_is_a_problem_and_the_files_still_count(
        machine: dict[str, Path]) -> None:
    fake = machine["conda"] / "condabin" / "conda"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 20\n")
    started = time.perf_counter()
    result = run(machine, conda_timeout=0.5)
    assert time.perf_counter() - started < 5
    assert "did not answer" in problem_for(result, fake)
    a = by_prefix(result)[os.path.realpath(machine["a"])]
    assert "conda env list" not in a.found_by and "conda: environments.txt" in a.found_by


def test_bad_inputs_do_not_raise(tmp_path: Path) -> None:
    spec = kernelspec(tmp_path / "k" / "kernels", "x", {"argv": []})
    kernelspec(tmp_path / "k" / "kernels", "list", "[1, 2]")
    kernelspec(tmp_path / "k" / "kernels", "wrapper", {"argv": ["/bin/sh", "-c", "x"]})
    environ = {"HOME": str(tmp_path), "PATH": "", "VIRTUAL_ENV": str(tmp_path / "nope"),
               "JUPYTER_PATH": str(tmp_path / "k")}
    result = discover([str(tmp_path / "missing"), str(spec)], environ=environ,
                      home=str(tmp_path), cwd=str(tmp_path), include_system=False)
    assert result.envs == []
    messages = dict(result.problems)
    assert messages[str(tmp_path / "missing")] == "no such folder"
    assert messages[str(spec)] == "no argv list in kernel.json"  # also: not a folder root
    assert "no such folder" in messages[str(tmp_path / "nope")]
    assert any("not a Python interpreter" in msg for msg in messages.values())


def test_kernel_through_env_wrapper_keeps_its_assignments(tmp_path: Path) -> None:
    venv = real_venv(tmp_path / "v")
    kernelspec(tmp_path / "data" / "kernels", "wrapped",
               {"argv": ["/usr/bin/env", "-u", "X", "KERAS_BACKEND=jax",
                         str(venv / "bin" / "python"), "-m", "ipykernel_launcher"],
                "env": {"TF_CPP_MIN_LOG_LEVEL": "2"}})
    result = discover(environ={"HOME": str(tmp_path), "PATH": "",
                               "JUPYTER_DATA_DIR": str(tmp_path / "data")},
                      home=str(tmp_path), cwd=str(tmp_path), include_system=False)
    (env,) = result.envs
    assert env.kernel_env == {"KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_conflicting_kernel_env_blocks_are_reported(tmp_path: Path) -> None:
    venv = real_venv(tmp_path / "v")
    kernels = tmp_path / "data" / "kernels"
    for name, value in (("k1", "1"), ("k2", "0")):
        kernelspec(kernels, name, {"argv": argv_for(venv / "bin" / "python"),
                                   "env": {"TF_USE_LEGACY_KERAS": value}})
    result = discover(environ={"HOME": str(tmp_path), "PATH": "",
                               "JUPYTER_DATA_DIR": str(tmp_path / "data")},
                      home=str(tmp_path), cwd=str(tmp_path), include_system=False)
    (env,) = result.envs
    assert len(env.found_by) == 2 and env.kernel_env == {"TF_USE_LEGACY_KERAS": "1"}
    assert "differently" in problem_for(result, venv)


def test_default_roots_and_the_current_folder(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    real_venv(home / ".virtualenvs" / "tf")
    real_venv(work / ".venv")
    environ = {"HOME": str(home), "PATH": ""}
    found = discover(environ=environ, home=str(home), cwd=str(work), include_system=False)
    assert [e.found_by for e in found.envs] == [("venv under ~/.virtualenvs",),
                                                ("venv ./.venv",)]
    assert [e.name for e in found.envs] == ["tf", "work/.venv"]
    none = discover(environ=environ, home=str(home), cwd=str(work), include_system=False,
                    include_defaults=False)
    assert none.envs == [] and none.problems == []


def test_same_names_are_made_distinct(tmp_path: Path) -> None:
    for root in ("one", "two"):
        conda_env(tmp_path / root / "envs" / "tf")
        (tmp_path / root / "conda-meta").mkdir()
    environ = {"HOME": str(tmp_path), "PATH": "",
               "CONDA_PREFIX": str(tmp_path / "one" / "envs" / "tf"),
               "MAMBA_ROOT_PREFIX": str(tmp_path / "two")}
    result = discover(environ=environ, home=str(tmp_path), cwd=str(tmp_path),
                      include_system=False)
    names = sorted(e.name for e in result.envs if e.prefix.endswith("tf"))
    assert names == ["one/tf", "two/tf"]


DISCOVER_AS = """import json, sys
sys.path.insert(0, sys.argv[3])
from kerasfix.inspect.discovery import discover
tmp = sys.argv[1]
r = discover([sys.argv[2]], environ={"HOME": tmp, "PATH": ""}, home=tmp, cwd=tmp,
             include_system=False)
print(json.dumps({"envs": [e.name for e in r.envs], "problems": r.problems}))
"""


def test_unreadable_folder_is_a_problem() -> None:
    from asuser import nobody, shared_tmp

    import kerasfix

    # As root, discovery runs as nobody (discovery is stdlib-only: any Python 3.10+ will do).
    prefix, python = nobody(sys.executable, "/usr/bin/python3", "/usr/local/bin/python3")
    source = str(Path(kerasfix.__file__).parent.parent)
    with shared_tmp() as tmp_path:
        root = tmp_path / "root"
        locked = root / "locked"
        subprocess.run([python, "-m", "venv", "--without-pip", str(root / "ok")], check=True)
        locked.mkdir(parents=True)
        locked.chmod(0)
        out = subprocess.run([*prefix, python, "-c", DISCOVER_AS, str(tmp_path), str(root),
                              source], capture_output=True, text=True, cwd=str(tmp_path))
        if out.returncode and "kerasfix" in out.stderr:
            pytest.skip(f"nobody cannot import kerasfix from {source}: {out.stderr[-200:]}")
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        result = DiscoveryResult(envs=[], problems=[tuple(p) for p in doc["problems"]])
        assert doc["envs"] == ["ok"]
        assert problem_for(result, locked).startswith("cannot read")


def test_fifty_environments_are_found_well_under_a_second(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for i in range(50):
        env = root / f"group{i % 5}" / f"env{i}"
        env.mkdir(parents=True)
        (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
        link_python(env)
    started = time.perf_counter()
    result = discover([str(root)], environ={"HOME": str(tmp_path), "PATH": ""},
                      home=str(tmp_path), cwd=str(tmp_path), include_system=False)
    elapsed = time.perf_counter() - started
    assert len(result.envs) == 50 and not result.problems
    assert elapsed < 1.0, elapsed


def test_prefix_of_and_env_from_path(tmp_path: Path) -> None:
    assert prefix_of("/usr/bin/python3") == "/usr"
    assert prefix_of("/home/u/.pyenv/shims/python") == "/home/u/.pyenv/shims"
    assert prefix_of("/opt/env/python.exe") == "/opt/env"
    venv = real_venv(tmp_path / "proj" / ".venv")
    env = env_from_path(str(venv))
    assert env.python == str(venv / "bin" / "python") and env.prefix == str(venv)
    assert env.kind == "venv" and env.name == "proj/.venv" and env.found_by == ("--python",)
    assert env_from_path(str(venv / "bin" / "python")).prefix == str(venv)
    with pytest.raises(TargetError):
        env_from_path(str(tmp_path / "missing"))
