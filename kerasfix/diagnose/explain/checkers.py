"""Inventory checkers: how a scan confirms or rules out one cause of an error message.

Each takes the Context (the explanation, the scan's inventory and findings) and returns
(status, evidence), or None when the scan cannot tell. DECIDES (at the end) registers each
checker under the id of the catalogue cause it decides (kerasfix/knowledge/messages.py).
Version facts come from kerasfix.knowledge.compat.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.code_audit import installed_keras_major
from kerasfix.diagnose.findings import Finding
from kerasfix.enums import TextEnum
from kerasfix.inspect.host import cpu_reports_avx
from kerasfix.knowledge import compat, keras_layout
from kerasfix.knowledge.compat import Misfit, Side

if TYPE_CHECKING:
    from kerasfix.diagnose.explain.match import Explanation
    from kerasfix.inspect.inventory import Distribution, Inventory

class CauseStatus(TextEnum):
    """What a scan makes of one cause of an error message."""

    CONFIRMED = "confirmed"
    RULED_OUT = "ruled-out"
    UNKNOWN = "unknown"  # the scan cannot tell statically


CONFIRMED, RULED_OUT, UNKNOWN = CauseStatus.CONFIRMED, CauseStatus.RULED_OUT, CauseStatus.UNKNOWN


@dataclass
class Context:
    explanation: Explanation
    inv: Inventory
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)


Check = tuple["CauseStatus", tuple[str, ...]]  # (status, evidence)
Checker = Callable[[Context], "Check | None"]


def _at(dist: Distribution) -> str:
    return f"{dist.label} is installed at {dist.location}"


def keras3_old_tf(ctx: Context) -> Check | None:
    tf, keras = ctx.inv.tensorflow(), ctx.inv.keras()
    if not (tf and tf.version):
        return None
    if keras and keras.version and compat.keras_fits(tf.version, keras.version).misfit is \
            Misfit.KERAS3_UNDER_FIXED_ROUTE:
        return CONFIRMED, (f"{_at(keras)}; it has no keras/api/_v2, where TensorFlow"
                           f" {tf.raw_version} loads tf.keras from, so tensorflow.keras cannot"
                           " load",)
    what = f"installed: TensorFlow {tf.raw_version}, " + (keras.label if keras else "no keras")
    return RULED_OUT, (what,)


def no_keras(ctx: Context) -> Check | None:
    tf, keras = ctx.inv.tensorflow(), ctx.inv.keras()
    if keras:
        return RULED_OUT, (_at(keras),)
    if tf:
        return CONFIRMED, (f"{_at(tf)}, and no distribution provides keras/",)
    return None


def old_keras(ctx: Context) -> Check | None:
    keras = ctx.inv.keras()
    if not (keras and keras.version):
        return None
    if compat.standalone_keras(keras.version):
        return CONFIRMED, (f"{_at(keras)}, which has no api/_v2, so tensorflow.keras cannot"
                           " load",)
    return RULED_OUT, (_at(keras),)


def shadow(ctx: Context) -> Check | None:
    evidence: list[str] = []
    for finding in ctx.findings:
        if finding.code == "local-file-shadows-package":
            name = finding.title.rsplit(" ", 1)[-1]
            evidence.extend(f"{p} shadows {name}" for p in finding.paths)
    for path in ctx.explanation.paths.shadowing:
        evidence.append(f"the traceback runs through {path}, outside site-packages")
    if evidence:
        return CONFIRMED, tuple(evidence)
    return None


def user_site(ctx: Context) -> Check | None:
    paths = ctx.explanation.paths.user_site
    if paths:
        return CONFIRMED, (f"the traceback loads {paths[0]} from a user site",)
    return None


def legacy(ctx: Context) -> Check | None:
    """The legacy warning itself proves the variable was set when the error happened (maybe in
    the code, or by transformers), even if the scanned shell does not have it."""
    tf_keras = ctx.inv.tf_keras()
    if tf_keras:
        return RULED_OUT, (_at(tf_keras),)
    proven = any(m.signature.id == "legacy-keras-without-tf-keras"
                 for m in ctx.explanation.matches)
    if proven:
        tf = ctx.inv.tensorflow()
        where = f" next to {tf.label}" if tf else ""
        return CONFIRMED, (f"no tf-keras distribution is installed{where}, and the message"
                           " shows TF_USE_LEGACY_KERAS was on",)
    return None  # the scan's legacy-keras-without-tf-keras finding decides


def transformers(ctx: Context) -> Check | None:
    transformers, tf_keras = ctx.inv.get("transformers"), ctx.inv.tf_keras()
    if transformers and not tf_keras:
        env = ctx.inv.legacy_keras_env
        return CONFIRMED, (f"{_at(transformers)} and tf-keras is not"
                           + (f" (TF_USE_LEGACY_KERAS={env!r} in the scanned environment)"
                              if env else "; TF_USE_LEGACY_KERAS is not set in the scanned"
                              " environment, so transformers set it at run time"),)
    if not transformers:
        return RULED_OUT, ("transformers is not installed",)
    return None


def keras3_active(ctx: Context) -> Check | None:
    major = installed_keras_major(ctx.inv)
    keras = ctx.inv.keras()
    if major == 3 and keras:
        return CONFIRMED, (f"tf.keras is Keras 3 here: {_at(keras)}",)
    if major == 2:
        return RULED_OUT, ("tf.keras is Keras 2 in the scanned environment",)
    return None


def keras_path(ctx: Context) -> Check | None:
    module = ctx.explanation.group("module")
    rule = keras_layout.rule_for(module.replace("tensorflow.keras.", "keras.")) if module else None
    keras = ctx.inv.keras()
    if not (rule and keras and keras.version):
        return None
    if rule.exists_in(keras.version):
        return RULED_OUT, (f"{_at(keras)}, which has {module}: the error came from another"
                           " environment or another keras",)
    return CONFIRMED, (f"{_at(keras)}; {module} exists only in keras {rule.present}",)


def tf2_installed(ctx: Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    if tf and tf.version and compat.is_tf2(tf.version):
        return CONFIRMED, (f"{_at(tf)}: TensorFlow 2 has the TF1 API only under"
                           " tf.compat.v1",)
    return None


def python_support(ctx: Context) -> Check | None:
    interp = ctx.inv.interpreter
    py = interp.short_version
    pyver = ctx.explanation.group("pyver")
    if pyver:
        return CONFIRMED, (f"pip reports Python {pyver} outside the release's Requires-Python",)
    lines = [li for li in knowledge.TF_LINES.values()
             if compat.python_fits(li, py, bits=interp.bits).ok]
    if not lines:
        return CONFIRMED, (f"{interp.executable} is Python {interp.version_text}"
                           f" ({interp.bits}-bit): no stable TensorFlow has wheels for it",)
    name, wanted = _requested(ctx.explanation.group("req") or "")
    if name in knowledge.KERAS_VARIANTS and wanted is not None:
        keras = compat.keras_python_fits(wanted, py)
        if not keras.ok:
            return CONFIRMED, (f"{keras.reason}; this is {interp.version_text}",)
        return RULED_OUT, (f"keras {wanted} installs on Python {interp.version_text}",)
    if wanted is None:
        return RULED_OUT, (f"Python {interp.version_text} has TensorFlow wheels up to"
                           f" {lines[-1].minor_text}",)
    line = knowledge.tf_line(wanted)
    if line is None:
        return UNKNOWN, (f"kerasfix has no wheel data for TensorFlow {wanted}",)
    verdict = compat.python_fits(line, py)
    if verdict.ok:
        return RULED_OUT, (f"TensorFlow {line.minor_text} has wheels for Python"
                           f" {verdict.requirement}, including {interp.version_text}",)
    return CONFIRMED, (f"{verdict.reason}; this is {interp.version_text}",)


def _requested(req: str) -> tuple[str, Version | None]:
    """('tensorflow-cpu', 2.15.1) from 'tensorflow-cpu==2.15.1' in pip's message."""
    match = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:===?\s*([\w.]+))?", req)
    if not match:
        return "", None
    name = match.group(1).lower().replace("_", "-")
    return name, knowledge.parse_version(match.group(2))


def self_evident(_ctx: Context) -> Check | None:
    return CONFIRMED, ("the message itself says so",)


def cpu_flags(ctx: Context) -> Check | None:
    if not ctx.inv.interpreter.platform.startswith("linux"):
        return None
    avx = cpu_reports_avx()
    if avx is None:
        return None
    if avx:
        return RULED_OUT, ("this CPU reports avx in /proc/cpuinfo",)
    return CONFIRMED, ("this CPU does not report avx in /proc/cpuinfo",)


def rosetta(ctx: Context) -> Check | None:
    interp = ctx.inv.interpreter
    if not interp.platform.startswith("macosx"):
        return RULED_OUT, (f"the interpreter is not macOS ({interp.platform})",)
    if interp.platform.endswith("arm64"):
        return RULED_OUT, ("the interpreter is arm64",)
    return None


def numpy_one(ctx: Context) -> Check | None:
    numpy = ctx.inv.get("numpy")
    if numpy and numpy.version and compat.is_numpy2(numpy.version):
        return RULED_OUT, (f"{_at(numpy)}: modules built for NumPy 2 load with it",)
    return None


def backend(ctx: Context) -> Check | None:
    """The variable may live in the code or notebook only: a scan without it cannot rule the
    cause out, but can say whether the backend package is there."""
    if any(f.code == "keras-backend-not-tensorflow" for f in ctx.findings):
        return None  # the finding confirms it
    module = ctx.explanation.group("module")
    if module in ("jax", "torch", "openvino") and ctx.inv.get(module) is None:
        return UNKNOWN, (f"{module} is not installed; KERAS_BACKEND is not set in the scanned"
                         " environment and keras.json does not name it: look for"
                         " os.environ['KERAS_BACKEND'] in the code or notebook",)
    return None


def tensorflow_missing(ctx: Context) -> Check | None:
    tf = ctx.inv.tensorflow()
    first = ctx.inv.first_import("tensorflow")
    if tf is None and first is None:
        return CONFIRMED, (f"{ctx.inv.interpreter.executable} has no TensorFlow on sys.path",)
    if tf is not None and first is None:
        return CONFIRMED, (f"{tf.label} is recorded, but no tensorflow/ folder is importable",)
    return RULED_OUT, (f"tensorflow is importable from {first.path}" if first else
                       "TensorFlow is installed",)


def traceback_env(ctx: Context) -> Check | None:
    foreign = foreign_roots(ctx)
    if foreign:
        return CONFIRMED, (f"the traceback ran in {foreign[0]}, which is not on the scanned"
                           f" interpreter's sys.path ({ctx.inv.interpreter.executable})",)
    if ctx.explanation.paths.site_packages:
        return RULED_OUT, ("the traceback's site-packages is the scanned environment's",)
    return None


def _protobuf_direction(ctx: Context, side: Side) -> Check | None:
    tf, pb = ctx.inv.tensorflow(), ctx.inv.get("protobuf")
    if not (tf and tf.version and pb and pb.version):
        return None
    line = knowledge.tf_line(tf.version)
    if line is None:
        return None
    verdict = compat.protobuf_side(tf.version, pb.version)  # the TF line's own pin
    if verdict.ok:
        return RULED_OUT, (f"protobuf {pb.raw_version} is inside TensorFlow {line.minor_text}'s"
                           f" range ({verdict.requirement})",)
    if verdict.side is side:
        return CONFIRMED, (f"protobuf {pb.raw_version} is {side.value}"
                           f" TensorFlow {tf.raw_version}'s range ({verdict.requirement})",)
    return RULED_OUT, (f"protobuf {pb.raw_version} is {verdict.side.value if verdict.side else ''}"
                       " the range, not the other way round",)


def protobuf_too_new(ctx: Context) -> Check | None:
    return _protobuf_direction(ctx, Side.ABOVE)


def protobuf_too_old(ctx: Context) -> Check | None:
    return _protobuf_direction(ctx, Side.BELOW)




def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(path)).rstrip("/\\")


def foreign_roots(ctx: Context) -> list[str]:
    """site-packages folders in the traceback that the scanned interpreter does not use."""
    known = {_norm(e.path) for e in ctx.inv.path_entries}
    return [root for root in ctx.explanation.paths.site_packages if _norm(root) not in known]


# Which checker decides which cause of the catalogue (kerasfix.knowledge.messages.CAUSES);
# tests/test_explain.py holds every key to a real cause id.
DECIDES: dict[str, Checker] = {
    "keras3-under-old-tf": keras3_old_tf,
    "tensorflow-without-keras": no_keras,
    "local-file-shadows": shadow,
    "user-site-copy": user_site,
    "legacy-keras-without-tf-keras": legacy,
    "transformers-sets-legacy": transformers,
    "keras-standalone-too-old": old_keras,
    "transformers-needs-tf-keras": transformers,
    "numpy1-under-numpy2-module": numpy_one,
    "protobuf-too-new": protobuf_too_new,
    "protobuf-too-old": protobuf_too_old,
    "keras3-code-for-keras2": keras3_active,
    "keras3-savedmodel": keras3_active,
    "removed-keras-path": keras_path,
    "tf1-api-on-tf2": tf2_installed,
    "python-unsupported": python_support,
    "tensorflow-gpu-retired": self_evident,
    "cpu-lacks-avx": cpu_flags,
    "x86-python-on-apple-silicon": rosetta,
    "keras-backend-missing": backend,
    "tensorflow-missing": tensorflow_missing,
    "wrong-environment": traceback_env,
}
