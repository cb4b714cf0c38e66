"""The real-package tier for the add-ons (issue 12): real add-on wheels from PyPI, installed
`--no-deps` (the static scan needs their metadata only) into the cached tensorflow-cpu 2.18.1
and 2.15.1 bases, mismatched the way users mismatch them, scanned, then moved to the versions
the findings' own commands name, and scanned again.

Experiments behind kerasfix.knowledge.addons (tensorflow-cpu 2.18.1 with Keras 3.15.1, Python
3.11, each add-on installed without dependencies plus the ones it imports):
* tensorflow-probability 0.25.0 without tf-keras: ModuleNotFoundError: No module named
  'tf_keras'; with tf-keras 2.18.0 it imports and samples, but its layers in a tf.keras model
  need TF_USE_LEGACY_KERAS=1 ("Only instances of `keras.Layer` can be added to a Sequential
  model"). 0.23.0: AttributeError: module 'keras._tf_keras.keras' has no attribute
  '__internal__' on first use (test_tfp_without_tf_keras_import below repeats it).
* tensorflow-model-optimization 0.8.0 / 0.8.1 without tf-keras: ImportError: Keras cannot be
  imported (it sets TF_USE_LEGACY_KERAS=1 itself); with tf-keras, quantize_model works.
* tensorflow-recommenders 0.7.7 with or without tf-keras: ImportError: Package
  tensorflow_recommenders requires tf.keras to be Keras version 2 but got version 3.15.1.
* tensorflow-addons 0.23.0: ModuleNotFoundError: No module named 'keras.src.engine'.
* under Keras 2.15 on tensorflow-cpu 2.15.1: keras-nlp 0.12.1 (with keras-core) imports;
  keras-nlp 0.14.0 and 0.15.1 and keras-hub 0.18.1 fail with ImportError: cannot import name
  'ops' from 'keras'; tensorflow-addons 0.23.0 imports and runs its gelu.
"""

from __future__ import annotations

import platform
import shlex
import subprocess
import sys
from collections.abc import Iterator

import pytest
from realenv import BaseEnv, Installer, RealEnv, codes, run, scenario_env

from kerasfix.diagnose.findings import Finding
from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix.installers import find_uv

pytestmark = [
    pytest.mark.realtf,
    pytest.mark.skipif(not (sys.platform.startswith("linux")
                            and platform.machine() in ("x86_64", "AMD64")),
                       reason="uses tensorflow-cpu wheels for Linux x86_64"),
]

ADDON_CODES = {"addon-tf-mismatch", "addon-end-of-life", "addon-needs-tf-keras",
               "keras-lib-needs-keras3"}
# On tensorflow-cpu 2.18.1: each built for another line, or a Keras 2 add-on without tf-keras.
MISMATCHED_218 = ("tensorflow-text==2.15.0", "tensorflow-addons==0.23.0",
                  "tensorflow-probability==0.23.0", "tensorflow-decision-forests==1.10.1",
                  "tensorflow-model-optimization==0.8.0", "tensorflow-recommenders==0.7.7")
# What tensorflow-probability imports besides TensorFlow's own dependencies.
TFP_DEPS = ("decorator", "cloudpickle", "dm-tree")
# On tensorflow-cpu 2.15.1: tensorflow-io for 2.16, tensorflow-probability for 2.18, a keras-nlp
# that requires Keras 3 (through keras-hub); tensorflow-addons and tensorflow-hub at versions that
# fit.
MISMATCHED_215 = ("tensorflow-io==0.37.1", "tensorflow-probability==0.25.0",
                  "keras-nlp==0.19.3", "tensorflow-addons==0.23.0", "tensorflow-hub==0.16.0")


def by_code(result: ScanResult, *severities: str) -> dict[str, set[str]]:
    """Add-on code -> the add-ons it names (first distribution of each finding)."""
    out: dict[str, set[str]] = {}
    for f in result.findings:
        if f.code in ADDON_CODES and (not severities or f.severity.value in severities):
            out.setdefault(f.code, set()).add(f.distributions[0].split()[0])
    return out


def run_fix(env: RealEnv, command: str) -> None:
    """A finding's command, as the user would paste it (after its 'keep ...: ' label): the
    bases are uv-made venvs whose packages uv installed, so kerasfix says `uv pip … --python`."""
    argv = shlex.split(command.rsplit(": ", 1)[-1])
    if argv[:2] == ["uv", "pip"]:
        uv = find_uv()
        assert uv is not None and argv[3:5] == ["--python", env.python], command
        run([uv, *argv[1:]], env={**env.user_env(), **Installer.pip_vars()})
        return
    assert argv[:3] == [env.python, "-m", "pip"], command
    env.pip(*argv[3:])


def keep_tf_fixes(result: ScanResult) -> list[str]:
    return [f.manual[0] for f in result.findings if f.code in ("addon-tf-mismatch",
                                                                "addon-needs-tf-keras")
            and f.manual and f.manual[0].startswith(("keep TensorFlow", "/", "uv pip "))]


@pytest.fixture(scope="module")
def env218(tf218: BaseEnv) -> Iterator[RealEnv]:
    env = scenario_env(tf218, "addons-218")
    try:
        env.pip("install", "--no-deps", "--only-binary=:all:", *MISMATCHED_218, *TFP_DEPS)
        yield env
    finally:
        env.remove()


@pytest.fixture(scope="module")
def env215(tf215: BaseEnv) -> Iterator[RealEnv]:
    env = scenario_env(tf215, "addons-215")
    try:
        env.pip("install", "--no-deps", "--only-binary=:all:", *MISMATCHED_215)
        yield env
    finally:
        env.remove()


def test_tf218_names_each_mismatched_addon(env218: RealEnv) -> None:
    result = env218.scan()
    assert by_code(result, "error", "warning") == {
        "addon-tf-mismatch": {"tensorflow-text", "tensorflow-addons", "tensorflow-probability",
                              "tensorflow-decision-forests"},
        # tensorflow-decision-forests 1.10.1 also declares tf-keras~=2.17
        "addon-needs-tf-keras": {"tensorflow-model-optimization", "tensorflow-recommenders",
                                 "tensorflow-decision-forests"},
        "addon-end-of-life": {"tensorflow-addons"},
    }
    text = next(f for f in result.findings if f.code == "addon-tf-mismatch"
                and f.distributions[0] == "tensorflow-text 2.15.0")
    assert any('"tensorflow-text==2.18.1"' in m and "--no-deps" in m for m in text.manual)
    assert any('"tensorflow-cpu==2.15.*"' in m for m in text.manual)


def test_tfp_without_tf_keras_import(env218: RealEnv) -> None:
    """The experiment behind knowledge.addons.KERAS2_ONLY_WITHOUT_TF_KERAS."""
    code = "import tensorflow_probability as tfp; tfp.distributions.Normal(0., 1.)"  # lazy
    proc = subprocess.run([env218.python, "-c", code],
                          capture_output=True, text=True, env=env218.user_env(),
                          cwd=env218.work, timeout=600)
    assert proc.returncode != 0
    assert "has no attribute '__internal__'" in proc.stderr


def test_tf218_clean_after_the_findings_own_fixes(env218: RealEnv) -> None:
    before = env218.scan()
    for command in keep_tf_fixes(before):
        run_fix(env218, command)
    env218.pip("uninstall", "-y", "tensorflow-addons")  # ended: no release for 2.18
    env218.env["TF_USE_LEGACY_KERAS"] = "1"  # tensorflow-recommenders refuses Keras 3
    after = env218.scan()
    assert by_code(after, "error", "warning") == {}, codes(after)
    assert "addon-tf-mismatch" not in codes(after)


def test_tf215_names_each_mismatched_addon(env215: RealEnv) -> None:
    result = env215.scan()
    assert by_code(result, "error", "warning") == {
        "addon-tf-mismatch": {"tensorflow-io", "tensorflow-probability"},
        "keras-lib-needs-keras3": {"keras-nlp"},
    }
    # both ended, both on a line their releases support
    assert by_code(result, "info") == {"addon-end-of-life": {"tensorflow-addons",
                                                             "tensorflow-io"}}


def test_tf215_clean_after_the_findings_own_fixes(env215: RealEnv) -> None:
    before = env215.scan()
    for command in keep_tf_fixes(before):
        run_fix(env215, command)
    keras3: Finding = next(f for f in before.findings if f.code == "keras-lib-needs-keras3")
    run_fix(env215, keras3.manual[-1])  # keep Keras 2: the newest keras-nlp that has it
    after = env215.scan()
    assert by_code(after, "error", "warning") == {}, codes(after)
