"""The TensorFlow add-ons and the Keras libraries against the installed TensorFlow and Keras
(issue 12): built for another TensorFlow line, ended projects, Keras 2 add-ons on a Keras 3
TensorFlow without tf-keras, Keras 3 libraries under Keras 2. The facts are
kerasfix.knowledge.addons'."""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.checks.base import check, pip_cmd, tf_keras_install
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.knowledge import addons, compat

CODE_MISMATCH = "addon-tf-mismatch"
CODE_END_OF_LIFE = "addon-end-of-life"
CODE_TF_KERAS = "addon-needs-tf-keras"
CODE_KERAS3 = "keras-lib-needs-keras3"

# What the user sees, by kind of add-on (the texts are the packages' own, or real reports).
UNDEFINED_SYMBOL = ("ImportError: .../{module}/...so: undefined symbol: _ZN... (the add-on's"
                    " compiled ops against another TensorFlow's C++ library)")
TFP_TOO_OLD_TF = ("ImportError: This version of TensorFlow Probability requires TensorFlow"
                  " version >= {floor}")
TFP_KERAS3 = "AttributeError: module 'keras._tf_keras.keras' has no attribute '__internal__'"


def _tf(inv: Inventory) -> Distribution | None:
    tf = inv.tensorflow()
    return tf if tf is not None and tf.version is not None else None


def _addons(inv: Inventory, names: tuple[str, ...]) -> list[Distribution]:
    return [d for d in inv.installed(names) if d.version is not None]


def addon_install(inv: Inventory, tf: Distribution, requirement: str) -> str:
    """Installing an add-on release without moving TensorFlow: pinned in the same pip call as
    `tensorflow`; beside another build (tensorflow-cpu ...) without dependencies, because the
    add-ons (and the tf-keras they pull) require `tensorflow` by name and pip would put a
    second TensorFlow over the same folder."""
    if tf.name == "tensorflow":
        return pip_cmd(inv, "install", f"tensorflow=={tf.raw_version}", requirement)
    return pip_cmd(inv, "install", "--no-deps", requirement)


def tf_line_install(inv: Inventory, tf: Distribution, line: knowledge.TFLine) -> str:
    """Moving TensorFlow to a line, with that line's Keras in the same call."""
    return pip_cmd(inv, "install", knowledge.pin_for_line(line, tf.name),
                   knowledge.keras_requirement_for(line))


def _symptom(dist: Distribution, verdict: compat.Verdict) -> str | None:
    if dist.name in addons.COMPILED:
        return UNDEFINED_SYMBOL.format(module=dist.name.replace("-", "_"))
    if dist.name == "tensorflow-probability":
        if verdict.side is compat.Side.BELOW:
            return TFP_TOO_OLD_TF.format(floor=verdict.requirement.lstrip(">=").split(",")[0])
        return TFP_KERAS3
    return None


def _fixes(inv: Inventory, tf: Distribution, dist: Distribution) -> tuple[list[str], bool]:
    """The exact commands (add-on to the TF line, or TF line to the add-on) and whether the
    first, which repair runs, exists."""
    assert tf.version is not None and dist.version is not None
    fixes = []
    newest = addons.fitting_release(dist.name, tf.version, inv.interpreter.cp_tag)
    if newest is not None:
        fixes.append(f"keep TensorFlow {tf.raw_version}: "
                     + addon_install(inv, tf, f"{dist.name}=={newest}"))
    line = addons.fitting_tf_line(dist.name, dist.version, dist.requires,
                                  inv.interpreter.short_version)
    if line is not None:
        fixes.append(f"keep {dist.label}: move TensorFlow to {line.minor_text}: "
                     + tf_line_install(inv, tf, line))
    return fixes, newest is not None


@check
def addon_tensorflow_line(inv: Inventory) -> Iterator[Finding]:
    """An add-on built for another TensorFlow line than the one installed."""
    tf = _tf(inv)
    if tf is None or tf.version is None:
        return
    for dist in _addons(inv, addons.TF_ADDONS):
        assert dist.version is not None
        verdict = addons.fits(dist.name, dist.version, tf.version, dist.requires)
        if verdict is None or verdict.ok:
            continue
        source = addons.tf_range(dist.name, dist.version, dist.requires)
        fixes, repairable = _fixes(inv, tf, dist)
        yield Finding(
            code=CODE_MISMATCH,
            severity=Severity.ERROR,
            title=f"{dist.label} is built for TensorFlow {verdict.requirement}; {tf.label} is"
                  " installed",
            detail=(f"{verdict.reason}. "
                    + ("Its compiled ops are linked against that TensorFlow's C++ library, so"
                       " importing them fails on another line."
                       if dist.name in addons.COMPILED else
                       "It fails at import or on first use with another TensorFlow line.")
                    + ("" if repairable else
                       f" No release of {dist.name} works with TensorFlow {tf.raw_version}.")),
            symptom=_symptom(dist, verdict),
            evidence=(f"{dist.dist_dir}: {source.source if source else 'range'}:"
                      f" tensorflow{verdict.requirement}", f"installed: {tf.label}"),
            distributions=(dist.label, tf.label),
            strategies=(S.REPAIR,) if repairable else (S.MANUAL,),
            manual=tuple(fixes),
        )


@check
def addon_end_of_life(inv: Inventory) -> Iterator[Finding]:
    """tensorflow-addons and tensorflow-io have ended: a warning once TensorFlow has moved past
    their last release, a note while it still works."""
    tf = _tf(inv)
    for dist in _addons(inv, tuple(addons.END_OF_LIFE)):
        eol = addons.END_OF_LIFE[dist.name]
        past = tf is not None and tf.version is not None and \
            addons.past_last_release(dist.name, tf.version)
        last = addons.tf_range(dist.name, Version(eol.last))
        yield Finding(
            code=CODE_END_OF_LIFE,
            severity=Severity.WARNING if past else Severity.INFO,
            title=(f"{dist.name} has ended: its last release, {eol.last}, is built for TensorFlow"
                   f" {last.text if last else '?'}"
                   + (f"; {tf.label} is newer" if past and tf else "")),
            detail=(f"No release will follow a newer TensorFlow. Move to {eol.successor}, or"
                    f" keep TensorFlow on the line {dist.name} {eol.last} was built for."),
            evidence=(f"{eol.source}", f"installed: {dist.label}"),
            distributions=(dist.label,),
            strategies=(S.MANUAL,),
            manual=(f"replace {dist.name} in your code with {eol.successor}",),
        )


@check
def addon_needs_tf_keras(inv: Inventory) -> Iterator[Finding]:
    """A Keras 2 add-on on a TensorFlow built for Keras 3, without tf-keras (or, for one that
    refuses a Keras 3 tf.keras, without TF_USE_LEGACY_KERAS=1)."""
    tf = _tf(inv)
    if tf is None or tf.version is None:
        return
    line = knowledge.tf_line(tf.version)
    tfk_req = knowledge.tf_keras_requirement_for(line) if line else None
    legacy_on = inv.legacy_keras_env in knowledge.LEGACY_KERAS_ON
    for dist in _addons(inv, addons.TF_ADDONS):
        assert dist.version is not None
        why = addons.needs_tf_keras(dist.name, dist.version, tf.version, dist.requires)
        legacy = addons.needs_legacy_keras(dist.name, dist.version, tf.version)
        missing_tfk = (why or legacy) and inv.tf_keras() is None
        if missing_tfk or (legacy and not legacy_on):
            yield _tf_keras_finding(inv, tf, dist, why or legacy or "", bool(legacy), tfk_req)


def _tf_keras_finding(inv: Inventory, tf: Distribution, dist: Distribution, why: str,
                      legacy: bool, tfk_req: str | None) -> Finding:
    tf_keras = inv.tf_keras()
    have_tfk = tf_keras is not None
    steps = [] if have_tfk or not tfk_req else [tf_keras_install(inv, tf, tfk_req)]
    if legacy:
        steps.append("set TF_USE_LEGACY_KERAS=1 before Python starts (kerasfix fix --strategy"
                     " legacy writes it into the environment's activation scripts)")
    return Finding(
        code=CODE_TF_KERAS,
        severity=Severity.ERROR,
        title=(f"{dist.label} needs Keras 2 (tf-keras"
               + (" and TF_USE_LEGACY_KERAS=1" if legacy else "") + f") on {tf.label}"),
        detail=(f"TensorFlow {tf.raw_version} is built for Keras 3; {dist.name} is written for"
                f" Keras 2 ({why})."
                + (" tf-keras is not installed." if not have_tfk else
                   " tf-keras is installed, but tf.keras is still Keras 3.")
                + ("" if legacy else " Its layers go into tf.keras models only when tf.keras"
                   " is tf-keras too (TF_USE_LEGACY_KERAS=1: the legacy strategy).")),
        symptom=addons.TF_KERAS_SYMPTOMS.get(dist.name),
        evidence=(f"{dist.dist_dir}: {why}", f"installed: {tf.label}",
                  f"tf-keras: {tf_keras.label if tf_keras else 'none'}"),
        distributions=(dist.label, tf.label),
        strategies=(S.LEGACY,) if legacy else (S.REPAIR, S.LEGACY),
        manual=tuple(steps),
    )


@check
def keras_lib_needs_keras3(inv: Inventory) -> Iterator[Finding]:
    """keras-hub / keras-nlp (and keras-cv) releases that require Keras 3, under Keras 2."""
    keras = inv.keras()
    if keras is None or keras.version is None:
        return
    for dist in _addons(inv, addons.KERAS_LIBS):
        assert dist.version is not None
        why = addons.needs_keras3(dist.name, dist.version, keras.version, dist.requires)
        if why is None:
            continue
        older = addons.newest_keras2_release(dist.name)
        fixes = ["move to a TensorFlow built for Keras 3 with its Keras: kerasfix fix"
                 " --strategy upgrade"]
        if older:
            fixes.append(f"keep {keras.label}: " + pip_cmd(inv, "install", "--no-deps",
                                                           f"{dist.name}=={older}"))
        yield Finding(
            code=CODE_KERAS3,
            severity=Severity.ERROR,
            title=f"{dist.label} requires Keras 3; {keras.label} is installed",
            detail=(f"{dist.name} {dist.raw_version} is written for Keras 3 ({why}); with"
                    f" Keras {keras.raw_version} its import fails."),
            evidence=(f"{dist.dist_dir}: {why}", f"installed: {keras.label}"),
            distributions=(dist.label, keras.label),
            strategies=(S.UPGRADE,),
            manual=tuple(fixes),
        )
