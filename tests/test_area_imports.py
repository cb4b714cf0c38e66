"""The imports area (issue 12): the `cannot import name X from 'tensorflow.keras'` family, damaged
and too-old TensorFlow, keras newer than TensorFlow, editors that cannot follow tf.keras, Pythons
without wheels.

Real-install experiments behind kerasfix/knowledge/messages/imports.py (Linux x86_64; the
wordings in MESSAGES below were printed by them):
* tensorflow-cpu 2.15.1 / 2.18.1, Python 3.11: tensorflow/__init__.py deleted -> `from tensorflow
  import keras`: cannot import name 'keras' from 'tensorflow' (unknown location); tf.Variable:
  module 'tensorflow' has no attribute 'Variable'; `from tensorflow.keras import X`: No module
  named 'tensorflow.keras'. keras/__init__.py deleted -> `from keras import Sequential`: cannot
  import name 'Sequential' from 'keras' (unknown location); keras/models/__init__.py deleted ->
  ... from 'keras.models' (unknown location). A keras.py / tensorflow.py in the working folder:
  No module named 'keras.models'; 'keras' is not a package, and cannot import name 'Sequential'
  from 'keras' (<the file>). An empty tensorflow/ folder in the working folder changes nothing
  while TensorFlow is installed (a regular package wins over a namespace portion); with no
  TensorFlow it gives the namespace symptoms above. Keras 3.15 under TF 2.15.1 imports fine.
* tensorflow 2.0.0 (Python 3.7): tensorflow_core/python/__init__.py deleted -> cannot import name
  'Event' from 'tensorflow_core.python' (unknown location) (tensorflow#32196's message);
  .../keras/models/__init__.py deleted -> cannot import name 'Sequential' from
  'tensorflow.keras.models' (unknown location); `from tensorflow.keras.layers.experimental
  import preprocessing` -> cannot import name 'preprocessing' from
  'tensorflow.keras.layers.experimental' (<path>); tf.keras.layers.experimental -> module
  'tensorflow_core.keras.layers' has no attribute 'experimental'. TF 1.15: the same import error
  and module 'tensorflow._api.v1.compat.v2' has no attribute '__internal__'.
* tensorflow-cpu 2.4.4 (Python 3.8): tensorflow/keras/__init__.py deleted -> `import tensorflow`
  fails in module_util.get_parent_dir with TypeError: expected str, bytes or os.PathLike object,
  not NoneType; keras 2.11 over it -> module 'tensorflow.compat.v2.__internal__' has no attribute
  'dispatch'; keras 2.6 / 2.9 -> cannot import name 'get_config' (core's signature).
* tensorflow 1.3.0 on Python 2.7: 'module' object has no attribute 'keras' / 'io'.
The realtf test at the end repeats the 2.18.1 ones on the cached base.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator

import pytest
from fakeenv import FakeEnv
from realenv import BaseEnv, RealEnv, run, scenario_env

from kerasfix.diagnose.explain import CONFIRMED, RULED_OUT, check_against, explain_text
from kerasfix.knowledge.messages.imports import TF_FEATURE_FIRST

MESSAGES = [
    # real installs (see the docstring)
    ("ImportError: cannot import name 'keras' from 'tensorflow' (unknown location)",
     "tensorflow-unknown-location", "tensorflow-damaged"),
    ("ImportError: cannot import name 'Event' from 'tensorflow_core.python' (unknown location)",
     "tensorflow-unknown-location", "tensorflow-damaged"),
    ("ImportError: cannot import name 'Sequential' from 'tensorflow.keras.models' (unknown"
     " location)", "tensorflow-unknown-location", "tensorflow-damaged"),
    ("ImportError: cannot import name 'Sequential' from 'keras.models' (unknown location)",
     "keras-unknown-location", "keras-folder-clobbered"),
    ("ModuleNotFoundError: No module named 'keras.models'; 'keras' is not a package",
     "not-a-package", "local-file-shadows"),
    ("ModuleNotFoundError: No module named 'tensorflow.keras'; 'tensorflow' is not a package",
     "not-a-package", "local-file-shadows"),
    ("ImportError: cannot import name 'Sequential' from 'keras' (/home/me/proj/keras.py)",
     "keras-name-missing", "local-file-shadows"),
    ('  File "/v/lib/python3.8/site-packages/tensorflow/python/tools/module_util.py", line 30,'
     " in get_parent_dir\n    return os.path.abspath(os.path.join(os.path.dirname("
     'module.__file__), ".."))\n  File "/usr/lib/python3.8/posixpath.py", line 152, in dirname\n'
     "    p = os.fspath(p)\nTypeError: expected str, bytes or os.PathLike object, not NoneType",
     "tensorflow-parent-dir-none", "tensorflow-damaged"),
    ("ImportError: cannot import name 'preprocessing' from 'tensorflow.keras.layers.experimental'"
     " (/v/lib/python3.7/site-packages/tensorflow_core/python/keras/api/_v2/keras/layers/"
     "experimental/__init__.py)", "tf-too-old-preprocessing", "tensorflow-too-old"),
    ("AttributeError: module 'tensorflow_core.keras.layers' has no attribute 'experimental'",
     "tf-too-old-preprocessing", "tensorflow-too-old"),
    ("AttributeError: 'module' object has no attribute 'keras'", "tf-too-old-attribute",
     "tensorflow-too-old"),
    ("AttributeError: module 'tensorflow._api.v1.compat.v2' has no attribute '__internal__'",
     "keras-newer-than-tf", "keras-minor-mismatch"),
    ("AttributeError: module 'tensorflow.compat.v2.__internal__' has no attribute 'dispatch'",
     "keras-newer-than-tf", "keras-minor-mismatch"),
    # users' wordings (tests/corpus/part-d-imports.json and the sources in the catalogue)
    ("AttributeError: module 'tensorflow.compat.v2.experimental' has no attribute 'dtensor'",
     "keras-newer-than-tf", "keras-minor-mismatch"),
    ("AttributeError: module 'tensorflow.io' has no attribute 'gfile'", "tf-too-old-attribute",
     "tensorflow-too-old"),
    ("AttributeError: module 'tensorflow' has no attribute 'Session'", "tf1-api",
     "tf1-api-on-tf2"),
    ("ModuleNotFoundError: No module named 'tensorflow.contrib'",
     "no-module-tensorflow-contrib", "tf1-api-on-tf2"),
    ('Import "tensorflow.keras.layers" could not be resolved Pylance(reportMissingImports)',
     "editor-tf-keras-unresolved", "editor-static-analysis"),
    ("Cannot find reference 'keras' in '__init__.py'", "editor-tf-keras-unresolved",
     "editor-static-analysis"),
    ("ERROR: tensorflow-2.15.0-cp311-cp311-win_amd64.whl is not a supported wheel on this"
     " platform.", "unsupported-wheel", "python-unsupported"),
    ("  Retrying (Retry(total=4, connect=None, read=None, redirect=None)) after connection broken"
     " by 'ProxyError('Cannot connect to proxy.', NewConnectionError('<...>: Failed to establish"
     " a new connection: [Errno 11001] getaddrinfo failed',))': /simple/tensorflow/",
     "index-connection", "index-unreachable"),
]


@pytest.mark.parametrize("text,signature,first", MESSAGES,
                         ids=[f"{m[1]}-{i}" for i, m in enumerate(MESSAGES)])
def test_imports_messages_name_their_cause(text: str, signature: str, first: str) -> None:
    explanation = explain_text(text)
    assert explanation.matches[0].signature.id == signature
    assert explanation.causes[0].id == first


def test_python2_missing_tf_attribute_reads_the_source_line() -> None:
    """Python 2 does not name the module: the `tf.X` line above the error does."""
    text = ("    W = tf.Variable(tf.random_uniform([1], -1.0, 1.0))\n"
            "AttributeError: 'module' object has no attribute 'Variable'")
    assert explain_text(text).causes[0].id == "local-file-shadows"
    old = ("    if not tf.gfile.Exists(image):\n"
           "AttributeError: 'module' object has no attribute 'gfile'")
    assert explain_text(old).causes[0].id == "tensorflow-too-old"
    other = "AttributeError: 'module' object has no attribute 'Variable'"
    assert not explain_text(other).causes  # no tf. line: not known to be TensorFlow


def test_the_path_in_parentheses_decides_shadowing() -> None:
    site = ("ImportError: cannot import name 'Sequential' from 'keras' (/v/lib/python3.11/"
            "site-packages/keras/__init__.py)")
    assert explain_text(site).causes[0].id != "local-file-shadows"
    register = ("AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no"
                " attribute 'register_load_context_function'")
    ids = {m.signature.id for m in explain_text(register).matches}
    assert "keras-newer-than-tf" not in ids  # core's signature ranks tf-keras for it


def test_whole_package_unresolved_is_not_static_analysis() -> None:
    causes = [c.id for c in explain_text('Import "tensorflow" could not be resolved').causes]
    assert "editor-static-analysis" not in causes


# ---------------------------------------------------------------- checkers against a scan


def _verdicts(text: str, fake: FakeEnv) -> dict[str, object]:
    return {v.cause.id: v for v in check_against(explain_text(text), fake.scan())}


def test_too_old_compares_the_feature_with_the_installed_tensorflow(fake: FakeEnv) -> None:
    fake.tensorflow("2.0.0", dist="tensorflow")
    text = ("ImportError: cannot import name 'preprocessing' from"
            " 'tensorflow.keras.layers.experimental'")
    verdict = _verdicts(text, fake)["tensorflow-too-old"]
    assert verdict.status == CONFIRMED  # type: ignore[attr-defined]
    assert TF_FEATURE_FIRST["preprocessing"] in " ".join(verdict.evidence)  # type: ignore


def test_too_old_is_ruled_out_when_the_install_has_it(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    verdict = _verdicts("AttributeError: module 'tensorflow' has no attribute 'keras'",
                        fake)["tensorflow-too-old"]
    assert verdict.status == RULED_OUT  # type: ignore[attr-defined]


def test_namespace_tensorflow_confirms_damage(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    (fake.site / "tensorflow" / "__init__.py").unlink()
    text = "ImportError: cannot import name 'keras' from 'tensorflow' (unknown location)"
    verdicts = _verdicts(text, fake)
    assert verdicts["tensorflow-damaged"].status == CONFIRMED  # type: ignore[attr-defined]


def test_intact_tensorflow_leaves_damage_to_the_findings(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    text = "ImportError: cannot import name 'keras' from 'tensorflow' (unknown location)"
    assert _verdicts(text, fake)["tensorflow-damaged"].status == RULED_OUT  # type: ignore


def test_editor_warning_on_a_working_stack_is_confirmed(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    verdict = _verdicts('Import "tensorflow.keras.models" could not be resolved',
                        fake)["editor-static-analysis"]
    assert verdict.status == CONFIRMED  # type: ignore[attr-defined]


def test_editor_warning_without_tensorflow_is_ruled_out(fake: FakeEnv) -> None:
    verdict = _verdicts('Import "tensorflow.keras.models" could not be resolved',
                        fake)["editor-static-analysis"]
    assert verdict.status == RULED_OUT  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the real experiment


REALTF = (pytest.mark.realtf,
          pytest.mark.skipif(not (sys.platform.startswith("linux")
                                  and platform.machine() in ("x86_64", "AMD64")),
                             reason="uses tensorflow-cpu wheels for Linux x86_64"))


@pytest.fixture(scope="module")
def env218(tf218: BaseEnv) -> Iterator[RealEnv]:
    env = scenario_env(tf218, "imports-218")
    try:
        yield env
    finally:
        env.remove()


def _python(env: RealEnv, code: str, *, fails: bool = True) -> str:
    proc = run([env.python, "-c", code], env=env.user_env(), cwd=env.work, check=False)
    assert (proc.returncode != 0) is fails, proc.stderr[-2000:]
    return proc.stderr if fails else proc.stdout


@REALTF[0]
@REALTF[1]
def test_real_damage_prints_what_the_catalogue_reads(env218: RealEnv) -> None:
    site = env218.site_packages()
    (env218.work / "keras.py").write_text("x = 1\n")
    err = _python(env218, "from keras.models import Sequential")
    assert "'keras' is not a package" in err
    assert explain_text(err).causes[0].id == "local-file-shadows"
    (env218.work / "keras.py").unlink()
    (env218.work / "tensorflow").mkdir()  # an empty folder shadows nothing while TF is intact
    out = _python(env218, "import tensorflow as tf; print(tf.__file__)", fails=False)
    assert out.strip() == str(site / "tensorflow" / "__init__.py")
    models = site / "keras" / "models"
    (models / "__init__.py").rename(models / "init.bak")
    err = _python(env218, "from keras.models import Sequential")
    assert "from 'keras.models' (unknown location)" in err
    assert explain_text(err).causes[0].id == "keras-folder-clobbered"
    (site / "tensorflow" / "__init__.py").unlink()
    err = _python(env218, "from tensorflow import keras")
    assert "cannot import name 'keras' from 'tensorflow' (unknown location)" in err
    assert explain_text(err).causes[0].id == "tensorflow-damaged"
