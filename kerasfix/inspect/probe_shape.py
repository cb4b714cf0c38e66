"""The shape of the probe's JSON answer, as inventory.build_inventory reads it.

The answer comes from whatever `--python` names: a broken interpreter, a wrapper script, or a
fake printing the marker line followed by anything. A document of the wrong shape is named here
(`sys_path[3].index: not an integer`) and becomes a ProbeError (exit 2), instead of a TypeError
deep inside a check. Keys not listed are not checked, so the probe may grow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Opt:
    """The value may also be null."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec


class MapOf:
    """A JSON object whose every value has one shape."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec


# "?key": the key may be missing. [spec]: a list of spec. {...}: an object with those keys.
DIST = {"?name": Opt(str), "?dir_name": Opt(str), "?dir": Opt(str), "?version": Opt(str),
        "?dir_version": Opt(str), "path": str, "?format": str, "?installer": Opt(str),
        "?requires_dist": [str], "?requires_python": Opt(str), "?errors": [str],
        "?wheel_tags": [str], "?direct_url": Opt(dict), "?tops": [str], "?owns_init": [str],
        "?init_missing": [str], "?init_written_by_me": dict, "?record_files": int,
        "?missing_files": int, "?missing_examples": [str], "?missing_outside": int,
        "?file_versions": MapOf(dict), "?dpkg_package": Opt(str), "?unreadable": [str]}
ENTRY = {"index": int, "path": str, "origin": str, "kind": str, "?pth": Opt(str),
         "?error": Opt(str), "?dists": [DIST], "?leftovers": [str], "?names": [str]}
INTERPRETER = {"executable": str, "?base_executable": Opt(str), "version": [int],
               "implementation": str, "platform": str, "bits": int, "kind": str, "prefix": str,
               "base_prefix": str, "purelib": str, "site_packages": [str],
               "?user_site": Opt(str), "?externally_managed_path": Opt(str),
               "?writable": dict, "?pyvenv_cfg": MapOf(str), "cwd": str, "?home": Opt(str),
               "markers": MapOf(str), "?env": MapOf(str)}
DOCUMENT = {
    "interpreter": INTERPRETER,
    "sys_path": [ENTRY],
    "?import_candidates": MapOf([{"index": int, "path": str, "kind": str, "origin": str}]),
    "?conda": [{"name": str, "?version": Opt(str), "?channel": Opt(str), "file": str,
                "?site_tops": [str]}],
    "?keras_config": dict,
    "?tensorflow_plugins": [str],
    "?cuda_libraries": [{"folder": str, "files": [str]}],
    "?problems": [{"kind": str, "path": str, "error": str}],
}
NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list"}


def shape_problem(doc: Any) -> str | None:
    """Where `doc` does not have the shape build_inventory needs, or None."""
    problem = _check(doc, DOCUMENT, "")
    if problem is None and len(doc["interpreter"]["version"]) < 3:
        return "interpreter.version: fewer than three numbers"
    return problem


def _check(value: Any, spec: Any, where: str) -> str | None:
    if isinstance(spec, Opt):
        return None if value is None else _check(value, spec.spec, where)
    if isinstance(spec, dict):
        return _check_object(value, spec, where)
    if isinstance(spec, list):
        return _check_list(value, spec[0], where)
    if isinstance(spec, MapOf):
        return _check_map(value, spec.spec, where)
    if not isinstance(value, spec) or (spec is int and isinstance(value, bool)):
        return f"{where}: not {NAMES.get(spec, spec.__name__)}"
    return None


def _check_object(value: Any, spec: dict[str, Any], where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where or 'the answer'}: not an object"
    for key, sub in spec.items():
        name = key.lstrip("?")
        here = f"{where}{'.' if where else ''}{name}"
        if name not in value:
            if key.startswith("?"):
                continue
            return f"{here}: missing"
        problem = _check(value[name], sub, here)
        if problem:
            return problem
    return None


def _check_list(value: Any, item_spec: Any, where: str) -> str | None:
    if not isinstance(value, list):
        return f"{where}: not a list"
    return _first_problem((item, item_spec, f"{where}[{i}]") for i, item in enumerate(value))


def _check_map(value: Any, item_spec: Any, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where}: not an object"
    return _first_problem((item, item_spec, f"{where}.{key}") for key, item in value.items())


def _first_problem(checks: Iterable[tuple[Any, Any, str]]) -> str | None:
    for value, spec, where in checks:
        problem = _check(value, spec, where)
        if problem:
            return problem
    return None
