"""Facts about the environment itself: conda + pip, externally managed, writability (S18)."""

from __future__ import annotations

from collections.abc import Iterator

from packaging.utils import canonicalize_name

from kerasfix.diagnose.checks.base import check
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Inventory

# conda package names that install the same thing as a pip distribution.
CONDA_TO_PIP = {"tensorflow-base": "tensorflow", "ml_dtypes": "ml-dtypes", "tf_keras": "tf-keras"}


@check
def conda_and_pip_mixed(inv: Inventory) -> Iterator[Finding]:
    for rec in inv.conda:
        pip_name = canonicalize_name(CONDA_TO_PIP.get(rec.name, rec.name))
        dist = inv.get(pip_name)
        if not dist or (dist.installer or "").strip().lower() in ("conda", ""):
            continue
        yield Finding(
            code="conda-and-pip-own-package",
            severity=Severity.WARNING,
            title=f"{rec.name} {rec.version} (conda) and {dist.label} ({dist.installer}) overlap",
            detail=("conda recorded this package and pip installed its own copy over it. Each"
                    " manager believes it owns the files; an update or removal by either leaves"
                    " the other's metadata pointing at files that changed."),
            evidence=(f"conda-meta/{rec.file}", f"{dist.dist_dir} (INSTALLER: {dist.installer})"),
            distributions=(dist.label,),
            paths=(dist.dist_dir,),
            strategies=(S.FRESH_VENV, S.MANUAL),
            scenario="S18",
            manual=(f"conda remove {rec.name}  (then install with one manager only)",),
        )


@check
def cannot_change_in_place(inv: Inventory) -> Iterator[Finding]:
    interp = inv.interpreter
    if interp.externally_managed:
        reason = f"it is marked externally managed ({interp.externally_managed_path})"
    elif not interp.site_writable:
        reason = f"you cannot write to {interp.purelib}"
    else:
        return
    yield Finding(
        code="environment-read-only",
        severity=Severity.INFO,
        title="This environment cannot be changed in place",
        detail=(f"kerasfix will not modify it because {reason}. Fixes go to a fresh virtual"
                " environment (or ask the environment's owner)."),
        evidence=(reason,),
        paths=(interp.purelib,),
        strategies=(S.FRESH_VENV,),
    )
