"""Matching a pasted text against the catalogue's signatures, and ranking their causes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kerasfix.diagnose.explain.evidence import TextFacts, favoured, read_facts
from kerasfix.diagnose.explain.traceback import TracebackPaths, normalise, traceback_paths
from kerasfix.knowledge.messages import CAUSES, SIGNATURES, Cause, Signature
from kerasfix.textsafe import plural


@dataclass(frozen=True)
class SignatureMatch:
    signature: Signature
    excerpt: str  # the line that matched
    line: int  # 1-based line of the last match in the text
    groups: dict[str, str]


@dataclass(frozen=True)
class Explanation:
    text: str
    matches: tuple[SignatureMatch, ...]  # most telling first
    causes: tuple[Cause, ...]  # most likely first
    support: dict[str, tuple[str, ...]]  # cause id -> the signature ids and hints behind it
    paths: TracebackPaths
    notes: tuple[str, ...]
    message: str
    facts: TextFacts = field(default_factory=TextFacts)

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def group(self, name: str) -> str | None:
        """A named regex group from the matches, e.g. 'module' of No module named '...'."""
        for match in self.matches:
            for key in (name, f"{name}2"):
                if match.groups.get(key):
                    return match.groups[key]
        return None


UNMATCHED = ("No known TensorFlow/Keras error signature in this text. Paste the whole traceback"
             " (its last lines name the real error) or pip's output, or run `kerasfix scan`,"
             " which finds most causes without an error message.")


OUTSIDE = ("This is an error in the code or its data, not in the TensorFlow/Keras installation:"
           " no environment change fixes it.")


def _find(signature: Signature, text: str) -> SignatureMatch | None:
    last: re.Match[str] | None = None
    for pattern in signature.compiled():
        for match in pattern.finditer(text):
            if last is None or match.start() > last.start():
                last = match
    if last is None:
        return None
    line = text.count("\n", 0, last.start()) + 1
    start = text.rfind("\n", 0, last.start()) + 1
    end = text.find("\n", last.end())
    excerpt = text[start:end if end != -1 else len(text)].strip()
    groups = {k: v for k, v in last.groupdict().items() if v}
    return SignatureMatch(signature, excerpt[:500], line, groups)


def explain_text(text: str) -> Explanation:
    text = normalise(text or "")
    found = [m for s in SIGNATURES if (m := _find(s, text))]
    notes = tuple(m.signature.summary for m in found if m.signature.noise)
    matches = sorted((m for m in found if not m.signature.noise),
                     key=lambda m: (-m.signature.priority, -m.line))
    paths = traceback_paths(text)
    facts = read_facts(text)
    causes, support = _rank_causes(matches, text, paths, facts)
    if matches and not causes and all(m.signature.outside for m in matches):
        message = f"{matches[0].signature.summary} {OUTSIDE}"
    elif matches:
        message = f"{matches[0].signature.summary} ({plural(len(causes), 'possible cause')})"
    elif causes:  # no signature, but the paths speak (a keras.py of the user's)
        message = (f"The traceback runs through {paths.shadowing[0]}, a file named like the"
                   " package it imports")
    elif notes:
        message = ("Only harmless TensorFlow start-up messages here; the real error is"
                   " elsewhere. " + UNMATCHED)
    else:
        message = UNMATCHED
    return Explanation(text, tuple(matches), causes, support, paths, notes, message, facts)


def _rank_causes(matches: list[SignatureMatch], text: str, paths: TracebackPaths,
                 facts: TextFacts) -> tuple[tuple[Cause, ...], dict[str, tuple[str, ...]]]:
    """Causes favoured by evidence (a path, a fact, a text hint) come first, then those named
    by more matched signatures; otherwise the order of the most telling signature's list."""
    order: list[str] = []
    support: dict[str, list[str]] = {}
    for match in matches:
        for cause_id in match.signature.causes:
            if cause_id not in order:
                order.append(cause_id)
            support.setdefault(cause_id, []).append(
                f"line {match.line}: {match.signature.id}")
    _path_support(order, support, paths)
    for cause_id in order:
        support[cause_id].extend(f"text: /{hint}/" for hint in CAUSES[cause_id].hints
                                 if re.search(hint, text))
        fact = favoured(cause_id, facts)
        if fact is not None:
            support[cause_id].append(f"fact: {fact}")

    def key(cause_id: str) -> tuple[int, int, int]:
        items = support[cause_id]
        evidence = sum(1 for s in items if s.startswith(("path:", "text:", "fact:")))
        return (-evidence, -len(items), order.index(cause_id))

    ranked = sorted(order, key=key)
    return tuple(CAUSES[c] for c in ranked), {c: tuple(support[c]) for c in ranked}


def _path_support(order: list[str], support: dict[str, list[str]], paths: TracebackPaths
                  ) -> None:
    """A keras.py in the traceback outweighs everything; a user-site path backs that cause."""
    if paths.shadowing:
        if "local-file-shadows" not in order:
            order.append("local-file-shadows")
        support.setdefault("local-file-shadows", []).append(f"path: {paths.shadowing[0]}")
    if paths.user_site and "user-site-copy" in order:
        support["user-site-copy"].append(f"path: {paths.user_site[0]}")
