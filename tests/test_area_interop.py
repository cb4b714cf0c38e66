"""Catalogue area interop: Keras 2 <-> 3 (model files, Keras 2 layers in Keras 3 models,
removed modules) and standalone Keras with its backends.

The realtf tests reproduce the messages on real installs (keras alone; the tensorflow-cpu
2.15.1 and 2.18.1 base envs) and check that explain names the cause; the fast tests check the
scan's keras-without-backend finding and the checkers on fake environments."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.explain import explain_text
from kerasfix.diagnose.explain.checkers import CONFIRMED, RULED_OUT
from kerasfix.diagnose.explain.judge import diagnose

realtf = [pytest.mark.realtf,
          pytest.mark.skipif(not (sys.platform.startswith("linux")
                                  and platform.machine() in ("x86_64", "AMD64")),
                             reason="uses tensorflow-cpu wheels for Linux x86_64")]

# What Keras 3 prints, as captured from real installs (keras 3.15.1 alone, Python 3.11);
# test_real_keras3_import_messages reproduces them.
KERAS3_ALONE = """\
  File "/tmp/k3/lib/python3.11/site-packages/keras/src/tree/tree_api.py", line 13, in <module>
    from keras.src.tree import optree_impl as tree_impl
  File "/tmp/k3/lib/python3.11/site-packages/keras/src/tree/optree_impl.py", line 13, in <module>
    from tensorflow.python.trackable.data_structures import ListWrapper
ModuleNotFoundError: No module named 'tensorflow'"""
KERAS3_JAX_MISSING = """\
  File "/tmp/k3/lib/python3.11/site-packages/keras/src/backend/jax/core.py", line 5, in <module>
    import jax
ModuleNotFoundError: No module named 'jax'"""
KERAS3_UNKNOWN_BACKEND = """\
  File "/tmp/k3/lib/python3.11/site-packages/keras/src/backend/__init__.py", line 59, in <module>
    raise ValueError(f"Unable to import backend : {backend()}")
ValueError: Unable to import backend : foo"""
# tf.keras 2.15 loading a file Keras 3.15 wrote, and the reverse (test_model_files_...).
KERAS3_FILE_IN_KERAS2 = (
    "TypeError: Error when deserializing class 'InputLayer' using config={'batch_shape': [None,"
    " 4], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer',"
    " 'optional': False}.\n\nException encountered: Unrecognized keyword arguments:"
    " ['batch_shape', 'optional']")
KERAS2_H5_IN_KERAS3 = ("ValueError: Could not deserialize 'keras.metrics.mse' because it is not"
                       " a KerasSaveable subclass")


def first_cause(text: str) -> str | None:
    causes = explain_text(text).causes
    return causes[0].id if causes else None


@pytest.mark.parametrize(("text", "cause"), [
    (KERAS3_ALONE, "keras-without-backend"),
    (KERAS3_JAX_MISSING, "keras-backend-missing"),
    (KERAS3_UNKNOWN_BACKEND, "keras-backend-missing"),
    (KERAS3_FILE_IN_KERAS2, "keras-file-other-line"),
    (KERAS2_H5_IN_KERAS3, "keras-file-other-line"),
    ("ValueError: Only instances of `keras.Layer` can be added to a Sequential model. Received:"
     " <tensorflow_hub.keras_layer.KerasLayer object at 0x7d4e252400a0> (of type <class"
     " 'tensorflow_hub.keras_layer.KerasLayer'>)", "keras2-layer-in-keras3"),
    ("ImportError: cannot import name 'to_categorical' from 'keras.utils'"
     " (C:\\Users\\me\\anaconda3\\lib\\site-packages\\keras\\utils\\__init__.py)",
     "removed-keras-path"),
    ("ModuleNotFoundError: No module named 'keras.layers.convolutional'", "removed-keras-path"),
])
def test_real_wordings_name_their_cause(text: str, cause: str) -> None:
    assert first_cause(text) == cause


def test_a_keras3_import_without_tensorflow_is_not_a_missing_jax() -> None:
    """The keras/src traceback outranks the generic No module named 'tensorflow', and a
    missing jax is not mistaken for Keras without a backend."""
    causes = [c.id for c in explain_text(KERAS3_ALONE).causes]
    assert causes.index("keras-without-backend") < causes.index("tensorflow-missing")
    assert "keras-without-backend" not in [c.id for c in explain_text(KERAS3_JAX_MISSING).causes]


# ------------------------------------------------------------ scan: keras-without-backend


def test_keras3_alone_has_no_backend(fake: FakeEnv) -> None:
    fake.keras("3.15.1")
    finding = next(f for f in fake.scan().findings if f.code == "keras-without-backend")
    assert finding.severity.value == "error"
    assert "install" in finding.manual[0] and "tensorflow" in finding.manual[0]


def test_keras3_alone_with_torch_installed_says_which_variable(fake: FakeEnv) -> None:
    fake.keras("3.15.1")
    fake.simple("torch", "2.5.0")
    finding = next(f for f in fake.scan().findings if f.code == "keras-without-backend")
    assert finding.manual == ("export KERAS_BACKEND=torch",)


def test_keras3_configured_for_jax_is_the_other_check(fake: FakeEnv) -> None:
    fake.keras("3.15.1")
    fake.env["KERAS_BACKEND"] = "jax"
    codes = fake.codes()
    assert "keras-without-backend" not in codes
    assert codes["keras-backend-not-tensorflow"] == "error"


def test_keras_with_tensorflow_has_its_backend(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    assert "keras-without-backend" not in fake.codes()


# ------------------------------------------------------------ checkers


def verdicts(fake: FakeEnv, text: str) -> dict[str, str]:
    diagnosis = diagnose(explain_text(text), fake.scan())
    return {v.cause.id: v.status for v in diagnosis.verdicts}


def test_keras3_file_confirmed_where_tf_keras_is_keras2(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    assert verdicts(fake, KERAS3_FILE_IN_KERAS2)["keras-file-other-line"] == CONFIRMED


def test_keras3_file_ruled_out_where_keras3_reads_it(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    assert verdicts(fake, KERAS3_FILE_IN_KERAS2)["keras-file-other-line"] == RULED_OUT


def test_keras2_file_confirmed_under_keras3(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    assert verdicts(fake, KERAS2_H5_IN_KERAS3)["keras-file-other-line"] == CONFIRMED


def test_hub_layer_confirmed_with_keras3_and_names_the_library(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.simple("tensorflow-hub", "0.16.1")
    text = "ValueError: Only instances of `keras.Layer` can be added to a Sequential model."
    verdict = next(v for v in diagnose(explain_text(text), fake.scan()).verdicts
                   if v.cause.id == "keras2-layer-in-keras3")
    assert verdict.status == CONFIRMED
    assert any("tensorflow-hub" in e for e in verdict.evidence)


def test_hub_layer_ruled_out_where_tf_keras_is_keras2(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    text = "ValueError: Only instances of `keras.Layer` can be added to a Sequential model."
    assert verdicts(fake, text)["keras2-layer-in-keras3"] == RULED_OUT


# ------------------------------------------------------------ real installs


def _stderr(python: Path | str, code: str, cwd: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("KERAS_BACKEND", "TF_USE_LEGACY_KERAS", "PYTHONPATH")}
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                          timeout=600, cwd=cwd, env={**clean, "HOME": str(cwd),
                                                     "TF_CPP_MIN_LOG_LEVEL": "3", **env})
    return proc.stdout + proc.stderr


KERAS = "keras==3.6.0"  # pinned: the wordings were read from 3.0.5, 3.3.3, 3.6.0 and 3.15.1


@pytest.mark.realtf
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux venv layout")
def test_real_keras3_import_messages(inst, tmp_path: Path) -> None:
    """`pip install keras` alone: `import keras` fails on the TensorFlow it imports by default,
    on a configured backend that is missing, and on one Keras does not know."""
    from realenv import bin_python

    venv = tmp_path / "venv"
    inst.create_venv(venv)
    if inst.uv:
        subprocess.run([inst.uv, "pip", "install", "--python", str(bin_python(venv)), KERAS],
                       check=True, env=inst.uv_env(), capture_output=True)
    else:
        subprocess.run([str(bin_python(venv)), "-m", "pip", "install", KERAS], check=True,
                       env=inst.pip_env(), capture_output=True)
    py = bin_python(venv)
    assert first_cause(_stderr(py, "import keras", tmp_path)) == "keras-without-backend"
    assert first_cause(_stderr(py, "import keras", tmp_path, KERAS_BACKEND="jax")) == \
        "keras-backend-missing"
    assert first_cause(_stderr(py, "import keras", tmp_path, KERAS_BACKEND="foo")) == \
        "keras-backend-missing"


_SAVE = ("import sys, tensorflow as tf\n"
         "m = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(2)])\n"
         "m.compile('adam', 'mse')\n"
         "m.save(sys.argv[1] + '.keras'); m.save(sys.argv[1] + '.h5')\n"
         "if sys.argv[1].endswith('k2'): m.save(sys.argv[1] + '_savedmodel')\n")
_LOAD = ("import sys, tensorflow as tf\n"
         "try:\n    tf.keras.models.load_model(sys.argv[1])\n"
         "except Exception as e:\n    print(type(e).__name__ + ': ' + str(e))\n")


def _run(python: Path, script: str, arg: str, cwd: Path) -> str:
    return _stderr(python, f"import sys; sys.argv[1:] = [{arg!r}]\n{script}", cwd)


@pytest.mark.realtf
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux venv layout")
def test_model_files_do_not_cross_keras_lines(tf215, tf218, tmp_path: Path) -> None:
    from realenv import bin_python

    k2, k3 = bin_python(tf215.venv), bin_python(tf218.venv)
    _run(k2, _SAVE, str(tmp_path / "k2"), tmp_path)
    _run(k3, _SAVE, str(tmp_path / "k3"), tmp_path)
    for reader, path in ((k2, "k3.keras"), (k2, "k3.h5"), (k3, "k2.h5")):
        text = _run(reader, _LOAD, str(tmp_path / path), tmp_path)
        assert first_cause(text) == "keras-file-other-line", (path, text)


@pytest.mark.realtf
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux venv layout")
def test_keras3_refuses_a_savedmodel_folder(tf215, tf218, tmp_path: Path) -> None:
    from realenv import bin_python

    _run(bin_python(tf215.venv), _SAVE, str(tmp_path / "k2"), tmp_path)
    text = _run(bin_python(tf218.venv), _LOAD, str(tmp_path / "k2_savedmodel"), tmp_path)
    assert "TFSMLayer" in text
    assert first_cause(text) == "keras3-savedmodel"


# ---------------------------------------------------------------- the seed article's keras.models


def _import_error(root: Path, statement: str) -> str:
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0,"
                          f" {str(root)!r}); {statement}"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode != 0
    return run.stderr.strip().splitlines()[-1]


def test_an_emptied_keras_module_gives_the_seed_articles_message(tmp_path: Path) -> None:
    """`cannot import name 'Sequential' from 'keras.models'`: every Keras release has Sequential
    there, so the module on disk is not what its release shipped. Python itself words it so
    for a keras folder whose models/__init__.py lost its content (an interrupted pip, or two
    Keras distributions writing one folder); a folder outside site-packages is the user's."""
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "keras" / "models").mkdir(parents=True)
    (site / "keras" / "__init__.py").write_text("")
    (site / "keras" / "models" / "__init__.py").write_text("")
    message = _import_error(site, "from keras.models import Sequential")
    assert message.startswith("ImportError: cannot import name 'Sequential' from 'keras.models'")
    for text in (message, "ImportError: cannot import name 'Sequential' from 'keras.models'"):
        explanation = explain_text(text)
        assert [m.signature.id for m in explanation.matches] == ["keras-stable-name-missing"]
        assert explanation.causes[0].id == "keras-folder-clobbered"
    local = tmp_path / "proj"
    (local / "keras" / "models").mkdir(parents=True)
    (local / "keras" / "__init__.py").write_text("")
    (local / "keras" / "models" / "__init__.py").write_text("")
    mine = _import_error(local, "from keras.models import Sequential")
    assert explain_text(mine).causes[0].id == "local-file-shadows"


def test_a_name_keras_really_removed_is_still_a_removed_path() -> None:
    explanation = explain_text("ImportError: cannot import name 'np_utils' from 'keras.utils'")
    assert explanation.causes[0].id == "removed-keras-path"
