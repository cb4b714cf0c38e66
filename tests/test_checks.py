"""Each check against a fabricated environment scanned for real (probe in the venv's Python)."""

from __future__ import annotations

import os

import pytest
from fakeenv import FakeEnv


def test_empty_environment_says_so_plainly(fake: FakeEnv) -> None:
    result = fake.scan()
    assert [f.code for f in result.findings] == ["no-tensorflow-or-keras"]
    assert not result.has_errors


@pytest.mark.parametrize("tf", ["2.14.1", "2.15.1", "2.18.1", "2.21.0"])
def test_healthy_stack_is_clean(fake: FakeEnv, tf: str) -> None:
    fake.healthy(tf)
    result = fake.scan()
    assert [f for f in result.findings if f.severity.value != "info"] == []


def test_s1_keras3_over_tf215_is_a_warning_not_an_error(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    fake.keras("3.15.1")  # pip overwrote the 2.15 dist-info in real life; here both exist
    for info in fake.site.glob("keras-2.15.0.dist-info"):
        import shutil

        shutil.rmtree(info)
    codes = fake.codes()
    assert codes["keras3-under-tf-2.15"] == "warning"
    assert "requirement-version-conflict" not in codes  # not reported twice


def test_s2_keras3_under_tf214_is_an_error(fake: FakeEnv) -> None:
    fake.tensorflow("2.14.1")
    fake.keras("3.3.3")
    fake.simple("numpy", "1.26.4")
    finding = next(f for f in fake.scan().findings if f.scenario == "S2")
    assert finding.severity.value == "error"
    assert "tensorflow.keras" in (finding.symptom or "")
    assert any("keras~=2.14.0" in m for m in finding.manual)


def test_s4_legacy_variable_without_tf_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.env["TF_USE_LEGACY_KERAS"] = "1"
    finding = next(f for f in fake.scan().findings if f.code == "legacy-keras-without-tf-keras")
    assert finding.severity.value == "error"
    assert any("tf-keras~=2.18.0" in m for m in finding.manual)


@pytest.mark.parametrize("value", ["TRUE", "yes", "on"])
def test_legacy_variable_values_tensorflow_ignores(fake: FakeEnv, value: str) -> None:
    fake.healthy("2.18.1")
    fake.env["TF_USE_LEGACY_KERAS"] = value
    assert fake.codes()["legacy-keras-value-ignored"] == "warning"


def test_legacy_variable_with_matching_tf_keras_is_fine(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.tf_keras("2.18.0")
    fake.env["TF_USE_LEGACY_KERAS"] = "1"
    result = fake.scan()
    assert not result.has_errors
    assert "two-kerases-in-one-process" in {f.code for f in result.findings}


def test_s5_unpinned_tf_keras_215_on_tf218(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.tf_keras("2.15.0")  # declares no tensorflow requirement: pip check is blind
    finding = next(f for f in fake.scan().findings if f.code == "tf-keras-minor-mismatch")
    assert finding.severity.value == "error"
    assert "declares no TensorFlow requirement" in finding.detail


def test_tf_keras_variant_aware_requirement(fake: FakeEnv) -> None:
    """tf-keras requires `tensorflow`; tensorflow-cpu provides it: say so, not 'missing'."""
    fake.healthy("2.18.1")
    fake.tf_keras("2.18.0")
    codes = fake.codes()
    assert codes["requirement-met-by-variant"] == "info"
    assert "requirement-not-installed" not in codes


def test_s6_ancient_standalone_keras(fake: FakeEnv) -> None:
    fake.healthy("2.15.1")
    import shutil

    shutil.rmtree(next(fake.site.glob("keras-2.15.0.dist-info")))
    fake.keras("2.3.1")
    assert fake.codes()["keras-standalone-too-old"] == "error"


def test_s7_keras_minor_mismatch(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.12.0")
    assert fake.codes()["keras-minor-mismatch"] == "error"


def test_keras2_forced_under_tf218(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    fake.keras("2.15.0")
    assert fake.codes()["keras2-under-tf-2.16-or-newer"] == "error"


def test_s9_two_tensorflow_distributions_share_the_folder(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.tensorflow("2.18.1", dist="tensorflow")
    finding = next(f for f in fake.scan().findings if f.code == "import-package-owned-twice")
    assert finding.severity.value == "error" and finding.scenario == "S9"
    assert set(finding.distributions) == {"tensorflow-cpu 2.18.1", "tensorflow 2.18.1"}


def test_s9_after_uninstalling_one_the_other_is_a_namespace(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    os.remove(fake.site / "tensorflow" / "__init__.py")  # what pip uninstall of the twin leaves
    finding = next(f for f in fake.scan().findings if f.code == "damaged-install")
    assert finding.severity.value == "error"
    assert "__version__" in (finding.symptom or "")


def test_s10_keras_and_keras_nightly(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.keras("3.16.0.dev2026102704", dist="keras-nightly")
    codes = fake.codes()
    assert codes["import-package-owned-twice"] == "error"
    assert codes["files-from-another-version"] == "error"  # keras/src/version.py was rewritten


@pytest.mark.parametrize("tf,numpy", [("2.15.1", "2.1.0"), ("2.14.0", "2.0.2")])
def test_s11_numpy2_under_old_tf_including_uncapped_releases(fake: FakeEnv, tf: str,
                                                            numpy: str) -> None:
    fake.tensorflow(tf)
    fake.keras(f"2.{tf.split('.')[1]}.0")
    fake.simple("numpy", numpy)
    finding = next(f for f in fake.scan().findings if f.code == "numpy-incompatible")
    assert finding.severity.value == "error"
    assert any("numpy<2" in m for m in finding.manual)


def test_s12_protobuf_too_old_for_tf218(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    fake.keras("3.15.1")
    fake.simple("protobuf", "3.19.6")
    finding = next(f for f in fake.scan().findings if f.code == "protobuf-incompatible")
    assert "builder" in (finding.symptom or "")


def test_s13_wheel_built_for_another_python(fake: FakeEnv) -> None:
    fake.add_dist("h5py", "3.11.0", files={"h5py/__init__.py": ""},
                  tags=("cp39-cp39-manylinux_2_17_x86_64",))
    assert fake.codes()["wheel-for-another-python"] == "warning"


def test_requires_python_unmet(fake: FakeEnv) -> None:
    fake.keras("3.15.1", requires_python=">=3.99")
    assert fake.codes()["requires-python-unmet"] == "error"


def test_s15_keras_py_in_the_current_folder(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    (fake.root / "work" / "keras.py").write_text("x = 1\n")
    finding = next(f for f in fake.scan().findings if f.code == "local-file-shadows-package")
    assert finding.severity.value == "error"
    assert finding.paths == (str(fake.root / "work" / "keras.py"),)
    assert finding.manual and "rename" in finding.manual[0]


def test_s15_pythonpath_folder_shadows_tensorflow(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    shadow = fake.root / "src"
    (shadow / "tensorflow").mkdir(parents=True)
    (shadow / "tensorflow" / "__init__.py").write_text("")
    fake.env["PYTHONPATH"] = str(shadow)
    finding = next(f for f in fake.scan().findings if f.code == "local-file-shadows-package")
    assert "PYTHONPATH" in finding.detail


def test_namespace_folder_in_cwd_does_not_shadow(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    (fake.root / "work" / "keras").mkdir()  # no __init__.py: a regular package later wins
    assert "local-file-shadows-package" not in fake.codes()


def test_s16_leftovers_and_duplicate_metadata(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    (fake.site / "~ensorflow").mkdir()
    (fake.site / "~ensorflow-2.17.0.dist-info").mkdir()
    fake.keras("3.14.1")  # a second keras dist-info next to 3.15.1: an interrupted upgrade
    codes = fake.codes()
    assert codes["interrupted-pip-leftovers"] == "warning"
    assert codes["duplicate-dist-info"] == "error"


def test_orphan_tensorflow_folder(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    (fake.site / "tf_keras").mkdir()
    (fake.site / "tf_keras" / "__init__.py").write_text("")
    assert fake.codes()["orphan-import-folder"] == "error"


def test_s17_tensorflow_gpu(fake: FakeEnv) -> None:
    fake.tensorflow("2.11.0", dist="tensorflow-gpu")
    assert fake.codes()["tensorflow-gpu-installed"] == "warning"


def test_s21_stub_without_payload(fake: FakeEnv) -> None:
    fake.add_dist("tensorflow", "2.15.1", requires=[
        'tensorflow-intel==2.15.1; platform_system == "Windows"',
        'tensorflow-cpu-aws==2.15.1; platform_system == "Linux" and '
        '(platform_machine == "arm64" or platform_machine == "aarch64")',
        'tensorflow-macos==2.15.1; platform_system == "Darwin" and platform_machine == "arm64"',
    ])
    # On this Linux x86_64 machine none of the markers apply: the stub is not our problem...
    assert "tensorflow-stub-without-payload" not in fake.codes()


def test_s21_stub_without_payload_when_a_marker_applies(fake: FakeEnv) -> None:
    import platform

    fake.add_dist("tensorflow", "2.15.1", requires=[
        f'tensorflow-intel==2.15.1; platform_machine == "{platform.machine()}"'])
    assert fake.codes()["tensorflow-stub-without-payload"] == "error"


def test_s23_tensorflow_without_keras(fake: FakeEnv) -> None:
    fake.tensorflow("2.18.1")
    fake.simple("numpy", "2.0.2")
    finding = next(f for f in fake.scan().findings if f.code == "tensorflow-without-keras")
    assert "Keras cannot be imported" in (finding.symptom or "")


def test_s25_keras_backend_jax_without_jax(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.env["KERAS_BACKEND"] = "jax"
    assert fake.codes()["keras-backend-not-tensorflow"] == "error"


def test_s25_keras_json_backend(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    cfg = fake.root / "home" / ".keras"
    cfg.mkdir(parents=True)
    (cfg / "keras.json").write_text('{"backend": "torch"}')
    fake.simple("torch", "2.5.0")
    assert fake.codes()["keras-backend-not-tensorflow"] == "warning"


def test_s3_transformers_with_keras3_needs_tf_keras(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    fake.simple("transformers", "4.49.0")
    assert fake.codes()["transformers-needs-tf-keras"] == "warning"


def test_generic_requirements_like_pip_check(fake: FakeEnv) -> None:
    fake.simple("requests", "2.32.0", requires=["urllib3<3,>=1.21.1", "idna<4,>=2.5",
                                                 'pysocks!=1.5.7; extra == "socks"'])
    fake.simple("urllib3", "1.20")
    codes = fake.codes()
    assert codes["requirement-version-conflict"] == "warning"
    assert codes["requirement-not-installed"] == "warning"  # idna; the extra is ignored


def test_conda_and_pip_overlap(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    meta = fake.root / "venv" / "conda-meta"
    meta.mkdir()
    (meta / "keras-3.6.0-pyhd8ed1ab_0.json").write_text('{"name": "keras", "version": "3.6.0"}')
    assert fake.codes()["conda-and-pip-own-package"] == "warning"


def test_user_site_copy_behind_the_venv_is_a_warning(fake: FakeEnv, tmp_path) -> None:
    """In a venv that enables the user site (include-system-site-packages), site.py puts the
    venv's own site-packages before the user site (seen in the probe's sys.path: venv first,
    then ~/.local, then the base), so the user-site copy is hidden, not winning: a warning.
    A user-site copy that does win is package-outside-environment (tests/test_safety.py)."""
    import subprocess

    fake.healthy("2.18.1")
    cfg = fake.root / "venv" / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("include-system-site-packages = false",
                                           "include-system-site-packages = true"))
    fake.env["PYTHONUSERBASE"] = str(tmp_path / "userbase")
    user_site = subprocess.run(
        [fake.python, "-c", "import site;print(site.getusersitepackages())"],
        capture_output=True, text=True, env={**os.environ, **fake.env}).stdout.strip()
    from pathlib import Path

    fake.keras("3.5.0", site=Path(user_site))
    result = fake.scan()
    finding = next(f for f in result.findings if f.code == "user-site-package")
    assert finding.severity.value == "warning" and finding.scenario == "S14"
    assert result.inventory.keras().origin == "site-packages"
    assert "comes first and is the one imported" in finding.detail


def test_s16_only_the_stash_is_left(fake: FakeEnv) -> None:
    import shutil

    fake.healthy("2.18.1")
    shutil.move(str(fake.site / "tensorflow"), str(fake.site / "~ensorflow"))
    for info in fake.site.glob("tensorflow_cpu-*.dist-info"):
        shutil.move(str(info), str(fake.site / ("~" + info.name[1:])))
    codes = fake.codes()
    assert codes["half-uninstalled-package"] == "error"


def test_adjacent_keras2_lines_are_a_warning(fake: FakeEnv) -> None:
    fake.tensorflow("2.15.1")
    fake.keras("2.14.0")
    assert fake.codes()["keras-minor-mismatch"] == "warning"


def test_protobuf_newer_than_the_cap_is_a_warning(fake: FakeEnv) -> None:
    fake.healthy("2.18.1")
    import shutil

    shutil.rmtree(next(fake.site.glob("protobuf-*.dist-info")))
    fake.simple("protobuf", "6.33.6")
    assert fake.codes()["protobuf-incompatible"] == "warning"
