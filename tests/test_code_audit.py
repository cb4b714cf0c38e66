"""The code audit (kerasfix.diagnose.code_audit): removed / private Keras paths in .py files
and notebooks, per installed Keras."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.code_audit import (
    CodeHit,
    code_findings,
    installed_keras_major,
    rule_for,
    scan_code,
)
from kerasfix.errors import KerasfixError

TRAIN = '''\
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras.engine.topology import Layer
from keras.layers.core import Dense, Flatten
from keras import backend as K
from keras.utils.np_utils import to_categorical
from keras.wrappers.scikit_learn import KerasClassifier
from keras.preprocessing.image import ImageDataGenerator
from tensorflow.python.keras import layers as old_layers

aug = tf.keras.layers.experimental.preprocessing.RandomFlip("horizontal")
sess = K.get_session()
model = tf.keras.Sequential()
model.save("saved_model/my_model")
model.save("model.keras")
np.save("arr")
tf.compat.v1.keras.layers.Dense(1)
restored = keras.models.load_model("exported")
model.save("m.h5", save_format="h5")
'''

CLEAN = '''\
import keras
from tensorflow.keras.layers import Dense
model = keras.Sequential([Dense(1)])
model.save("model.keras")
'''


def _notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "source": src.splitlines(True),
                                  "metadata": {}} for kind, src in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "train.py").write_text(TRAIN)
    (root / "clean.py").write_text(CLEAN)
    (root / "broken.py").write_text("from keras.engine import Layer\ndef f(:\n    pass\n")
    (root / "analysis.ipynb").write_text(_notebook([
        ("markdown", "# from keras.engine import nothing"),
        ("code", "!pip install tensorflow==2.15.1\n%matplotlib inline\nimport tensorflow as tf"),
        ("code", "%%bash\nfrom keras.engine import ignored\n"),
        ("code", "x = 1\nscale = tf.keras.layers.experimental.preprocessing.Rescaling(1 / 255)"),
        ("code", "%%time\nfrom keras.engine import training\nmodel?"),
    ]))
    (root / "corrupt.ipynb").write_text("{not json")
    for env in (".venv", "env"):
        lib = root / env / "lib" / "python3.11" / "site-packages" / "thing"
        lib.mkdir(parents=True)
        (root / env / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (lib / "mod.py").write_text("from keras.engine import Layer\n")
    for skipped in ("node_modules", "site-packages", "__pycache__", ".git"):
        (root / skipped).mkdir()
        (root / skipped / "x.py").write_text("from keras.engine import Layer\n")
    return root


def _by(hits: list[CodeHit], name: str) -> list[CodeHit]:
    return [h for h in hits if h.path.endswith(name)]


def _rules(hits: list[CodeHit]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for hit in hits:
        out.setdefault(hit.line, set()).add(hit.rule)
    return out


def test_keras3_finds_each_removed_path(tree: Path) -> None:
    hits = scan_code(str(tree), 3)
    train = _rules(_by(hits, "train.py"))
    assert train == {
        4: {"keras-engine"}, 5: {"keras-layers-core"}, 7: {"keras-utils-submodule"},
        8: {"sklearn-wrappers"}, 9: {"image-data-generator"},
        10: {"tensorflow-python-keras"}, 12: {"layers-experimental"},
        13: {"keras-backend-tf1"}, 15: {"savedmodel-save"}, 18: {"tf-compat-v1-keras"},
        19: {"savedmodel-load"}, 20: {"save-format-tf"},
    }
    by_line = {h.line: h for h in _by(hits, "train.py")}
    assert by_line[5].instead == "from keras.layers import Dense, Flatten"
    assert by_line[7].instead == "from keras.utils import to_categorical"
    assert by_line[8].instead == "from scikeras.wrappers import KerasClassifier"
    assert by_line[12].instead == "tf.keras.layers.RandomFlip"
    assert by_line[10].instead == "from tensorflow.keras import layers as old_layers"
    assert by_line[4].severity.value == "error" and "Keras 3" in by_line[4].message
    assert by_line[10].severity.value == "warning"  # exists, but a frozen private copy
    assert by_line[18].severity.value == "warning"  # silently Keras 3, not a crash
    assert by_line[4].code == "from keras.engine.topology import Layer"
    assert (by_line[12].line, by_line[12].col) == (12, 6)
    assert _by(hits, "clean.py") == []


def test_keras2_minor_decides_the_213_layout_change(tree: Path) -> None:
    old = _rules(_by(scan_code(str(tree), 2, tf_version="2.12.1"), "train.py"))
    assert old == {10: {"tensorflow-python-keras"}}  # everything else exists in keras 2.12
    new = _rules(_by(scan_code(str(tree), 2, tf_version="2.15.1"), "train.py"))
    assert new == {4: {"keras-engine"}, 5: {"keras-layers-core"}, 7: {"keras-utils-submodule"},
                   8: {"sklearn-wrappers"}, 10: {"tensorflow-python-keras"}}


def test_unknown_keras_reports_what_breaks_in_some_version(tree: Path) -> None:
    hits = {h.line: h for h in _by(scan_code(str(tree), None), "train.py")}
    assert hits[4].severity.value == "warning"  # fine on 2.12, gone on 2.13+ and 3
    assert "breaks with" in hits[4].message
    assert hits[12].severity.value == "warning" and "Keras 3" in hits[12].message


def test_notebooks_code_cells_only_magics_skipped(tree: Path) -> None:
    hits = _by(scan_code(str(tree), 3), "analysis.ipynb")
    found = {(h.cell, h.line, h.rule) for h in hits}
    assert found == {(3, 2, "layers-experimental"), (4, 2, "keras-engine")}
    assert all(not h.problem for h in hits)


def test_problems_are_entries_not_crashes(tree: Path) -> None:
    hits = scan_code(str(tree), 3)
    problems = {Path(h.path).name: h for h in hits if h.problem}
    assert set(problems) == {"broken.py", "corrupt.ipynb"}
    assert problems["broken.py"].line == 2 and "regex" in problems["broken.py"].message
    assert "invalid JSON" in problems["corrupt.ipynb"].message
    fallback = [h for h in _by(hits, "broken.py") if not h.problem]
    assert [(h.line, h.rule) for h in fallback] == [(1, "keras-engine")]


def test_environments_and_caches_are_skipped(tree: Path) -> None:
    paths = {h.path for h in scan_code(str(tree), 3)}
    for part in (".venv", "/env/", "node_modules", "site-packages", "__pycache__", ".git"):
        assert not any(part in p for p in paths), part


def test_single_file_and_missing_root(tree: Path) -> None:
    hits = scan_code(str(tree / "train.py"), 3)
    assert {h.path for h in hits} == {str(tree / "train.py")}
    with pytest.raises(KerasfixError):
        scan_code(str(tree / "nope"), 3)


def test_unreadable_file_is_a_problem(tree: Path) -> None:
    dangling = tree / "gone.py"
    dangling.symlink_to(tree / "deleted-target.py")  # unreadable even for root
    hits = [h for h in scan_code(str(tree), 3) if h.path == str(dangling)]
    assert len(hits) == 1 and hits[0].problem and "cannot read" in hits[0].message


def test_code_findings_group_by_rule(tree: Path) -> None:
    findings = {f.code: f for f in code_findings(scan_code(str(tree), 3))}
    engine = findings["code-keras-engine"]
    assert engine.severity.value == "error" and engine.scenario == "S19"
    assert any(e.endswith("train.py:4: from keras.engine.topology import Layer")
               for e in engine.evidence)
    assert any("(cell 4)" in e for e in engine.evidence)
    assert [s.value for s in engine.strategies] == ["manual"]  # tf-keras has no keras.engine
    experimental = findings["code-layers-experimental"]
    assert "legacy" in [s.value for s in experimental.strategies]  # tf-keras still has it
    assert findings["code-savedmodel-save"].scenario == "S20"
    assert findings["code-unparsed-files"].severity.value == "info"
    assert all(f.code.startswith("code-") for f in findings.values())


def test_layout_table_knows_where_each_path_lives() -> None:
    from packaging.version import Version

    engine = rule_for("keras.engine.topology")
    assert engine is not None
    assert engine.exists_in(Version("2.12.0")) and not engine.exists_in(Version("2.13.1"))
    src_engine = rule_for("keras.src.engine.training")
    assert src_engine is not None and src_engine.id == "keras-src-engine"
    assert not src_engine.exists_in(Version("3.0.0"))
    api = rule_for("keras.api._v2.keras")
    assert api is not None and api.exists_in(Version("2.6.0")) and \
        not api.exists_in(Version("3.3.3"))
    assert rule_for("keras.layers.Dense") is None


def test_installed_keras_major_of_a_scanned_environment(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    assert installed_keras_major(fake.scan().inventory) == 3
    fake.tf_keras("2.18.0")
    fake.env["TF_USE_LEGACY_KERAS"] = "1"
    assert installed_keras_major(fake.scan().inventory) == 2


def test_installed_keras_major_on_a_keras2_line(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    assert installed_keras_major(fake.scan().inventory) == 2


SAVES = '''\
import tensorflow as tf
import keras
import mlflow
tf.saved_model.save(model, "export_dir")
tf.keras.models.save_model(model, "exported_dir")
mlflow.keras.load_model("runs:/abc/model")
keras.models.load_model("frozen.pb")
keras.models.load_model("fine.keras")
model.save("weights.tf")
model.save(f"runs/{name}/model")
model.save("plot.png")
img.save("out")
'''


def test_save_and_load_calls(tmp_path: Path) -> None:
    (tmp_path / "saves.py").write_text(SAVES)
    found = {(h.line, h.rule) for h in scan_code(str(tmp_path), 3)}
    assert found == {(5, "savedmodel-save"), (7, "savedmodel-load"), (9, "savedmodel-save"),
                     (10, "savedmodel-save")}
    assert scan_code(str(tmp_path), 2, tf_version="2.15.1") == []  # Keras 2 saves folders


def test_notebook_help_magic_only_blanks_help_lines(tmp_path: Path) -> None:
    (tmp_path / "n.ipynb").write_text(_notebook([
        ("code", "import keras\nkeras.Model?\nif True:  # really?\n"
                 "    from keras.engine import base_layer\n"),
    ]))
    hits = scan_code(str(tmp_path), 3)
    assert [(h.line, h.rule) for h in hits] == [(4, "keras-engine")]  # parsed, no fallback


def test_finding_titles_count_in_words(tmp_path: Path) -> None:
    """One place in one file is not "1 place(s) in 1 file(s)"."""
    (tmp_path / "one.py").write_text("from keras.engine.topology import Layer\n")
    (tmp_path / "broken.py").write_text("import keras\ndef (:\n")
    findings = {f.code: f for f in code_findings(scan_code(str(tmp_path), 3))}
    assert findings["code-keras-engine"].title.startswith("1 place in 1 file uses ")
    assert findings["code-unparsed-files"].title == "1 file could not be fully scanned"
    (tmp_path / "two.py").write_text("from keras.engine.topology import Layer\n")
    findings = {f.code: f for f in code_findings(scan_code(str(tmp_path), 3))}
    assert findings["code-keras-engine"].title.startswith("2 places in 2 files use ")
