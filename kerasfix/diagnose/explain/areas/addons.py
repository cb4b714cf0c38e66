"""How a scan decides the causes of kerasfix/knowledge/messages/addons.py.

The add-ons' own Requires-Dist (tensorflow-text and tensorflow-decision-forests pin their
TensorFlow) and the versions a message prints decide here; the scan's add-on findings
(addon-tf-mismatch, addon-needs-tf-keras ...) decide what these cannot tell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from kerasfix import knowledge
from kerasfix.diagnose.code_audit import installed_keras_major
from kerasfix.diagnose.explain.checkers import CONFIRMED, RULED_OUT, Check, Checker, Context
from kerasfix.knowledge import compat

if TYPE_CHECKING:
    from kerasfix.inspect.inventory import Distribution

# distribution names of the add-ons each cause is about
TF_KERAS_ADDONS = ("tensorflow-probability", "tensorflow-hub", "tensorflow-decision-forests",
                   "tensorflow-model-optimization", "tensorflow-recommenders")
KERAS3_LIBS = ("keras-hub", "keras-nlp", "keras-cv")
EOL_ADDONS = ("tensorflow-addons", "tensorflow-io")


def _dist_name(module: str) -> str:
    """tensorflow_text -> tensorflow-text (the add-ons' folders are their names)."""
    return module.lower().replace("_", "-")


def _at(dist: Distribution) -> str:
    return f"{dist.label} is installed at {dist.location}"


def _tf_pin(addon: Distribution) -> SpecifierSet | None:
    """The TensorFlow requirement an add-on declares (tensorflow-text: <2.20,>=2.19.0)."""
    for req in addon.requires:
        if canonicalize_name(req.name) in knowledge.TENSORFLOW_VARIANTS and str(req.specifier):
            return req.specifier
    return None


def _pin_misses(addon: Distribution, tf: Distribution) -> Check | None:
    pin = _tf_pin(addon)
    if pin is None or tf.version is None or tf.version in pin:
        return None
    return CONFIRMED, (f"{_at(addon)} and requires tensorflow{pin}, but TensorFlow"
                       f" {tf.raw_version} is installed",)


def _too_old(ctx: Context, tf: Distribution) -> Check | None:
    """'requires TensorFlow version >= 2.16; Detected ... 2.15.1' against the scanned TF."""
    need = ctx.explanation.group("need")
    if not (need and tf.version):
        return None
    try:
        wanted = Version(need)
    except InvalidVersion:
        return None
    if tf.version < wanted:
        return CONFIRMED, (f"TensorFlow {tf.raw_version} is installed; the add-on needs >= {need}",)
    return RULED_OUT, (f"TensorFlow {tf.raw_version} is installed, which meets the add-on's"
                       f" >= {need}: the message came from another environment",)


def addon_mismatch(ctx: Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    if tf is None:
        return None
    too_old = _too_old(ctx, tf)
    if too_old is not None:
        return too_old
    module = ctx.explanation.group("addon")
    addon = ctx.inv.get(_dist_name(module)) if module else None
    if addon is None:
        return None  # the scan's addon-tf-mismatch finding decides
    missed = _pin_misses(addon, tf)
    if missed is not None:
        return missed
    if (tf.installer or "").strip().lower() == "conda":
        return CONFIRMED, (f"{_at(addon)}; TensorFlow {tf.raw_version} was installed by conda,"
                           " and the add-on's PyPI wheel is built against PyPI's TensorFlow",)
    return None


def needs_tf_keras(ctx: Context) -> Check | None:
    tf_keras = ctx.inv.tf_keras()
    if tf_keras:
        return RULED_OUT, (_at(tf_keras),)
    tf = ctx.inv.tensorflow()
    addons = [d for d in map(ctx.inv.get, TF_KERAS_ADDONS) if d]
    if tf and tf.version and compat.keras3_line(tf.version) and addons:
        return CONFIRMED, (f"{_at(addons[0])} next to TensorFlow {tf.raw_version}, whose"
                           " tf.keras is Keras 3, and no tf-keras distribution is installed",)
    return None


def keras3_libs(ctx: Context) -> Check | None:
    libs = [d for d in map(ctx.inv.get, KERAS3_LIBS) if d]
    major = installed_keras_major(ctx.inv)
    if major == 3:
        return RULED_OUT, ("Keras 3 is installed in the scanned environment",)
    if major == 2 and libs:
        return CONFIRMED, (f"{_at(libs[0])}, and the Keras here is Keras 2",)
    return None


def end_of_life(ctx: Context) -> Check | None:
    """The warning itself says so; otherwise the scan's addon-end-of-life finding decides."""
    if any(m.signature.id == "addon-eol-warning" for m in ctx.explanation.matches):
        installed = [d for d in map(ctx.inv.get, EOL_ADDONS) if d]
        where = f"; {_at(installed[0])}" if installed else ""
        return CONFIRMED, (f"the warning is tensorflow-addons' own end-of-life notice{where}",)
    return None


def platform(ctx: Context) -> Check | None:
    plat = ctx.inv.interpreter.platform.lower()
    if plat.startswith("win"):
        return CONFIRMED, (f"the interpreter runs on Windows ({plat})",)
    if plat.startswith("linux") and plat.endswith(("aarch64", "arm64")):
        return CONFIRMED, (f"the interpreter runs on Linux ARM ({plat})",)
    if plat.startswith("linux") and plat.endswith("x86_64"):
        return RULED_OUT, (f"the interpreter runs on {plat}, which every add-on builds for",)
    return None


DECIDES: dict[str, Checker] = {
    "addon-tf-mismatch": addon_mismatch,
    "addon-needs-tf-keras": needs_tf_keras,
    "keras-lib-needs-keras3": keras3_libs,
    "addon-end-of-life": end_of_life,
    "addon-platform-unsupported": platform,
}
