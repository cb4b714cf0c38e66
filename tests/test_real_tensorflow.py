"""The real-package tier: real tensorflow-cpu 2.15.1 / 2.18.1 from PyPI, broken with real pip the
ways users break them, then scanned (statically, with --deep, and through the CLI) and compared
with what `pip check` says.

Each scenario gets its own venv, made in about a second from a cached base (see realenv.py);
`pytest -s` prints how long each scenario's setup took. Run with `make test-real` or
`pytest -m realtf`.
"""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from realenv import (
    BaseEnv,
    RealEnv,
    codes,
    log,
    scenario_env,
)

from kerasfix.diagnose.findings import Finding
from kerasfix.diagnose.scan import ScanResult

pytestmark = [
    pytest.mark.realtf,
    pytest.mark.skipif(not (sys.platform.startswith("linux")
                            and platform.machine() in ("x86_64", "AMD64")),
                       reason="uses tensorflow-cpu wheels for Linux x86_64"),
]

NAMESPACE_SYMPTOM = "AttributeError: module 'tensorflow' has no attribute '__version__'"
# A user's own script that happens to be called keras.py (the classic S15 report).
KERAS_PY_SCRIPT = ("import tensorflow as tf\nfrom tensorflow import keras\n\n"
                   "model = keras.Sequential([keras.layers.Dense(1)])\n")
KERAS_PY_PLAIN = "x = 1\n"


# ------------------------------------------------------------------ environments


@contextlib.contextmanager
def scenario(base: BaseEnv, name: str,
             breaking: Callable[[RealEnv], None] | None = None) -> Iterator[RealEnv]:
    """A fresh env from `base`, broken by `breaking`, removed afterwards."""
    started = time.perf_counter()
    env = scenario_env(base, name)
    try:
        if breaking:
            breaking(env)
        steps = ", ".join(f"{step} {secs:.1f} s" for step, secs in env.timings.items())
        log(f"{name}: setup took {time.perf_counter() - started:.1f} s ({steps})")
        yield env
    finally:
        env.remove()


class Scans:
    """Each scan runs once per scenario; the tests read its result."""

    @pytest.fixture(scope="class")
    def static(self, env: RealEnv) -> ScanResult:
        return env.scan()

    @pytest.fixture(scope="class")
    def deep(self, env: RealEnv) -> ScanResult:
        started = time.perf_counter()
        result = env.scan(deep=True)
        log(f"{env.name}: deep scan took {time.perf_counter() - started:.1f} s")
        return result

    @pytest.fixture(scope="class")
    def cli(self, env: RealEnv) -> tuple[int, dict]:
        return env.cli_scan()

    @pytest.fixture(scope="class")
    def pip_check(self, env: RealEnv):
        return env.pip_check()


def problems(result: ScanResult) -> dict[str, str]:
    """Errors and warnings: what the user is told is wrong."""
    return codes(result, "error", "warning")


def finding(result: ScanResult, code: str) -> Finding:
    found = [f for f in result.findings if f.code == code]
    assert found, f"no {code}; the scan said {codes(result)}"
    return found[0]


def cli_codes(doc: dict) -> dict[str, str]:
    """Code -> the worst severity it was reported with (findings arrive worst first)."""
    out: dict[str, str] = {}
    for f in doc["findings"]:
        out.setdefault(f["code"], f["severity"])
    return out


# ------------------------------------------------------------------ healthy


class TestHealthy(Scans):
    @pytest.fixture(scope="class", params=["2.15.1", "2.18.1"])
    def env(self, request: pytest.FixtureRequest) -> Iterator[RealEnv]:
        base = request.getfixturevalue("tf215" if request.param == "2.15.1" else "tf218")
        with scenario(base, f"healthy-{request.param}") as env:
            yield env

    def test_scan_finds_nothing_wrong(self, static: ScanResult) -> None:
        assert problems(static) == {}
        assert not static.has_errors

    def test_deep_check_trains_a_model_on_the_expected_keras(self, env: RealEnv,
                                                             deep: ScanResult) -> None:
        assert problems(deep) == {}
        ok = finding(deep, "runtime-ok")
        assert ok.severity.value == "info"
        assert ("Keras 2" if env.base.tf_version == "2.15.1" else "Keras 3") in ok.detail
        assert "tf-keras" not in ok.detail

    def test_cli_exit_0_and_pip_check_agrees(self, cli, pip_check) -> None:
        code, doc = cli
        assert code == 0 and doc["exit_code"] == 0
        assert pip_check.returncode == 0, pip_check.stdout


# ------------------------------------------------------------------ S1: keras 3 over TF 2.15


class TestS1Keras3OverTF215(Scans):
    @pytest.fixture(scope="class")
    def env(self, tf215: BaseEnv) -> Iterator[RealEnv]:
        def breaking(env: RealEnv) -> None:
            proc = env.pip("install", "-U", "keras>=3")  # exits 0, with a resolver ERROR block
            assert "tensorflow-cpu 2.15.1 requires keras<2.16" in proc.stdout + proc.stderr
        with scenario(tf215, "s1", breaking) as env:
            yield env

    def test_scan_warns_keras3_under_tf215(self, static: ScanResult) -> None:
        assert problems(static) == {"keras3-under-tf-2.15": "warning"}  # by design: it works
        assert finding(static, "keras3-under-tf-2.15").scenario == "S1"
        assert not static.has_errors

    def test_cli_exit_0(self, cli) -> None:
        code, doc = cli
        assert code == 0 and doc["exit_code"] == 0
        assert cli_codes(doc)["keras3-under-tf-2.15"] == "warning"

    def test_pip_check_reports_it_too(self, pip_check) -> None:
        assert pip_check.returncode == 1
        assert "keras 3." in pip_check.stdout

    def test_deep_check_shows_tf_keras_is_silently_keras3(self, deep: ScanResult) -> None:
        assert problems(deep) == {"keras3-under-tf-2.15": "warning"}
        assert "Keras 3" in finding(deep, "runtime-ok").detail


# ------------------------------------------------------------------ S5: tf-keras 2.15 on TF 2.18


class TestS5TfKeras215OnTF218(Scans):
    @pytest.fixture(scope="class")
    def env(self, tf218: BaseEnv) -> Iterator[RealEnv]:
        with scenario(tf218, "s5",
                      lambda env: env.pip("install", "--no-deps", "tf-keras==2.15.0")) as env:
            yield env

    def test_scan_names_the_tf_keras_mismatch(self, static: ScanResult) -> None:
        assert problems(static) == {"tf-keras-minor-mismatch": "error"}
        mismatch = finding(static, "tf-keras-minor-mismatch")
        assert mismatch.scenario == "S5"
        assert "declares no TensorFlow requirement" in mismatch.detail

    def test_cli_exit_1(self, cli) -> None:
        code, doc = cli
        assert code == 1 and cli_codes(doc)["tf-keras-minor-mismatch"] == "error"

    def test_pip_check_misses_it(self, pip_check) -> None:
        assert pip_check.returncode == 0, pip_check.stdout

    def test_deep_check_confirms_import_tf_keras_fails(self, deep: ScanResult) -> None:
        assert finding(deep, "tf-keras-minor-mismatch").runtime == "confirmed"
        failed = finding(deep, "runtime-import-tf-keras-failed")
        assert "register_load_context_function" in (failed.symptom or "")


# ------------------------------------------------------------------ S9: two TF distributions


class TestS9TwoTensorflowDistributions:
    """tensorflow beside tensorflow-cpu (both own tensorflow/), then `pip uninstall tensorflow`."""

    @pytest.fixture(scope="class")
    def env(self, tf218: BaseEnv) -> Iterator[RealEnv]:
        def breaking(env: RealEnv) -> None:
            wheel = env.cached_wheel("tensorflow==2.18.1")  # 615 MB, downloaded once
            env.pip("install", "--no-deps", "--no-index", "--find-links", str(wheel.parent),
                    "tensorflow==2.18.1")
        with scenario(tf218, "s9", breaking) as env:
            yield env

    @pytest.fixture(scope="class")
    def owned_twice(self, env: RealEnv) -> dict:
        return {"static": env.scan(), "cli": env.cli_scan(), "pip_check": env.pip_check()}

    @pytest.fixture(scope="class")
    def uninstalled(self, env: RealEnv, owned_twice: dict) -> dict:
        started = time.perf_counter()
        env.pip("uninstall", "-y", "tensorflow")
        log(f"s9: uninstall took {time.perf_counter() - started:.1f} s")
        return {"static": env.scan(), "cli": env.cli_scan(), "pip_check": env.pip_check(),
                "deep": env.scan(deep=True)}

    def test_scan_names_two_owners_of_the_folder(self, owned_twice: dict) -> None:
        static = owned_twice["static"]
        assert problems(static) == {"import-package-owned-twice": "error"}
        twice = finding(static, "import-package-owned-twice")
        assert twice.scenario == "S9"
        assert set(twice.distributions) == {"tensorflow 2.18.1", "tensorflow-cpu 2.18.1"}

    def test_two_owners_cli_exit_1_pip_check_silent(self, owned_twice: dict) -> None:
        code, doc = owned_twice["cli"]
        assert code == 1 and cli_codes(doc)["import-package-owned-twice"] == "error"
        assert owned_twice["pip_check"].returncode == 0, owned_twice["pip_check"].stdout

    def test_after_uninstall_scan_names_the_emptied_namespace(self, uninstalled: dict) -> None:
        static = uninstalled["static"]
        assert set(codes(static, "error")) == {"damaged-install"}
        damaged = [f for f in static.findings if f.code == "damaged-install"
                   and f.distributions == ("tensorflow-cpu 2.18.1",)]
        assert damaged, codes(static)
        assert damaged[0].severity.value == "error"
        assert "tensorflow/__init__.py is gone" in damaged[0].detail
        assert damaged[0].symptom == NAMESPACE_SYMPTOM

    def test_after_uninstall_cli_exit_1_pip_check_silent(self, uninstalled: dict) -> None:
        code, doc = uninstalled["cli"]
        assert code == 1 and cli_codes(doc)["damaged-install"] == "error"
        assert uninstalled["pip_check"].returncode == 0, uninstalled["pip_check"].stdout

    def test_after_uninstall_deep_check_shows_tensorflow_broken(self, uninstalled: dict) -> None:
        found = codes(uninstalled["deep"])
        # the emptied folder imports as a namespace package: the runtime check says so
        assert found.get("runtime-import-tensorflow-failed") == "error"
        failure = finding(uninstalled["deep"], "runtime-import-tensorflow-failed")
        assert "namespace" in (failure.symptom or "")

    def test_after_uninstall_deep_check_confirms_damaged_install(self, uninstalled: dict) -> None:
        damaged = next(f for f in uninstalled["deep"].findings if f.code == "damaged-install"
                       and f.distributions == ("tensorflow-cpu 2.18.1",))
        assert damaged.runtime == "confirmed"


# ------------------------------------------------------------------ S11: NumPy 2 under TF 2.15


class TestS11Numpy2UnderTF215(Scans):
    @pytest.fixture(scope="class")
    def env(self, tf215: BaseEnv) -> Iterator[RealEnv]:
        with scenario(tf215, "s11", lambda env: env.pip("install", "numpy>=2")) as env:
            yield env

    def test_scan_names_numpy(self, static: ScanResult) -> None:
        assert problems(static) == {"numpy-incompatible": "error"}
        numpy = finding(static, "numpy-incompatible")
        assert numpy.scenario == "S11"
        assert any("numpy<2" in m for m in numpy.manual)

    def test_cli_exit_1_and_pip_check_reports_it_too(self, cli, pip_check) -> None:
        code, doc = cli
        assert code == 1 and cli_codes(doc)["numpy-incompatible"] == "error"
        assert pip_check.returncode == 1 and "numpy" in pip_check.stdout

    def test_deep_check_confirms_import_tensorflow_fails(self, deep: ScanResult) -> None:
        assert finding(deep, "numpy-incompatible").runtime == "confirmed"
        failed = finding(deep, "runtime-import-tensorflow-failed")
        assert any("NumPy 1.x" in line for line in failed.evidence)  # the ABI banner


# ------------------------------------------------------------------ S23: TF without keras


class TestS23TensorflowWithoutKeras(Scans):
    @pytest.fixture(scope="class")
    def env(self, tf218: BaseEnv) -> Iterator[RealEnv]:
        with scenario(tf218, "s23", lambda env: env.pip("uninstall", "-y", "keras")) as env:
            yield env

    def test_scan_names_missing_keras(self, static: ScanResult) -> None:
        missing = finding(static, "tensorflow-without-keras")
        assert missing.severity.value == "error" and missing.scenario == "S23"
        assert set(problems(static)) <= {"tensorflow-without-keras", "requirement-not-installed"}

    def test_scan_reports_the_cause_once(self, static: ScanResult) -> None:
        assert problems(static) == {"tensorflow-without-keras": "error"}

    def test_cli_exit_1_and_pip_check_reports_it_too(self, cli, pip_check) -> None:
        code, doc = cli
        assert code == 1 and cli_codes(doc)["tensorflow-without-keras"] == "error"
        assert pip_check.returncode == 1 and "keras" in pip_check.stdout

    def test_deep_check_confirms_tf_keras_fails(self, deep: ScanResult) -> None:
        assert finding(deep, "tensorflow-without-keras").runtime == "confirmed"
        found = codes(deep)
        assert found.get("runtime-tf-keras-attribute-failed") == "error"
        assert found.get("runtime-tf-keras-models-failed") == "error"
        assert "runtime-ok" not in found


# ------------------------------------------------------------------ S15: keras.py in the folder


class TestS15LocalKerasPy(Scans):
    @pytest.fixture(scope="class")
    def env(self, tf218: BaseEnv) -> Iterator[RealEnv]:
        def breaking(env: RealEnv) -> None:
            (env.work / "keras.py").write_text(KERAS_PY_SCRIPT)
        with scenario(tf218, "s15", breaking) as env:
            yield env

    @pytest.fixture(scope="class")
    def deep_plain(self, env: RealEnv) -> ScanResult:
        """The same folder with a keras.py that imports nothing."""
        (env.work / "keras.py").write_text(KERAS_PY_PLAIN)
        try:
            return env.scan(deep=True)
        finally:
            (env.work / "keras.py").write_text(KERAS_PY_SCRIPT)

    def test_scan_names_the_local_file(self, env: RealEnv, static: ScanResult) -> None:
        assert problems(static) == {"local-file-shadows-package": "error"}
        shadow = finding(static, "local-file-shadows-package")
        assert shadow.scenario == "S15"
        assert shadow.paths == (str(env.work / "keras.py"),)

    def test_cli_exit_1_pip_check_misses_it(self, cli, pip_check) -> None:
        code, doc = cli
        assert code == 1 and cli_codes(doc)["local-file-shadows-package"] == "error"
        assert pip_check.returncode == 0, pip_check.stdout

    def test_deep_check_confirms_with_a_script_named_keras(self, deep: ScanResult) -> None:
        assert finding(deep, "local-file-shadows-package").runtime == "confirmed"
        assert "partially initialized module 'keras'" in (
            finding(deep, "runtime-import-keras-failed").symptom or "")

    def test_deep_check_does_not_blame_import_tensorflow(self, deep: ScanResult) -> None:
        assert "runtime-import-tensorflow-failed" not in codes(deep)

    def test_deep_check_with_a_plain_keras_py_shows_tf_keras_broken(
            self, deep_plain: ScanResult) -> None:
        assert problems(deep_plain).get("local-file-shadows-package") == "error"
        found = codes(deep_plain)
        assert found.get("runtime-tf-keras-attribute-failed") == "error"
        assert found.get("runtime-tf-keras-models-failed") == "error"

    def test_deep_check_confirms_with_a_plain_keras_py(self, deep_plain: ScanResult) -> None:
        # `import keras` "works" here (it imports the local file): the confirmation must come
        # from tf.keras, which TensorFlow routes through the shadowed name.
        assert finding(deep_plain, "local-file-shadows-package").runtime == "confirmed"


# ------------------------------------------------------------------ S4: legacy flag, no tf-keras


class TestS4LegacyKerasWithoutTfKeras(Scans):
    @pytest.fixture(scope="class")
    def env(self, tf218: BaseEnv) -> Iterator[RealEnv]:
        def breaking(env: RealEnv) -> None:
            env.env["TF_USE_LEGACY_KERAS"] = "1"  # the user's shell profile sets it
        with scenario(tf218, "s4", breaking) as env:
            yield env

    def test_scan_names_the_variable_and_missing_tf_keras(self, static: ScanResult) -> None:
        assert problems(static) == {"legacy-keras-without-tf-keras": "error"}
        assert finding(static, "legacy-keras-without-tf-keras").scenario == "S4"

    def test_cli_exit_1_pip_check_misses_it(self, cli, pip_check) -> None:
        code, doc = cli
        assert code == 1 and cli_codes(doc)["legacy-keras-without-tf-keras"] == "error"
        assert pip_check.returncode == 0, pip_check.stdout

    def test_deep_check_confirms_attribute_access_fails(self, deep: ScanResult) -> None:
        assert finding(deep, "legacy-keras-without-tf-keras").runtime == "confirmed"
        failed = finding(deep, "runtime-tf-keras-attribute-failed")
        assert "Keras cannot be imported" in (failed.symptom or "")
        # ...while `from tensorflow.keras... import` silently gets Keras 3 (FINDINGS Exp 5)
        assert "runtime-tf-keras-models-failed" not in codes(deep)
