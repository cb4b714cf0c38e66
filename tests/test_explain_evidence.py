"""Tracebacks as evidence: the facts a pasted text shows (platform, Python, printed versions),
the causes they favour, and the lines the report says led to each cause."""

from __future__ import annotations

import pytest

from kerasfix.diagnose.explain import explain_text
from kerasfix.diagnose.explain.evidence import favoured, read_facts
from kerasfix.report.explain_json import explain_document

WINDOWS = ('  File "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python39\\lib\\site-packages'
           '\\tensorflow\\python\\pywrap_tensorflow.py", line 64, in <module>')
MAC = "zsh: illegal hardware instruction  python3"
LINUX = ('  File "/home/me/venv/lib/python3.12/site-packages/keras/src/backend/__init__.py",'
         " line 3")
COLAB = "/usr/local/lib/python3.7/dist-packages/tensorflow_text/python/ops/_ops.so"


@pytest.mark.parametrize("text,platform,python", [
    (WINDOWS, "windows", "3.9"),
    (MAC, "macos", None),
    (LINUX, "linux", "3.12"),
    (COLAB, "linux", "3.7"),
    ("Collecting tensorflow\n  Downloading tensorflow-2.15.0-cp311-cp311-manylinux_2_17_x86_64"
     ".whl", "linux", "3.11"),
    ("Python 3.13.0 (main, Oct  7 2024)", None, "3.13"),
])
def test_platform_and_python_are_read_from_paths(text: str, platform: str | None,
                                                 python: str | None) -> None:
    facts = read_facts(text)
    assert (facts.first("platform").value if facts.first("platform") else None) == platform
    assert (facts.first("python").value if facts.first("python") else None) == python


def test_versions_printed_by_pip_are_facts_with_their_line() -> None:
    text = ("ERROR: pip's dependency resolver does not currently take into account...\n"
            "tensorflow 2.13.1 requires keras<2.14,>=2.13.1, but you have keras 3.1.1 which is"
            " incompatible.")
    facts = read_facts(text)
    assert str(facts.version("tensorflow")) == "2.13.1"
    assert str(facts.version("keras")) == "3.1.1"
    assert facts.first("keras").line == 2


def test_facts_favour_causes_through_the_knowledge_predicates() -> None:
    keras3_on_213 = read_facts("tensorflow 2.13.1 requires keras<2.14, but you have keras"
                               " 3.1.1 which is incompatible.")
    assert favoured("keras3-under-old-tf", keras3_on_213) is not None
    assert favoured("keras-minor-mismatch", keras3_on_213) is None
    keras27_on_26 = read_facts("tensorflow 2.6.0 requires keras~=2.6, but you have keras"
                               " 2.7.0 which is incompatible.")
    assert favoured("keras-minor-mismatch", keras27_on_26) is not None
    assert favoured("x86-python-on-apple-silicon", read_facts(MAC)) is not None
    assert favoured("x86-python-on-apple-silicon", read_facts(LINUX)) is None
    assert favoured("python-unsupported", read_facts("Python 3.14.0 (main)")) is not None
    assert favoured("python-unsupported", read_facts("Python 3.11.4 (main)")) is None


def test_python2_wording_is_a_fact_but_not_with_a_python3_path() -> None:
    assert read_facts("AttributeError: 'module' object has no attribute 'gfile'").first(
        "python2") is not None
    assert read_facts(LINUX + "\nAttributeError: 'module' object has no attribute 'x'").first(
        "python2") is None


def test_a_file_named_like_the_package_is_a_cause_without_any_signature() -> None:
    text = ('Traceback (most recent call last):\n  File "/home/me/exp/keras.py", line 8, in'
            " <module>\n    from keras.datasets import mnist\nImportError: No module named"
            " datasets")
    explanation = explain_text(text)
    assert not explanation.matches
    assert [c.id for c in explanation.causes] == ["local-file-shadows"]
    assert "/home/me/exp/keras.py" in explanation.message
    assert explanation.support["local-file-shadows"] == ("path: /home/me/exp/keras.py",)


def test_a_relative_file_named_like_the_package_outranks_the_signatures() -> None:
    text = ('Traceback (most recent call last):\n  File "tensorflow.py", line 11, in <module>\n'
            "    W = tf.Variable(1)\nAttributeError: 'module' object has no attribute"
            " 'Variable'")
    explanation = explain_text(text)
    assert explanation.causes[0].id == "local-file-shadows"
    assert "path: tensorflow.py" in explanation.support["local-file-shadows"]


def test_the_report_says_which_lines_and_facts_led_to_each_cause() -> None:
    text = ("tensorflow 2.13.1 requires keras<2.14,>=2.13.1, but you have keras 3.1.1 which is"
            " incompatible.\nModuleNotFoundError: No module named 'keras.api._v2'")
    explanation = explain_text(text)
    assert explanation.causes[0].id == "keras3-under-old-tf"
    led_by = explanation.support["keras3-under-old-tf"]
    assert "line 2: no-module-keras-api" in led_by
    assert "fact: line 1: keras 3.1.1" in led_by
    document = explain_document(explanation, None)
    assert document["causes"][0]["led_by"] == list(led_by)
    assert {"name": "keras", "value": "3.1.1", "line": 1} in document["facts"]
