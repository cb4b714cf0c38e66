"""Explain an error message or traceback: which known signature it is and what likely causes it.

API (core: no textual/rich; `kerasfix explain TEXT|FILE|-` and the TUI paste box build on it):

    explain_text(text) -> Explanation
        Matches the text (one message or a whole traceback / pip log) against SIGNATURES.
        Explanation.matches: the signatures found, most telling first; .causes: the candidate
        Causes, most likely first; .paths: file paths in the traceback that reveal a shadowing
        file or a user-site install; .notes: harmless lines recognised (CUDA/oneDNN start-up
        noise); .message: one line for the user. Unmatched text gives no causes and a message
        saying what to paste instead.
    check_against(explanation, scan_result) -> list[CauseVerdict]
        Judges each cause against a real scan (kerasfix.diagnose.scan.scan) of the environment
        that produced the error: "confirmed" (with evidence from the scan's findings and
        inventory), "ruled-out", or "unknown" (the scan cannot tell statically). Confirmed
        first; the first confirmed one has is_the_cause=True.
    diagnose(explanation, scan_result) -> Diagnosis
        The same verdicts plus `cause` (THE cause, or None) and notes, e.g. that the traceback
        ran in another environment than the one scanned.
    exit_code(diagnosis) -> int
        `kerasfix explain`'s exit code: 1 when the scan confirms a cause (something to fix),
        0 otherwise (also without a scan, diagnosis=None).
    read_source(arg, stdin=None) -> str
        "-" reads stdin, an existing file path is read, anything else is the text itself.

The package: traceback.py (reading and parsing the pasted text), match.py (signatures -> ranked
causes), checkers.py (how a scan decides one cause; version facts from kerasfix.knowledge.compat),
judge.py (verdicts against a scan). The catalogue itself, CAUSES and SIGNATURES as data records,
is kerasfix/knowledge/messages.py.
"""

from __future__ import annotations

from kerasfix.diagnose.explain.checkers import CONFIRMED, RULED_OUT, UNKNOWN
from kerasfix.diagnose.explain.judge import (
    CauseVerdict,
    Diagnosis,
    check_against,
    diagnose,
    exit_code,
)
from kerasfix.diagnose.explain.match import UNMATCHED, Explanation, SignatureMatch, explain_text
from kerasfix.diagnose.explain.traceback import (
    MAX_TEXT,
    TEXT_SUFFIXES,
    TracebackPaths,
    read_source,
    traceback_paths,
)
from kerasfix.knowledge.messages import CAUSES, SIGNATURES, Cause, Signature

__all__ = [
    "CAUSES", "CONFIRMED", "MAX_TEXT", "RULED_OUT", "SIGNATURES", "TEXT_SUFFIXES", "UNKNOWN",
    "UNMATCHED", "Cause", "CauseVerdict", "Diagnosis", "Explanation", "Signature",
    "SignatureMatch", "TracebackPaths", "check_against", "diagnose", "exit_code", "explain_text",
    "read_source", "traceback_paths",
]
