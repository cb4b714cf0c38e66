"""How a scan decides the causes of kerasfix/knowledge/messages/numeric.py: which NumPy,
protobuf and ml-dtypes the environment has, against what the message says it needed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.explain import checkers
from kerasfix.diagnose.explain.checkers import (
    CONFIRMED,
    RULED_OUT,
    UNKNOWN,
    Check,
    Checker,
    Context,
)
from kerasfix.knowledge import compat
from kerasfix.knowledge.compat import Side
from kerasfix.knowledge.messages import numeric as facts

if TYPE_CHECKING:
    from kerasfix.inspect.inventory import Distribution

_SITE_TOP = re.compile(r"[/\\](?:site|dist)-packages[/\\](?P<top>[A-Za-z_][\w]*)")
_NOT_CULPRITS = {"numpy", "importlib", "six", "IPython", "ipykernel", "runpy"}
_GENCODE = re.compile(r"gencode (?P<gencode>\d+\.\d+\.\d+)\S* runtime (?P<runtime>\d[\w.]*)")


def _at(dist: Distribution) -> str:
    return f"{dist.label} is installed at {dist.location}"


def _version(ctx: Context, name: str) -> tuple[Distribution, Version] | None:
    dist = ctx.inv.get(name)
    return (dist, dist.version) if dist and dist.version else None


def _matched(ctx: Context, signature_id: str) -> bool:
    return any(m.signature.id == signature_id for m in ctx.explanation.matches)


def _groups(ctx: Context, prefix: str) -> list[str]:
    """Every value of the named groups `prefix`, `prefix2`, ... of the matched signatures."""
    return [value for m in ctx.explanation.matches for key, value in m.groups.items()
            if key.rstrip("0123456789") == prefix]


def _culprit(ctx: Context) -> str | None:
    """The innermost installed package of the traceback (not NumPy itself): the module that
    did the import, e.g. cv2 or tensorflow."""
    tops = [m.group("top") for path in ctx.explanation.paths.files
            if (m := _SITE_TOP.search(path)) and m.group("top") not in _NOT_CULPRITS]
    return tops[-1] if tops else None


def _owner(ctx: Context, top: str) -> Distribution | None:
    return next((d for d in ctx.inv.active_distributions if top in d.tops), None)


# ---------------------------------------------------------------- NumPy


def numpy2_module(ctx: Context) -> Check | None:
    """NumPy 2 here, and which installed module is the NumPy-1 one when the scan can tell."""
    found = _version(ctx, "numpy")
    if found is None:
        return None
    numpy, version = found
    if not compat.is_numpy2(version):
        return RULED_OUT, (f"{_at(numpy)}: NumPy 1.x loads modules compiled against it",)
    if any(f.code == "numpy-incompatible" for f in ctx.findings):
        return None  # the scan's finding names TensorFlow and confirms it
    modules = _numpy1_modules(ctx)
    if not modules:  # NumPy 2 alone is no fault: which module is built for NumPy 1 is unknown
        return None
    return CONFIRMED, (_at(numpy), *modules)


def _numpy1_modules(ctx: Context) -> tuple[str, ...]:
    out = []
    mld = _version(ctx, "ml-dtypes")
    if mld and mld[1] < facts.ML_DTYPES_NUMPY2_FIRST:
        out.append(f"{_at(mld[0])}: releases before {facts.ML_DTYPES_NUMPY2_FIRST} are compiled"
                   " against NumPy 1.x")
    top = _culprit(ctx)
    if top:
        owner = _owner(ctx, top)
        what = f"{top} ({_at(owner)})" if owner else top
        out.append(f"the failing import is in {what}: upgrade it to a release built for"
                   " NumPy 2, or install numpy<2")
    return tuple(out)


def _hex(text: str | None) -> int | None:
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None


def numpy_too_old(ctx: Context) -> Check | None:
    found = _version(ctx, "numpy")
    if found is None:
        return None
    numpy, version = found
    needs, have = _hex(ctx.explanation.group("needs")), facts.numpy_c_api(version)
    if needs is None or have is None:
        return _below_tensorflow(ctx, numpy, version)
    if have >= needs:
        return RULED_OUT, (f"{_at(numpy)}, which provides C API 0x{have:x} >= 0x{needs:x}: the"
                           " NumPy that printed this is another copy or another environment",)
    first = facts.numpy_for_c_api(needs)
    return CONFIRMED, (f"{_at(numpy)}, which provides C API 0x{have:x}; the module was compiled"
                       f" against 0x{needs:x}" + (f" (NumPy >= {first})" if first else ""),)


def _below_tensorflow(ctx: Context, numpy: Distribution, version: Version) -> Check | None:
    tf = ctx.inv.tensorflow()
    if not (tf and tf.version):
        return None
    verdict = compat.numpy_fits(tf.version, version)
    if verdict.side is Side.BELOW:
        return CONFIRMED, (f"{_at(numpy)}: {verdict.reason}",)
    return None


def numpy_two_copies(ctx: Context) -> Check | None:
    """Two numpy packages on the scanned sys.path: the first wins, the other is the copy pip
    may be showing. One only: the scan rules it out, unless the message says files of two
    versions are mixed in that one folder."""
    cands = [c for c in ctx.inv.import_candidates.get("numpy", []) if c.kind == "package"]
    if len(cands) >= 2:
        first, *rest = cands
        return CONFIRMED, (f"`import numpy` takes {first.path} (sys.path[{first.index}],"
                           f" {first.origin})",
                           *(f"another numpy: {c.path} (sys.path[{c.index}], {c.origin})"
                             for c in rest))
    if len(cands) == 1:
        if _matched(ctx, "numpy-older-copy"):
            return UNKNOWN, (f"one numpy folder on sys.path ({cands[0].path}); files of an older"
                             " NumPy may be mixed into it: reinstall numpy with"
                             " --force-reinstall",)
        return RULED_OUT, (f"only one numpy on sys.path: {cands[0].path}",)
    return None


def numpy_alias(ctx: Context) -> Check | None:
    found = _version(ctx, "numpy")
    aliases = _groups(ctx, "alias")
    if found is None or not aliases:
        return None
    numpy, version = found
    alias = aliases[0]
    removed = facts.NUMPY_ALIAS_REMOVED.get(alias)
    if removed is None:
        return None
    back = facts.NUMPY_ALIAS_BACK.get(alias)
    if version < removed or (back is not None and version >= back):
        return RULED_OUT, (f"{_at(numpy)}, which has np.{alias}: the error came from another"
                           " NumPy or another environment",)
    top = _culprit(ctx)
    user = f"; the traceback's last library is {top}: upgrade it" if top else ""
    return CONFIRMED, (f"{_at(numpy)}: np.{alias} was removed in NumPy {removed}{user}, or"
                       f" install numpy<{removed}",)


# ---------------------------------------------------------------- ml-dtypes


def ml_dtypes_mismatch(ctx: Context) -> Check | None:
    """Which way ml-dtypes is off for the dtype the message names; otherwise the scan's
    ml-dtypes-incompatible finding decides."""
    found = _version(ctx, "ml-dtypes")
    names = _groups(ctx, "dtype")
    if found is None or not names:
        return None
    mld, version = found
    name = names[0]
    removed, added = facts.ML_DTYPES_REMOVED.get(name), facts.ML_DTYPES_ADDED.get(name)
    if removed is not None and version >= removed:
        return CONFIRMED, (f"{_at(mld)}: ml_dtypes.{name} was removed in {removed}; what uses"
                           " it needs an older ml-dtypes (or a newer TensorFlow/JAX)",)
    if added is not None and version < added:
        return CONFIRMED, (f"{_at(mld)}: ml_dtypes.{name} arrived in {added}; upgrade"
                           " ml-dtypes within what TensorFlow/JAX declare",)
    if removed is not None or added is not None:
        return RULED_OUT, (f"{_at(mld)}, which has ml_dtypes.{name}: the error came from"
                           " another environment",)
    return None


# ---------------------------------------------------------------- protobuf


def protobuf_too_new(ctx: Context) -> Check | None:
    """TensorFlow's own pin first; without TensorFlow (TensorBoard, tensorboardX, ONNX) the
    installed protobuf against the boundary the message belongs to."""
    checked = checkers.protobuf_too_new(ctx)
    if checked is not None:
        return checked
    found = _version(ctx, "protobuf")
    if found is None or not _matched(ctx, "protobuf-descriptors"):
        return None
    pb, version = found
    if version >= facts.PROTOBUF_STRICT_FIRST:
        return CONFIRMED, (f"{_at(pb)}: protobuf >= {facts.PROTOBUF_STRICT_FIRST} refuses"
                           " *_pb2 modules generated by protoc < 3.19",)
    return RULED_OUT, (f"{_at(pb)}, which still loads old *_pb2 modules",)


def protobuf_too_old(ctx: Context) -> Check | None:
    checked = checkers.protobuf_too_old(ctx)
    if checked is not None:
        return checked
    found = _version(ctx, "protobuf")
    if found is None:
        return None
    pb, version = found
    needs = _protobuf_needed(ctx)
    if needs is None:
        return None
    if version < needs:
        return CONFIRMED, (f"{_at(pb)}: the generated code needs protobuf >= {needs}",)
    return RULED_OUT, (f"{_at(pb)}, at least the {needs} the generated code needs: the error"
                       " came from another protobuf or another environment",)


def _protobuf_needed(ctx: Context) -> Version | None:
    """The runtime the message's generated code needs: the gencode version it prints, or the
    protobuf that introduced what it failed to import."""
    gencode = _GENCODE.search(ctx.explanation.text)
    if gencode:
        return Version(gencode.group("gencode"))
    if _matched(ctx, "protobuf-builder"):
        return knowledge.PROTOBUF_BUILDER_FIRST
    if re.search(r"runtime_version", ctx.explanation.text):
        return facts.PROTOBUF_RUNTIME_CHECK_FIRST
    return None


DECIDES: dict[str, Checker] = {
    "numpy2-under-old-tf": numpy2_module,
    "numpy-too-old": numpy_too_old,
    "numpy-two-copies": numpy_two_copies,
    "numpy-alias-removed": numpy_alias,
    "ml-dtypes-mismatch": ml_dtypes_mismatch,
    "protobuf-too-new": protobuf_too_new,
    "protobuf-too-old": protobuf_too_old,
}
