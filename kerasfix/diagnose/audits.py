"""What `scan --requirements FILE` and `scan --code DIR` add to a scan, for every presenter.

The audits are imported only when asked for: a plain scan does not pay for them.
"""

from __future__ import annotations

from kerasfix.diagnose.scan import ScanResult
from kerasfix.textsafe import plural


def judge_requirements(result: ScanResult, path: str) -> None:
    """The pins of a requirements file judged for this interpreter, instead of the
    environment's own findings (they describe what is installed, not what the file asks)."""
    from kerasfix.diagnose.requirements_audit import audit_requirements

    result.findings = audit_requirements(path, result.inventory.interpreter)
    result.notes.append(f"requirements file: {path}")


def add_code_findings(result: ScanResult, folder: str) -> None:
    """The places in the user's code that the installed Keras line breaks, added to the scan."""
    from kerasfix.diagnose.code_audit import code_findings, installed_keras_major, scan_code
    from kerasfix.diagnose.findings import sort_findings

    tf = result.inventory.tensorflow()
    hits = scan_code(folder, installed_keras_major(result.inventory),
                     tf_version=tf.raw_version if tf else None)
    result.findings = sort_findings(result.findings + code_findings(hits))
    result.notes.append(f"code scanned: {folder} ({plural(len(hits), 'place')} to change)")
