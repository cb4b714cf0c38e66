"""kerasfix.fix.manifest: the project's manifests edited for the repaired stack (issue 13).

Real files in tmp_path, parsed by the real parsers; every diff is applied with the real `patch`.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import tomlkit
from packaging.specifiers import SpecifierSet

from kerasfix.diagnose.findings import Severity
from kerasfix.diagnose.requirements_audit import audit_requirements
from kerasfix.errors import KerasfixError
from kerasfix.fix.manifest import ManifestEdit, ManifestError, Want, plan_edits, write_atomic
from kerasfix.fix.manifest.dialects import conda_reading, poetry_reading
from kerasfix.fix.manifest.rules import REMOVE, decide
from kerasfix.inspect.project import Manifest, Project, find_project

KERAS2 = Want("keras", ">=2.15.0,<2.16", "2.15.0")  # what tensorflow-cpu 2.15.1 needs
TF_KERAS = Want("tf-keras", "~=2.15.0", add=True)
NO_GPU = Want("tensorflow-gpu", "", remove=True)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def edits_for(root: Path, wants: list[Want]) -> dict[str, ManifestEdit]:
    project = find_project(str(root), explicit=str(root))
    assert project is not None
    edits = plan_edits(project, wants)
    for edit in edits:
        assert_patch_applies(root, edit)
    return {os.path.relpath(e.path, root): e for e in edits}


def assert_patch_applies(root: Path, edit: ManifestEdit) -> None:
    """`patch -p1` on a copy of the file turns it into `after`, byte for byte."""
    assert edit.before == Path(edit.path).read_bytes()
    if shutil.which("patch") is None:
        pytest.skip("no patch program")
    copy = root.parent / f"{root.name}-patched"
    rel = os.path.relpath(edit.path, root)
    shutil.rmtree(copy, ignore_errors=True)
    (copy / rel).parent.mkdir(parents=True, exist_ok=True)
    (copy / rel).write_bytes(edit.before)
    done = subprocess.run(["patch", "-p1", "--quiet", "-d", str(copy)],
                          input=edit.diff.encode("utf-8"), capture_output=True, timeout=30)
    assert done.returncode == 0, (done.stdout, done.stderr, edit.diff)
    assert (copy / rel).read_bytes() == edit.after.encode("utf-8")
    assert edit.diff.startswith(f"--- a/{rel}\n+++ b/{rel}\n")


# --- the rule -----------------------------------------------------------------------------

@pytest.mark.parametrize(("want", "existing", "pinned", "expected"), [
    (KERAS2, "==3.6.0", True, "==2.15.0"),
    (KERAS2, "==2.15.0", True, None),
    (KERAS2, ">=2.0", False, None),  # allows the installed version: a minimal edit leaves it
    (KERAS2, ">=3", False, ">=2.15.0,<2.16"),
    (KERAS2, "", False, None),
    (Want("keras", "<3"), ">=2", False, "<3"),  # no exact: it must not allow more than <3
    (Want("keras", "<3"), "", False, "<3"),
    (Want("keras", "<3"), "~=2.15.0", False, None),
    (Want("keras", ">=2.15.0,<2.16"), "==2.15.0", True, None),
    (Want("keras", ">=2.15.0,<2.16"), "==3.6.0", True, ">=2.15.0,<2.16"),
    (Want("keras", ">=2.15.0,<2.16"), ">=2.15,<2.15.5", False, None),
    (Want("keras", ">=2.15.0,<2.16"), ">=2.14,<2.16", False, ">=2.15.0,<2.16"),
    (Want("keras", "", "2.15.0"), ">=3", False, "==2.15.0"),
    (Want("keras", ""), "==3.6.0", True, None),
    (Want("keras", "", remove=True), "==3.6.0", True, REMOVE),
])
def test_decide(want: Want, existing: str, pinned: bool, expected: str | None) -> None:
    assert decide(want, [SpecifierSet(existing)], pinned) == expected


@pytest.mark.parametrize(("text", "inside", "outside", "pinned"), [
    ("^2.15", ["2.15.0", "2.99"], ["3.0", "2.14.9"], False),
    ("^0.2.3", ["0.2.9"], ["0.3.0"], False),
    ("~2.15.1", ["2.15.9"], ["2.16.0", "2.15.0"], False),
    ("2.15.1", ["2.15.1"], ["2.15.2"], True),
    ("==2.15.1", ["2.15.1"], ["2.15.2"], True),
    (">=2.15, <2.16", ["2.15.3"], ["2.16.0"], False),
    (">=2.15 <2.16", ["2.15.3"], ["2.16.0"], False),
    (">=1,<2 || >=3", ["1.5", "3.1"], ["2.5"], False),
    ("*", ["0.1", "99"], [], False),
])
def test_poetry_constraints(text: str, inside: list[str], outside: list[str],
                            pinned: bool) -> None:
    reading = poetry_reading(text)
    assert reading is not None
    allowed, is_pin = reading
    assert is_pin == pinned
    assert all(any(s.contains(v) for s in allowed) for v in inside)
    assert not any(any(s.contains(v) for s in allowed) for v in outside)


@pytest.mark.parametrize(("text", "inside", "outside", "pinned"), [
    ("=2.15", ["2.15.0", "2.15.1"], ["2.16.0"], False),
    ("==2.15.1", ["2.15.1"], ["2.15.2"], True),
    ("==2.15.1=py311_0", ["2.15.1"], ["2.15.2"], True),
    (" 1.26.*", ["1.26.4"], ["1.27"], False),
    (">=2.15, <2.16", ["2.15.3"], ["2.16.0"], False),
    ("", ["1"], [], False),
])
def test_conda_constraints(text: str, inside: list[str], outside: list[str],
                           pinned: bool) -> None:
    reading = conda_reading(text)
    assert reading is not None
    allowed, is_pin = reading
    assert is_pin == pinned
    assert all(any(s.contains(v) for s in allowed) for v in inside)
    assert not any(any(s.contains(v) for s in allowed) for v in outside)


# --- requirements files -----------------------------------------------------------------

def test_requirements_minimal_edit_keeps_everything_else(tmp_path: Path) -> None:
    text = ("# the stack\r\n"
            "tensorflow-cpu==2.15.1  # TF itself\r\n"
            "Keras[jax] == 3.6.0 ; python_version >= \"3.9\"  # pinned by hand\r\n"
            "numpy<2\r\n"
            "protobuf")  # no final newline
    req = write(tmp_path / "requirements.txt", text)
    edit = edits_for(tmp_path, [KERAS2, Want("numpy", "<2", "1.26.4")])["requirements.txt"]
    assert edit.after == text.replace("== 3.6.0", "==2.15.0")
    assert [(c.line, c.before, c.after) for c in edit.changes] == [
        (3, 'Keras[jax] == 3.6.0 ; python_version >= "3.9"',
         'Keras[jax] ==2.15.0 ; python_version >= "3.9"')]
    write_atomic(str(req), edit.after)
    assert req.read_bytes() == edit.after.encode()


def test_edited_requirements_pass_kerasfix_audit(tmp_path: Path) -> None:
    req = write(tmp_path / "requirements.txt", "tensorflow-cpu==2.15.1\nkeras==3.6.0\n")
    before = audit_requirements(str(req))
    assert any(f.severity is Severity.ERROR for f in before)  # the test can fail
    edit = edits_for(tmp_path, [KERAS2])["requirements.txt"]
    write_atomic(edit.path, edit.after)
    assert req.read_text() == "tensorflow-cpu==2.15.1\nkeras==2.15.0\n"
    assert [f for f in audit_requirements(str(req)) if f.severity is Severity.ERROR] == []


def test_pin_in_an_included_file_is_edited_there(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r base.txt\ntensorflow-cpu==2.15.1\n")
    write(tmp_path / "base.txt", "# shared\nkeras==3.6.0  # base\n")
    write(tmp_path / "requirements-dev.txt", "--requirement=requirements.txt\npytest\n")
    edits = edits_for(tmp_path, [KERAS2])
    assert set(edits) == {"base.txt"}
    assert edits["base.txt"].after == "# shared\nkeras==2.15.0  # base\n"


def test_include_loop_is_a_one_line_error(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r a.txt\n")
    write(tmp_path / "a.txt", "-r b.txt\n")
    write(tmp_path / "b.txt", "keras\n-c a.txt\n")
    project = find_project(str(tmp_path), explicit=str(tmp_path))
    assert project is not None
    with pytest.raises(ManifestError) as err:
        plan_edits(project, [KERAS2])
    assert str(err.value) == "requirements.txt: -r loop: a.txt -> b.txt -> a.txt"
    assert isinstance(err.value, KerasfixError) and err.value.exit_code == 2


def test_missing_include_is_a_one_line_error(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r nowhere.txt\n")
    project = find_project(str(tmp_path), explicit=str(tmp_path))
    assert project is not None
    with pytest.raises(ManifestError, match=r"^requirements.txt: -r nowhere.txt: no such file$"):
        plan_edits(project, [KERAS2])


def test_hashes_of_a_rewritten_line_are_dropped_and_said(tmp_path: Path) -> None:
    text = ("tensorflow-cpu==2.15.1 \\\n"
            "    --hash=sha256:1111\n"
            "keras==3.6.0 \\\n"
            "    --hash=sha256:2222 \\\n"
            "    --hash=sha256:3333\n"
            "    # via tensorflow-cpu\n")
    write(tmp_path / "requirements.txt", text)
    edit = edits_for(tmp_path, [KERAS2])["requirements.txt"]
    assert edit.after == ("tensorflow-cpu==2.15.1 \\\n"
                          "    --hash=sha256:1111\n"
                          "keras==2.15.0\n"
                          "    # via tensorflow-cpu\n")
    notes = [c for c in edit.changes if "pip-compile --generate-hashes" in c.after]
    assert len(notes) == 1 and notes[0].line == 3


def test_url_editable_and_unparsable_lines_are_left(tmp_path: Path) -> None:
    text = ("tensorflow-cpu==2.15.1\n"
            "keras @ https://example.org/keras-3.6.0-py3-none-any.whl\n"
            "-e git+https://example.org/keras.git#egg=keras\n"
            "--index-url https://example.org/simple\n"
            "keras===!!bad\n"
            "keras \\\n"
            "  ==3.6.0\n")
    write(tmp_path / "requirements.txt", text)
    assert edits_for(tmp_path, [KERAS2, Want("keras", "<3")]) == {}


def test_add_goes_after_the_tensorflow_line_once(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt",
          'numpy<2\ntensorflow-cpu==2.15.1 ; sys_platform != "darwin"  # TF\nkeras==2.15.0')
    write(tmp_path / "constraints.txt", "tensorflow-cpu<2.16\n")
    edits = edits_for(tmp_path, [KERAS2, TF_KERAS])
    assert set(edits) == {"requirements.txt"}  # never added to a constraints file
    edit = edits["requirements.txt"]
    assert edit.after == ('numpy<2\ntensorflow-cpu==2.15.1 ; sys_platform != "darwin"  # TF\n'
                          'tf-keras~=2.15.0; sys_platform != "darwin"\nkeras==2.15.0')
    assert [(c.line, c.before, c.after) for c in edit.changes] == [
        (3, "", 'tf-keras~=2.15.0; sys_platform != "darwin"')]


def test_no_add_when_a_manifest_already_names_it(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "tensorflow-cpu==2.15.1\n")
    write(tmp_path / "requirements-dev.txt", "tf_keras~=2.15.0\n")
    assert edits_for(tmp_path, [TF_KERAS]) == {}


def test_remove_a_second_tensorflow_build(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt",
          "tensorflow-cpu==2.15.1\r\ntensorflow-gpu==2.15.1 \\\r\n  --hash=sha256:ab\r\nkeras")
    edit = edits_for(tmp_path, [NO_GPU, TF_KERAS])["requirements.txt"]
    assert edit.after == "tensorflow-cpu==2.15.1\r\ntf-keras~=2.15.0\r\nkeras"
    assert (2, "tensorflow-gpu==2.15.1", "") in [(c.line, c.before, c.after)
                                                  for c in edit.changes]


def test_last_line_removed_keeps_no_final_newline(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "tensorflow-cpu==2.15.1\ntensorflow-gpu==2.15.1")
    edit = edits_for(tmp_path, [NO_GPU])["requirements.txt"]
    assert edit.after == "tensorflow-cpu==2.15.1"


def test_bom_is_kept_and_non_utf8_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"\xef\xbb\xbfkeras==3.6.0\n")
    edit = edits_for(tmp_path, [KERAS2])["requirements.txt"]
    assert edit.after.encode() == b"\xef\xbb\xbfkeras==2.15.0\n"
    (tmp_path / "requirements.txt").write_bytes(b"keras==3.6.0  # caf\xe9\n")
    project = find_project(str(tmp_path), explicit=str(tmp_path))
    assert project is not None
    with pytest.raises(ManifestError, match=r"^requirements.txt: not UTF-8"):
        plan_edits(project, [KERAS2])


# --- pyproject.toml -----------------------------------------------------------------------

PYPROJECT = """\
[project]
name   =  "demo"      # odd spacing stays
dependencies = [
    "tensorflow-cpu == 2.15.1",   # the TF
    'Keras>=3',
    "numpy",  # bare
    "tensorflow-gpu==2.15.1",
]

[project.optional-dependencies]
extra = [ "keras==3.6.0" ,"pillow" ]

[dependency-groups]
dev = ["pytest", {include-group = "lint"}, "keras~=3.6"]
lint = ["ruff"]

[tool.poetry.dependencies]
python = "^3.10"
tensorflow-cpu   =   "2.15.1"   # exact
keras = { version = "^3.0", extras = ["jax"] }
numpy = "^1.26"

[tool.poetry.group.test.dependencies]
keras = "3.6.0"
tensorflow-gpu = "*"
"""


def test_pyproject_sections_edited_minimally(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    edit = edits_for(tmp_path, [KERAS2, NO_GPU, TF_KERAS, Want("numpy", "<2", "1.26.4")])[
        "pyproject.toml"]
    expected = (PYPROJECT
                .replace("'Keras>=3'", "'Keras>=2.15.0,<2.16'")
                .replace('    "tensorflow-gpu==2.15.1",\n', "")
                .replace('   # the TF\n', '   # the TF\n    "tf-keras~=2.15.0",\n')
                .replace('"keras==3.6.0"', '"keras==2.15.0"')
                .replace('"keras~=3.6"', '"keras>=2.15.0,<2.16"')
                .replace('version = "^3.0"', 'version = ">=2.15.0,<2.16"')
                .replace('keras = "3.6.0"', 'keras = "2.15.0"')
                .replace('tensorflow-gpu = "*"\n', "")
                .replace('"2.15.1"   # exact\n', '"2.15.1"   # exact\ntf-keras = "~=2.15.0"\n'))
    assert edit.after == expected
    assert tomlkit.dumps(tomlkit.parse(edit.after)) == edit.after
    shown = {(c.before, c.after) for c in edit.changes}
    assert ("Keras>=3", "Keras>=2.15.0,<2.16") in shown
    assert ("keras = 3.6.0", "keras = 2.15.0") in shown
    assert ("", "tf-keras~=2.15.0") in shown
    lines = edit.after.splitlines()
    added = next(c for c in edit.changes if c.after == "tf-keras~=2.15.0")
    assert "tf-keras~=2.15.0" in lines[added.line - 1]


def test_unparsable_pyproject_is_a_one_line_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\ndependencies = ["keras==3.6.0"\nname = 1\n')
    project = find_project(str(tmp_path), explicit=str(tmp_path))
    assert project is not None
    with pytest.raises(ManifestError) as err:
        plan_edits(project, [KERAS2])
    assert str(err.value).startswith("pyproject.toml does not parse: ")
    assert "\n" not in str(err.value)


def test_untouched_pyproject_has_no_edit(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml",
          '[project]\ndependencies = ["tensorflow-cpu==2.15.1", "keras>=2.15,<2.16"]\n')
    assert edits_for(tmp_path, [KERAS2]) == {}


# --- Pipfile and environment.yml ----------------------------------------------------------

def test_pipfile(tmp_path: Path) -> None:
    text = ('[[source]]\nurl = "https://pypi.org/simple"\nname = "pypi"\n\n'
            '[packages]\ntensorflow-cpu = "==2.15.1"  # TF\n'
            'Keras = {version = "==3.6.0", extras = ["jax"]}\nnumpy = "*"\n'
            'mylib = {path = ".", editable = true}\n\n'
            '[dev-packages]\ntensorflow_gpu = "*"\n')
    write(tmp_path / "Pipfile", text)
    edit = edits_for(tmp_path, [KERAS2, NO_GPU, TF_KERAS, Want("numpy", "<2")])["Pipfile"]
    assert edit.after == (text.replace('"==3.6.0"', '"==2.15.0"')
                          .replace('numpy = "*"', 'numpy = "<2"')
                          .replace('tensorflow_gpu = "*"\n', "")
                          .replace("  # TF\n", '  # TF\ntf-keras = "~=2.15.0"\n'))


def test_conda_environment(tmp_path: Path) -> None:
    text = ("name: ml  # the env\n"
            "channels:\n"
            "  - conda-forge\n"
            "dependencies:\n"
            "  - python=3.11\n"
            "  - conda-forge::tensorflow=2.15   # TF\n"
            "  - keras==3.6.0\n"
            "  - numpy\n"
            "  - pip\n"
            "  - pip:\n"
            '    - "tf-keras==2.16.0"  # pip-only\n'
            "    - tensorflow-gpu==2.15.1\n"
            "    - -r requirements-extra.txt\n"
            "variables:\n"
            "  keras: 3\n")
    write(tmp_path / "environment.yml", text)
    write(tmp_path / "requirements-extra.txt", "pillow\n")
    edits = edits_for(tmp_path, [KERAS2, NO_GPU, Want("tf-keras", "~=2.15.0", "2.15.1"),
                                 Want("numpy", "<2"), Want("ml-dtypes", "~=0.2.0", add=True)])
    assert set(edits) == {"environment.yml"}
    assert edits["environment.yml"].after == (
        text.replace("keras==3.6.0", "keras==2.15.0")
        .replace("  - numpy\n", "  - numpy<2\n")
        .replace('"tf-keras==2.16.0"', '"tf-keras==2.15.1"')
        .replace("    - tensorflow-gpu==2.15.1\n", "")
        .replace("   # TF\n", "   # TF\n  - ml-dtypes~=0.2.0\n"))


def test_conda_environment_fuzzy_pin_that_fits_is_left(tmp_path: Path) -> None:
    write(tmp_path / "environment.yml",
          "dependencies:\n- tensorflow=2.15\n- keras=2.15\n- pip:\n  - numpy<2\n")
    assert edits_for(tmp_path, [KERAS2, Want("tensorflow", "", "2.15.1"),
                                Want("numpy", "<2")]) == {}


# --- writing ------------------------------------------------------------------------------

def test_write_atomic_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = write(tmp_path / "requirements.txt", "keras==3.6.0\n")
    target.chmod(0o640)
    write_atomic(str(target), "keras==2.15.0\n")
    assert target.read_text() == "keras==2.15.0\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    write_atomic(str(target), b"keras==2.15.1\n")
    assert target.read_bytes() == b"keras==2.15.1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


def test_write_atomic_in_an_unwritable_folder_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    target = write(folder / "requirements.txt", "keras==3.6.0\n")
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(ManifestError, match=r"^requirements.txt: cannot write: "):
            write_atomic(str(target), "keras==2.15.0\n")
        assert target.read_text() == "keras==3.6.0\n"
        assert sorted(p.name for p in folder.iterdir()) == ["requirements.txt"]
    finally:
        folder.chmod(0o700)


def test_plan_edits_takes_a_project_built_by_hand(tmp_path: Path) -> None:
    """The planner may name manifests itself; a constraints file is edited, not added to."""
    write(tmp_path / "c.txt", "keras==3.6.0\n")
    project = Project(str(tmp_path), (Manifest(str(tmp_path / "c.txt"), "constraints"),),
                      (), "pip", ())
    (edit,) = plan_edits(project, [KERAS2, TF_KERAS])
    assert edit.after == "keras==2.15.0\n"
    assert_patch_applies(tmp_path, edit)


def test_write_atomic_failures_leave_nothing_behind(tmp_path: Path) -> None:
    """Also under root: a missing folder, and a rename over a folder, fail in one line."""
    with pytest.raises(ManifestError, match=r"^requirements.txt: cannot write: "):
        write_atomic(str(tmp_path / "gone" / "requirements.txt"), "keras\n")
    (tmp_path / "requirements.txt").mkdir()
    with pytest.raises(ManifestError, match=r"^requirements.txt: cannot write: "):
        write_atomic(str(tmp_path / "requirements.txt"), "keras\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]
    assert (tmp_path / "requirements.txt").is_dir()


def test_pyproject_crlf_poetry_constraint_lists_and_removals(tmp_path: Path) -> None:
    text = ('[project]\r\nname = "x"\r\ndependencies = [\r\n'
            '    "tensorflow-cpu==2.15.1",\r\n'
            '    "tensorflow-gpu==2.15.1",  # the last item, commented\r\n]\r\n\r\n'
            '[tool.poetry.dependencies]\r\nkeras = [\r\n'
            '  {version = "3.6.0", python = "<3.12"},\r\n'
            '  {version = "~2.15", python = ">=3.12"},\r\n]\r\n'
            'tensorflow-gpu = {git = "https://example.org/tf.git"}\r\nflag = true\r\n')
    write(tmp_path / "pyproject.toml", text)
    edit = edits_for(tmp_path, [KERAS2, NO_GPU, Want("flag", "<2")])["pyproject.toml"]
    assert edit.after == (text.replace('    "tensorflow-gpu==2.15.1",  # the last item,'
                                       ' commented\r\n', "")
                          .replace('"3.6.0"', '"2.15.0"')
                          .replace('tensorflow-gpu = {git = "https://example.org/tf.git"}\r\n',
                                   ""))
    assert [(c.line, c.before, c.after) for c in edit.changes] == [
        (5, "tensorflow-gpu==2.15.1", ""),
        (9, "keras = 3.6.0", "keras = 2.15.0"),
        (13, 'tensorflow-gpu = {git = "https://example.org/tf.git"}', ""),
    ]


def test_constraints_included_with_c_are_edited_not_added_to(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-c pins/constraints.txt\ntensorflow-cpu\n")
    write(tmp_path / "pins" / "constraints.txt", "tensorflow-cpu==2.15.1\nkeras==3.6.0\n")
    edits = edits_for(tmp_path, [KERAS2, TF_KERAS])
    assert edits["pins/constraints.txt"].after == "tensorflow-cpu==2.15.1\nkeras==2.15.0\n"
    assert edits["requirements.txt"].after == ("-c pins/constraints.txt\ntensorflow-cpu\n"
                                               "tf-keras~=2.15.0\n")


def test_indented_parenthesised_and_tight_marker_requirements(tmp_path: Path) -> None:
    text = ('tensorflow[and-cuda]==2.15.1\n'
            '  keras (==3.6.0)\n'
            'Keras_Nightly==3.6.0;python_version<"3.12"\n'
            '\tprotobuf>=5 --config-settings x=y \\\n'
            '  --hash=sha256:aa\n')
    write(tmp_path / "requirements.txt", text)
    edit = edits_for(tmp_path, [KERAS2, Want("keras-nightly", "", "2.15.0"),
                                Want("protobuf", "<4.24")])["requirements.txt"]
    assert edit.after == ('tensorflow[and-cuda]==2.15.1\n'
                          '  keras (==2.15.0)\n'
                          'Keras_Nightly==2.15.0;python_version<"3.12"\n'
                          '\tprotobuf<4.24 --config-settings x=y\n')
