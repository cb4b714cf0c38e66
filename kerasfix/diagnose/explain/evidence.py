"""A traceback is evidence, not just text: the facts it shows without saying them.

Read from the pasted text, each with the line it came from:
- the platform (Windows drive paths, macOS /Users and zsh, Linux /home and dist-packages);
- the Python that ran it (python3.7 in a site-packages path, Python37 on Windows, a cp311 wheel
  tag, "Python 3.13.0" in a banner) and Python 2 (its `'module' object has no attribute` and
  unquoted `No module named x` wordings);
- the versions the text prints: pip's "X 2.13.1 requires keras<2.14, but you have keras 3.1.1",
  "TensorFlow version 2.9.1", tensorflow-addons' "currently using is 2.9.1".

FAVOURS then says which facts make which cause likelier, judged with the same predicates the
scan uses (kerasfix.knowledge.compat): the ranking counts them like text hints, and the report
shows them as the lines that led to the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from kerasfix import knowledge
from kerasfix.knowledge import compat
from kerasfix.knowledge.compat import Misfit


@dataclass(frozen=True)
class Fact:
    name: str  # "platform", "python", "python2" or a distribution name
    value: str
    line: int  # 1-based line of the text it was read from

    def __str__(self) -> str:
        return f"line {self.line}: {self.name} {self.value}"


@dataclass(frozen=True)
class TextFacts:
    facts: tuple[Fact, ...] = ()

    def first(self, name: str) -> Fact | None:
        return next((f for f in self.facts if f.name == name), None)

    def version(self, name: str) -> Version | None:
        fact = self.first(name)
        try:
            return Version(fact.value) if fact else None
        except InvalidVersion:
            return None

    def python(self) -> tuple[int, int] | None:
        fact = self.first("python")
        if fact is None:
            return None
        major, minor = fact.value.split(".")[:2]
        return int(major), int(minor)


_PLATFORMS = (
    ("windows", re.compile(r"(?:^|[\s\"'(])[A-Za-z]:\\|\\AppData\\|\.pyd\b|\.dll\b|win_amd64")),
    ("macos", re.compile(r"/Users/[^/\s]+/|^zsh: |/opt/homebrew/|\.dylib\b|macosx_\d+|"
                         r"/Library/Frameworks/Python\.framework", re.MULTILINE)),
    ("linux", re.compile(r"/home/[^/\s]+/|/usr/(?:local/)?lib/python\d|dist-packages/|"
                         r"\.so(?:\.\d+)*\b|manylinux|/content/")),
)
_PYTHON = (
    re.compile(r"[/\\]python(?P<v>[23]\.\d{1,2})[/\\](?:site|dist)-packages"),
    re.compile(r"[/\\]Python(?P<maj>[23])(?P<min>\d{1,2})[/\\]"),
    re.compile(r"\bcp(?P<maj>3)(?P<min>\d{1,2})-cp3\d{1,2}m?\b"),
    re.compile(r"^Python (?P<v>[23]\.\d{1,2})\.\d+", re.MULTILINE),
)
_PYTHON2 = re.compile(r"'module' object has no attribute|^ImportError: No module named [\w.]+$",
                      re.MULTILINE)
_DIST = r"(?P<dist>tensorflow(?:-cpu|-gpu|-macos|-intel)?|tf-keras|tf_keras|keras|numpy|protobuf)"
_VER = r"(?P<ver>\d+\.\d+(?:\.\d+)?(?:rc\d+)?)"
_VERSIONS = (
    re.compile(rf"but you have {_DIST} {_VER}", re.IGNORECASE),
    re.compile(rf"^{_DIST} {_VER} (?:requires|has requirement)", re.MULTILINE | re.IGNORECASE),
    re.compile(rf"\b{_DIST} version:? {_VER}", re.IGNORECASE),
    re.compile(rf"\bversions? of (?P<dist>TensorFlow) you are currently using is {_VER}"),
    re.compile(rf"\b(?:Successfully installed|Requirement already satisfied:) [^\n]*?"
               rf"\b{_DIST}-{_VER}\b"),
)


def read_facts(text: str) -> TextFacts:
    facts = [*_platform(text), *_python(text), *_versions(text)]
    return TextFacts(tuple(facts))


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _platform(text: str) -> list[Fact]:
    for name, pattern in _PLATFORMS:
        match = pattern.search(text)
        if match:
            return [Fact("platform", name, _line(text, match.start()))]
    return []


def _python(text: str) -> list[Fact]:
    out: list[Fact] = []
    for pattern in _PYTHON:
        match = pattern.search(text)
        if match:
            found = match.groupdict()
            value = found.get("v") or f"{found['maj']}.{found['min']}"
            out.append(Fact("python", value, _line(text, match.start())))
            break
    old = _PYTHON2.search(text)
    if old and not (out and out[0].value.startswith("3")):
        out.append(Fact("python2", "wording", _line(text, old.start())))
    return out


def _versions(text: str) -> list[Fact]:
    seen: dict[str, Fact] = {}
    for pattern in _VERSIONS:
        for match in pattern.finditer(text):
            name = _canonical(match.group("dist"))
            seen.setdefault(name, Fact(name, match.group("ver"), _line(text, match.start())))
    return list(seen.values())


def _canonical(dist: str) -> str:
    name = dist.lower().replace("_", "-")
    return "tensorflow" if name.startswith("tensorflow") else name


# ---------------------------------------------------------------- which facts favour which cause

Favour = Callable[[TextFacts], "Fact | None"]


def _on(platform: str) -> Favour:
    def favour(facts: TextFacts) -> Fact | None:
        fact = facts.first("platform")
        return fact if fact and fact.value == platform else None
    return favour


def _not_on(platform: str) -> Favour:
    def favour(facts: TextFacts) -> Fact | None:
        fact = facts.first("platform")
        return fact if fact and fact.value != platform else None
    return favour


def _keras_misfit(*misfits: Misfit) -> Favour:
    def favour(facts: TextFacts) -> Fact | None:
        tf, keras = facts.version("tensorflow"), facts.version("keras")
        if tf is None or keras is None:
            return None
        if compat.keras_fits(tf, keras).misfit in misfits:
            return facts.first("keras")
        return None
    return favour


def _numpy2_under_old_tf(facts: TextFacts) -> Fact | None:
    tf, numpy = facts.version("tensorflow"), facts.version("numpy")
    if tf and numpy and compat.is_numpy2(numpy) and not compat.numpy2_supported(tf):
        return facts.first("numpy")
    return None


def _python_without_wheels(facts: TextFacts) -> Fact | None:
    """A Python newer than any TensorFlow line supports (an old one had older wheels, which
    the line table does not cover: no verdict)."""
    python = facts.python()
    newest = max(line.python_max for line in knowledge.TF_LINES.values())
    if python and python > newest:
        return facts.first("python")
    return None


def _old_tensorflow(facts: TextFacts) -> Fact | None:
    """Python 2, or a TensorFlow 1.x printed: code for TF 2 meets an older TensorFlow."""
    tf = facts.version("tensorflow")
    if tf is not None and not compat.is_tf2(tf):
        return facts.first("tensorflow")
    return facts.first("python2")


FAVOURS: dict[str, Favour] = {
    "x86-python-on-apple-silicon": _on("macos"),
    "cpu-lacks-avx": _not_on("macos"),
    "msvc-runtime-missing": _on("windows"),
    "windows-long-paths": _on("windows"),
    "keras3-under-old-tf": _keras_misfit(Misfit.KERAS3_UNDER_FIXED_ROUTE),
    "keras-minor-mismatch": _keras_misfit(Misfit.KERAS_MINOR),
    "keras2-under-new-tf": _keras_misfit(Misfit.KERAS2_UNDER_KERAS3_LINE),
    "keras-standalone-too-old": _keras_misfit(Misfit.STANDALONE_KERAS),
    "numpy2-under-old-tf": _numpy2_under_old_tf,
    "python-unsupported": _python_without_wheels,
    "tensorflow-too-old": _old_tensorflow,
}


def favoured(cause_id: str, facts: TextFacts) -> Fact | None:
    """The fact in the text that makes this cause likelier, if any."""
    favour = FAVOURS.get(cause_id)
    return favour(facts) if favour else None
