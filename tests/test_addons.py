"""The TensorFlow add-ons and Keras libraries (issue 12): the committed PyPI metadata the
predicates read (kerasfix/knowledge/data/addons.json), the predicates, the scan's checks on
fabricated environments carrying the add-ons' real Requires-Dist, and the repair / upgrade
plans that pin them to the TensorFlow line."""

from __future__ import annotations

import re

import pytest
from fakeenv import FakeEnv
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, Strategy
from kerasfix.fix import planner
from kerasfix.knowledge import addons, compat, regenerate_addons

CODES = {"addon-tf-mismatch", "addon-end-of-life", "addon-needs-tf-keras",
         "keras-lib-needs-keras3"}


def add_addon(fake: FakeEnv, name: str, version: str) -> None:
    """An add-on as pip leaves it: its real Requires-Dist from the committed metadata."""
    row = addons.release(name, version)
    assert row is not None, f"{name} {version} is not in data/addons.json"
    fake.simple(name, version, requires=row["requires_dist"])


def addon_findings(fake: FakeEnv, *severities: str) -> list[Finding]:
    return [f for f in fake.scan().findings if f.code in CODES
            and (not severities or f.severity.value in severities)]


def problems(fake: FakeEnv) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in addon_findings(fake, "error", "warning"):
        out.setdefault(f.code, []).append(f.distributions[0].split()[0])
    return out


# ---------------------------------------------------------------- the committed data


def test_data_covers_exactly_the_selection() -> None:
    data = addons.load()
    assert set(data) == {"generated", "source", "addons"}
    assert {name: [r["version"] for r in rows] for name, rows in data["addons"].items()} == \
        regenerate_addons.SELECTION


def test_every_tf_addon_release_maps_to_a_known_tf_line_and_back() -> None:
    """Each release's range (declared or from its package file) names a line of the table,
    and the newest release for that line works with it."""
    for name in addons.TF_ADDONS:
        for row in addons.releases(name):
            version = Version(row["version"])
            if addons.tf_range(name, version) is None:
                continue  # tensorflow-hub, tensorflow-model-optimization: no range stated
            line = addons.fitting_tf_line(name, version)
            assert line is not None, (name, row["version"])
            newest = addons.fitting_release(name, line.version)
            assert newest is not None, (name, row["version"])
            verdict = addons.fits(name, Version(newest), line.version)
            assert verdict is not None and verdict.ok, (name, row["version"], newest)


def test_tensorflow_text_follows_tensorflow_minor_for_minor() -> None:
    for row in addons.releases("tensorflow-text"):
        version = Version(row["version"])
        line = addons.fitting_tf_line("tensorflow-text", version)
        assert line is not None and line.minor == version.minor, row["version"]


def test_the_stale_tensorflow_cpu_extra_is_not_the_range() -> None:
    # tensorflow-text 2.15.0 declares tensorflow<2.16,>=2.15.0 but, under its tensorflow_cpu
    # extra, tensorflow-cpu<2.14,>=2.13.0: the requirement on tensorflow itself wins.
    found = addons.tf_range("tensorflow-text", Version("2.15.0"))
    assert found is not None and found.source == "Requires-Dist"
    assert addons.admits_line(found.spec, Version("2.15.1"))
    assert not addons.admits_line(found.spec, Version("2.13.1"))


def test_runtime_ranges_come_from_the_package_files() -> None:
    tfa = addons.tf_range("tensorflow-addons", Version("0.23.0"))
    assert tfa is not None and tfa.source == "tensorflow_addons/version.py"
    tfp = addons.tf_range("tensorflow-probability", Version("0.25.0"))
    assert tfp is not None and tfp.source.startswith("tensorflow_probability/python/__init__")
    # tensorflow-probability declares nothing on TensorFlow before 0.24
    declared = addons.parse_requirements(
        addons.release("tensorflow-probability", "0.23.0")["requires_dist"])
    assert not any(r.name.startswith("tensorflow") and r.name != "tensorflow-datasets"
                   for r in declared)


def test_regenerate_extractors_read_the_package_texts() -> None:
    version_py = 'INCLUSIVE_MIN_TF_VERSION = "2.13.0"\nEXCLUSIVE_MAX_TF_VERSION = "2.16.0"\n'
    assert regenerate_addons._tfa_range(version_py) == {"tensorflow": ">=2.13.0,<2.16.0"}
    init = ("  required_tensorflow_version = '2.16'\n"
            "#   required_tensorflow_version = '1.15'  # Needed internally\n"
            "      import tf_keras  # pylint: disable=unused-import\n")
    assert regenerate_addons._tfp_floor(init) == {"tensorflow": ">=2.16",
                                                  "imports_tf_keras": True}
    assert regenerate_addons._imports_tf_keras("import tensorflow.keras\n") == {}


# ---------------------------------------------------------------- predicates


@pytest.mark.parametrize(("tf", "expected"), [("2.15.1", "0.23.0"), ("2.16.2", "0.24.0"),
                                              ("2.18.1", "0.25.0"), ("2.21.0", "0.25.0")])
def test_tensorflow_probability_release_for_each_line(tf: str, expected: str) -> None:
    assert addons.fitting_release("tensorflow-probability", Version(tf)) == expected


def test_tensorflow_probability_before_tf_keras_cannot_run_on_keras3_lines() -> None:
    verdict = addons.fits("tensorflow-probability", Version("0.23.0"), Version("2.18.1"))
    assert verdict is not None and not verdict.ok and verdict.side is compat.Side.ABOVE
    assert addons.fits("tensorflow-probability", Version("0.23.0"), Version("2.15.1")).ok


def test_an_exact_pin_admits_its_line() -> None:
    # tensorflow-decision-forests 1.11.0 requires tensorflow==2.18.0
    assert addons.fits("tensorflow-decision-forests", Version("1.11.0"), Version("2.18.1")).ok
    assert not addons.fits("tensorflow-decision-forests", Version("1.11.0"),
                           Version("2.17.1")).ok


def test_fitting_release_needs_a_wheel_for_this_python() -> None:
    tf = Version("2.20.0")
    assert addons.fitting_release("tensorflow-text", tf, "cp313") == "2.20.1"
    assert addons.fitting_release("tensorflow-text", Version("2.21.0"), "cp39") is None


def test_ended_projects_past_their_last_release() -> None:
    assert addons.past_last_release("tensorflow-addons", Version("2.16.2"))
    assert not addons.past_last_release("tensorflow-addons", Version("2.15.1"))
    assert addons.past_last_release("tensorflow-io", Version("2.18.1"))
    assert not addons.past_last_release("tensorflow-text", Version("2.18.1"))


def test_keras_requirement_through_the_keras_hub_shim() -> None:
    spec, source = addons.keras_requirement("keras-nlp", Version("0.19.3"))
    assert spec.contains("3.5.0") and not spec.contains("2.15.0")
    assert "keras-hub" in source
    assert addons.needs_keras3("keras-hub", Version("0.19.3"), Version("2.15.0"))
    assert addons.needs_keras3("keras-hub", Version("0.19.3"), Version("3.15.1")) is None


# ---------------------------------------------------------------- the scan


@pytest.mark.parametrize(("tf", "name", "bad", "good", "fix"), [
    ("2.18.1", "tensorflow-text", "2.15.0", "2.18.1", "tensorflow-text==2.18.1"),
    ("2.15.1", "tensorflow-io", "0.37.1", "0.36.0", "tensorflow-io==0.36.0"),
    ("2.15.1", "tensorflow-probability", "0.25.0", "0.23.0", "tensorflow-probability==0.23.0"),
    ("2.15.1", "tensorflow-decision-forests", "1.9.2", "1.8.1",
     "tensorflow-decision-forests==1.8.1"),
    ("2.15.1", "tensorflow-addons", "0.20.0", "0.23.0", "tensorflow-addons==0.23.0"),
])
def test_addon_on_another_line_is_named_with_both_fixes(fake: FakeEnv, tf: str, name: str,
                                                        bad: str, good: str, fix: str) -> None:
    fake.healthy(tf)
    add_addon(fake, name, bad)
    found = [f for f in addon_findings(fake) if f.code == "addon-tf-mismatch"]
    assert [f.distributions[0] for f in found] == [f"{name} {bad}"]
    finding = found[0]
    assert finding.severity.value == "error" and finding.strategies == (Strategy.REPAIR,)
    assert f"tensorflow-cpu {tf}" in finding.title
    keep_tf, move_tf = finding.manual
    assert '--no-deps "' + fix + '"' in keep_tf  # tensorflow-cpu: no second TensorFlow
    assert '"tensorflow-cpu==' in move_tf and '"keras' in move_tf


@pytest.mark.parametrize(("tf", "name", "good"), [
    ("2.18.1", "tensorflow-text", "2.18.1"), ("2.15.1", "tensorflow-io", "0.36.0"),
    ("2.15.1", "tensorflow-probability", "0.23.0"), ("2.15.1", "tensorflow-addons", "0.23.0"),
    ("2.15.1", "tensorflow-decision-forests", "1.8.1"),
    ("2.15.1", "tensorflow-model-optimization", "0.8.0"),
    ("2.15.1", "tensorflow-recommenders", "0.7.3"), ("2.18.1", "keras-hub", "0.19.3"),
    ("2.15.1", "keras-nlp", "0.12.1"),
])
def test_addon_at_its_right_version_stays_clean(fake: FakeEnv, tf: str, name: str,
                                                good: str) -> None:
    fake.healthy(tf)
    add_addon(fake, name, good)
    assert problems(fake) == {}


def test_tensorflow_addons_past_its_end(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    add_addon(fake, "tensorflow-addons", "0.23.0")
    assert problems(fake) == {"addon-tf-mismatch": ["tensorflow-addons"],
                              "addon-end-of-life": ["tensorflow-addons"]}
    mismatch = next(f for f in addon_findings(fake) if f.code == "addon-tf-mismatch")
    assert mismatch.strategies == (Strategy.MANUAL,)  # no release to pin to
    assert len(mismatch.manual) == 1 and '"tensorflow-cpu==2.15.*"' in mismatch.manual[0]


def test_ended_project_on_its_own_line_is_only_a_note(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    add_addon(fake, "tensorflow-addons", "0.23.0")
    (eol,) = addon_findings(fake)
    assert eol.code == "addon-end-of-life" and eol.severity.value == "info"
    assert "issues/2807" in eol.evidence[0]


@pytest.mark.parametrize(("name", "version", "symptom"), [
    ("tensorflow-probability", "0.25.0", "No module named 'tf_keras'"),
    ("tensorflow-hub", "0.16.1", "No module named 'tf_keras'"),
    ("tensorflow-model-optimization", "0.8.0", "Keras cannot be imported"),
    ("tensorflow-decision-forests", "1.11.0", ""),
])
def test_keras2_addon_on_keras3_tensorflow_needs_tf_keras(fake: FakeEnv, name: str,
                                                           version: str, symptom: str) -> None:
    fake.healthy("2.18.1")
    add_addon(fake, name, version)
    (finding,) = addon_findings(fake, "error")
    assert finding.code == "addon-needs-tf-keras" and finding.distributions[0] == \
        f"{name} {version}"
    assert symptom in (finding.symptom or "")
    assert finding.manual == (f'{fake.python} -m pip install --no-deps "tf-keras~=2.18.0"',)
    fake.tf_keras("2.18.0")
    assert problems(fake) == {}


def test_keras2_addon_on_keras2_tensorflow_needs_nothing(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    add_addon(fake, "tensorflow-hub", "0.16.0")
    add_addon(fake, "tensorflow-model-optimization", "0.8.0")
    assert problems(fake) == {}


def test_recommenders_needs_tf_keras_as_tf_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    add_addon(fake, "tensorflow-recommenders", "0.7.7")
    fake.tf_keras("2.18.0")
    (finding,) = addon_findings(fake, "error")
    assert finding.code == "addon-needs-tf-keras" and finding.strategies == (Strategy.LEGACY,)
    assert "TF_USE_LEGACY_KERAS=1" in finding.title
    fake.env["TF_USE_LEGACY_KERAS"] = "1"
    assert problems(fake) == {}


@pytest.mark.parametrize(("name", "version", "keras2_release"), [
    ("keras-hub", "0.19.3", None), ("keras-hub", "0.18.1", None),  # declared / experiment
    ("keras-nlp", "0.19.3", "0.12.1"), ("keras-nlp", "0.15.1", "0.12.1"),
])
def test_keras3_library_under_keras2(fake: FakeEnv, name: str, version: str,
                                     keras2_release: str | None) -> None:
    fake.healthy("2.15.1")
    add_addon(fake, name, version)
    found = [f for f in addon_findings(fake) if f.code == "keras-lib-needs-keras3"]
    assert [f.distributions for f in found] == [(f"{name} {version}", "keras 2.15.0")]
    assert found[0].strategies == (Strategy.UPGRADE,)
    assert found[0].manual[0].endswith("kerasfix fix --strategy upgrade")
    keep = [m for m in found[0].manual if m.startswith("keep keras 2.15.0")]
    assert [m.endswith(f'"{name}=={keras2_release}"') for m in keep] == \
        ([True] if keras2_release else [])


# ---------------------------------------------------------------- the plans


def _steps(fake: FakeEnv, strategy: Strategy) -> tuple[list[tuple[str, ...]], list[str]]:
    plan = planner.build_plan(fake.scan(), strategy, planner.FixOptions())
    assert plan.blocked is None
    return [s.argv for s in plan.automatic_steps], plan.notes


def test_repair_pins_the_addon_beside_tensorflow_cpu_without_deps(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    add_addon(fake, "tensorflow-text", "2.15.0")
    argvs, _ = _steps(fake, Strategy.REPAIR)
    assert any("tensorflow-text==2.18.1" in a and "--no-deps" in a for a in argvs)
    assert not any("tensorflow-text==2.18.1" in a and "--no-deps" not in a for a in argvs)


def test_repair_pins_the_addon_in_tensorflows_own_call(fake: FakeEnv) -> None:
    fake.healthy("2.18.1", dist="tensorflow")
    add_addon(fake, "tensorflow-text", "2.15.0")
    argvs, _ = _steps(fake, Strategy.REPAIR)
    (align,) = [a for a in argvs if "tensorflow-text==2.18.1" in a]
    assert "tensorflow==2.18.1" in align and "--no-deps" not in align


def test_repair_moving_tfp_to_a_tf_keras_release_brings_tf_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    add_addon(fake, "tensorflow-probability", "0.23.0")
    argvs, _ = _steps(fake, Strategy.REPAIR)
    flat = [arg for a in argvs for arg in a]
    assert "tensorflow-probability==0.25.0" in flat and "tf-keras~=2.18.0" in flat


def test_repair_leaves_an_addon_no_release_fits_and_says_why(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    add_addon(fake, "tensorflow-addons", "0.23.0")
    argvs, notes = _steps(fake, Strategy.REPAIR)
    assert not any("tensorflow-addons" in arg for a in argvs for arg in a)
    assert any(n.startswith("tensorflow-addons 0.23.0 is left as it is") for n in notes)


def test_upgrade_moves_the_addons_to_the_new_line(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    add_addon(fake, "tensorflow-text", "2.15.0")
    add_addon(fake, "tensorflow-hub", "0.16.0")
    result = fake.scan()
    line = knowledge.newest_line_for_python(result.inventory.interpreter.short_version)
    assert line is not None
    wanted = addons.fitting_release("tensorflow-text", line.version,
                                    result.inventory.interpreter.cp_tag)
    argvs, _ = _steps(fake, Strategy.UPGRADE)
    flat = [arg for a in argvs for arg in a]
    assert f"tensorflow-text=={wanted}" in flat
    assert knowledge.tf_keras_requirement_for(line) in flat  # hub 0.16 needs it on Keras 3


@pytest.mark.parametrize(("tf", "name", "version"), [
    ("2.18.1", "tensorflow-text", "2.15.0"), ("2.18.1", "tensorflow-text", "2.18.1"),
    ("2.18.1", "tensorflow-decision-forests", "1.11.0"),
    ("2.18.1", "tensorflow-recommenders", "0.7.3"),
])
def test_the_generic_requirement_check_leaves_the_addons_to_their_own(
        fake: FakeEnv, tf: str, name: str, version: str) -> None:
    """tensorflow-text requires `tensorflow` by name beside tensorflow-cpu, TF-DF pins an exact
    patch, recommenders requires tf-keras: the add-on check judges these by line and names the
    add-on once; the generic pip-check-like findings stay quiet about them (the note that
    tensorflow-cpu meets `tensorflow` stays: it is why pip check complains)."""
    fake.healthy(tf)
    add_addon(fake, name, version)
    generic = [f.code for f in fake.scan().findings if f.code.startswith("requirement-")
               and f.severity.value in ("error", "warning")
               and any(d.split()[0] == name for d in f.distributions)
               and re.search(r"requires (?:tensorflow(?:-cpu|-macos)?|tf[-_]keras|keras)(?![\w-])",
                         f.title)]
    assert generic == []
