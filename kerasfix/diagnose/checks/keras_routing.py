"""Which Keras `tf.keras` becomes, and whether keras / tf-keras fit the installed TensorFlow.

The routing itself is knowledge.route_tf_keras, read from TensorFlow's own tensorflow/__init__.py
and python/util/lazy_loader.py: TF <= 2.14 always loads `keras.api._v2.keras`; TF >= 2.15 picks
Keras 2 or 3 from the installed `keras`, or tf-keras when TF_USE_LEGACY_KERAS is exactly
1/true/True.
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.checks.base import (
    check,
    pip_cmd,
    requirement_on,
    tf_keras_install,
)
from kerasfix.diagnose.findings import Finding, RuntimeStep, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.knowledge import compat, keras_layout
from kerasfix.knowledge.compat import Misfit


def _stack(inv: Inventory) -> tuple[Distribution | None, Distribution | None, Distribution | None]:
    return inv.tensorflow(), inv.keras(), inv.tf_keras()


def _keras_cap_text(line: knowledge.TFLine | None) -> str:
    """'keras<2.16': the cap of a Keras 2 line's own keras pin."""
    cap = compat.keras_cap(line) if line else None
    return f"keras<{cap}" if cap else "Keras 2"


def _keras_pin(line: knowledge.TFLine | None) -> str:
    return knowledge.keras_requirement_for(line) if line else "keras"


@check
def no_tensorflow_or_keras(inv: Inventory) -> Iterator[Finding]:
    tf, keras, tf_keras = _stack(inv)
    if tf or keras or tf_keras:
        return
    yield Finding(
        code="no-tensorflow-or-keras",
        severity=Severity.INFO,
        title="No TensorFlow or Keras installed in this environment",
        detail=(f"{inv.interpreter.executable} has no TensorFlow, keras or tf-keras distribution"
                " on its sys.path. Nothing to diagnose for the TensorFlow/Keras stack; if you"
                " expected one, you are probably looking at the wrong environment (pass --python,"
                " or activate the right venv or conda env)."),
    )


@check
def keras3_under_old_tensorflow(inv: Inventory) -> Iterator[Finding]:
    tf, keras, _ = _stack(inv)
    if not (tf and keras and tf.version and keras.version):
        return
    line = knowledge.tf_line(tf.version)
    if compat.keras_fits(tf.version, keras.version).misfit is not Misfit.KERAS3_UNDER_FIXED_ROUTE:
        return
    yield Finding(
        code="keras3-under-tf-2.14-or-older",
        severity=Severity.ERROR,
        title=f"Keras {keras.raw_version} is installed under TensorFlow {tf.raw_version}",
        detail=(f"TensorFlow {tf.raw_version} always loads tf.keras from keras.api._v2.keras, a"
                f" folder only Keras {knowledge.KERAS_API_V2_FIRST}-{keras_layout.last_keras2()}"
                " ships; Keras 3 does not have it. `tf.keras` and"
                " `from tensorflow.keras import ...` fail. (pip allowed it: no Keras release"
                " depends on TensorFlow, the pin exists only on TensorFlow's side.)"),
        symptom=knowledge.KERAS3_FIXED_ROUTE_FAILURE,
        evidence=(f"{tf.label} requires {_req_text(tf, inv, 'keras')}",
                  f"installed: {keras.label}"),
        distributions=(tf.label, keras.label),
        paths=(keras.dist_dir,),
        strategies=(S.REPAIR, S.UPGRADE, S.LEGACY, S.FRESH_VENV),
        scenario="S2",
        predicts=(RuntimeStep.TF_KERAS, RuntimeStep.TF_KERAS_ATTRIBUTE),
        manual=(pip_cmd(inv, "install", _keras_pin(line)),),
    )


@check
def keras3_under_tensorflow_215(inv: Inventory) -> Iterator[Finding]:
    tf, keras, _ = _stack(inv)
    if not (tf and keras and tf.version and keras.version):
        return
    verdict = compat.keras_fits(tf.version, keras.version)
    if verdict.misfit is not Misfit.KERAS3_UNDER_KERAS2_LINE:
        return
    line = knowledge.tf_line(tf.version)
    legacy = inv.legacy_keras_env in knowledge.LEGACY_KERAS_ON and inv.tf_keras()
    yield Finding(
        code="keras3-under-tf-2.15",
        severity=Severity.WARNING,
        title=f"tf.keras is silently Keras 3 ({keras.label} under TensorFlow {tf.raw_version})",
        detail=(f"TensorFlow {knowledge.minor_text(tf.version)} declares"
                f" {_keras_cap_text(line)} but routes tf.keras to whichever Keras is"
                " installed: with Keras 3 present, tf.keras is Keras 3, and Keras-2 code"
                " (layers.experimental, SavedModel directories, estimator glue) breaks in odd"
                " places. pip check reports the conflict."
                + (" TF_USE_LEGACY_KERAS routes tf.keras to tf-keras here, so tf.keras itself"
                   " is Keras 2, but `import keras` is Keras 3." if legacy else "")),
        symptom=("AttributeError: module 'keras._tf_keras.keras.layers' has no attribute"
                 " 'experimental'"),
        evidence=(f"{tf.label} requires {_req_text(tf, inv, 'keras')}",
                  f"installed: {keras.label}"),
        distributions=(tf.label, keras.label),
        paths=(keras.dist_dir,),
        strategies=(S.REPAIR, S.UPGRADE, S.LEGACY, S.FRESH_VENV),
        scenario="S1",
        manual=(pip_cmd(inv, "install", _keras_pin(line)),),
    )


# How the keras_fits verdict reads for each misfit this check reports (S6, S24, S7).
_KERAS_MISFIT_TEXT = {
    Misfit.STANDALONE_KERAS: (
        "keras-standalone-too-old", "S6",
        "keras {keras} is the old multi-backend standalone Keras. TensorFlow {tf} loads tf.keras"
        " from keras.api._v2.keras, which it does not have, and keras 2.4 itself imports"
        " tf.keras back, so both fail.",
        f"{knowledge.STANDALONE_KERAS_FAILURE} / ImportError: Keras requires TensorFlow 2.2 or"
        " higher"),
    Misfit.KERAS2_UNDER_KERAS3_LINE: (
        "keras2-under-tf-2.16-or-newer", "S24",
        "TensorFlow {tf} is built for Keras 3 but keras {keras} is installed (a requirements pin"
        " or a forced install). TF routes tf.keras to the Keras 2 package, which calls"
        " TensorFlow private APIs that are gone.",
        "AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no attribute"
        " 'register_load_context_function'"),
    Misfit.KERAS_MINOR: (
        "keras-minor-mismatch", "S7",
        "keras {keras} is not the Keras line TensorFlow {tf} was built with. Keras 2 calls"
        " TensorFlow's private APIs, so a different minor fails at import in ways that do not"
        " mention versions.",
        "AttributeError: module 'tensorflow.compat.v2.__internal__' has no attribute ... /"
        " AlreadyExistsError: Another metric with the same name already exists"),
}


def _keras_predicts(tf: Version, misfit: Misfit) -> tuple[RuntimeStep, ...]:
    if compat.keras_imported_eagerly(tf) and misfit is not Misfit.STANDALONE_KERAS:
        return (RuntimeStep.IMPORT_TENSORFLOW,)  # these lines load keras eagerly at import
    return (RuntimeStep.TF_KERAS,)


@check
def keras_version_fits_tensorflow(inv: Inventory) -> Iterator[Finding]:
    """Keras 2 lines must match TF's minor (S6, S7); Keras 3 must meet TF 2.16+'s floor."""
    tf, keras, _ = _stack(inv)
    if not (tf and keras and tf.version and keras.version):
        return
    req = requirement_on(tf, inv, "keras") or requirement_on(tf, inv, keras.name)
    verdict = compat.keras_fits(tf.version, keras.version, req.specifier if req else None)
    if verdict.ok or verdict.misfit not in _KERAS_MISFIT_TEXT:
        return  # fits, or S1/S2 above say it better
    assert verdict.misfit is not None
    code, scenario, detail, symptom_text = _KERAS_MISFIT_TEXT[verdict.misfit]
    detail = detail.format(keras=keras.raw_version, tf=tf.raw_version)
    symptom: str | None = symptom_text
    predicts = _keras_predicts(tf.version, verdict.misfit)
    severity = Severity.ERROR
    if code == "keras-minor-mismatch" and compat.keras2_neighbours_tolerated(tf.version,
                                                                             keras.version):
        # Verified with real installs: keras 2.14 on TF 2.15 and 2.15 on 2.14 import and train;
        # only pip check complains. Earlier lines broke on private-API changes.
        severity, predicts = Severity.WARNING, ()
        detail += (" For these two adjacent late Keras 2 lines it still imports and trains"
                   " (checked with real installs), but it is not what TensorFlow was tested with.")
        symptom = None
    yield Finding(
        code=code,
        severity=severity,
        title=f"{keras.label} does not fit TensorFlow {tf.raw_version}",
        detail=detail,
        symptom=symptom,
        evidence=(f"{tf.label} requires {req}" if req else f"{tf.label} declares no keras pin",
                  f"installed: {keras.label}"),
        distributions=(tf.label, keras.label),
        paths=(keras.dist_dir,),
        strategies=(S.REPAIR, S.UPGRADE, S.FRESH_VENV),
        scenario=scenario,
        predicts=predicts,
        manual=(pip_cmd(inv, "install", _keras_pin(knowledge.tf_line(tf.version))),),
    )


@check
def tensorflow_without_keras(inv: Inventory) -> Iterator[Finding]:
    tf, keras, tf_keras = _stack(inv)
    if not tf or keras or not tf.version:
        return
    route = knowledge.route_tf_keras(tf.version, None, inv.legacy_keras_env, bool(tf_keras))
    if route.kind != "fail":
        return  # legacy mode with tf-keras: tf.keras works without the keras dist
    line = knowledge.tf_line(tf.version)
    yield Finding(
        code="tensorflow-without-keras",
        severity=Severity.ERROR,
        title=f"TensorFlow {tf.raw_version} is installed without any Keras",
        detail=("No distribution provides the `keras` package (it was uninstalled, or TF was"
                " installed with --no-deps or by a distro/conda package that does not pull it)."
                " `import tensorflow` works; tf.keras and `from tensorflow.keras import ...`"
                " fail."),
        symptom=("ModuleNotFoundError: No module named 'tensorflow.keras' (and for tf.keras.X: "
                 + (route.failure or "") + ")"),
        evidence=(f"{tf.label} requires {_req_text(tf, inv, 'keras')}", "no keras distribution"),
        distributions=(tf.label,),
        strategies=(S.REPAIR, S.LEGACY, S.FRESH_VENV),
        scenario="S23",
        predicts=(RuntimeStep.TF_KERAS, RuntimeStep.TF_KERAS_ATTRIBUTE),
        manual=(pip_cmd(inv, "install", _keras_pin(line)),),
    )


@check
def tf_keras_matches_tensorflow(inv: Inventory) -> Iterator[Finding]:
    tf, _, tf_keras = _stack(inv)
    if not (tf and tf_keras and tf.version and tf_keras.version):
        return
    if compat.tf_keras_fits(tf.version, tf_keras.version).ok:
        return
    line = knowledge.tf_line(tf.version)
    req = requirement_on(tf_keras, inv, "tensorflow")
    unpinned = req is None
    fix = knowledge.tf_keras_requirement_for(line) if line else None
    yield Finding(
        code="tf-keras-minor-mismatch",
        severity=Severity.ERROR,
        title=f"{tf_keras.label} does not match TensorFlow {tf.raw_version}",
        detail=("tf-keras 2.N only works with TensorFlow 2.N (patch may differ): it imports"
                " TensorFlow's private modules directly and has no version check, so a"
                " mismatch fails on `import tf_keras` and on tf.keras in legacy mode."
                + (f" tf-keras {tf_keras.raw_version} declares no TensorFlow requirement, so pip"
                   " could not prevent this and pip check does not see it." if unpinned else "")),
        symptom=("AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no"
                 " attribute 'register_load_context_function'"),
        evidence=(f"installed: {tf.label}, {tf_keras.label}",
                  f"{tf_keras.label} requires {req}" if req else
                  f"{tf_keras.label} declares no tensorflow requirement"),
        distributions=(tf.label, tf_keras.label),
        paths=(tf_keras.dist_dir,),
        strategies=(S.REPAIR, S.LEGACY, S.UPGRADE, S.FRESH_VENV),
        scenario="S5",
        predicts=(RuntimeStep.IMPORT_TF_KERAS,),
        manual=(tf_keras_install(inv, tf, fix),) if fix else (),
    )


@check
def legacy_keras_variable(inv: Inventory) -> Iterator[Finding]:
    value = inv.legacy_keras_env
    tf, keras, tf_keras = _stack(inv)
    if value is None or not tf or not tf.version:
        return
    on = value in knowledge.LEGACY_KERAS_ON
    if not compat.routes_by_installed_keras(tf.version):
        if on or value not in knowledge.LEGACY_KERAS_OFF_LOOKING:
            yield Finding(
                code="legacy-keras-variable-ignored-by-old-tf",
                severity=Severity.WARNING,
                title=f"TF_USE_LEGACY_KERAS={value} has no effect on TensorFlow {tf.raw_version}",
                detail=(f"Only TensorFlow {knowledge.minor_text(knowledge.KERAS_LOADER_FIRST)}+"
                        " reads TF_USE_LEGACY_KERAS; older releases always"
                        " use the installed keras 2.x package."),
                evidence=(f"TF_USE_LEGACY_KERAS={value!r}", f"installed: {tf.label}"),
                distributions=(tf.label,),
                strategies=(S.MANUAL,),
                manual=("unset TF_USE_LEGACY_KERAS",),
            )
        return
    if not on:
        if value not in knowledge.LEGACY_KERAS_OFF_LOOKING:
            yield Finding(
                code="legacy-keras-value-ignored",
                severity=Severity.WARNING,
                title=f"TF_USE_LEGACY_KERAS={value} is ignored: tf.keras stays Keras 3",
                detail=("TensorFlow turns legacy Keras on only for the exact values 1, true and"
                        f" True; {value!r} is silently treated as off."),
                evidence=(f"TF_USE_LEGACY_KERAS={value!r}",),
                distributions=(tf.label,),
                strategies=(S.MANUAL, S.LEGACY),
                manual=("export TF_USE_LEGACY_KERAS=1",),
            )
        return
    if not tf_keras:
        line = knowledge.tf_line(tf.version)
        fix = knowledge.tf_keras_requirement_for(line) if line else "tf-keras"
        keras3_line = compat.keras3_line(tf.version)
        yield Finding(
            code="legacy-keras-without-tf-keras",
            severity=Severity.ERROR,
            title="TF_USE_LEGACY_KERAS is on but tf-keras is not installed",
            detail=("With TF_USE_LEGACY_KERAS set, TensorFlow routes tf.keras to tf_keras and does"
                    " not fall back: code that uses tf.keras.<name> gets a warning and an"
                    " ImportError."
                    + (" Code that uses `from tensorflow.keras... import` statements silently"
                       " gets Keras 3 instead, so the same program half works."
                       if keras3_line else
                       " `from tensorflow.keras ... import` fails too (No module named"
                       " 'tensorflow.keras').")
                    + " Install the"
                    " tf-keras matching TensorFlow's minor, or unset the variable (check shell"
                    " profiles, .env files and `conda env config vars list`)."),
            symptom=knowledge.LEGACY_WITHOUT_TF_KERAS_FAILURE,
            evidence=(f"TF_USE_LEGACY_KERAS={value!r}", "no tf-keras distribution",
                      f"installed: {tf.label}"),
            distributions=(tf.label,),
            strategies=(S.LEGACY, S.REPAIR, S.MANUAL),
            scenario="S4",
            predicts=(RuntimeStep.TF_KERAS_ATTRIBUTE,) if keras3_line else
            (RuntimeStep.TF_KERAS_ATTRIBUTE, RuntimeStep.TF_KERAS),
            manual=(tf_keras_install(inv, tf, fix) if fix else pip_cmd(inv, "install",
                                                                          "tf-keras"),
                    "or: unset TF_USE_LEGACY_KERAS"),
        )
        return
    if keras and keras.version and compat.is_keras3(keras.version):
        yield Finding(
            code="two-kerases-in-one-process",
            severity=Severity.INFO,
            title="tf.keras is Keras 2 (tf-keras) while `import keras` is Keras 3",
            detail=("Legacy mode is on: tf.keras and `from tensorflow.keras ...` use tf-keras,"
                    " but libraries that `import keras` get Keras 3. Objects from the two do not"
                    " mix (a Keras 3 layer in a tf_keras model fails)."),
            evidence=(f"TF_USE_LEGACY_KERAS={value!r}", f"installed: {tf_keras.label}",
                      f"installed: {keras.label}"),
            distributions=(tf_keras.label, keras.label),
            scenario="S8",
        )


@check
def tf_keras_installed_but_unused(inv: Inventory) -> Iterator[Finding]:
    tf, _, tf_keras = _stack(inv)
    if not (tf and tf_keras and tf.version) or inv.legacy_keras_env in knowledge.LEGACY_KERAS_ON:
        return
    if not (tf_keras.version and compat.tf_keras_fits(tf.version, tf_keras.version).ok):
        return  # the mismatch finding speaks
    why = (f"TensorFlow {compat.last_fixed_route_line().minor_text} and older never route"
           " tf.keras to tf-keras"
           if not compat.routes_by_installed_keras(tf.version) else
           "TF_USE_LEGACY_KERAS is not set to 1, so tf.keras is Keras 3")
    yield Finding(
        code="tf-keras-not-routed",
        severity=Severity.INFO,
        title=f"{tf_keras.label} is installed but tf.keras does not use it",
        detail=(f"{why}. Code that imports tf_keras directly (transformers, some libraries)"
                " uses it; set TF_USE_LEGACY_KERAS=1 before Python starts if tf.keras should be"
                " Keras 2 too."),
        distributions=(tf_keras.label,),
    )


@check
def transformers_needs_tf_keras(inv: Inventory) -> Iterator[Finding]:
    tf, keras, tf_keras = _stack(inv)
    transformers = inv.get("transformers")
    if not (tf and keras and transformers and tf.version and keras.version) or tf_keras:
        return
    if not compat.is_keras3(keras.version) or (
            transformers.version and not compat.transformers_has_tf_models(transformers.version)):
        return
    line = knowledge.tf_line(tf.version)
    fix = knowledge.tf_keras_requirement_for(line) if line else "tf-keras"
    yield Finding(
        code="transformers-needs-tf-keras",
        severity=Severity.WARNING,
        title=f"{transformers.label}'s TensorFlow models need tf-keras, which is missing",
        detail=("transformers' TF* models only support Keras 2: they import tf_keras and refuse"
                " Keras 3. PyTorch models are unaffected."),
        symptom=("ValueError: Your currently installed version of Keras is Keras 3, but this is"
                 " not yet supported in Transformers. Please install the backwards-compatible"
                 " tf-keras package with `pip install tf-keras`."),
        evidence=(f"installed: {transformers.label}", f"installed: {keras.label}",
                  "no tf-keras distribution"),
        distributions=(transformers.label, keras.label),
        strategies=(S.LEGACY, S.REPAIR),
        scenario="S3",
        manual=(tf_keras_install(inv, tf, fix) if fix else pip_cmd(inv, "install",
                                                                  "tf-keras"),),
    )


@check
def keras_core_present(inv: Inventory) -> Iterator[Finding]:
    dist = inv.get(knowledge.KERAS_CORE)
    if dist:
        yield Finding(
            code="keras-core-installed",
            severity=Severity.INFO,
            title=f"{dist.label} (the Keras 3 preview) is installed",
            detail=("keras-core installs `keras_core`, which nothing in TensorFlow uses; it was a"
                    " preview of Keras 3 and stopped at 0.1.7. Code should `import keras` (3.x)"
                    " instead."),
            distributions=(dist.label,),
        )


@check
def keras_backend(inv: Inventory) -> Iterator[Finding]:
    keras = inv.keras()
    if not keras or not keras.version or not compat.is_keras3(keras.version):
        return
    env_backend = inv.interpreter.env.get("KERAS_BACKEND")
    file_backend = inv.keras_config.get("backend")
    backend = env_backend or file_backend
    if not backend or backend == "tensorflow":
        return
    where = ("KERAS_BACKEND" if env_backend else inv.keras_config.get("path", "keras.json"))
    missing = _BACKEND_PACKAGES.get(backend)
    absent = missing is not None and inv.get(missing) is None
    yield Finding(
        code="keras-backend-not-tensorflow",
        severity=Severity.ERROR if absent else Severity.WARNING,
        title=f"Keras 3 is configured for the {backend!r} backend ({where})",
        detail=("Keras 3 runs on this backend, and so does tf.keras (checked with real installs:"
                " with KERAS_BACKEND=jax a tf.keras model's weights are JAX arrays)."
                + (f" The {backend} package is not installed, so `import keras` and tf.keras fail"
                   f" (tf.keras.X even says 'Keras cannot be imported', which misleads)."
                   if absent else "")),
        symptom=f"ModuleNotFoundError: No module named '{backend}'" if absent else None,
        evidence=(f"KERAS_BACKEND={env_backend!r}" if env_backend else
                  f"{where}: backend={file_backend!r}",),
        distributions=(keras.label,),
        paths=() if env_backend else (str(where),),
        strategies=(S.MANUAL,),
        scenario="S25",
        predicts=(RuntimeStep.IMPORT_KERAS, RuntimeStep.TF_KERAS) if absent else (),
        manual=("unset KERAS_BACKEND" if env_backend else
                f'edit {where}: "backend": "tensorflow"',),
    )


# The distribution each Keras 3 backend imports (tensorflow: any build providing tensorflow/).
_BACKEND_PACKAGES = {"jax": "jax", "torch": "torch", "openvino": "openvino"}


def _configured_backend(inv: Inventory, keras_version: Version) -> str:
    """The backend `import keras` loads: keras 2.6-2.15 always TensorFlow; Keras 3 and the old
    multi-backend keras read KERAS_BACKEND, then keras.json, else TensorFlow."""
    if not (compat.is_keras3(keras_version) or compat.standalone_keras(keras_version)):
        return "tensorflow"
    configured = inv.interpreter.env.get("KERAS_BACKEND") or inv.keras_config.get("backend")
    return str(configured or "tensorflow")


@check
def keras_without_backend(inv: Inventory) -> Iterator[Finding]:
    """`pip install keras` brings no backend: Keras 3 alone fails on `import keras` with No
    module named 'tensorflow' from keras/src/ (checked with real installs of keras 3.0-3.15;
    tests/test_area_interop.py). Other backends configured but missing: keras_backend."""
    keras = inv.keras()
    if not (keras and keras.version) or inv.tensorflow() or inv.first_import("tensorflow"):
        return
    if _configured_backend(inv, keras.version) != "tensorflow":
        return
    others = [name for name in _BACKEND_PACKAGES.values() if inv.get(name)]
    yield Finding(
        code="keras-without-backend",
        severity=Severity.ERROR,
        title=f"{keras.label} is installed without TensorFlow, the backend it will load",
        detail=("Keras does not install a backend. It imports TensorFlow on `import keras`"
                " unless KERAS_BACKEND (or keras.json) names another backend, so `import keras`"
                " fails with No module named 'tensorflow'."
                + (f" {', '.join(others)} is installed: set KERAS_BACKEND={others[0]} before"
                   " Python starts to use it." if others else "")),
        symptom="ModuleNotFoundError: No module named 'tensorflow'",
        evidence=(f"installed: {keras.label}", "no TensorFlow distribution or tensorflow/"
                  " package on sys.path", "KERAS_BACKEND and keras.json name no other backend"),
        distributions=(keras.label,),
        strategies=(S.MANUAL,),
        scenario="S25",
        predicts=(RuntimeStep.IMPORT_KERAS,),
        manual=(f"export KERAS_BACKEND={others[0]}" if others else
                pip_cmd(inv, "install", "tensorflow"),),
    )


def _req_text(dist: Distribution, inv: Inventory, name: str) -> str:
    req = requirement_on(dist, inv, name)
    return str(req) if req else f"{name} (no pin declared)"

