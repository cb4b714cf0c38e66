"""Each compatibility fact is defined once (kerasfix.knowledge.compat over the TF line table) and
drives all three rule engines: the scan of an installed environment, the audit of a
requirements file, and explain's verdict on a real error message against that scan.

For each fact, one test shows the three consumers agree on a broken pairing, then replaces the
one fact (the predicate, or the TF line's own pin) and shows all three change with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fakeenv import FakeEnv
from test_requirements_audit import interp

from kerasfix import knowledge
from kerasfix.diagnose.explain import CONFIRMED, diagnose, explain_text
from kerasfix.diagnose.requirements_audit import audit_requirements
from kerasfix.knowledge import compat

REGISTER = ("AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no attribute"
            " 'register_load_context_function'")


def _frame(package: str) -> str:
    return (f'  File "/v/lib/python3.11/site-packages/{package}/src/saving/legacy/saved_model/'
            'load_context.py", line 68, in <module>\n')


@dataclass(frozen=True)
class Fact:
    id: str
    predicate: str  # the function in kerasfix.knowledge.compat that holds the fact
    build: Callable[[FakeEnv], None]  # a fabricated environment that breaks it
    requirements: str  # a requirements file that breaks it
    message: str  # the error the user pastes
    scan_code: str
    req_code: str
    cause: str


def _keras3_under_tf214(env: FakeEnv) -> None:
    env.tensorflow("2.14.1")
    env.keras("3.3.3")
    env.simple("numpy", "1.26.4")


def _keras2_under_tf218(env: FakeEnv) -> None:
    env.tensorflow("2.18.1")
    env.keras("2.15.0")


def _protobuf_below_tf218(env: FakeEnv) -> None:
    env.tensorflow("2.18.1")
    env.keras("3.15.1")
    env.simple("protobuf", "3.19.6")


def _numpy2_under_tf215(env: FakeEnv) -> None:
    env.tensorflow("2.15.1")
    env.keras("2.15.0")
    env.simple("numpy", "2.1.0")


def _tf_keras_215_on_tf218(env: FakeEnv) -> None:
    env.healthy("2.18.1")
    env.tf_keras("2.15.0")


FACTS = [
    Fact("keras3-needs-tf-2.16", "keras_fits", _keras3_under_tf214,
         "tensorflow==2.14.1\nkeras==3.3.3\n",
         "ModuleNotFoundError: No module named 'tensorflow.keras'",
         "keras3-under-tf-2.14-or-older", "req-keras3-with-tf-2.15-or-older",
         "keras3-under-old-tf"),
    Fact("keras2-with-tf-2.16", "keras_fits", _keras2_under_tf218,
         "tensorflow==2.18.1\nkeras==2.15.0\n", _frame("keras") + REGISTER,
         "keras2-under-tf-2.16-or-newer", "req-keras2-with-tf-2.16-or-newer",
         "keras2-under-new-tf"),
    Fact("protobuf-outside-tf-pin", "protobuf_side", _protobuf_below_tf218,
         "tensorflow==2.18.1\nprotobuf==3.19.6\n",
         "ImportError: cannot import name 'builder' from 'google.protobuf.internal'",
         "protobuf-incompatible", "req-protobuf-conflict", "protobuf-too-old"),
    Fact("numpy2-with-tf-before-2.18", "numpy_fits", _numpy2_under_tf215,
         "tensorflow==2.15.1\nnumpy>=2\n", "AttributeError: _ARRAY_API not found",
         "numpy-incompatible", "req-numpy-conflict", "numpy2-under-old-tf"),
    Fact("tf-keras-same-minor", "tf_keras_fits", _tf_keras_215_on_tf218,
         "tensorflow==2.18.1\ntf-keras==2.15.0\n", _frame("tf_keras") + REGISTER,
         "tf-keras-minor-mismatch", "req-tf-keras-mismatch", "tf-keras-mismatch"),
]


@dataclass(frozen=True)
class Outcome:
    scan: set[str]  # finding codes of the scan
    audit: set[str]  # finding codes of the requirements audit
    causes: dict[str, str]  # explain: cause id -> verdict against the scan


def _consumers(env: FakeEnv, tmp_path: Path, requirements: str, message: str) -> Outcome:
    result = env.scan()
    path = tmp_path / "requirements.txt"
    path.write_text(requirements)
    audit = {f.code for f in audit_requirements(str(path), interp())}
    diagnosis = diagnose(explain_text(message), result)
    return Outcome({f.code for f in result.findings}, audit,
                   {v.cause.id: v.status for v in diagnosis.verdicts})


def _always_fits(*_args: Any, **_kwargs: Any) -> compat.Verdict:
    return compat.Verdict(True, "patched: fits", "")


@pytest.mark.parametrize("fact", FACTS, ids=[f.id for f in FACTS])
def test_one_fact_drives_all_three_consumers(fact: Fact, fake: FakeEnv, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fact.build(fake)
    before = _consumers(fake, tmp_path, fact.requirements, fact.message)
    assert fact.scan_code in before.scan
    assert fact.req_code in before.audit
    assert before.causes[fact.cause] == CONFIRMED

    # The fact changes in its one place: the scan, the audit and explain all follow.
    monkeypatch.setattr(compat, fact.predicate, _always_fits)
    after = _consumers(fake, tmp_path, fact.requirements, fact.message)
    assert fact.scan_code not in after.scan
    assert fact.req_code not in after.audit
    assert after.causes[fact.cause] != CONFIRMED


def test_the_tf_lines_keras_pin_is_the_fact(fake: FakeEnv, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras 2 under TF 2.18 is wrong because the 2.18 line pins Keras 3. Pretend the table said
    2.18 were a Keras 2 line: every consumer now calls it a plain minor mismatch instead."""
    fact = FACTS[1]
    fact.build(fake)
    line = knowledge.TF_LINES[18]
    monkeypatch.setitem(knowledge.TF_LINES, 18, replace(line, keras="<2.19,>=2.18.0"))
    after = _consumers(fake, tmp_path, fact.requirements, fact.message)
    assert "keras2-under-tf-2.16-or-newer" not in after.scan
    assert "keras-minor-mismatch" in after.scan
    assert "req-keras2-with-tf-2.16-or-newer" not in after.audit
    assert "req-keras-minor-mismatch" in after.audit
    assert after.causes["keras2-under-new-tf"] != CONFIRMED
    assert after.causes["keras-minor-mismatch"] == CONFIRMED


def test_the_tf_lines_numpy_range_is_the_fact(fake: FakeEnv, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """NumPy 2 under TF 2.15 fails because the 2.15 line's numpy range has no NumPy 2 (the
    build is against NumPy 1). Widen that one range: the audit accepts the pin, and the scan,
    which still sees TF's own metadata refuse NumPy 2, no longer calls it the ABI break."""
    fact = FACTS[3]
    fact.build(fake)
    line = knowledge.TF_LINES[15]
    monkeypatch.setitem(knowledge.TF_LINES, 15, replace(line, numpy=">=1.23.5,<2.2"))
    after = _consumers(fake, tmp_path, fact.requirements, fact.message)
    assert "req-numpy-conflict" not in after.audit
    finding = next(f for f in fake.scan().findings if f.code == "numpy-incompatible")
    assert "compiled against NumPy 1.x" not in finding.detail  # outside the pin, not the ABI
    assert finding.manual[0].endswith('"numpy<2.0.0,>=1.23.5"')


def test_python_window_is_one_fact(fake: FakeEnv, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Which Python a TF line has wheels for: with the predicate saying 'none', the scan, the
    audit and explain all report that no TensorFlow installs on this interpreter."""
    text = ("ERROR: Could not find a version that satisfies the requirement tensorflow==2.18.1"
            " (from versions: none)")
    fake.healthy("2.18.1")
    before = _consumers(fake, tmp_path, "tensorflow==2.18.1\n", text)
    assert "no-tensorflow-wheels-for-python" not in before.scan
    assert "req-no-tensorflow-wheels-for-python" not in before.audit
    assert before.causes["python-unsupported"] != CONFIRMED

    def never_fits(line: knowledge.TFLine, *_args: Any, **_kwargs: Any) -> compat.Verdict:
        return compat.Verdict(False, f"patched: TensorFlow {line.minor_text} has no wheels",
                              "", compat.Side.ABOVE, compat.Misfit.PYTHON)

    monkeypatch.setattr(compat, "python_fits", never_fits)
    after = _consumers(fake, tmp_path, "tensorflow==2.18.1\n", text)
    assert "no-tensorflow-wheels-for-python" in after.scan
    assert "req-no-tensorflow-wheels-for-python" in after.audit
    assert after.causes["python-unsupported"] == CONFIRMED


def test_the_legacy_fix_follows_the_keras3_boundary(fake: FakeEnv,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The legacy strategy keeps a TensorFlow built for Keras 3 and adds tf-keras; an older one
    is upgraded first. Which is which is the TF line's keras pin: pretend 2.16 pinned Keras 2,
    and the same environment gets the upgrade plan instead."""
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix import planner

    fake.healthy("2.16.2")

    def titles() -> list[str]:
        plan = planner.build_plan(fake.scan(), Strategy.LEGACY, planner.FixOptions())
        assert plan.strategy is Strategy.LEGACY and not plan.blocked
        return [step.title for step in plan.steps]

    assert compat.first_keras3_line().minor == 16
    before = titles()
    assert any(t.startswith("Install tf-keras~=2.16.0 ") for t in before), before
    assert not any(t.startswith("Install TensorFlow ") for t in before), before

    line = knowledge.TF_LINES[16]
    monkeypatch.setitem(knowledge.TF_LINES, 16, replace(line, keras="<2.17,>=2.16.0"))
    assert compat.first_keras3_line().minor == 17
    after = titles()
    assert any(t.startswith("Install TensorFlow ") for t in after), after  # upgraded first


def test_fresh_venv_advice_comes_from_the_newest_line(fake: FakeEnv,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No TF line has wheels for this Python: the advice names the newest line's window."""
    from kerasfix.fix import planner

    fake.healthy("2.18.1")
    monkeypatch.setattr(knowledge, "newest_line_for_python", lambda _version: None)
    blocked = planner.plan_fresh_venv(fake.scan(), planner.FixOptions()).blocked or ""
    newest = knowledge.TF_LINES[knowledge.NEWEST_LINE]
    assert f"a supported Python ({compat.python_window(newest)})" in blocked
    assert f"uv venv -p {compat.dotted(compat.recommended_python())}" in blocked
    assert "(3.10-3.13)" in blocked and "python=3.12" in blocked  # today's table


def test_verdicts_name_the_requirement_they_judged_against() -> None:
    from packaging.version import Version

    verdict = compat.protobuf_side(Version("2.18.1"), Version("3.19.6"))
    assert not verdict.ok and verdict.side is compat.Side.BELOW
    assert verdict.requirement == str(knowledge.SpecifierSet(knowledge.TF_LINES[18].protobuf))
    verdict = compat.numpy_fits(Version("2.15.1"), Version("2.1.0"))
    assert verdict.misfit is compat.Misfit.NUMPY_ABI and verdict.side is compat.Side.ABOVE
    assert compat.keras_fits(Version("2.18.1"), Version("3.15.1")).ok
    assert compat.first_keras3_line().minor == 16 and compat.numpy2_first_line().minor == 18


def test_no_consumer_keeps_a_threshold_of_its_own() -> None:
    """The thresholds live in kerasfix/knowledge; the rule engines hold none of them."""
    import re

    root = Path(__file__).parent.parent / "kerasfix" / "diagnose"
    consumers = [*root.glob("checks/*.py"), *root.glob("explain/*.py"),
                 root / "requirements_audit.py", root / "code_audit.py",
                 root.parent / "fix" / "planner.py"]
    patterns = [r'Version\("2\.1\d', r'Version\("2\.[56]"\)', r"minor\s*[<>]=?\s*1\d",
                r"\(2, 1\d\)", r"\.major\s*[<>]=?\s*[23]\b", r'Version\("3\.20',
                r"SpecifierSet\(line\.", r"_RELEASES\s*=", r'Version\("3\.\d',
                r"numpy_uncapped_release\(", r"\(3\.1\d-3\.1\d\)"]
    offenders = [f"{path.name}: {m.group(0)}" for path in consumers
                 for pattern in patterns for m in re.finditer(pattern, path.read_text())]
    assert offenders == []
