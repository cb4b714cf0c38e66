"""The numeric area (NumPy eras, protobuf, ml-dtypes): real messages route to the right cause
by what they print (NumPy's C API numbers, which dtype, which protobuf import), and a scan of
a fabricated environment says which way the installed package is off."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeenv import FakeEnv
from packaging.version import Version

from kerasfix.diagnose.explain import CONFIRMED, RULED_OUT, check_against, explain_text
from kerasfix.knowledge.messages import numeric

# (text as users pasted it, the cause explain must rank first); sources in the comments.
FIRST = [
    # tensorflow/tensorflow#12185: a NumPy 1.11 kept by pip under a TF built for 1.13
    ("RuntimeError: module compiled against API version 0xb but this version of numpy is 0xa",
     "numpy-too-old"),
    # tensorflow/tensorflow#472 (Python 2 era: no 0x)
    ("RuntimeError: module compiled against API version a but this version of numpy is 7",
     "numpy-too-old"),
    # the NumPy 2 direction of the same check (API 0x12 is NumPy 2.0, cversions.txt)
    ("RuntimeError: module compiled against API version 0x12 but this version of numpy is 0x11",
     "numpy1-under-numpy2-module"),
    # numpy/numpy#25865: a NumPy-1 module under NumPy 2 prints the ABI line before the banner
    ("RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is"
     " 0x2000000", "numpy2-under-old-tf"),
    # tensorflow/tensorflow#23071: the API line outranks the umath lines it causes
    ("RuntimeError: module compiled against API version 0xc but this version of numpy is 0xa\n"
     "ImportError: numpy.core.multiarray failed to import\n"
     "ImportError: numpy.core.umath failed to import", "numpy-too-old"),
    # the NumPy 2 banner with the multiarray line cv2 prints after it
    ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.0 as it may crash.\n"
     "AttributeError: _ARRAY_API not found\nImportError: numpy.core.multiarray failed to import",
     "numpy2-under-old-tf"),
    # tensorflow/tensorflow#559: the classic message of a second (system) NumPy
    ("ImportError: numpy.core.multiarray failed to import", "numpy-two-copies"),
    # numpy/numpy#15910
    ("ImportError: Something is wrong with the numpy installation. While importing we detected"
     " an older version of numpy in ['/usr/local/lib/python2.7/dist-packages/numpy']. One method"
     " of fixing this is to repeatedly uninstall numpy until none is found, then reinstall this"
     " version.", "numpy-two-copies"),
    # shap/shap#2969, tensorflow/tensorboard#6140, the NumPy 2 wording (fthedocs#1)
    ("AttributeError: module 'numpy' has no attribute 'bool'.\n`np.bool` was a deprecated alias"
     " for the builtin `bool`.", "numpy-alias-removed"),
    ("AttributeError: module 'numpy' has no attribute 'float'", "numpy-alias-removed"),
    ("AttributeError: `np.float_` was removed in the NumPy 2.0 release. Use `np.float64`"
     " instead.", "numpy-alias-removed"),
    # jax-ml/ml_dtypes#101: the attribute error and TF's pywrap line, both ml-dtypes
    ("AttributeError: module 'ml_dtypes' has no attribute 'float8_e4m3b11'. Did you mean:"
     " 'float8_e4m3fn'?\n  File \"/v/lib/python3.10/site-packages/tensorflow/python/framework/"
     "dtypes.py\", line 39, in <module>\n    _np_float8_e5m2 = pywrap_ml_dtypes.float8_e5m2()\n"
     "TypeError: Unable to convert function return value to a Python type! The signature was\n"
     "\t() -> handle", "ml-dtypes-mismatch"),
    # the same TypeError alone is NumPy 2 under TF < 2.18 (checked on real installs)
    ("TypeError: Unable to convert function return value to a Python type! The signature was\n"
     "\t() -> handle", "numpy2-under-old-tf"),
    # protobuf's own typo, and the workaround lines alone
    ("TypeError: Descriptors cannot not be created directly.", "protobuf-too-new"),
    (" 1. Downgrade the protobuf package to 3.20.x or lower.", "protobuf-too-new"),
    # protocolbuffers/protobuf#12938 (no "from" on Python < 3.8)
    ("ImportError: cannot import name 'builder'", "protobuf-too-old"),
    ("ImportError: cannot import name 'runtime_version' from 'google.protobuf'"
     " (C:\\Users\\me\\venv\\Lib\\site-packages\\google\\protobuf\\__init__.py)",
     "protobuf-too-old"),
    # tensorflow/tensorflow#98980: runtime newer than the gencode only warns
    ("UserWarning: Protobuf gencode version 5.28.3 is exactly one major version older than the"
     " runtime version 6.31.1 at tensorflow/core/framework/attr_value.proto.",
     "protobuf-too-new"),
]


@pytest.mark.parametrize("text,first", FIRST, ids=[f[1] + f"-{i}" for i, f in enumerate(FIRST)])
def test_messages_route_by_what_they_print(text: str, first: str) -> None:
    causes = [c.id for c in explain_text(text).causes]
    assert causes and causes[0] == first, causes


@pytest.mark.parametrize("text", [
    "AttributeError: module 'numpy' has no attribute 'array'",  # a numpy.py of the user's
    "RuntimeError: module compiled against API version 0x12 but this version of numpy is 0x13",
])
def test_texts_that_are_not_numpy_eras_do_not_match_them(text: str) -> None:
    ids = {m.signature.id for m in explain_text(text).matches}
    assert not ids & {"numpy-alias", "numpy-too-old", "numpy-built-for-numpy2"}, ids


def test_c_api_versions_map_to_numpy_releases() -> None:
    assert numeric.numpy_c_api(Version("1.26.4")) == 0x11
    assert numeric.numpy_c_api(Version("2.0.2")) == numeric.NUMPY2_C_API == 0x12
    assert numeric.numpy_c_api(Version("1.11.0")) == 0xA
    assert numeric.numpy_c_api(Version("1.6.2")) is None
    assert numeric.numpy_for_c_api(0xC) == Version("1.14")
    assert numeric.numpy_for_c_api(0x99) is None


# ---------------------------------------------------------------- against a scan


def _verdict(fake: FakeEnv, text: str, cause: str) -> tuple[str, str]:
    verdicts = {v.cause.id: v for v in check_against(explain_text(text), fake.scan())}
    verdict = verdicts[cause]
    return verdict.status, " ".join(verdict.evidence)


BANNER = ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.1.0 as it may"
          " crash.\nTraceback (most recent call last):\n  File \"/v/lib/python3.11/site-packages/"
          "cv2/__init__.py\", line 181, in bootstrap\nAttributeError: _ARRAY_API not found")


def test_numpy2_names_the_module_of_the_traceback(fake: FakeEnv) -> None:
    fake.simple("numpy", "2.1.0")
    fake.add_dist("opencv-python", "4.8.0.76", files={"cv2/__init__.py": ""})
    status, evidence = _verdict(fake, BANNER, "numpy2-under-old-tf")
    assert status == CONFIRMED
    assert "numpy 2.1.0 is installed" in evidence
    assert "the failing import is in cv2 (opencv-python 4.8.0.76" in evidence


def test_numpy2_cause_is_ruled_out_under_numpy1(fake: FakeEnv) -> None:
    fake.simple("numpy", "1.26.4")
    status, _ = _verdict(fake, BANNER, "numpy2-under-old-tf")
    assert status == RULED_OUT


@pytest.mark.parametrize("installed,status", [("1.11.0", CONFIRMED), ("1.26.4", RULED_OUT)])
def test_numpy_too_old_compares_the_c_api(fake: FakeEnv, installed: str, status: str) -> None:
    fake.simple("numpy", installed)
    got, evidence = _verdict(fake, FIRST[0][0], "numpy-too-old")
    assert got == status
    assert "C API 0x" in evidence


def test_two_numpy_copies_are_seen_on_sys_path(fake: FakeEnv) -> None:
    fake.simple("numpy", "1.26.4")
    one, _ = _verdict(fake, "ImportError: numpy.core.multiarray failed to import",
                      "numpy-two-copies")
    assert one == RULED_OUT
    extra = fake.root / "system"
    fake.add_dist("numpy", "1.8.0", files={"numpy/__init__.py": ""}, site=extra)
    fake.env["PYTHONPATH"] = str(extra)
    two, evidence = _verdict(fake, "ImportError: numpy.core.multiarray failed to import",
                             "numpy-two-copies")
    assert two == CONFIRMED
    assert f"`import numpy` takes {extra / 'numpy'}" in evidence
    assert f"another numpy: {fake.site / 'numpy'}" in evidence


@pytest.mark.parametrize("installed,status", [("1.26.4", CONFIRMED), ("2.0.2", RULED_OUT),
                                              ("1.23.5", RULED_OUT)])
def test_np_bool_is_missing_only_between_1_24_and_2(fake: FakeEnv, installed: str,
                                                    status: str) -> None:
    fake.simple("numpy", installed)
    got, _ = _verdict(fake, "AttributeError: module 'numpy' has no attribute 'bool'",
                      "numpy-alias-removed")
    assert got == status


@pytest.mark.parametrize("installed,dtype,status", [
    ("0.3.2", "float8_e4m3b11", CONFIRMED),  # removed in 0.3.0
    ("0.2.0", "float8_e4m3b11", RULED_OUT),
    ("0.4.1", "float8_e8m0fnu", CONFIRMED),  # onnx/ir-py#187: arrived in 0.5.0
])
def test_ml_dtypes_direction_from_the_dtype(fake: FakeEnv, installed: str, dtype: str,
                                            status: str) -> None:
    fake.simple("ml-dtypes", installed)
    got, _ = _verdict(fake, f"AttributeError: module 'ml_dtypes' has no attribute '{dtype}'",
                      "ml-dtypes-mismatch")
    assert got == status


@pytest.mark.parametrize("installed,text,status", [
    ("3.19.6", "ImportError: cannot import name 'builder' from 'google.protobuf.internal'",
     CONFIRMED),
    ("4.25.8", "ImportError: cannot import name 'runtime_version' from 'google.protobuf'",
     CONFIRMED),
    ("5.26.1", "ImportError: cannot import name 'runtime_version' from 'google.protobuf'",
     CONFIRMED),  # a real 5.26.1 prints exactly this; 5.27.0 is the first with the module
    ("5.27.0", "ImportError: cannot import name 'runtime_version' from 'google.protobuf'",
     RULED_OUT),
    ("5.27.5", "google.protobuf.runtime_version.VersionError: Detected incompatible Protobuf"
     " Gencode/Runtime versions when loading runtime.proto: gencode 5.28.1 runtime 5.27.5.",
     CONFIRMED),
])
def test_protobuf_too_old_without_tensorflow(fake: FakeEnv, installed: str, text: str,
                                             status: str) -> None:
    fake.simple("protobuf", installed, dist_name="protobuf")
    got, _ = _verdict(fake, text, "protobuf-too-old")
    assert got == status


def test_descriptors_without_tensorflow_read_the_installed_protobuf(fake: FakeEnv) -> None:
    fake.simple("protobuf", "4.21.2", dist_name="protobuf")
    got, evidence = _verdict(fake, "TypeError: Descriptors cannot not be created directly.",
                             "protobuf-too-new")
    assert got == CONFIRMED and "protobuf 4.21.2" in evidence


def test_part_d_numeric_corpus_is_in_the_catalogue() -> None:
    import json

    rows = json.loads((Path(__file__).parent / "corpus" / "part-d-numeric.json").read_text())
    assert len(rows) >= 12
    hits = sum(1 for r in rows if [c.id for c in explain_text(r["message"]).causes][:1]
               == [r["expect"]])
    assert hits / len(rows) >= 0.9
