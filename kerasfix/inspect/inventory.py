"""The probe's raw answer as typed objects: interpreter, sys.path entries, distributions."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.errors import ProbeError
from kerasfix.textsafe import one_line


@dataclass(frozen=True)
class Interpreter:
    executable: str
    base_executable: str  # the interpreter a venv was made from (to make a fresh one)
    version: tuple[int, int, int]
    implementation: str
    platform: str
    bits: int
    kind: str  # venv, conda, system
    prefix: str
    base_prefix: str
    purelib: str
    site_packages: tuple[str, ...]
    user_site: str | None
    user_site_enabled: bool
    externally_managed: bool
    externally_managed_path: str | None
    site_writable: bool
    include_system_site_packages: bool
    cwd: str
    home: str
    markers: dict[str, str]
    env: dict[str, str]
    pyvenv_cfg: dict[str, str] = field(default_factory=dict)  # `uv = 0.5.1`: made by uv

    @property
    def short_version(self) -> tuple[int, int]:
        return (self.version[0], self.version[1])

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def cp_tag(self) -> str:
        return f"cp{self.version[0]}{self.version[1]}"


@dataclass(frozen=True)
class PathEntry:
    index: int
    path: str
    origin: str  # cwd, pythonpath, pth, stdlib, site-packages, user-site, other
    kind: str  # dir, zip, missing
    pth: str | None = None
    error: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class Distribution:
    name: NormalizedName
    display_name: str
    raw_version: str | None
    version: Version | None
    location: str  # the sys.path entry holding the dist-info
    path_index: int
    origin: str
    dist_dir: str  # full path of the .dist-info / .egg-info
    format: str
    installer: str | None
    requested: bool  # pip's REQUESTED marker: the user asked for it by name
    requires: tuple[Requirement, ...]
    bad_requires: tuple[str, ...]
    requires_python: SpecifierSet | None
    wheel_tags: tuple[str, ...]
    editable: bool
    has_record: bool
    tops: tuple[str, ...]
    owns_init: tuple[str, ...]
    init_missing: tuple[str, ...]  # owned <pkg>/__init__.py files that are gone
    init_written_by_me: dict[str, bool | None]  # on-disk __init__.py matches my RECORD hash
    record_files: int
    missing_files: int
    missing_examples: tuple[str, ...]
    missing_outside: int  # of which outside site-packages (console scripts in bin/)
    file_versions: dict[str, dict[str, str]]
    errors: tuple[str, ...]
    shadowed_by: str | None = None  # dist_dir of the copy that wins, when this one does not
    dpkg_package: str | None = None  # the Debian package whose file list holds it (if asked)
    unreadable: tuple[str, ...] = ()  # its folders the user may not read (permissions)

    @property
    def label(self) -> str:
        return f"{self.name} {self.raw_version or '?'}"

    @property
    def dpkg_owned(self) -> bool:
        """Installed by dpkg (apt), not pip: its file list is dpkg's, and pip must not touch it.

        Debian 12's python3-cryptography ships cryptography-38.0.4.dist-info (no INSTALLER) and
        cryptography.egg-info side by side in /usr/lib/python3/dist-packages; other builds write
        INSTALLER "debian" and no RECORD. Neither is an interrupted upgrade (see the probe's
        DPKG_INFO note for what was seen)."""
        return bool(self.dpkg_package) or (self.installer or "").strip().lower() == "debian" \
            or bool(DPKG_SITE.match(self.location.rstrip("/")))

    @property
    def active(self) -> bool:
        return self.shadowed_by is None

    @property
    def family(self) -> str | None:
        return knowledge.family_of(self.name)


@dataclass(frozen=True)
class ImportCandidate:
    name: str
    index: int
    path: str
    kind: str  # package, module, namespace
    origin: str


@dataclass(frozen=True)
class CondaRecord:
    name: str
    version: str | None
    channel: str | None
    file: str
    site_tops: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    kind: str
    path: str
    error: str


@dataclass(frozen=True)
class CudaLibraryDir:
    """An LD_LIBRARY_PATH folder holding libcudnn*/libcublas* files (the probe's listing)."""

    folder: str
    files: tuple[str, ...]


@dataclass
class Inventory:
    interpreter: Interpreter
    path_entries: list[PathEntry]
    distributions: list[Distribution]  # every dist-info in sys.path order
    leftovers: list[tuple[str, str]]  # (folder, name) of ~-prefixed remains
    unowned: list[tuple[str, str]]  # (folder, top-level name) no RECORD claims
    import_candidates: dict[str, list[ImportCandidate]]
    conda: list[CondaRecord]
    keras_config: dict[str, Any]
    tensorflow_plugins: list[str]
    problems: list[Problem]
    cuda_libraries: list[CudaLibraryDir] = field(default_factory=list)  # in search order
    _active: dict[str, Distribution] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for dist in self.distributions:
            if dist.active:
                self._active.setdefault(dist.name, dist)

    def get(self, name: str) -> Distribution | None:
        """The copy Python's importlib.metadata would find first."""
        return self._active.get(canonicalize_name(name))

    def installed(self, names: Iterable[str]) -> list[Distribution]:
        return [d for n in sorted(names) if (d := self.get(n))]

    @property
    def python(self) -> str:
        """The interpreter this scan really ran (the probe's sys.executable): a pyenv shim or
        wrapper script resolved, a venv's bin/python kept as is. Commands use it, since a shim
        may pick another interpreter tomorrow."""
        return self.interpreter.executable

    @property
    def active_distributions(self) -> list[Distribution]:
        return list(self._active.values())

    def tensorflow(self) -> Distribution | None:
        """The TF distribution whose files `import tensorflow` runs (the payload, not a stub)."""
        candidates = self.installed(knowledge.TENSORFLOW_VARIANTS)
        owners = [d for d in candidates if "tensorflow" in d.owns_init]
        first = self.first_import("tensorflow")
        if first:
            owners = [d for d in owners if d.location == _parent(first.path)] or owners
        # Of two owners of one folder, the one whose __init__.py is on disk was installed last.
        owners.sort(key=lambda d: d.init_written_by_me.get("tensorflow") is not True)
        return _first(owners or candidates)

    def keras(self) -> Distribution | None:
        return _first(self.installed(knowledge.KERAS_VARIANTS))

    def tf_keras(self) -> Distribution | None:
        return _first(self.installed(knowledge.TF_KERAS_VARIANTS))

    def first_import(self, name: str) -> ImportCandidate | None:
        """Where `import name` really lands: the first module or regular package wins; a
        namespace folder only when nothing else is found (importlib's PathFinder rules)."""
        candidates = self.import_candidates.get(name, [])
        for cand in candidates:
            if cand.kind in ("package", "module"):
                return cand
        return candidates[0] if candidates else None

    def keras_route(self) -> knowledge.KerasRoute | None:
        """What `tf.keras` resolves to for what is installed here (None: no TensorFlow)."""
        tf, keras = self.tensorflow(), self.keras()
        if tf is None or tf.version is None:
            return None
        return knowledge.route_tf_keras(tf.version, keras.version if keras else None,
                                        self.legacy_keras_env, self.tf_keras() is not None)

    @property
    def legacy_keras_env(self) -> str | None:
        return self.interpreter.env.get("TF_USE_LEGACY_KERAS")

    def is_environment_location(self, folder: str) -> bool:
        """A site-packages folder of the environment itself: the only place a fix changes."""
        entry = next((e for e in self.path_entries if e.path == folder), None)
        return entry is not None and entry.origin == "site-packages" and inside(
            folder, self.interpreter.prefix)

    def environment_view(self) -> Inventory:
        """The environment as its own installer sees it (see isolation): without PYTHONPATH,
        the user site, the current folder and folders that .pth files add from elsewhere."""
        keep = [e for e in self.path_entries if e.origin not in OUTSIDE_ORIGINS]
        kept = {e.path for e in keep}
        dists = _mark_shadowed([replace(d, shadowed_by=None) for d in self.distributions
                                if d.location in kept])
        return Inventory(
            interpreter=self.interpreter, path_entries=keep, distributions=dists,
            leftovers=[x for x in self.leftovers if x[0] in kept],
            unowned=[x for x in self.unowned if x[0] in kept],
            import_candidates={name: [c for c in cands if c.origin not in OUTSIDE_ORIGINS]
                               for name, cands in self.import_candidates.items()},
            conda=self.conda, keras_config=self.keras_config,
            tensorflow_plugins=self.tensorflow_plugins, problems=self.problems,
            cuda_libraries=self.cuda_libraries)


# Where a package can come from that is not the environment's own (see environment_view).
OUTSIDE_ORIGINS = frozenset({"pythonpath", "user-site", "cwd", "pth", "other"})


def inside(path: str, prefix: str) -> bool:
    import os

    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(prefix)]) == \
            os.path.abspath(prefix)
    except ValueError:  # different drives (Windows)
        return False


# Debian's own site folders: dpkg's alone (pip, even run with sudo, installs under /usr/local).
DPKG_SITE = re.compile(r"^/usr/lib/python3(\.\d+)?/dist-packages$")


def _first(items: list[Distribution]) -> Distribution | None:
    return items[0] if items else None


def _parent(path: str) -> str:
    import os

    return os.path.dirname(path)


# ---------------------------------------------------------------- building from probe JSON


def _interpreter(raw: dict[str, Any]) -> Interpreter:
    writable = raw.get("writable", {})
    cfg = raw.get("pyvenv_cfg", {})
    return Interpreter(
        executable=raw["executable"],
        base_executable=raw.get("base_executable") or raw["executable"],
        version=(raw["version"][0], raw["version"][1], raw["version"][2]),  # shape: 3+ ints
        implementation=raw["implementation"],
        platform=raw["platform"],
        bits=raw["bits"],
        kind=raw["kind"],
        prefix=raw["prefix"],
        base_prefix=raw["base_prefix"],
        purelib=raw["purelib"],
        site_packages=tuple(raw["site_packages"]),
        user_site=raw.get("user_site"),
        user_site_enabled=bool(raw.get("user_site_enabled")),
        externally_managed=bool(raw.get("externally_managed")),
        externally_managed_path=raw.get("externally_managed_path"),
        site_writable=bool(writable.get(raw["purelib"])),
        include_system_site_packages=cfg.get("include-system-site-packages", "").lower() == "true",
        pyvenv_cfg=dict(cfg),
        cwd=raw["cwd"],
        home=raw.get("home", ""),
        markers=raw["markers"],
        env=raw.get("env", {}),
    )


def _requirements(lines: list[str]) -> tuple[tuple[Requirement, ...], tuple[str, ...]]:
    good, bad = [], []
    for line in lines:
        try:
            good.append(Requirement(line))
        except InvalidRequirement:
            bad.append(line)
    return tuple(good), tuple(bad)


def _distribution(raw: dict[str, Any], entry: dict[str, Any]) -> Distribution:
    display = raw.get("name") or raw.get("dir_name") or raw["dir"]
    raw_version = raw.get("version") or raw.get("dir_version")
    requires, bad = _requirements(raw.get("requires_dist", []))
    errors = list(raw.get("errors", []))
    version = knowledge.parse_version(raw_version)
    if raw_version and version is None:
        errors.append(f"invalid version {raw_version!r}")
    rp: SpecifierSet | None = None
    if raw.get("requires_python"):
        try:
            rp = SpecifierSet(raw["requires_python"])
        except InvalidSpecifier:
            errors.append(f"invalid Requires-Python {raw['requires_python']!r}")
    errors.extend(f"invalid Requires-Dist {line!r}" for line in bad)
    return Distribution(
        name=canonicalize_name(display),
        display_name=display,
        raw_version=raw_version,
        version=version,
        location=entry["path"],
        path_index=entry["index"],
        origin=entry["origin"],
        dist_dir=raw["path"],
        format=raw.get("format", "dist-info"),
        installer=raw.get("installer"),
        requested=bool(raw.get("requested")),
        requires=requires,
        bad_requires=bad,
        requires_python=rp,
        wheel_tags=tuple(raw.get("wheel_tags", [])),
        editable=bool((raw.get("direct_url") or {}).get("editable")),
        has_record=bool(raw.get("record")),
        tops=tuple(raw.get("tops", [])),
        owns_init=tuple(raw.get("owns_init", [])),
        init_missing=tuple(raw.get("init_missing", [])),
        init_written_by_me=raw.get("init_written_by_me", {}),
        record_files=raw.get("record_files", 0),
        missing_files=raw.get("missing_files", 0),
        missing_examples=tuple(raw.get("missing_examples", [])),
        missing_outside=raw.get("missing_outside", 0),
        file_versions=raw.get("file_versions", {}),
        errors=tuple(errors),
        dpkg_package=raw.get("dpkg_package"),
        unreadable=tuple(raw.get("unreadable", [])),
    )


def _mark_shadowed(dists: list[Distribution]) -> list[Distribution]:
    """Later copies of a name lose to the first one on sys.path (importlib.metadata order)."""
    winner: dict[str, Distribution] = {}
    out = []
    for dist in dists:
        first = winner.setdefault(dist.name, dist)
        out.append(dist if first is dist else replace(dist, shadowed_by=first.dist_dir))
    return out


def _owned_tops(dists: list[Distribution]) -> dict[str, set[str]]:
    owned: dict[str, set[str]] = {}
    for dist in dists:
        owned.setdefault(dist.location, set()).update(dist.tops)
    return owned


IGNORED_UNOWNED = {"__pycache__", "README.txt", "_distutils_hack", "distutils-precedence"}


def _malformed_is_probe_error(build: Callable[[dict[str, Any]], Inventory]
                              ) -> Callable[[dict[str, Any]], Inventory]:
    """What probe_shape does not check and build still trips on is the target's answer being
    wrong (exit 2, one line), not a kerasfix crash."""
    @functools.wraps(build)
    def checked(doc: dict[str, Any]) -> Inventory:
        try:
            return build(doc)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise ProbeError(f"the probe's answer is malformed: {type(err).__name__}:"
                             f" {one_line(str(err))[:200]}") from None
    return checked


@_malformed_is_probe_error
def build_inventory(doc: dict[str, Any]) -> Inventory:
    interpreter = _interpreter(doc["interpreter"])
    entries: list[PathEntry] = []
    dists: list[Distribution] = []
    leftovers: list[tuple[str, str]] = []
    unowned_raw: list[tuple[str, list[str]]] = []
    for raw in doc["sys_path"]:
        entries.append(PathEntry(
            index=raw["index"], path=raw["path"], origin=raw["origin"], kind=raw["kind"],
            pth=raw.get("pth"), error=raw.get("error"), duplicate=bool(raw.get("duplicate_of"))))
        dists.extend(_distribution(d, raw) for d in raw.get("dists", []))
        leftovers.extend((raw["path"], name) for name in raw.get("leftovers", []))
        if raw.get("names"):
            unowned_raw.append((raw["path"], raw["names"]))
    dists = _mark_shadowed(dists)
    owned = _owned_tops(dists)
    conda_tops = {t for rec in doc.get("conda", []) for t in rec.get("site_tops", [])}
    unowned = [
        (folder, name)
        for folder, names in unowned_raw
        for name in names
        if name not in owned.get(folder, set()) and name not in IGNORED_UNOWNED
        and name not in conda_tops and not name.endswith((".pth", ".txt"))
    ]
    candidates = {
        name: [ImportCandidate(name, c["index"], c["path"], c["kind"], c["origin"]) for c in hits]
        for name, hits in doc.get("import_candidates", {}).items()
    }
    return Inventory(
        interpreter=interpreter,
        path_entries=entries,
        distributions=dists,
        leftovers=leftovers,
        unowned=unowned,
        import_candidates=candidates,
        conda=[CondaRecord(r["name"], r.get("version"), r.get("channel"), r["file"],
                           tuple(r.get("site_tops", []))) for r in doc.get("conda", [])],
        keras_config=doc.get("keras_config", {}),
        tensorflow_plugins=doc.get("tensorflow_plugins", []),
        problems=[Problem(p["kind"], p["path"], p["error"]) for p in doc.get("problems", [])],
        cuda_libraries=[CudaLibraryDir(d["folder"], tuple(d["files"]))
                        for d in doc.get("cuda_libraries", [])],
    )
