"""explain: every catalogued message is recognised, causes are ranked, and a real scan of a
fabricated environment confirms the right one."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakeenv import FakeEnv

from kerasfix.diagnose.explain import (
    CAUSES,
    CONFIRMED,
    RULED_OUT,
    SIGNATURES,
    UNMATCHED,
    check_against,
    diagnose,
    explain_text,
    read_source,
    traceback_paths,
)

# Exact texts printed by real installs while the rules were built (their /work/lab paths kept
# as printed) or by TensorFlow's own sources, with the signature each must match and the
# cause it must rank first.
MESSAGES = [
    ("ModuleNotFoundError: No module named 'tensorflow.keras'",
     "no-module-tensorflow-keras", "keras3-under-old-tf"),
    ("ImportError: Keras cannot be imported. Check that it is installed.",
     "keras-cannot-be-imported", "tensorflow-without-keras"),
    ("WARNING:tensorflow:Your environment has TF_USE_LEGACY_KERAS set to True, but you do not"
     " have the tf_keras package installed. You must install it in order to use the legacy"
     " tf.keras. Install it via: `pip install tf_keras`",
     "legacy-keras-without-tf-keras", "legacy-keras-without-tf-keras"),
    ("RuntimeError: Failed to import transformers.models.bert.modeling_tf_bert because of the"
     " following error (look up to see its traceback):\nYour currently installed version of"
     " Keras is Keras 3, but this is not yet supported in Transformers. Please install the"
     " backwards-compatible tf-keras package with `pip install tf-keras`.",
     "transformers-keras3", "transformers-needs-tf-keras"),
    ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.4.6 as it may crash."
     " To support both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.",
     "numpy-abi", "numpy2-under-old-tf"),
    ("AttributeError: _ARRAY_API not found", "numpy-abi", "numpy2-under-old-tf"),
    ("ImportError: numpy.core.umath failed to import", "numpy-abi", "numpy2-under-old-tf"),
    ("ImportError: numpy.core._multiarray_umath failed to import", "numpy-abi",
     "numpy2-under-old-tf"),
    ("TypeError: Unable to convert function return value to a Python type! The signature was\n"
     "\t() -> handle", "numpy-abi", "numpy2-under-old-tf"),
    ("AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no attribute"
     " 'register_load_context_function'. Did you mean: 'register_call_context_function'?",
     "register-load-context-function", "tf-keras-mismatch"),
    ("TypeError: Descriptors cannot be created directly.\nIf this call came from a _pb2.py file,"
     " your generated code is out of date and must be regenerated with protoc >= 3.19.0.",
     "protobuf-descriptors", "protobuf-too-new"),
    ("ImportError: cannot import name 'builder' from 'google.protobuf.internal'"
     " (/work/lab/e13a_s12/lib/python3.11/site-packages/google/protobuf/internal/__init__.py)",
     "protobuf-builder", "protobuf-too-old"),
    ("google.protobuf.runtime_version.VersionError: Detected incompatible Protobuf"
     " Gencode/Runtime versions when loading tensorflow/core/framework/attr_value.proto:"
     " gencode 6.31.1 runtime 5.29.6. Runtime version cannot be older than the linked gencode"
     " version.", "protobuf-gencode", "protobuf-too-old"),
    ("AttributeError: module 'tensorflow' has no attribute '__version__'",
     "tensorflow-namespace", "tensorflow-folder-clobbered"),
    ("AttributeError: module 'tensorflow' has no attribute 'constant'",
     "tensorflow-namespace", "tensorflow-folder-clobbered"),
    ("AttributeError: module 'tensorflow' has no attribute 'Variable'",
     "tensorflow-namespace", "tensorflow-folder-clobbered"),
    ("ValueError: File format not supported: filepath=saved_model_dir. Keras 3 only supports V3"
     " `.keras` files and legacy H5 format files (`.h5` extension). Note that the legacy"
     " SavedModel format is not supported by `load_model()` in Keras 3.",
     "savedmodel-keras3", "keras3-savedmodel"),
    ("ModuleNotFoundError: No module named 'keras.engine'", "keras-engine", "removed-keras-path"),
    ("ModuleNotFoundError: No module named 'keras.engine.topology'", "keras-engine",
     "removed-keras-path"),
    ("ModuleNotFoundError: No module named 'keras.src.engine'", "keras-src-engine",
     "removed-keras-path"),
    ("ModuleNotFoundError: No module named 'keras.layers.core'", "keras-layers-core",
     "removed-keras-path"),
    ("ModuleNotFoundError: No module named 'tensorflow.keras.layers.core'", "keras-layers-core",
     "removed-keras-path"),
    ("ModuleNotFoundError: No module named 'keras.api'", "no-module-keras-api",
     "keras3-under-old-tf"),
    ("ModuleNotFoundError: No module named 'keras.api._v2'", "no-module-keras-api",
     "keras3-under-old-tf"),
    ("ImportError: Keras requires TensorFlow 2.2 or higher. Install TensorFlow via `pip install"
     " tensorflow`", "keras-requires-tf22", "keras-standalone-too-old"),
    ("AttributeError: module 'tensorflow' has no attribute 'get_default_graph'", "tf1-api",
     "keras-standalone-too-old"),
    ("ImportError: cannot import name 'get_config' from 'tensorflow.python.eager.context'",
     "get-config", "keras-minor-mismatch"),
    ("ImportError: cannot import name 'keras' from partially initialized module 'tensorflow'"
     " (most likely due to a circular import) (C:\\Users\\me\\repos\\tensorflow\\tensorflow.py)",
     "circular-import", "local-file-shadows"),
    ("AttributeError: partially initialized module 'keras' has no attribute '__version__' (most"
     " likely due to a circular import)", "circular-import", "local-file-shadows"),
    ("ERROR: Could not find a version that satisfies the requirement tensorflow-cpu==2.15.1"
     " (from versions: 2.16.0rc0, 2.16.1, 2.16.2, 2.17.0)\nERROR: No matching distribution"
     " found for tensorflow-cpu==2.15.1", "no-matching-distribution", "python-unsupported"),
    ("ERROR: Could not find a version that satisfies the requirement tensorflow (from versions:"
     " none)", "no-matching-distribution", "python-unsupported"),
    ('=========================================================\nThe "tensorflow-gpu" package'
     ' has been removed!\n\nPlease install "tensorflow" instead.',
     "tensorflow-gpu-removed", "tensorflow-gpu-retired"),
    ("Illegal instruction (core dumped)", "illegal-instruction", "cpu-lacks-avx"),
    ("tensorflow.python.framework.errors_impl.NotFoundError: /work/lab/e08_s24/lib/python3.11/"
     "site-packages/tensorflow/core/kernels/libtfkernel_sobol_op.so: undefined symbol:"
     " _ZN10tensorflow15TensorShapeBaseINS_11TensorShapeEEC2EN4absl12lts_202301254SpanIKlEE",
     "undefined-symbol", "tensorflow-folder-clobbered"),
    ("WARNING: Ignoring invalid distribution ~ensorflow (/work/venv/lib/python3.11/"
     "site-packages)", "pip-leftovers", "pip-interrupted"),
    ("WARNING: Ignoring incompletely removed distribution ~eras-3.15.1.dist-info (/work/lab/"
     "e16_s16/lib/python3.11/site-packages); '~'-prefixed leftover directories are the result"
     " of a previous incomplete installation, and can be deleted",
     "pip-leftovers", "pip-interrupted"),
    ("    import jax\nModuleNotFoundError: No module named 'jax'", "backend-not-installed",
     "keras-backend-missing"),
    ("AttributeError: module 'keras._tf_keras.keras.layers' has no attribute 'experimental'",
     "keras3-missing-attribute", "keras3-code-for-keras2"),
    ("AttributeError: `tf.compat.v1.keras` is not available with Keras 3. Keras 3 has no support"
     " for TF 1 APIs. You can install the `tf_keras` package as an alternative, and set the"
     " environment variable `TF_USE_LEGACY_KERAS=True`",
     "compat-v1-keras3", "keras3-code-for-keras2"),
    ("ImportError: `keras.optimizers.legacy` is not supported in Keras 3. When using"
     " `tf.keras`, to continue using a `tf.keras.optimizers.legacy` optimizer, you can install"
     " the `tf_keras` package (Keras 2)", "optimizers-legacy-keras3", "keras3-code-for-keras2"),
    ("tensorflow-cpu 2.15.1 requires keras<2.16,>=2.15.0, but you have keras 3.15.1 which is"
     " incompatible.", "pip-dependency-conflict", "pip-conflict"),
]


@pytest.mark.parametrize("text,signature,first", MESSAGES,
                         ids=[f"{m[1]}-{i}" for i, m in enumerate(MESSAGES)])
def test_each_catalogued_message_is_recognised(text: str, signature: str, first: str) -> None:
    explanation = explain_text(text)
    assert explanation.matched
    assert explanation.matches[0].signature.id == signature
    assert explanation.causes[0].id == first


def test_catalogue_is_consistent() -> None:
    ids = [s.id for s in SIGNATURES]
    assert len(ids) == len(set(ids))
    for signature in SIGNATURES:
        # a cause to name, or harmless noise, or the code's own error (then no cause at all)
        assert signature.noise or signature.causes or signature.outside, signature.id
        assert not (signature.outside and signature.causes), signature.id
        assert all(c in CAUSES for c in signature.causes), signature.id
        signature.compiled()  # every regex compiles
    for cause in CAUSES.values():
        assert cause.title and cause.why and cause.confirm and cause.fix


def test_every_cause_records_where_it_was_established() -> None:
    """Every rule comes from a real install (the test that reproduces it) or a real public
    thread, recorded next to it."""
    for cause in CAUSES.values():
        assert cause.sources, f"{cause.id} has no sources"
        for source in cause.sources:
            assert source.startswith(("https://", "tests/")), (cause.id, source)
            if source.startswith("tests/"):
                path = Path(__file__).parent.parent / source.split("::")[0]
                assert path.is_file(), (cause.id, source)


def test_every_checker_decides_a_catalogued_cause() -> None:
    """The catalogue is data in knowledge/; diagnose/ registers who decides each cause by its
    id: a renamed or removed cause cannot leave a checker pointing at nothing."""
    from kerasfix.diagnose.explain.deciders import DECIDES

    assert set(DECIDES) <= set(CAUSES), set(DECIDES) - set(CAUSES)
    assert len(DECIDES) >= 20
    # a cause that only a checker can decide (no scan finding backs it) must have one
    undecidable = [c.id for c in CAUSES.values() if c.static and not c.findings
                   and c.id not in DECIDES]
    assert not undecidable, undecidable


def test_tf1_names_are_not_taken_for_an_empty_tensorflow() -> None:
    ids = {m.signature.id for m in explain_text(
        "AttributeError: module 'tensorflow' has no attribute 'Session'").matches}
    assert ids == {"tf1-api"}


def test_no_module_tensorflow_does_not_match_submodules() -> None:
    ids = {m.signature.id for m in explain_text(
        "ModuleNotFoundError: No module named 'tensorflow.python'").matches}
    assert ids == {"no-module-tensorflow-python"}


# ---------------------------------------------------------------- ranking


def test_two_signatures_naming_the_same_cause_rank_it_first() -> None:
    text = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
            "ModuleNotFoundError: No module named 'tensorflow.keras'\n...\n"
            "  File \"/v/lib/python3.11/site-packages/tensorflow/python/util/lazy_loader.py\","
            " line 49, in _load\nModuleNotFoundError: No module named 'keras.api._v2'")
    explanation = explain_text(text)
    assert explanation.causes[0].id == "keras3-under-old-tf"
    assert set(explanation.support["keras3-under-old-tf"]) == {
        "line 3: no-module-tensorflow-keras", "line 6: no-module-keras-api"}


@pytest.mark.parametrize("path,first", [
    ("/v/lib/python3.11/site-packages/tf_keras/src/saving/legacy/saved_model/load_context.py",
     "tf-keras-mismatch"),
    ("/v/lib/python3.11/site-packages/keras/src/saving/legacy/saved_model/load_context.py",
     "keras2-under-new-tf"),
])
def test_traceback_paths_tell_tf_keras_from_keras(path: str, first: str) -> None:
    text = (f'  File "{path}", line 68, in <module>\n'
            "    tf.__internal__.register_load_context_function(in_load_context)\n"
            "AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no"
            " attribute 'register_load_context_function'")
    assert explain_text(text).causes[0].id == first


def test_mixed_builds_outrank_the_numpy_banner_they_cause() -> None:
    """Exp 8: the banner comes from a leftover 2.15 .so; the real error is the mix."""
    text = ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.4.6 as it may"
            " crash.\nAttributeError: _ARRAY_API not found\nTraceback (most recent call last):"
            "\n  File \"/w/lib/python3.11/site-packages/tensorflow/__init__.py\", line 433\n"
            "tensorflow.python.framework.errors_impl.NotFoundError: /w/lib/python3.11/"
            "site-packages/tensorflow/core/kernels/libtfkernel_sobol_op.so: undefined symbol:"
            " _ZN10tensorflow")
    explanation = explain_text(text)
    assert [m.signature.id for m in explanation.matches] == ["undefined-symbol", "numpy-abi"]
    assert explanation.causes[0].id == "tensorflow-folder-clobbered"
    assert "numpy2-under-old-tf" in [c.id for c in explanation.causes]


def test_masked_backend_error_points_at_the_backend() -> None:
    """Exp 15: No module named 'jax' turned into the misleading 'Keras cannot be imported'."""
    text = ('  File "/v/lib/python3.11/site-packages/keras/src/backend/jax/core.py", line 5\n'
            "    import jax\nModuleNotFoundError: No module named 'jax'\n\nDuring handling of the"
            " above exception, another exception occurred:\n\nImportError: Keras cannot be"
            " imported. Check that it is installed.")
    assert explain_text(text).causes[0].id == "keras-backend-missing"


def test_a_keras_py_in_the_traceback_is_shadowing() -> None:
    text = ('Traceback (most recent call last):\n  File "/home/me/proj/train.py", line 1\n'
            '  File "/home/me/proj/keras.py", line 1, in <module>\n'
            "AttributeError: module 'keras' has no attribute '__version__'")
    explanation = explain_text(text)
    assert explanation.paths.shadowing == ("/home/me/proj/keras.py",)
    assert explanation.causes[0].id == "local-file-shadows"


def test_traceback_paths() -> None:
    text = ('  File "/home/me/.local/lib/python3.10/site-packages/tensorflow/__init__.py", line'
            ' 4\n  File "C:\\Users\\me\\AppData\\Roaming\\Python\\Python310\\site-packages\\'
            'tensorflow\\__init__.py", line 469, in <module>\n'
            '  File "/usr/lib/python3.11/code.py", line 2\n'
            "ImportError: cannot import name 'x' from 'keras' (/srv/app/keras/__init__.py)\n"
            '  File "/opt/venv/lib/python3.11/site-packages/keras/__init__.py", line 3')
    paths = traceback_paths(text)
    assert len(paths.user_site) == 2
    assert paths.shadowing == ("/srv/app/keras/__init__.py",)
    assert "/opt/venv/lib/python3.11/site-packages" in paths.site_packages
    assert "/home/me/.local/lib/python3.10/site-packages" in paths.site_packages


def test_unmatched_text_has_no_causes_and_says_what_to_do() -> None:
    explanation = explain_text("Segmentation fault in my own C extension\nValueError: bad x")
    assert not explanation.matched and explanation.causes == ()
    assert "kerasfix scan" in explanation.message
    assert explain_text("").causes == ()


def test_start_up_noise_is_a_note_not_a_cause() -> None:
    text = ("I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could not find cuda drivers on"
            " your machine, GPU will not be used.\nE0000 00:00:1 cuda_dnn.cc:8310] Unable to"
            " register cuDNN factory: Attempting to register factory for plugin cuDNN when one"
            " has already been registered")
    explanation = explain_text(text)
    assert explanation.causes == () and explanation.notes
    assert "harmless" in explanation.message


def test_ansi_colours_and_windows_newlines_do_not_matter() -> None:
    text = "\x1b[31mModuleNotFoundError\x1b[0m: No module named 'keras.engine'\r\n"
    explanation = explain_text(text)
    assert explanation.matches[0].signature.id == "keras-engine"
    assert explanation.group("module") == "keras.engine"


def test_read_source(tmp_path) -> None:
    log = tmp_path / "err.txt"
    log.write_text("No module named 'keras.engine'")
    assert read_source(str(log)) == "No module named 'keras.engine'"
    assert read_source("-", io.StringIO("from stdin")) == "from stdin"
    assert read_source("No module named 'tensorflow'") == "No module named 'tensorflow'"


# ---------------------------------------------------------------- against a real scan

S2_TEXT = "ModuleNotFoundError: No module named 'tensorflow.keras'"


def _verdicts(text: str, fake: FakeEnv) -> dict[str, object]:
    return {v.cause.id: v for v in check_against(explain_text(text), fake.scan())}


def test_s2_names_keras3_under_old_tf_as_the_cause(fake: FakeEnv) -> None:
    fake.tensorflow("2.14.1")
    fake.keras("3.3.3")
    fake.simple("numpy", "1.26.4")
    diagnosis = diagnose(explain_text(S2_TEXT), fake.scan())
    assert diagnosis.cause is not None and diagnosis.cause.id == "keras3-under-old-tf"
    top = diagnosis.verdicts[0]
    assert top.is_the_cause and top.status == CONFIRMED
    assert [f.code for f in top.findings] == ["keras3-under-tf-2.14-or-older"]
    assert any("keras 3.3.3 is installed at " + str(fake.site) in e for e in top.evidence)
    assert top.fix.startswith(f'{fake.python} -m pip install "keras~=2.14.0"')
    assert top.confirm.startswith(f"{fake.python} -c ")
    others = {v.cause.id: v for v in diagnosis.verdicts[1:]}
    assert others["tensorflow-without-keras"].status == RULED_OUT
    assert others["local-file-shadows"].status == RULED_OUT
    assert sum(v.is_the_cause for v in diagnosis.verdicts) == 1


def test_keras_py_in_the_working_folder_is_named(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    shadow = fake.root / "work" / "keras.py"
    shadow.write_text("x = 1\n")
    text = ("  File \"/v/lib/python3.11/site-packages/tensorflow/python/util/lazy_loader.py\","
            " line 149, in _initialize\n    if keras.__version__.startswith(\"3.\"):\n"
            "AttributeError: module 'keras' has no attribute '__version__'")
    diagnosis = diagnose(explain_text(text), fake.scan())
    assert diagnosis.cause is not None and diagnosis.cause.id == "local-file-shadows"
    assert f"{shadow} shadows keras" in diagnosis.verdicts[0].evidence


def test_old_standalone_keras_evidence_names_the_folder(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.3.1")
    diagnosis = diagnose(explain_text("ModuleNotFoundError: No module named 'keras.api'"),
                         fake.scan())
    assert diagnosis.cause is not None and diagnosis.cause.id == "keras-standalone-too-old"
    evidence = " ".join(diagnosis.verdicts[0].evidence)
    assert f"keras 2.3.1 is installed at {fake.site}, which has no api/_v2" in evidence
    verdicts = {v.cause.id: v.status for v in diagnosis.verdicts}
    assert verdicts["keras3-under-old-tf"] == RULED_OUT


def test_tensorflow_without_keras(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    fake.simple("numpy", "2.0.2")
    verdicts = _verdicts("ImportError: Keras cannot be imported. Check that it is installed.",
                         fake)
    assert verdicts["tensorflow-without-keras"].status == CONFIRMED
    # tf-keras is absent too, but nothing shows the legacy variable was on
    assert verdicts["legacy-keras-without-tf-keras"].status == RULED_OUT
    assert verdicts["keras-backend-missing"].status == RULED_OUT


def test_legacy_variable_without_tf_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.env["TF_USE_LEGACY_KERAS"] = "1"
    text = MESSAGES[2][0] + "\nImportError: Keras cannot be imported. Check that it is installed."
    diagnosis = diagnose(explain_text(text), fake.scan())
    assert diagnosis.cause is not None and diagnosis.cause.id == "legacy-keras-without-tf-keras"
    assert any(f.code == "legacy-keras-without-tf-keras" for f in diagnosis.verdicts[0].findings)


def test_numpy2_under_tf215(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.15.0")
    fake.simple("numpy", "2.1.0")
    verdicts = _verdicts("AttributeError: _ARRAY_API not found", fake)
    assert verdicts["numpy2-under-old-tf"].status == CONFIRMED
    assert verdicts["numpy1-under-numpy2-module"].status == RULED_OUT


def test_protobuf_direction_decides_between_too_old_and_too_new(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    fake.keras("3.15.1")
    fake.simple("protobuf", "3.19.6")
    result = fake.scan()
    old = check_against(explain_text(MESSAGES[11][0]), result)
    assert old[0].cause.id == "protobuf-too-old" and old[0].status == CONFIRMED
    new = check_against(explain_text(MESSAGES[10][0]), result)
    assert new[0].cause.id == "protobuf-too-new" and new[0].status == RULED_OUT


def test_removed_path_against_the_installed_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    verdicts = _verdicts("ModuleNotFoundError: No module named 'keras.engine'", fake)
    verdict = verdicts["removed-keras-path"]
    assert verdict.status == CONFIRMED
    assert any("keras.engine exists only in keras <2.13" in e for e in verdict.evidence)


def test_removed_path_present_in_installed_keras_is_ruled_out(fake: FakeEnv) -> None:
    fake.tensorflow("2.12.1", dist="tensorflow")
    fake.keras("2.12.0")
    verdicts = _verdicts("ModuleNotFoundError: No module named 'keras.engine'", fake)
    assert verdicts["removed-keras-path"].status == RULED_OUT


def test_traceback_from_another_environment_is_noticed(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    text = ('  File "/somewhere/else/lib/python3.11/site-packages/tensorflow/__init__.py",'
            " line 1\n" + S2_TEXT)
    diagnosis = diagnose(explain_text(text), fake.scan())
    assert any("/somewhere/else/lib/python3.11/site-packages" in n for n in diagnosis.notes)
    verdicts = {v.cause.id: v.status for v in diagnosis.verdicts}
    assert verdicts["wrong-environment"] == CONFIRMED


def test_healthy_environment_confirms_nothing_and_says_so(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    diagnosis = diagnose(explain_text(S2_TEXT), fake.scan())
    assert diagnosis.cause is None
    assert not any(v.is_the_cause for v in diagnosis.verdicts)
    assert any("--deep" in n for n in diagnosis.notes)


def test_python_support_reads_the_requested_pin(fake: FakeEnv) -> None:
    result = fake.scan()
    py = result.inventory.interpreter.short_version
    assert py >= (3, 11)  # the test suite's interpreter; TF 2.10 has no wheels for it

    def verdict(requirement: str):
        text = ("ERROR: Could not find a version that satisfies the requirement"
                f" {requirement} (from versions: none)")
        found = {v.cause.id: v for v in check_against(explain_text(text), result)}
        return found["python-unsupported"]

    assert verdict("tensorflow==2.10.0").status == CONFIRMED
    assert "TensorFlow 2.10 has wheels for Python 3.7-3.10" in verdict("tensorflow==2.10.0"
                                                                       ).evidence[0]
    assert verdict("tensorflow==2.9.0").status == "unknown"  # older than kerasfix's table
    assert verdict("tensorflow").status == RULED_OUT  # then pip's index is the suspect
    assert verdict("keras==3.15.1").status == RULED_OUT
    text = "ERROR: Package 'keras' requires a different Python: 3.9.18 not in '>=3.11'"
    first = check_against(explain_text(text), result)[0]
    assert first.cause.id == "python-unsupported" and first.status == CONFIRMED


def test_damaged_tensorflow_confirms_clobbering(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    (fake.site / "tensorflow" / "__init__.py").unlink()
    verdicts = _verdicts("AttributeError: module 'tensorflow' has no attribute '__version__'",
                         fake)
    assert verdicts["tensorflow-folder-clobbered"].status == CONFIRMED
    assert verdicts["local-file-shadows"].status == RULED_OUT


def test_keras3_code_against_keras2_env_is_ruled_out(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.15.0")
    verdicts = _verdicts(MESSAGES[37][0], fake)
    assert verdicts["keras3-code-for-keras2"].status == RULED_OUT
    shutil.rmtree(next(fake.site.glob("keras-2.15.0.dist-info")))
    fake.keras("3.15.1")
    verdicts = _verdicts(MESSAGES[37][0], fake)
    assert verdicts["keras3-code-for-keras2"].status == CONFIRMED


def test_cpu_reports_avx_reads_the_flags_line(tmp_path: Path) -> None:
    from kerasfix.inspect.host import cpu_reports_avx

    with_avx = tmp_path / "with"
    with_avx.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2\n")
    without = tmp_path / "without"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx512f\n")  # not "avx"
    assert cpu_reports_avx(str(with_avx)) is True
    assert cpu_reports_avx(str(without)) is False
    assert cpu_reports_avx(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("message,cause", [
    # the headline of the article kerasfix started from: only a tensorflow folder without its
    # __init__.py (damaged) says "(unknown location)" (tests/test_area_imports.py, real TF)
    ("ImportError: cannot import name 'Sequential' from 'tensorflow.keras' (unknown location)",
     "tensorflow-damaged"),
    # every Keras has Sequential in keras.models: the folder is not what its release shipped
    # (tests/test_area_interop.py reproduces the wording)
    ("ImportError: cannot import name 'Sequential' from 'keras.models'",
     "keras-folder-clobbered"),
])
def test_the_seed_articles_messages_get_their_real_causes(message: str, cause: str) -> None:
    explanation = explain_text(message)
    assert explanation.causes[0].id == cause
    assert explanation.message != UNMATCHED


def test_no_signature_backtracks_on_long_runs_of_one_shape() -> None:
    """A pasted 2 MB log of one repeated shape (a word, words, a path, backquotes, File ")
    must not make any regex backtrack quadratically: explain once took minutes on 40 kB of
    'x' (`?\\w+`? without a word boundary). Run in a subprocess so a regression fails by its
    timeout instead of hanging the suite; the limit is far above the ~2 s each takes."""
    code = ("from kerasfix.diagnose.explain import explain_text\n"
            "for t in ('x' * 2_000_000, 'a ' * 1_000_000, '/a' * 1_000_000, '`x` ' * 500_000,"
            " 'File \"' * 300_000):\n"
            "    explain_text(t + \"\\nNo module named 'tensorflow.keras'\")\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=240)
