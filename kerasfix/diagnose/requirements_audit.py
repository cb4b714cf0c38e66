"""Audit a requirements file's TensorFlow / Keras / tf-keras / NumPy / protobuf pins.

API (core: no textual/rich; `kerasfix scan --requirements FILE` builds on it):

    audit_requirements(path, interpreter=None) -> list[Finding]
        Parses `path` with pip-api (so `-r` includes, markers, extras, hashes, comments and
        line continuations mean what they mean to pip), then checks the pins against each other
        with kerasfix.knowledge (TensorFlow's own keras/numpy/protobuf pins per line, the tf-keras
        minor rule, the retired tensorflow-gpu) and, when `interpreter` is given (an
        inventory.Interpreter from a scan), against that Python: markers are evaluated for it and
        every TensorFlow release the pin allows must have wheels for it. Findings have "req-"
        codes (REQ_CODES), evidence "file:line: requirement" and the line to write instead in
        `manual`. Raises RequirementsError (a KerasfixError: one line, exit code 2) for a
        missing or unreadable file, a broken -r include, a duplicate requirement, or when pip-api
        cannot start (it runs `python -m pip --version` in kerasfix's own interpreter).
    read_pins(path, interpreter=None) -> tuple[list[Pin], list[Finding]]
    audit_pins(pins, interpreter=None) -> list[Finding]
        The two halves, for callers that have pins from elsewhere (pyproject, a lock file).

Without an interpreter, markers are evaluated for kerasfix's own Python and the Python checks
are skipped. `-c` constraint files are not read (pip-api does not support them).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from kerasfix import knowledge
from kerasfix.diagnose.findings import Finding, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.errors import KerasfixError
from kerasfix.knowledge import candidates, compat
from kerasfix.knowledge.compat import Misfit, Side

if TYPE_CHECKING:
    from kerasfix.inspect.inventory import Interpreter


class RequirementsError(KerasfixError):
    """The requirements file cannot be read or parsed."""


_KERAS2_LAST = compat.last_keras2_line().minor_text  # 2.15
_KERAS3_FIRST = compat.first_keras3_line().minor_text  # 2.16

# Every code this module emits, with the line README's findings table needs (the codes keep the
# version they were named with; the descriptions follow the knowledge table).
REQ_CODES: dict[str, str] = {
    "req-unparsable-line": "warning: a line pip cannot parse (pip install -r fails on it)",
    "req-two-tensorflow-builds": "error: two TensorFlow distributions pinned; they overwrite"
                                 " tensorflow/ (S9)",
    "req-two-keras-distributions": "error: keras + keras-nightly (or two tf-keras) pinned (S10)",
    "req-tensorflow-gpu": "error/warning: the retired tensorflow-gpu"
                          f" ({knowledge.minor_text(compat.tensorflow_gpu_refusing_release())}"
                          " refuses to build) (S17)",
    "req-tensorflow-line-unknown": "info: a TensorFlow pin outside the lines kerasfix knows",
    "req-no-tensorflow-wheels-for-python": "error: no TensorFlow release the pin allows has"
                                           " wheels for the target Python (S13)",
    "req-keras-needs-newer-python": "error: every keras the pins allow needs a newer Python"
                                    " (S13)",
    "req-keras3-with-tf-2.15-or-older": f"error: Keras 3 pinned with TF <= {_KERAS2_LAST}"
                                        " (S1, S2)",
    "req-keras2-with-tf-2.16-or-newer": f"error: Keras 2 pinned with TF >= {_KERAS3_FIRST}"
                                        " (S24)",
    "req-keras-minor-mismatch": "error: keras 2.x pin another minor than TF, or"
                                f" < {knowledge.KERAS_API_V2_FIRST} (S6, S7)",
    "req-tf-keras-mismatch": "error: tf-keras pin another minor than TF (S5)",
    "req-tf-keras-not-pinned": "warning: tf-keras not pinned to TF's minor: pip may move"
                               " TensorFlow (S24)",
    "req-tf-keras-pulls-second-tensorflow": (
        f"warning: tf-keras >= {candidates.first_tf_keras_declaring_tensorflow()} next to"
        " tensorflow-cpu (or another build) adds the"
        " `tensorflow` distribution too (S9)"),
    "req-numpy-conflict": "error: the numpy pin is outside what TF accepts (S11)",
    "req-numpy-uncapped-tensorflow": f"error: TF {'/'.join(compat.numpy_uncapped_releases())}"
                                     " with NumPy 2 allowed: pip"
                                     " installs NumPy 2 and import fails (S11)",
    "req-protobuf-conflict": "error: the protobuf pin is outside what TF accepts (S12)",
    "req-transformers-needs-tf-keras": "warning: transformers"
                                       f" < {knowledge.TRANSFORMERS_TF_LAST.major} with TF"
                                       f" >= {_KERAS3_FIRST} and no tf-keras (S3)",
    "req-unknown-extra": "warning: tensorflow[and-cuda] on a TF line without that extra",
}

# Releases to test specifiers against (pip picks among real releases): kerasfix.knowledge
# .candidates. Versions named in a pin are added on the fly.


# ---------------------------------------------------------------- pins


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    specifier: SpecifierSet
    extras: frozenset[str]
    url: str | None
    file: str
    line: int  # physical line in `file`
    text: str  # the requirement as pip read it

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def evidence(self) -> str:
        return f"{self.where}: {self.text}"

    def allows(self, version: Version) -> bool:
        return self.specifier.contains(version, prereleases=True)

    def mentioned(self) -> list[Version]:
        """Versions named in the specifier (==2.15.1, >=3, ~=2.18.0 ...)."""
        out = []
        for spec in self.specifier:
            try:
                out.append(Version(spec.version.rstrip(".*")))
            except InvalidVersion:
                continue
        return out


def read_pins(path: str, interpreter: Interpreter | None = None
              ) -> tuple[list[Pin], list[Finding]]:
    _check_readable(path)
    parsed = _parse(path, interpreter)
    from pip_api._parse_requirements import UnparsedRequirement  # imported by _parse already

    pins, problems = [], []
    lines: dict[str, list[int]] = {}
    for req in parsed.values():
        file = str(req.filename)
        if file not in lines:
            lines[file] = _physical_lines(file)
        physical = _physical(lines[file], req.lineno)
        if isinstance(req, UnparsedRequirement):
            problems.append(_finding(
                "req-unparsable-line", Severity.WARNING, f"{file}:{physical} is not a valid"
                " requirement", "pip stops at this line, so `pip install -r` installs nothing.",
                (), evidence=(f"{file}:{physical}: {str(req.msg).splitlines()[0]}",),
                paths=(file,)))
            continue
        pins.append(_pin(req, file, physical))
    return pins, problems


def _check_readable(path: str) -> None:
    if not os.path.exists(path):
        raise RequirementsError(f"requirements file {path}: no such file")
    if os.path.isdir(path):
        raise RequirementsError(f"requirements file {path}: is a folder")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as err:
        raise RequirementsError(f"requirements file {path}: cannot read it"
                                f" ({err.strerror or err})") from err


_MARKER_LOCK = threading.Lock()


@contextlib.contextmanager
def _marker_environment(interpreter: Interpreter | None) -> Iterator[None]:
    """pip-api evaluates markers for kerasfix's own Python and drops lines that do not apply.
    The target may be another Python, so its marker environment (from the probe) stands in
    for the duration of the parse."""
    if interpreter is None or not interpreter.markers:
        yield
        return
    try:
        from pip_api._vendor.packaging import markers
    except ImportError:  # another pip-api layout: fall back to kerasfix's own environment
        yield
        return
    original = markers.default_environment
    with _MARKER_LOCK:
        markers.default_environment = (
            lambda: dict(interpreter.markers))  # type: ignore[assignment,return-value]
        try:
            yield
        finally:
            markers.default_environment = original


def _parse(path: str, interpreter: Interpreter | None) -> dict[str, Any]:
    try:
        import pip_api  # noqa: F401  (the package import is what needs pip)
        from pip_api._parse_requirements import parse_requirements
    except Exception as err:  # pip-api runs `python -m pip --version` when imported
        raise RequirementsError(
            "cannot read requirements files: pip-api needs pip in kerasfix's own interpreter"
            f" ({err.__class__.__name__}: {err}); reinstall kerasfix with pip available")\
            from err
    try:
        with _marker_environment(interpreter):
            return parse_requirements(Path(path), include_invalid=True)
    except OSError as err:  # a -r include that does not exist
        raise RequirementsError(f"requirements file {path}: cannot read"
                                f" {err.filename or 'an included file'}"
                                f" ({err.strerror or err})") from err
    except Exception as err:  # pip_api.exceptions.PipError: double requirement, bad -e ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
        raise RequirementsError(f"requirements file {path}: {first}") from err


def _physical_lines(file: str) -> list[int]:
    """Logical line (as pip-api numbers them, continuations joined) -> physical line."""
    try:
        with open(file, encoding="utf-8", errors="replace") as handle:
            raw = handle.readlines()
    except OSError:
        return []
    starts, current = [], None
    for number, line in enumerate(raw, 1):
        if current is None:
            current = number
        if not line.endswith("\\\n"):
            starts.append(current)
            current = None
    if current is not None:
        starts.append(current)
    return starts


def _physical(starts: list[int], logical: int) -> int:
    return starts[logical - 1] if 0 < logical <= len(starts) else logical


def _pin(req: Any, file: str, line: int) -> Pin:
    specifier = SpecifierSet(str(req.specifier))
    url = getattr(req, "url", None)
    if url and not str(specifier):
        specifier = _wheel_url_version(url) or specifier
    return Pin(canonicalize_name(req.name), specifier, frozenset(req.extras or ()), url, file,
               line, str(req))


def _wheel_url_version(url: str) -> SpecifierSet | None:
    """`keras @ https://.../keras-2.15.0-py3-none-any.whl` pins keras==2.15.0."""
    name = posixpath.basename(urlsplit(url).path)
    try:
        _, version, _, _ = parse_wheel_filename(name)
        return SpecifierSet(f"=={version}")
    except (InvalidWheelFilename, InvalidVersion, InvalidSpecifier):
        return None


# ---------------------------------------------------------------- the audit


def audit_requirements(path: str, interpreter: Interpreter | None = None) -> list[Finding]:
    """A requirements file, or a pyproject.toml's dependency lists."""
    if os.path.basename(path) == "pyproject.toml":
        from kerasfix.diagnose.pyproject_pins import read_pyproject_pins

        _check_readable(path)
        return audit_pins(read_pyproject_pins(path, interpreter), interpreter)
    pins, problems = read_pins(path, interpreter)
    return problems + audit_pins(pins, interpreter)


@dataclass
class _Stack:
    """The pins that matter and what TensorFlow lines they leave pip to choose from."""

    pins: dict[str, Pin]
    interpreter: Interpreter | None
    tf: Pin | None
    allowed: list[knowledge.TFLine]  # lines the TF pin allows
    lines: list[knowledge.TFLine]  # ...that also have wheels for the target (else = allowed)

    def first(self, family: frozenset[str]) -> Pin | None:
        return next((p for n, p in self.pins.items() if n in family), None)

    @property
    def py(self) -> tuple[int, int] | None:
        return self.interpreter.short_version if self.interpreter else None

    @property
    def newest(self) -> knowledge.TFLine | None:
        return max(self.lines, key=lambda line: line.minor) if self.lines else None


def audit_pins(pins: list[Pin], interpreter: Interpreter | None = None) -> list[Finding]:
    by_name: dict[str, Pin] = {}
    for pin in pins:
        by_name.setdefault(pin.name, pin)
    findings = list(_duplicated_families(pins))
    stack = _stack(by_name, interpreter)
    for check in (_tensorflow_gpu, _line_unknown, _python_support, _keras_python,
                  _keras_fits, _tf_keras_fits, _tf_keras_unpinned, _tf_keras_second_build,
                  _numpy_fits, _numpy_uncapped, _protobuf_fits, _transformers, _and_cuda):
        findings.extend(check(stack))
    return findings


def _stack(pins: dict[str, Pin], interpreter: Interpreter | None) -> _Stack:
    tf = next((p for n, p in pins.items() if n in knowledge.TENSORFLOW_VARIANTS), None)
    allowed = _allowed_lines(tf) if tf else []
    lines = allowed
    if interpreter is not None and allowed:
        lines = [line for line in allowed if _has_wheels(line, interpreter)] or allowed
    return _Stack(pins, interpreter, tf, allowed, lines)


def _has_wheels(line: knowledge.TFLine, interpreter: Interpreter) -> bool:
    return compat.python_fits(line, interpreter.short_version, bits=interpreter.bits,
                              implementation=interpreter.implementation).ok


def _line_versions(line: knowledge.TFLine, pin: Pin) -> list[Version]:
    newest = Version(line.newest_patch)
    versions = [Version(f"2.{line.minor}.{patch}") for patch in range(newest.micro + 1)]
    return versions + [v for v in pin.mentioned() if v.release[:2] == (2, line.minor)]


def _allowed_lines(pin: Pin) -> list[knowledge.TFLine]:
    if pin.url and not str(pin.specifier):
        return []  # a direct reference we cannot read a version from: nothing to reason on
    lines = [line for line in knowledge.TF_LINES.values()
             if any(pin.allows(v) for v in _line_versions(line, pin))]
    if pin.name == "tensorflow-gpu":
        lines = [line for line in lines if compat.tensorflow_gpu_has_line(line)]
    return lines


def _pick(pin: Pin, line: knowledge.TFLine) -> Version | None:
    """The TF version pip picks from a line (the newest the pin allows)."""
    allowed = [v for v in _line_versions(line, pin) if pin.allows(v)]
    return max(allowed) if allowed else None


def _candidates(pin: Pin | None, releases: tuple[str, ...] | list[str]) -> list[Version]:
    versions = {Version(v) for v in releases}
    if pin is not None:
        versions.update(pin.mentioned())
    return sorted(v for v in versions if pin is None or pin.allows(v))


def _finding(code: str, severity: Severity, title: str, detail: str, pins: tuple[Pin, ...],
             *, symptom: str | None = None, scenario: str | None = None,
             manual: tuple[str, ...] = (), evidence: tuple[str, ...] = (),
             paths: tuple[str, ...] = ()) -> Finding:
    assert code in REQ_CODES, code
    return Finding(
        code=code, severity=severity, title=title, detail=detail, symptom=symptom,
        evidence=evidence or tuple(p.evidence for p in pins),
        paths=paths or tuple(dict.fromkeys(p.file for p in pins)),
        strategies=(S.MANUAL,), scenario=scenario, manual=manual)


def _minors(lines: list[knowledge.TFLine]) -> str:
    minors = sorted(line.minor for line in lines)
    if len(minors) == 1:
        return f"2.{minors[0]}"
    return f"2.{minors[0]}-2.{minors[-1]}"


def _py(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


# ---------------------------------------------------------------- checks


def _duplicated_families(pins: list[Pin]) -> Iterator[Finding]:
    families = (("req-two-tensorflow-builds", knowledge.TENSORFLOW_VARIANTS, "tensorflow", "S9"),
                ("req-two-keras-distributions", knowledge.KERAS_VARIANTS, "keras", "S10"),
                ("req-two-keras-distributions", knowledge.TF_KERAS_VARIANTS, "tf_keras",
                 "S10"))
    for code, members, folder, scenario in families:
        found = [p for p in pins if p.name in members]
        names = {p.name for p in found}
        if len(names) < 2 or _stub_with_payload(names):
            continue
        listed = " and ".join(p.name for p in found)
        yield _finding(
            code, Severity.ERROR, f"{listed} are both required: they install the same {folder}/",
            f"pip installs both without a warning; the second overwrites the first one's files"
            f" in {folder}/, and uninstalling either later empties the folder. Keep one.",
            tuple(found), scenario=scenario,
            symptom=f"AttributeError: module '{folder}' has no attribute '__version__' (after"
                    " one is uninstalled)",
            manual=(f"keep only {found[0].name} (delete the other line)",))


def _stub_with_payload(names: set[str]) -> bool:
    """`tensorflow` plus tensorflow-intel (or -macos, -cpu-aws) is how pip installs TF on
    Windows / macOS / aarch64: the first is a stub that requires the second (the stub's
    Requires-Dist names it per platform marker, in the committed PyPI metadata)."""
    return len(names) == 2 and "tensorflow" in names and bool(
        names & set(knowledge.STUB_PAYLOADS))


def _tensorflow_gpu(stack: _Stack) -> Iterator[Finding]:
    pin = stack.pins.get("tensorflow-gpu")
    if pin is None:
        return
    picks = _candidates(pin, candidates.tensorflow_gpu_releases())
    broken = not picks or not compat.tensorflow_gpu_builds(max(picks))
    newest = knowledge.newest_line_for_python(stack.py) if stack.py else None
    line = newest or knowledge.TF_LINES[knowledge.NEWEST_LINE]
    same = [knowledge.TF_LINES[v.minor] for v in picks if compat.tensorflow_gpu_builds(v)
            and v.minor in knowledge.TF_LINES]
    yield _finding(
        "req-tensorflow-gpu", Severity.ERROR if broken else Severity.WARNING,
        f"{pin.text}: the tensorflow-gpu name is retired",
        ("tensorflow includes GPU support since 2.1; tensorflow-gpu stopped at 2.11, and the"
         " only newer release (2.12.0) is a package that refuses to build."
         + (" This pin lets pip pick it, so the install fails." if broken else
            " These old builds still install, but they own the same tensorflow/ folder as"
            " `tensorflow` and are stuck on Python <= 3.10.")),
        (pin,), scenario="S17",
        symptom='The "tensorflow-gpu" package has been removed! Please install "tensorflow"'
                " instead." if broken else None,
        manual=(*(f"tensorflow=={li.minor_text}.*  (instead of {pin.text}: the same build,"
                  " GPU included)" for li in same[-1:]),
                f"tensorflow[and-cuda]=={line.minor_text}.*  (a current TensorFlow with its"
                " CUDA libraries, Linux)"))


def _line_unknown(stack: _Stack) -> Iterator[Finding]:
    pin = stack.tf
    if pin is None or stack.allowed or (pin.url and not str(pin.specifier)):
        return
    yield _finding(
        "req-tensorflow-line-unknown", Severity.INFO,
        f"{pin.text}: kerasfix has no data for the TensorFlow versions this allows",
        f"kerasfix knows TensorFlow 2.{min(knowledge.TF_LINES)}-2.{knowledge.NEWEST_LINE}; the"
        " pairing checks were"
        " skipped for this pin.", (pin,))


def _python_support(stack: _Stack) -> Iterator[Finding]:
    interp, pin = stack.interpreter, stack.tf
    if interp is None or pin is None or not stack.allowed:
        return
    if any(_has_wheels(line, interp) for line in stack.allowed):
        return
    newest = knowledge.newest_line_for_python(interp.short_version)
    windows = ", ".join(f"{line.minor_text}: {compat.python_window(line)}"
                        for line in stack.allowed[-3:])
    yield _finding(
        "req-no-tensorflow-wheels-for-python", Severity.ERROR,
        f"{pin.text} has no wheels for Python {interp.version_text}"
        + (f" ({interp.bits}-bit)" if interp.bits != 64 else ""),
        f"pip only installs wheels built for the target interpreter ({interp.executable})."
        f" Python versions with wheels: {windows}.", (pin,), scenario="S13",
        symptom=f"ERROR: Could not find a version that satisfies the requirement {pin.text}",
        manual=((f"{pin.name}=={newest.minor_text}.*  (the newest TensorFlow for Python"
                 f" {_py(interp.short_version)}"
                 + (", with Keras 3; Keras 2 stays available as tf-keras" if
                    newest.keras_major > stack.allowed[-1].keras_major else "") + ")",)
                if newest and interp.bits == 64 else ())
        + (f"or use Python {_py(stack.allowed[-1].python_max)} for"
           f" {stack.allowed[-1].minor_text}",))


def _keras_options(stack: _Stack, keras: Pin) -> list[Version]:
    """Keras versions pip may choose: the pin's, narrowed by TensorFlow's own keras pin."""
    options = _candidates(keras, candidates.keras_releases())
    if not stack.lines:
        return options
    return [v for v in options
            if any(compat.keras_fits(line.version, v).ok for line in stack.lines)]


def _keras_python(stack: _Stack) -> Iterator[Finding]:
    keras = stack.first(knowledge.KERAS_VARIANTS)
    if keras is None or stack.py is None:
        return
    py = stack.py
    verdicts = [compat.keras_python_fits(v, py) for v in _keras_options(stack, keras)]
    if not verdicts or any(v.ok for v in verdicts):
        return
    floor = min((v.requirement for v in verdicts), key=lambda r: Version(r.lstrip(">=")))
    yield _finding(
        "req-keras-needs-newer-python", Severity.ERROR,
        f"{keras.text} needs Python {floor.replace('>=', '>= ')}; the target is {_py(py)}",
        f"{compat.keras_python_floors_text()}: pip finds no release this pin allows.", (keras,),
        scenario="S13",
        symptom=f"ERROR: Package 'keras' requires a different Python: {_py(py)} not in"
                f" '{floor}'",
        manual=(f"{compat.keras_python_caps_text()}, or a newer Python",))


# What each keras_fits misfit means for a requirements file: (code, what happens when forced).
_KERAS3_FORCED = {
    Misfit.KERAS3_UNDER_KERAS2_LINE: ("S1", "tf.keras silently becomes Keras 3 (TF {line})"),
    Misfit.KERAS3_UNDER_FIXED_ROUTE: ("S2", "`from tensorflow.keras ...` fails: No module named"
                                            " 'tensorflow.keras'"),
}


def _keras_misfit(stack: _Stack, wanted: list[Version], line: knowledge.TFLine
                  ) -> tuple[str, str, str]:
    """(code, scenario, what happens when forced in) for keras versions no TF line accepts."""
    misfits = [compat.keras_fits(line.version, v).misfit for v in wanted]
    keras3 = [m for m in misfits if m is not None and m in _KERAS3_FORCED]
    if keras3 and len(keras3) == len(misfits):
        order = list(_KERAS3_FORCED)
        scenario, forced = _KERAS3_FORCED[min(keras3, key=order.index)]
        return "req-keras3-with-tf-2.15-or-older", scenario, forced.format(line=line.minor_text)
    if wanted and not any(compat.is_keras3(v) for v in wanted) and all(
            compat.keras3_line(li.version) for li in stack.lines):
        return ("req-keras2-with-tf-2.16-or-newer", "S24",
                "tf.keras fails: module 'tensorflow._api.v2.compat.v2.__internal__' has no"
                " attribute 'register_load_context_function'")
    if wanted and all(compat.standalone_keras(v) for v in wanted):
        return ("req-keras-minor-mismatch", "S6",
                "the old standalone keras breaks tf.keras: No module named 'keras.api' /"
                " Keras requires TensorFlow 2.2 or higher")
    return ("req-keras-minor-mismatch", "S7",
            "Keras 2 calls TensorFlow internals of its own minor and fails at import")


def _keras_fits(stack: _Stack) -> Iterator[Finding]:
    keras, tf = stack.first(knowledge.KERAS_VARIANTS), stack.tf
    if keras is None or tf is None or not stack.lines or (keras.url and not str(keras.specifier)):
        return
    if _keras_options(stack, keras):
        return  # pip finds a keras that TensorFlow's own pin accepts
    line = stack.newest
    assert line is not None
    code, scenario, forced = _keras_misfit(
        stack, _candidates(keras, candidates.keras_releases()), line)
    yield _finding(
        code, Severity.ERROR,
        f"{keras.text} does not fit {tf.text} (TensorFlow {_minors(stack.lines)} requires"
        f" {_tf_keras_requirement(stack.lines)})",
        f"pip refuses this file (ResolutionImpossible: TensorFlow pins its Keras). Installed in"
        f" two steps or with --no-deps, {forced}.",
        (tf, keras), scenario=scenario,
        symptom=f"ERROR: Cannot install {tf.text} and {keras.text} because these package"
                " versions have conflicting dependencies.",
        manual=(f"{knowledge.keras_requirement_for(line)}  (instead of {keras.text})",
                *((f"or keep Keras 2 on TF {line.minor_text}: {line_tf_keras} and"
                   " TF_USE_LEGACY_KERAS=1",) if (line_tf_keras := _legacy_pin(line)) else ())))


def _legacy_pin(line: knowledge.TFLine) -> str | None:
    """Keras 2 on a Keras 3 line: its tf-keras (None on Keras 2 lines)."""
    if not compat.keras3_line(line.version):
        return None
    return f"tf-keras~=2.{line.minor}.0"


def _tf_keras_requirement(lines: list[knowledge.TFLine]) -> str:
    if len(lines) == 1:
        return f"keras{SpecifierSet(lines[0].keras)}"
    majors = {line.keras_major for line in lines}
    return f"Keras {majors.pop()}" if len(majors) == 1 else "its own keras line"


def _tf_keras_options(pin: Pin) -> list[tuple[Version, bool]]:
    releases = dict((Version(v), pinned) for v, pinned in candidates.tf_keras_releases())
    for version in pin.mentioned():
        releases.setdefault(version, candidates.tf_keras_declares_tensorflow(version))
    return sorted((v, p) for v, p in releases.items() if pin.allows(v))


def _tf_keras_fits(stack: _Stack) -> Iterator[Finding]:
    pin, tf = stack.first(knowledge.TF_KERAS_VARIANTS), stack.tf
    if pin is None or tf is None or not stack.lines:
        return
    options = _tf_keras_options(pin)
    if not options or any(_tf_keras_fits_any(v, stack.lines) for v, _ in options):
        return
    line = stack.newest
    assert line is not None
    silent = all(not declares for _, declares in options)
    fix = knowledge.tf_keras_requirement_for(line)
    yield _finding(
        "req-tf-keras-mismatch", Severity.ERROR,
        f"{pin.text} does not match {tf.text} (tf-keras 2.N needs TensorFlow 2.N)",
        ("tf-keras imports TensorFlow's private modules and has no version check. "
         + ("The versions this pin allows declare no TensorFlow requirement, so pip installs"
            " them silently and `import tf_keras` fails." if silent else
            "pip refuses this file (tf-keras pins its TensorFlow minor); installed separately"
            " it fails on import.")),
        (tf, pin), scenario="S5",
        symptom="AttributeError: module 'tensorflow._api.v2.compat.v2.__internal__' has no"
                " attribute 'register_load_context_function'",
        manual=(f"{fix}  (instead of {pin.text})",) if fix else
        (f"drop {pin.text}: TensorFlow {line.minor_text} never routes tf.keras to tf-keras",))


def _tf_keras_fits_any(version: Version, lines: list[knowledge.TFLine]) -> bool:
    return any(compat.tf_keras_fits(line.version, version).ok for line in lines)


def _tf_keras_unpinned(stack: _Stack) -> Iterator[Finding]:
    """S24: a tf-keras pin wider than TensorFlow's minor makes pip choose TensorFlow."""
    pin, tf = stack.first(knowledge.TF_KERAS_VARIANTS), stack.tf
    if pin is None or tf is None or not stack.lines:
        return
    options = _tf_keras_options(pin)
    fitting = [v for v, _ in options if _tf_keras_fits_any(v, stack.lines)]
    stray = [v for v, _ in options if v not in fitting]
    if not fitting or not stray:
        return  # no overlap is the mismatch check's; no stray version is a proper pin
    line = stack.newest
    assert line is not None
    fix = knowledge.tf_keras_requirement_for(line)
    yield _finding(
        "req-tf-keras-not-pinned", Severity.WARNING,
        f"{pin.text} is not pinned to TensorFlow's minor ({tf.text})",
        (f"pip tries the newest tf-keras first ({max(stray)}), which wants another TensorFlow;"
         " this file resolves only by backtracking against the TensorFlow pin, and a later"
         " `pip install -U` or `pip install tf-keras` on its own replaces TensorFlow (observed:"
         " tensorflow 2.21 installed beside tensorflow-cpu 2.15.1, which then failed to"
         " import)."),
        (tf, pin), scenario="S24",
        manual=(f"{fix}  (instead of {pin.text})",) if fix else ())


def _tf_keras_second_build(stack: _Stack) -> Iterator[Finding]:
    pin, tf = stack.first(knowledge.TF_KERAS_VARIANTS), stack.tf
    if pin is None or tf is None or tf.name == "tensorflow" or not stack.lines:
        return
    declares = [v for v, d in _tf_keras_options(pin) if d]
    if not declares or stack.newest is None or not stack.newest.tf_keras:
        return  # no tf-keras line for this TensorFlow
    fix = knowledge.tf_keras_requirement_for(stack.newest) or "tf-keras"
    yield _finding(
        "req-tf-keras-pulls-second-tensorflow", Severity.WARNING,
        f"{pin.text} requires the `tensorflow` distribution, so pip adds it beside {tf.name}",
        (f"tf-keras >= {candidates.first_tf_keras_declaring_tensorflow()} declares a requirement"
         f" on `tensorflow` by name; {tf.name} does"
         " not satisfy it for pip, which then installs the ~600 MB `tensorflow` wheel over the"
         " same tensorflow/ folder (it works until one of the two is uninstalled)."),
        (tf, pin), scenario="S9",
        manual=(f"install tf-keras in a second step: python -m pip install --no-deps \"{fix}\"",
                f"or require tensorflow instead of {tf.name}"))


def _numpy_fits(stack: _Stack) -> Iterator[Finding]:
    numpy, tf = stack.pins.get("numpy"), stack.tf
    if numpy is None or tf is None or not stack.lines:
        return
    options = _candidates(numpy, candidates.NUMPY_RELEASES)
    if any(compat.numpy_fits(line.version, v).ok for v in options for line in stack.lines):
        return
    line = stack.newest
    assert line is not None
    uncapped = all(_uncapped_pick(tf, li) for li in stack.lines)
    numpy2_line = compat.numpy2_first_line().minor_text
    yield _finding(
        "req-numpy-conflict", Severity.ERROR,
        f"{numpy.text} does not fit {tf.text} (TensorFlow {line.minor_text} works with numpy"
        f" {line.numpy})",
        (f"TensorFlow < {numpy2_line} is compiled against NumPy 1.x. "
         + ("This release does not cap numpy, so pip installs the pin and `import tensorflow`"
            " fails." if uncapped else
            "pip refuses this file (ResolutionImpossible); forced in, `import tensorflow`"
            " fails.")),
        (tf, numpy), scenario="S11",
        symptom=f"A module that was {knowledge.NUMPY_ABI_BANNER} NumPy 2 ..."
                " AttributeError: _ARRAY_API not found",
        manual=(f"numpy{line.numpy}  (instead of {numpy.text})",
                *((f"or move to tensorflow>={numpy2_line} (accepts numpy 2)",)
                  if not compat.numpy2_supported(line.version) else ())))


def _uncapped_pick(tf: Pin, line: knowledge.TFLine) -> bool:
    pick = _pick(tf, line)
    return pick is not None and compat.numpy_uncapped(pick)


def _numpy_uncapped(stack: _Stack) -> Iterator[Finding]:
    """TF 2.10/2.11/2.14.0 do not cap numpy: pip picks NumPy 2 and the import fails (S11)."""
    tf, line = stack.tf, stack.newest
    if tf is None or line is None or not _uncapped_pick(tf, line):
        return
    numpy = stack.pins.get("numpy")
    if numpy is not None and not any(compat.is_numpy2(v) for v in
                                     _candidates(numpy, candidates.NUMPY_RELEASES)):
        return  # the file caps numpy itself
    if stack.py is not None and not compat.numpy2_installable(stack.py):
        return  # NumPy 2 has no wheels for this Python
    pick = _pick(tf, line)
    yield _finding(
        "req-numpy-uncapped-tensorflow", Severity.ERROR,
        f"{tf.text} lets pip install NumPy 2, which TensorFlow {pick} cannot load",
        (f"TensorFlow {pick} declares numpy without an upper bound although it is compiled"
         " against NumPy 1.x: a fresh install gets NumPy 2 and `import tensorflow` fails, with"
         " pip check silent (observed with 2.11.1 and 2.14.0)."),
        tuple(p for p in (tf, numpy) if p), scenario="S11",
        symptom="TypeError: Unable to convert function return value to a Python type! The"
                " signature was () -> handle",
        manual=("numpy<2  (add this line)" if numpy is None else
                f"numpy<2  (instead of {numpy.text})",))


def _protobuf_fits(stack: _Stack) -> Iterator[Finding]:
    pb, tf = stack.pins.get("protobuf"), stack.tf
    if pb is None or tf is None or not stack.lines:
        return
    options = _candidates(pb, candidates.PROTOBUF_RELEASES)
    if any(compat.protobuf_side(line.version, v).ok for v in options for line in stack.lines):
        return
    line = stack.newest
    assert line is not None
    verdicts = [compat.protobuf_side(line.version, v) for v in options]
    spec = SpecifierSet(verdicts[0].requirement if verdicts else line.protobuf)
    too_new = bool(verdicts) and all(v.side is Side.ABOVE for v in verdicts)
    yield _finding(
        "req-protobuf-conflict", Severity.ERROR,
        f"{pb.text} does not fit {tf.text} (TensorFlow {line.minor_text} requires protobuf"
        f" {spec})",
        ("TensorFlow's generated *_pb2 modules only load with the protobuf range it declares;"
         " pip refuses this file (ResolutionImpossible), and forced in, `import tensorflow`"
         " fails inside them."),
        (tf, pb), scenario="S12",
        symptom=("TypeError: Descriptors cannot be created directly." if too_new else
                 "ImportError: cannot import name 'builder' from 'google.protobuf.internal'"),
        manual=(f"protobuf{spec}  (instead of {pb.text})",))


def _transformers(stack: _Stack) -> Iterator[Finding]:
    transformers = stack.pins.get("transformers")
    if transformers is None or stack.tf is None or not stack.lines:
        return
    if stack.first(knowledge.TF_KERAS_VARIANTS) or not all(
            compat.keras3_line(li.version) for li in stack.lines):
        return
    if not any(compat.transformers_has_tf_models(v) for v in
               _candidates(transformers, candidates.TRANSFORMERS_WITH_TF)):
        return  # transformers 5 dropped its TensorFlow models altogether
    line = stack.newest
    assert line is not None
    fix = knowledge.tf_keras_requirement_for(line) or "tf-keras"
    yield _finding(
        "req-transformers-needs-tf-keras", Severity.WARNING,
        f"{transformers.text} with {stack.tf.text} needs tf-keras for its TF models",
        (f"TensorFlow >= {compat.first_keras3_line().minor_text} brings Keras 3, which"
         " transformers' TF* models refuse; they need"
         " tf-keras (Keras 2) of TensorFlow's minor. PyTorch models are unaffected."),
        (stack.tf, transformers), scenario="S3",
        symptom="ValueError: Your currently installed version of Keras is Keras 3, but this is"
                " not yet supported in Transformers.",
        manual=(f"{fix}  (add this line)",))


def _and_cuda(stack: _Stack) -> Iterator[Finding]:
    tf = stack.tf
    if tf is None or "and-cuda" not in tf.extras or not stack.lines:
        return
    if any(compat.has_and_cuda_extra(line) for line in stack.lines):
        return
    first = knowledge.minor_of(knowledge.AND_CUDA_FIRST)
    yield _finding(
        "req-unknown-extra", Severity.WARNING,
        f"{tf.text}: TensorFlow {_minors(stack.lines)} has no and-cuda extra",
        ("The and-cuda extra (which installs the NVIDIA CUDA libraries) exists from TensorFlow"
         f" {_py(first)}; pip only warns that the extra does not exist and installs no CUDA"
         " libraries."), (tf,),
        manual=("install CUDA/cuDNN yourself for this TensorFlow, or move to"
                f" tensorflow[and-cuda]>={_py(first)}",))
