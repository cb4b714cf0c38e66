"""kerasfix.inspect.project: finding the project folder, its manifests and its tool (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerasfix.errors import KerasfixError
from kerasfix.inspect.project import Manifest, ProjectError, find_project


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder under tmp_path: the walk-up stops there."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def test_walks_up_from_a_nested_folder(home: Path) -> None:
    root = home / "proj"
    nested = root / "src" / "pkg"
    nested.mkdir(parents=True)
    (root / "requirements.txt").write_text("tensorflow-cpu==2.15.1\n")
    (root / "requirements-dev.txt").write_text("-r requirements.txt\npytest\n")
    (root / "constraints.txt").write_text("numpy<2\n")
    (root / "requirements").mkdir()
    (root / "requirements" / "gpu.txt").write_text("tensorflow[and-cuda]\n")
    project = find_project(str(nested))
    assert project is not None
    assert project.root == str(root)
    assert project.manifests == (
        Manifest(str(root / "requirements-dev.txt"), "requirements"),
        Manifest(str(root / "requirements.txt"), "requirements"),
        Manifest(str(root / "requirements" / "gpu.txt"), "requirements"),
        Manifest(str(root / "constraints.txt"), "constraints"),
    )
    assert project.tool == "pip"
    assert project.locks == ()
    assert "requirements.txt" in project.evidence


def test_the_nearest_project_wins(home: Path) -> None:
    outer = home / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    (outer / "requirements.txt").write_text("keras\n")
    (inner / "Pipfile").write_text('[packages]\nkeras = "*"\n')
    project = find_project(str(inner))
    assert project is not None and project.root == str(inner)
    assert project.tool == "pipenv"
    assert project.manifests == (Manifest(str(inner / "Pipfile"), "pipfile"),)


def test_stops_at_home_and_never_takes_home_itself(home: Path) -> None:
    (home / "requirements.txt").write_text("keras\n")
    nested = home / "a" / "b"
    nested.mkdir(parents=True)
    assert find_project(str(nested)) is None
    assert find_project(str(home)) is None


def test_nothing_up_to_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    found = find_project(str(empty))
    # Whatever may sit above tmp_path on this machine, it is not tmp_path's folder.
    assert found is None or not found.root.startswith(str(tmp_path))


def test_explicit_folder_is_used_as_is(home: Path) -> None:
    root = home / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "requirements.txt").write_text("keras\n")
    project = find_project(str(root / "sub"), explicit=str(home / "proj" / "sub"))
    assert project is not None
    assert project.root == str(root / "sub") and project.manifests == ()
    assert project.tool == "pip"


def test_explicit_non_folder_is_a_one_line_error(home: Path) -> None:
    afile = home / "file.txt"
    afile.write_text("x")
    for bad in (afile, home / "missing"):
        with pytest.raises(ProjectError) as err:
            find_project(str(home), explicit=str(bad))
        assert isinstance(err.value, KerasfixError)
        assert err.value.exit_code == 2
        assert "\n" not in str(err.value) and str(bad) in str(err.value)


@pytest.mark.parametrize(("files", "tool", "evidence"), [
    ({"uv.lock": "", "pyproject.toml": "[project]\ndependencies = ['keras']\n"},
     "uv", "uv.lock"),
    ({"pyproject.toml": "[project]\ndependencies = ['keras']\n[tool.uv]\n"},
     "uv", "[tool.uv] in pyproject.toml"),
    ({"poetry.lock": "", "pyproject.toml": "[project]\nname = 'x'\n"},
     "poetry", "poetry.lock"),
    ({"pyproject.toml": "[tool.poetry.dependencies]\nkeras = '^3'\n"},
     "poetry", "[tool.poetry] in pyproject.toml"),
    ({"pdm.lock": ""}, "pdm", "pdm.lock"),
    ({"pyproject.toml": "[tool.pdm]\n"}, "pdm", "[tool.pdm] in pyproject.toml"),
    ({"Pipfile": "[packages]\n"}, "pipenv", "Pipfile"),
    ({"Pipfile": "[packages]\n", "Pipfile.lock": "{}"}, "pipenv", "Pipfile.lock"),
    ({"environment.yml": "dependencies:\n  - keras\n"}, "conda", "environment.yml"),
    ({"environment.yaml": "dependencies:\n  - keras\n", "requirements.txt": "x\n"},
     "conda", "environment.yaml"),
    ({"requirements.txt": "keras\n"}, "pip", "requirements.txt"),
    # A lock file outranks another tool's table.
    ({"uv.lock": "", "pyproject.toml": "[tool.poetry.dependencies]\nkeras = '^3'\n"},
     "uv", "uv.lock"),
    ({"poetry.lock": "", "Pipfile": "[packages]\n"}, "poetry", "poetry.lock"),
])
def test_tool_detection(home: Path, files: dict[str, str], tool: str, evidence: str) -> None:
    root = home / "proj"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    project = find_project(str(root))
    assert project is not None
    assert project.tool == tool
    assert evidence in project.evidence


def test_locks_are_listed_with_their_tool(home: Path) -> None:
    root = home / "proj"
    root.mkdir()
    for name in ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "conda-lock.yml"):
        (root / name).write_text("")
    project = find_project(str(root))
    assert project is not None
    assert project.locks == (
        (str(root / "uv.lock"), "uv"), (str(root / "poetry.lock"), "poetry"),
        (str(root / "pdm.lock"), "pdm"), (str(root / "Pipfile.lock"), "pipenv"),
        (str(root / "conda-lock.yml"), "conda"),
    )


@pytest.mark.parametrize(("text", "listed"), [
    ("[project]\nname = 'x'\ndependencies = ['keras']\n", True),
    ("[project]\nname = 'x'\n[project.optional-dependencies]\ngpu = ['tensorflow']\n", True),
    ("[dependency-groups]\ndev = ['pytest']\n", True),
    ("[tool.poetry.dependencies]\npython = '^3.10'\n", True),
    ("[tool.poetry.group.dev.dependencies]\npytest = '*'\n", True),
    ("[project]\nname = 'x'\n", False),
    ("[tool.ruff]\nline-length = 100\n", False),
])
def test_pyproject_is_a_manifest_only_with_dependencies(home: Path, text: str,
                                                         listed: bool) -> None:
    root = home / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(text)
    project = find_project(str(root))
    assert project is not None
    kinds = [m.kind for m in project.manifests]
    assert kinds == (["pyproject"] if listed else [])


def test_unparsable_pyproject_is_recorded_not_raised(home: Path) -> None:
    root = home / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project\ndependencies = [\n")
    project = find_project(str(root))
    assert project is not None
    notes = [e for e in project.evidence if e.startswith("pyproject.toml does not parse: ")]
    assert len(notes) == 1 and "\n" not in notes[0]
    # Listed, so that the edit step reports it.
    assert project.manifests == (Manifest(str(root / "pyproject.toml"), "pyproject"),)
    assert project.tool == "pip"


def test_conda_env_and_pipfile_are_manifests(home: Path) -> None:
    root = home / "proj"
    root.mkdir()
    (root / "environment.yml").write_text("dependencies:\n  - keras\n")
    (root / "Pipfile").write_text("[packages]\n")
    project = find_project(str(root))
    assert project is not None
    assert project.manifests == (Manifest(str(root / "Pipfile"), "pipfile"),
                                 Manifest(str(root / "environment.yml"), "conda-env"))
    assert project.tool == "pipenv"
