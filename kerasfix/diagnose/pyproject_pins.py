"""The pins of a pyproject.toml, for `scan --requirements pyproject.toml`: the PEP 508 strings
of `[project] dependencies`, its optional-dependencies and `[dependency-groups]`, with the line
each stands on. Markers are evaluated for the target's Python, as pip would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import tomlkit
from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError

from kerasfix.diagnose.requirements_audit import Pin, RequirementsError, _wheel_url_version

if TYPE_CHECKING:
    from kerasfix.inspect.inventory import Interpreter


def read_pyproject_pins(path: str, interpreter: Interpreter | None = None) -> list[Pin]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as err:
        raise RequirementsError(f"{path}: cannot read it ({err})") from None
    try:
        doc = tomlkit.parse(text).unwrap()
    except TOMLKitError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise RequirementsError(f"{path} does not parse: {first}") from None
    lines = text.splitlines()
    env: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    env.update(interpreter.markers if interpreter else {})
    pins = []
    for item in _strings(doc):
        try:
            req = Requirement(item)
        except InvalidRequirement:
            continue  # not a requirement string (a dependency-groups include table, a typo)
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        spec = req.specifier if str(req.specifier) or not req.url else \
            _wheel_url_version(req.url) or req.specifier
        pins.append(Pin(canonicalize_name(req.name), spec, frozenset(req.extras), req.url,
                        path, _line_of(lines, item), str(req)))
    return pins


def _strings(doc: dict[str, Any]) -> Iterator[str]:
    project = doc.get("project") or {}
    groups = [project.get("dependencies") or []]
    groups += list((project.get("optional-dependencies") or {}).values())
    groups += list((doc.get("dependency-groups") or {}).values())
    for group in groups:
        if isinstance(group, list):
            yield from (item for item in group if isinstance(item, str))


def _line_of(lines: list[str], item: str) -> int:
    return next((n for n, line in enumerate(lines, 1) if item in line), 0)
