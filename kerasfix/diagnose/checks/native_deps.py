"""NumPy, protobuf and ml-dtypes against the installed TensorFlow (S11, S12).

TensorFlow is compiled against these; its Requires-Dist says which versions it accepts, except
for the releases whose metadata lets NumPy 2 in although the build needs NumPy 1.
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.checks.base import check, pip_cmd, requirement_on, satisfied
from kerasfix.diagnose.findings import Finding, RuntimeStep, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Inventory
from kerasfix.knowledge import compat
from kerasfix.knowledge.compat import Misfit, Side

NUMPY_BANNER = (f"A module that was {knowledge.NUMPY_ABI_BANNER} NumPy 2.x as it may"
                " crash ... AttributeError: _ARRAY_API not found ... ImportError:"
                " numpy.core.umath failed to import")
NUMPY_UNCAPPED_SYMPTOM = ("TypeError: Unable to convert function return value to a Python type!"
                          " The signature was () -> handle")


@check
def numpy_fits_tensorflow(inv: Inventory) -> Iterator[Finding]:
    tf, numpy = inv.tensorflow(), inv.get("numpy")
    if not (tf and tf.version and numpy and numpy.version):
        return
    req = requirement_on(tf, inv, "numpy")
    # no numpy requirement at all: only the NumPy 1 / NumPy 2 ABI fact is left to judge
    verdict = compat.numpy_fits(tf.version, numpy.version,
                                req.specifier if req else SpecifierSet())
    if verdict.ok:
        return
    abi = verdict.misfit is Misfit.NUMPY_ABI
    uncapped = abi and compat.numpy_uncapped(tf.version)
    silent = uncapped and verdict.declared_allows  # pip installed it without complaint
    fix = "numpy<2" if abi else str(req).replace(" ", "")
    yield Finding(
        code="numpy-incompatible",
        severity=Severity.ERROR,
        title=f"NumPy {numpy.raw_version} does not work with TensorFlow {tf.raw_version}",
        detail=(f"TensorFlow {tf.raw_version} is compiled against NumPy 1.x; NumPy 2 changed the"
                " C ABI, so `import tensorflow` prints NumPy's ABI banner and fails."
                + (" Its metadata does not cap NumPy (a known gap in"
                   f" {compat.numpy_uncapped_text()}), so pip installed NumPy 2 without complaint"
                   " and pip check is silent."
                   if silent else "")
                if abi else
                f"TensorFlow {tf.raw_version} declares {req}; NumPy {numpy.raw_version} is outside"
                " that range."),
        symptom=(NUMPY_UNCAPPED_SYMPTOM if silent else NUMPY_BANNER if abi else None),
        evidence=(f"{tf.label} requires {req}" if req else f"{tf.label} declares no numpy cap",
                  f"installed: {numpy.label}"),
        distributions=(tf.label, numpy.label),
        paths=(numpy.dist_dir,),
        strategies=(S.REPAIR, S.UPGRADE, S.FRESH_VENV),
        scenario="S11",
        predicts=(RuntimeStep.IMPORT_TENSORFLOW,),
        manual=(pip_cmd(inv, "install", fix),),
    )


def _protobuf_error_symptom(tf: Version, pb: Version) -> str:
    if compat.protobuf_above_is_fatal(tf):
        return ("TypeError: Descriptors cannot be created directly. If this call came from a"
                " _pb2.py file, your generated code is out of date ...")
    if compat.protobuf_lacks_builder(pb):
        return "ImportError: cannot import name 'builder' from 'google.protobuf.internal'"
    return ("google.protobuf.runtime_version.VersionError: Detected incompatible Protobuf"
            " Gencode/Runtime versions")


@check
def protobuf_fits_tensorflow(inv: Inventory) -> Iterator[Finding]:
    tf, pb = inv.tensorflow(), inv.get("protobuf")
    if not (tf and tf.version and pb and pb.version):
        return
    req = requirement_on(tf, inv, "protobuf")
    if not req:
        return  # (TF 2.20 with protobuf 7 has no cap and was checked to work)
    verdict = compat.protobuf_side(tf.version, pb.version, req.specifier)
    if verdict.ok:
        return
    predicts: tuple[RuntimeStep, ...]
    if verdict.side is Side.ABOVE and not compat.protobuf_above_is_fatal(tf.version):
        # Checked with real installs: TF 2.18 with protobuf 6.33 imports and trains, printing
        # "'MessageFactory' object has no attribute 'GetPrototype'" lines.
        severity, predicts = Severity.WARNING, ()
        symptom = "AttributeError: 'MessageFactory' object has no attribute 'GetPrototype' (noise)"
        detail = (f"protobuf {pb.raw_version} is newer than TensorFlow {tf.raw_version} declares"
                  f" ({req.specifier}). It still imports, with warnings printed; pip check"
                  " reports the conflict and the next protobuf release may break it.")
    else:
        severity, predicts = Severity.ERROR, (RuntimeStep.IMPORT_TENSORFLOW,)
        symptom = _protobuf_error_symptom(tf.version, pb.version)
        detail = (f"TensorFlow's generated *_pb2 modules need protobuf {req.specifier}; another"
                  f" package (or a manual change) installed {pb.raw_version}, so"
                  " `import tensorflow` fails inside its protobuf modules.")
    yield Finding(
        code="protobuf-incompatible",
        severity=severity,
        title=f"protobuf {pb.raw_version} does not fit TensorFlow {tf.raw_version}",
        detail=detail,
        symptom=symptom,
        evidence=(f"{tf.label} requires {req}", f"installed: {pb.label}"),
        distributions=(tf.label, pb.label),
        paths=(pb.dist_dir,),
        strategies=(S.REPAIR, S.UPGRADE, S.FRESH_VENV),
        scenario="S12",
        predicts=predicts,
        manual=(pip_cmd(inv, "install", f"protobuf{req.specifier}"),),
    )


@check
def ml_dtypes_fits_tensorflow(inv: Inventory) -> Iterator[Finding]:
    tf, mld = inv.tensorflow(), inv.get("ml-dtypes")
    if not (tf and tf.version):
        return
    req = requirement_on(tf, inv, "ml-dtypes")
    if not req or satisfied(req, mld):
        return
    yield Finding(
        code="ml-dtypes-incompatible",
        severity=Severity.ERROR,
        title=(f"ml-dtypes {mld.raw_version} does not fit TensorFlow {tf.raw_version}" if mld
               else f"ml-dtypes is missing for TensorFlow {tf.raw_version}"),
        detail=("TensorFlow pins ml-dtypes tightly (its bfloat16/float8 types come from it);"
                " JAX and Keras 3 often pull a different version."),
        symptom="AttributeError: module 'ml_dtypes' has no attribute ...",
        evidence=(f"{tf.label} requires {req}",
                  f"installed: {mld.label}" if mld else "not installed"),
        distributions=tuple(d.label for d in (tf, mld) if d),
        strategies=(S.REPAIR, S.UPGRADE, S.FRESH_VENV),
        predicts=(RuntimeStep.IMPORT_TENSORFLOW,),
        manual=(pip_cmd(inv, "install", f"ml-dtypes{req.specifier}"),),
    )
