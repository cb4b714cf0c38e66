"""Every installed distribution's requirements, like `pip check`, but variant-aware; and
whether the installed wheels and their Requires-Python fit this interpreter (S13)."""

from __future__ import annotations

from collections.abc import Iterator

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kerasfix import knowledge
from kerasfix.diagnose.checks.base import applies, check, pip_cmd, satisfied
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.knowledge import addons, compat

# Pairs a dedicated check explains better; the generic check stays quiet about them.
_EXPLAINED_ELSEWHERE = {
    "tensorflow": {"keras", "keras-nightly", "numpy", "protobuf", "ml-dtypes"},
    "tf-keras": set(knowledge.TENSORFLOW_VARIANTS),
    "tf-keras-nightly": set(knowledge.TENSORFLOW_VARIANTS),
}
_ADDONS = frozenset((*addons.TF_ADDONS, *addons.KERAS_LIBS))
_ADDON_NEEDS = frozenset((*knowledge.TENSORFLOW_VARIANTS, *knowledge.KERAS_VARIANTS,
                          *knowledge.TF_KERAS_VARIANTS, "keras-hub"))


def _explained(inv: Inventory, requirer: Distribution, required: str) -> bool:
    if requirer.name in knowledge.TENSORFLOW_VARIANTS and requirer is not inv.tensorflow():
        return False  # a second TF build: its stale requirements are nobody else's business
    key = "tensorflow" if requirer.name in knowledge.TENSORFLOW_VARIANTS else requirer.name
    return canonicalize_name(required) in _EXPLAINED_ELSEWHERE.get(key, set())


def _keras_missing_explained(inv: Inventory, requirer: Distribution, required: str) -> bool:
    """TF requiring a keras that is not there: tensorflow-without-keras says it (when tf.keras
    really fails; in legacy mode with tf-keras only pip's complaint remains)."""
    tf = inv.tensorflow()
    if requirer is not tf or canonicalize_name(required) not in knowledge.KERAS_VARIANTS:
        return False
    if tf is None or tf.version is None:
        return False
    route = knowledge.route_tf_keras(tf.version, None, inv.legacy_keras_env,
                                     inv.tf_keras() is not None)
    return route.kind == "fail"


def _variant_for(req: Requirement, inv: Inventory) -> Distribution | None:
    """An installed distribution that provides the same import package under another name."""
    family = knowledge.family_of(req.name)
    if family is None:
        return None
    members = knowledge.IMPORT_PACKAGES[family]
    return next((d for d in inv.installed(members) if d.name != canonicalize_name(req.name)), None)


@check
def declared_requirements(inv: Inventory) -> Iterator[Finding]:
    for dist in inv.active_distributions:
        for req in dist.requires:
            if not applies(req, inv):
                continue
            found = inv.get(req.name)
            if satisfied(req, found) or (found and _explained(inv, dist, req.name)):
                continue
            if found is None and _keras_missing_explained(inv, dist, req.name):
                continue
            if _judged_by_addon_check(inv, dist, req, found):
                continue
            yield from _unmet(inv, dist, req, found)


def _judged_by_addon_check(inv: Inventory, dist: Distribution, req: Requirement,
                           found: Distribution | None) -> bool:
    """An add-on's TensorFlow / Keras / tf-keras needs: checks/addons.py judges them by line
    (TF-DF's exact patch pin, tf-keras only where the add-on really imports it) and names the
    add-on once. Only the note that a variant meets a by-name requirement stays (it is why
    pip check complains)."""
    if dist.name not in _ADDONS or canonicalize_name(req.name) not in _ADDON_NEEDS:
        return False
    variant = _variant_for(req, inv) if found is None else None
    return not (variant is not None and variant.version is not None
                and req.specifier.contains(variant.version, prereleases=True))


def _unmet(inv: Inventory, dist: Distribution, req: Requirement,
           found: Distribution | None) -> Iterator[Finding]:
    stack = dist.name in knowledge.STACK or canonicalize_name(req.name) in knowledge.STACK
    variant = _variant_for(req, inv) if found is None else None
    if variant is not None:
        fits = variant.version is not None and req.specifier.contains(
            variant.version, prereleases=True)
        if not fits and dist.name in knowledge.TF_KERAS_VARIANTS:
            return  # tf-keras-minor-mismatch explains it
        yield Finding(
            code="requirement-met-by-variant" if fits else "requirement-variant-mismatch",
            severity=Severity.INFO if fits else Severity.ERROR,
            title=(f"{dist.label} requires {req.name}; {variant.label} provides it"
                   + ("" if fits else f" but not at {req.specifier}")),
            detail=(f"{variant.name} installs the same `{knowledge.family_of(req.name)}`"
                    " import package, so this works at run time. pip only matches names: pip"
                    f" check reports {req.name} as not installed, and the next `pip install` that"
                    f" touches {dist.name} will add the {req.name} distribution beside"
                    f" {variant.name}, and the two will overwrite each other's files."
                    if fits else
                    f"{variant.label} provides the import package, but at a version outside"
                    f" {req.specifier}."),
            evidence=(f"{dist.label} requires {req}", f"installed: {variant.label}"),
            distributions=(dist.label, variant.label),
            strategies=() if fits else (S.REPAIR,),
        )
        return
    severity = Severity.ERROR if stack else Severity.WARNING
    if found is None:
        title = f"{dist.label} requires {req.name}, which is not installed"
        detail = (f"{dist.name} declares `{req}` but no {req.name} distribution is on"
                  f" sys.path; importing the parts of {dist.name} that use it fails.")
    else:
        title = f"{dist.label} requires {req}, but {found.label} is installed"
        detail = (f"{found.label} is outside the range {dist.name} declares; pip check"
                  " reports the same conflict.")
    yield Finding(
        code="requirement-not-installed" if found is None else "requirement-version-conflict",
        severity=severity,
        title=title,
        detail=detail,
        evidence=(f"{dist.dist_dir}: Requires-Dist: {req}",
                  f"installed: {found.label}" if found else "not installed"),
        distributions=tuple(d.label for d in (dist, found) if d),
        strategies=(S.REPAIR, S.FRESH_VENV) if stack else (S.MANUAL,),
        manual=(pip_cmd(inv, "install", f"{req.name}{req.specifier}"),) if not stack else (),
    )


@check
def requires_python(inv: Inventory) -> Iterator[Finding]:
    version = knowledge.parse_version(inv.interpreter.markers.get("python_full_version"))
    if version is None:
        return
    for dist in inv.active_distributions:
        spec = dist.requires_python
        if spec is None or spec.contains(version, prereleases=True):
            continue
        stack = dist.name in knowledge.STACK
        yield Finding(
            code="requires-python-unmet",
            severity=Severity.ERROR if stack else Severity.WARNING,
            title=f"{dist.label} requires Python {spec}; this is {inv.interpreter.version_text}",
            detail=("It was installed for another Python (a venv upgraded in place, site-packages"
                    " copied over, or --ignore-requires-python)."),
            evidence=(f"Requires-Python: {spec}",),
            distributions=(dist.label,),
            strategies=(S.REPAIR, S.FRESH_VENV),
            scenario="S13",
        )


@check
def wheels_for_this_interpreter(inv: Inventory) -> Iterator[Finding]:
    """Binary wheels tagged cpXY for another CPython (a venv rebuilt on a new Python)."""
    cp = inv.interpreter.cp_tag
    for dist in inv.active_distributions:
        pythons = {tag.split("-")[0] for tag in dist.wheel_tags if tag.count("-") == 2}
        abis = {tag.split("-")[1] for tag in dist.wheel_tags if tag.count("-") == 2}
        cpython = {p for p in pythons if p.startswith("cp")}
        if not cpython or cp in cpython or "abi3" in abis or inv.interpreter.implementation != \
                "cpython":
            continue
        stack = dist.name in knowledge.STACK
        yield Finding(
            code="wheel-for-another-python",
            severity=Severity.ERROR if stack else Severity.WARNING,
            title=f"{dist.label} is a wheel for {', '.join(sorted(cpython))}, this is {cp}",
            detail=("Its compiled extensions were built for another CPython and will not load"
                    " (ImportError on the .so/.pyd)."),
            evidence=tuple(f"WHEEL Tag: {t}" for t in dist.wheel_tags[:3]),
            distributions=(dist.label,),
            paths=(dist.dist_dir,),
            strategies=(S.REPAIR, S.FRESH_VENV),
            scenario="S13",
        )


@check
def tensorflow_wheels_for_python(inv: Inventory) -> Iterator[Finding]:
    """Whether any stable TensorFlow ships wheels for this interpreter (upgrade/repair need it)."""
    interp = inv.interpreter
    if interp.implementation != "cpython":
        return
    stack_present = inv.tensorflow() or inv.keras() or inv.tf_keras()
    lines = knowledge.TF_LINES.values()
    if any(compat.python_fits(li, interp.short_version, bits=interp.bits).ok for li in lines):
        return
    if not stack_present and any(compat.python_fits(li, interp.short_version).ok
                                 for li in lines):
        return  # only the 32-bit build lacks wheels, and nothing here needs TensorFlow
    newest_line = knowledge.TF_LINES[knowledge.NEWEST_LINE]
    yield Finding(
        code="no-tensorflow-wheels-for-python",
        severity=Severity.WARNING if stack_present else Severity.INFO,
        title=(f"No stable TensorFlow release has wheels for Python {interp.version_text}"
               + (" (32-bit)" if interp.bits == 32 else "")),
        detail=("`pip install tensorflow` fails here with 'Could not find a version that"
                " satisfies the requirement tensorflow'. Use a Python that TensorFlow supports"
                f" ({compat.python_window(newest_line)} for TF {newest_line.minor_text}) in a"
                " fresh environment."),
        symptom="ERROR: No matching distribution found for tensorflow",
        evidence=(f"interpreter: {interp.executable} ({interp.version_text}, {interp.bits}-bit)",),
        strategies=(S.FRESH_VENV,),
        scenario="S13",
    )
