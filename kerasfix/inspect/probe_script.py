"""The probe: runs inside the *target* interpreter (CPython 3.8+), stdlib only.

It is executed by `python -c <bootstrap> <this file>` from the user's folder with the user's
environment, so `sys.path` is what the user's own `python -c` sees. It reads files and metadata
only: it never imports TensorFlow, Keras or any third-party module. It prints one JSON document
after a marker line. Every error is recorded in the document, never raised.

Keep this file free of kerasfix imports and of syntax newer than Python 3.8. Annotations are
for the type checker only (never evaluated here: `from __future__ import annotations`), and
`typing` is not imported at run time: the probe's own start-up time is part of every scan.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # mypy reads `if TYPE_CHECKING` blocks; Python never runs them
if TYPE_CHECKING:
    from typing import Any, Optional  # noqa: F401 (Optional: for 3.8-readable annotations)

USER_SYS_PATH = list(sys.path)


def _own_imports_safe():
    # The user's folder or PYTHONPATH may hold a json.py or csv.py; import ours from the stdlib.
    stdlib = os.path.dirname(os.__file__)
    keep = [p for p in sys.path if p and os.path.abspath(p).startswith(stdlib)]
    sys.path[:] = keep or [stdlib]


_own_imports_safe()

import base64
import csv
import hashlib
import io
import json
import platform
import re
import site
import sysconfig

SCHEMA = "kerasfix.probe/1"
MARKER = "KERASFIX-PROBE-JSON"

# Import packages whose RECORD ownership and on-disk integrity we look at closely.
WATCHED_TOPS = ("tensorflow", "keras", "tf_keras", "keras_core", "numpy", "ml_dtypes")
# Names a stray file or folder can shadow (S14/S15).
SHADOW_NAMES = ("tensorflow", "keras", "tf_keras", "numpy", "google", "ml_dtypes", "h5py")
CONDA_NAMES = (
    "tensorflow", "tensorflow-base", "tensorflow-cpu", "tensorflow-gpu", "keras", "tf-keras",
    "tf_keras", "numpy", "protobuf", "ml_dtypes", "ml-dtypes", "tensorflow-estimator",
)
ENV_VARS = (
    "TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "KERAS_HOME", "PYTHONPATH", "PYTHONNOUSERSITE",
    "PYTHONSAFEPATH", "PYTHONHOME", "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION",
    "TF_PLUGGABLE_DEVICE_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
    "PIP_REQUIRE_VIRTUALENV", "PIP_USER", "PATH",
    # the GPU half: what the dynamic loader searches first, which GPUs CUDA may see
    "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES", "TF_CPP_MIN_LOG_LEVEL",
)
# The CUDA libraries a TensorFlow GPU build dlopens whose system copies can shadow pip's.
CUDA_LIB_PREFIXES = ("libcudnn", "libcublas")
MAX_LIB_DIRS = 32
VERSION_FILES = {
    "keras": ("keras/src/version.py", "keras/__init__.py"),
    "tf_keras": ("tf_keras/__init__.py",),
}
_VERSION_RE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.M)

problems: list[dict[str, str]] = []


def problem(kind, path, err):
    problems.append({"kind": kind, "path": path, "error": "%s: %s" % (type(err).__name__, err)})


def read_text(path, kind):
    """Read a metadata file; non-UTF-8 bytes are reported and decoded leniently."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        problem(kind, path, err)
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        problem("non-utf8", path, err)
        return raw.decode("utf-8", "replace")


# ---------------------------------------------------------------- interpreter facts


def marker_environment():
    # The PEP 508 environment, computed the way packaging.markers.default_environment does.
    impl = sys.implementation
    iver = "%d.%d.%d" % impl.version[:3]
    if impl.version.releaselevel != "final":
        iver += impl.version.releaselevel[0] + str(impl.version.serial)
    return {
        "implementation_name": impl.name,
        "implementation_version": iver,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def writable(path):
    return bool(path) and os.path.isdir(path) and os.access(path, os.W_OK)


def interpreter_facts():
    paths = sysconfig.get_paths()
    prefix, base = sys.prefix, getattr(sys, "base_prefix", sys.prefix)
    cfg_path = os.path.join(prefix, "pyvenv.cfg")
    pyvenv = {}
    if os.path.isfile(cfg_path):
        for line in (read_text(cfg_path, "pyvenv.cfg") or "").splitlines():
            if "=" in line:
                key, _, value = line.partition("=")
                pyvenv[key.strip()] = value.strip()
    conda = os.path.isdir(os.path.join(prefix, "conda-meta"))
    if prefix != base or pyvenv:
        kind = "venv"
    elif conda:
        kind = "conda"
    else:
        kind = "system"
    try:
        site_dirs = list(site.getsitepackages())
    except AttributeError:  # very old virtualenv's site.py
        site_dirs = [paths["purelib"]]
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    marker = os.path.join(paths["stdlib"], "EXTERNALLY-MANAGED")
    libc = platform.libc_ver()
    return {
        "executable": sys.executable,
        "base_executable": getattr(sys, "_base_executable", None) or sys.executable,
        "version": list(sys.version_info[:3]),
        "version_string": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "bits": 64 if sys.maxsize > 2**32 else 32,
        "platform": sysconfig.get_platform(),
        "libc": [libc[0], libc[1]],
        "prefix": prefix,
        "base_prefix": base,
        "kind": kind,
        "conda": conda,
        "pyvenv_cfg": pyvenv,
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "stdlib": paths["stdlib"],
        "site_packages": site_dirs,
        "user_site": user_site,
        "user_site_enabled": bool(site.ENABLE_USER_SITE),
        "externally_managed": os.path.isfile(marker) and kind != "venv",
        "externally_managed_path": marker if os.path.isfile(marker) else None,
        "writable": {d: writable(d) for d in [paths["purelib"], paths["platlib"], *site_dirs]},
        "prefix_writable": writable(prefix),
        "cwd": os.getcwd(),
        "markers": marker_environment(),
        "env": {k: os.environ[k] for k in ENV_VARS if k in os.environ},
        "home": os.path.expanduser("~"),
    }


# ---------------------------------------------------------------- sys.path origins


def pth_sources(site_dirs):
    """Map each path a .pth file adds to the .pth file that adds it."""
    found: dict[str, str] = {}
    for sdir in site_dirs:
        try:
            names = sorted(n for n in os.listdir(sdir) if n.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            text = read_text(os.path.join(sdir, name), "pth") or ""
            for line in text.splitlines():
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                target = os.path.normcase(os.path.abspath(os.path.join(sdir, line)))
                found.setdefault(target, os.path.join(sdir, name))
    return found


def label_paths(facts):
    norm = lambda p: os.path.normcase(os.path.abspath(p))
    pythonpath = [norm(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    site_dirs = [norm(p) for p in facts["site_packages"]]
    user_site = norm(facts["user_site"]) if facts["user_site"] else None
    stdlib_roots = {norm(facts["stdlib"]), norm(os.path.dirname(facts["stdlib"]))}
    pth = pth_sources(facts["site_packages"] + ([facts["user_site"]] if user_site else []))
    entries = []
    for index, raw in enumerate(USER_SYS_PATH):
        path = raw or os.getcwd()
        n = norm(path)
        source = None
        if index == 0 and (raw == "" or n == norm(os.getcwd())):
            origin = "cwd"
        elif n in site_dirs:
            origin = "site-packages"
        elif user_site and n == user_site:
            origin = "user-site"
        elif n in pythonpath:
            origin = "pythonpath"
        elif n in pth:
            origin, source = "pth", pth[n]
        elif n.endswith(".zip") or any(n == r or n.startswith(r + os.sep) for r in stdlib_roots):
            origin = "stdlib"
        else:
            origin = "other"
        kind = "dir" if os.path.isdir(path) else ("zip" if os.path.isfile(path) else "missing")
        entries.append({"index": index, "path": path, "raw": raw, "origin": origin,
                        "pth": source, "kind": kind})
    return entries


# ---------------------------------------------------------------- distributions


def parse_record(text):
    """RECORD paths, plus the recorded hashes of watched <pkg>/__init__.py files."""
    rows, init_hashes = [], {}
    if '"' in text:
        parsed = (row for row in csv.reader(io.StringIO(text)))
    else:
        parsed = (line.split(",", 2) for line in text.splitlines())
    for row in parsed:
        if row and row[0]:
            rows.append(row[0])
            if row[0].endswith("/__init__.py") and row[0].count("/") == 1 and len(row) > 1:
                init_hashes[row[0].split("/")[0]] = row[1]
    return rows, init_hashes


def file_hash_matches(path, recorded):
    """Whether a file on disk is the one RECORD describes (who wrote a shared file last)."""
    algo, _, digest = (recorded or "").partition("=")
    if not digest or algo not in hashlib.algorithms_available:
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    got = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
    return got == digest


def top_of(rel):
    rel = rel.replace("\\", "/")
    if rel.startswith(("..", "/")) or ":" in rel.split("/")[0]:
        return None
    first = rel.split("/", 1)[0]
    if first.endswith((".dist-info", ".egg-info", ".data")) or first == "__pycache__":
        return None
    if "/" not in rel:
        if rel.endswith((".pth",)):
            return None
        for suffix in (".py", ".pyc"):
            if rel.endswith(suffix):
                return rel[: -len(suffix)]
        if rel.endswith((".so", ".pyd")):
            return rel.split(".", 1)[0]
        return rel
    return first


_LISTINGS: dict[str, frozenset[str] | None] = {}
_DENIED: set[str] = set()  # folders listdir refused (permissions): unreadable, not missing


def listing(folder):
    """The names in a folder (None if it cannot be listed), listed once per probe."""
    try:
        return _LISTINGS[folder]
    except KeyError:
        pass
    try:
        names = frozenset(os.listdir(folder))
    except PermissionError:
        names = None
        _DENIED.add(folder)
    except OSError:
        names = None
    _LISTINGS[folder] = names
    return names


def denied(path):
    """Whether the user may not list this folder (it exists: permissions, not damage)."""
    return listing(path) is None and path in _DENIED


def denied_root(base, folder):
    """The outermost folder from base down to base/folder that the user may not list."""
    path = base
    for part in [p for p in folder.split("/") if p]:
        path = os.path.join(path, part)
        if denied(path):
            return path
    return None


def check_files(base, rels):
    """Count RECORD entries missing on disk (caches excluded); keep a few examples.

    One listdir per folder instead of one stat per file: TensorFlow's RECORD has ~20,000 rows.
    Files in a folder the user may not read are not missing: the outermost such folder is
    returned instead, so a chmod 000 package reads as a permission problem, not as damage.
    """
    by_dir: dict[str, list[str]] = {}
    for rel in rels:
        if "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        folder, _, name = rel.replace("\\", "/").rpartition("/")
        by_dir.setdefault(folder, []).append(name)
    missing, outside = 0, 0
    examples: list[str] = []
    unreadable: set[str] = set()
    for folder, names in by_dir.items():
        path = os.path.join(base, folder) if folder else base
        present = listing(path)
        if present is None and path in _DENIED:
            unreadable.add(denied_root(base, folder) or path)
            continue
        for name in names:
            if name not in (present or ()):
                missing += 1
                if folder.startswith(".."):
                    outside += 1  # console scripts in bin/, shared with other wheels
                elif len(examples) < 5:
                    examples.append(folder + "/" + name if folder else name)
    return missing, examples, outside, sorted(unreadable)


def read_metadata(text):
    """Core-metadata headers. A small reader: email.parser costs ~0.5 ms a file."""
    requires_dist: list[str] = []
    fields: dict[str, Any] = {"name": None, "version": None, "requires_dist": requires_dist,
                              "requires_python": None}
    key = None
    for line in text.splitlines():
        if not line:
            break  # the body (description) starts here
        if line[0] in " \t":
            continue  # folded continuation of a long header we do not use
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "requires-dist":
            requires_dist.append(value)
        elif key in ("name", "version", "requires-python"):
            fields[key.replace("-", "_")] = fields[key.replace("-", "_")] or value
    return fields


def file_version(base, top):
    for rel in VERSION_FILES.get(top, ()):
        path = os.path.join(base, rel)
        if os.path.isfile(path):
            try:
                with open(path, "rb") as fh:
                    head = fh.read(65536).decode("utf-8", "replace")
            except OSError:
                return None
            m = _VERSION_RE.search(head)
            if m:
                return {"file": rel, "version": m.group(1)}
    return None


def _new_dist(dirname, full, is_egg):
    stem = dirname[: -len(".dist-info")] if not is_egg else dirname[: -len(".egg-info")]
    return {"dir": dirname, "path": full, "format": "egg-info" if is_egg else "dist-info",
            "dir_name": stem.split("-")[0],
            "dir_version": stem.split("-")[1] if "-" in stem else None,
            "name": None, "version": None, "requires_dist": [], "requires_python": None,
            "installer": None, "wheel_tags": [], "direct_url": None, "record": False,
            "tops": [], "record_files": 0, "missing_files": 0, "missing_examples": [],
            "owns_init": [], "init_missing": [], "init_written_by_me": {},
            "file_versions": {}, "errors": [], "unreadable": []}


def _read_core_metadata(dist, meta_path):
    text = read_text(meta_path, "metadata")
    if text is None:
        dist["errors"].append("metadata unreadable or missing")
        return
    try:
        dist.update(read_metadata(text))
    except Exception as err:  # email parser on garbage: report, go on
        dist["errors"].append("metadata unparsable: %s" % err)
    if not dist["name"]:
        dist["errors"].append("metadata has no Name")
    if not dist["version"]:
        dist["errors"].append("metadata has no Version")


def _read_install_files(dist, full, here):
    """REQUESTED, INSTALLER, WHEEL and direct_url.json of a metadata folder."""
    dist["requested"] = "REQUESTED" in here
    if "INSTALLER" in here:
        installer = os.path.join(full, "INSTALLER")
        dist["installer"] = (read_text(installer, "installer") or "").strip() or None
    if "WHEEL" in here:
        for line in (read_text(os.path.join(full, "WHEEL"), "wheel") or "").splitlines():
            if line.startswith("Tag:"):
                dist["wheel_tags"].append(line[4:].strip())
    if "direct_url.json" in here:
        durl = os.path.join(full, "direct_url.json")
        try:
            data = json.loads(read_text(durl, "direct_url") or "{}")
            dist["direct_url"] = {"url": data.get("url"),
                                  "editable": bool(data.get("dir_info", {}).get("editable"))}
        except ValueError as err:
            dist["errors"].append("direct_url.json unparsable: %s" % err)


def _egg_files(full, dirname):
    """An egg-info's installed files (relative to its entry) and its top_level.txt names."""
    listed = os.path.join(full, "installed-files.txt")
    files = read_text(listed, "record") if os.path.isfile(listed) else None
    rels = [os.path.normpath(os.path.join(dirname, line.strip()))
            for line in (files or "").splitlines() if line.strip()]
    tops_txt = os.path.join(full, "top_level.txt")
    tops: set[str] = set()
    if os.path.isfile(tops_txt):
        tops.update(t.strip() for t in (read_text(tops_txt, "top_level") or "").splitlines()
                    if t.strip())
    return rels, tops


def _record_files(dist, full, here):
    """A dist-info's RECORD paths and the recorded hashes of watched __init__.py files."""
    if "RECORD" not in here:
        dist["errors"].append("RECORD missing")
        return [], {}
    dist["record"] = True
    return parse_record(read_text(os.path.join(full, "RECORD"), "record") or "")


def _check_on_disk(dist, entry_path, rels, init_hashes, is_egg):
    """What RECORD (or installed-files.txt) lists against what is on disk."""
    missing = check_files(entry_path, rels)
    dist["missing_files"], dist["missing_examples"], dist["missing_outside"] = missing[:3]
    dist["unreadable"] = missing[3]
    dist["owns_init"] = sorted(
        t for t in WATCHED_TOPS
        if t + "/__init__.py" in rels or t + "\\__init__.py" in rels)
    dist["init_missing"] = [t for t in dist["owns_init"]
                            if not os.path.isfile(os.path.join(entry_path, t, "__init__.py"))
                            and not denied(os.path.join(entry_path, t))]
    if not is_egg:
        dist["init_written_by_me"] = {
            t: file_hash_matches(os.path.join(entry_path, t, "__init__.py"), init_hashes.get(t))
            for t in dist["owns_init"] if t not in dist["init_missing"]}


def read_dist(entry_path, dirname):
    full = os.path.join(entry_path, dirname)
    is_egg = dirname.endswith(".egg-info")
    dist = _new_dist(dirname, full, is_egg)
    if os.path.isdir(full) and denied(full):  # chmod 000: the user may not read its metadata
        dist["unreadable"] = [full]
        return dist
    single_file = is_egg and os.path.isfile(full)  # old-style single-file egg-info
    if single_file:
        meta_path = full
    else:
        meta_path = os.path.join(full, "PKG-INFO" if is_egg else "METADATA")
    _read_core_metadata(dist, meta_path)
    here = listing(full) if not single_file else None
    if here is None:
        return dist
    _read_install_files(dist, full, here)
    if is_egg:
        rels, tops = _egg_files(full, dirname)
        init_hashes: dict[str, str] = {}
    else:
        rels, init_hashes = _record_files(dist, full, here)
        tops = set()
    firsts = {rel.replace("\\", "/").partition("/")[0] for rel in rels}
    tops.update(t for t in map(top_of, firsts) if t)
    dist["tops"] = sorted(tops)
    dist["record_files"] = len(rels)
    _check_on_disk(dist, entry_path, rels, init_hashes, is_egg)
    dist["file_versions"] = {t: v for t in VERSION_FILES if t in tops
                             for v in [file_version(entry_path, t)] if v}
    return dist


def scan_dir(path, is_site):
    """List the distributions, leftovers and top-level import names of one path entry."""
    out: dict[str, Any] = {"dists": [], "leftovers": [], "names": [], "error": None}
    try:
        with os.scandir(path) as it:
            items = list(it)
    except OSError as err:
        out["error"] = "%s: %s" % (type(err).__name__, err)
        problem("unreadable-dir", path, err)
        return out
    for item in sorted(items, key=lambda i: i.name):
        name = item.name
        if name.startswith("~") or (name.startswith("-") and name.endswith(".dist-info")):
            out["leftovers"].append(name)
        elif name.endswith((".dist-info", ".egg-info")):
            try:
                out["dists"].append(read_dist(path, name))
            except Exception as err:  # a broken dist must not stop the scan
                problem("dist", os.path.join(path, name), err)
        elif is_site:
            out["names"].append(top_of(name) or name)
    return out


def scan_zip(path):
    import zipfile

    out: dict[str, Any] = {"dists": [], "leftovers": [], "names": [], "error": None}
    try:
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                parts = member.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    meta = read_metadata(zf.read(member).decode("utf-8", "replace"))
                    meta.update({"dir": parts[0], "path": path + "/" + parts[0], "format": "zip",
                                 "tops": [], "record": False, "missing_files": 0,
                                 "errors": [], "wheel_tags": []})
                    out["dists"].append(meta)
    except (OSError, zipfile.BadZipFile) as err:
        out["error"] = "%s: %s" % (type(err).__name__, err)
        problem("zip", path, err)
    return out


# ---------------------------------------------------------------- Debian's dpkg

# What python3-cryptography 38.0.4-3+deb12u1 installs on Debian 12 (dpkg -S, /var/lib/dpkg/info):
# cryptography-38.0.4.dist-info (no INSTALLER) and cryptography.egg-info side by side in
# /usr/lib/python3/dist-packages, both in python3-cryptography.list. python3-distro's RECORD
# lists scripts-3.10/distro and python3-pip's ../scripts/pip: build-tree paths dpkg never
# installed. For such a distribution dpkg's file list, not RECORD, says what must be on disk.
DPKG_INFO = "/var/lib/dpkg/info"
_DPKG_FILES: dict[str, frozenset[str] | None] = {}


def dpkg_files(package):
    """The paths in dpkg's file list of a package (None: no such list), read once."""
    if package not in _DPKG_FILES:
        try:
            with open(os.path.join(DPKG_INFO, package + ".list"), "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            _DPKG_FILES[package] = frozenset(text.splitlines())
        except OSError:
            _DPKG_FILES[package] = None
    return _DPKG_FILES[package]


def dpkg_python_packages():
    """The packages whose file list may hold Python distributions (python3-*, pypy3-*)."""
    names = listing(DPKG_INFO) or ()
    return sorted(n[:-5] for n in names
                  if n.endswith(".list") and n.startswith(("python3-", "python-", "pypy3-")))


def dpkg_owner(dist):
    """The dpkg package that installed this dist-info: guessed names (python3-<name>,
    python3-<top>) first, then every Python package's list, a few ms in all."""
    name = re.sub(r"[-_.]+", "-", (dist["name"] or dist["dir_name"] or "").lower())
    guesses = ["python3-" + n for n in [name, name.replace("python-", "", 1)] + dist["tops"]]
    seen = set()
    for package in guesses + dpkg_python_packages():
        if package in seen:
            continue
        seen.add(package)
        files = dpkg_files(package)
        if files is not None and dist["path"] in files:
            return package.split(":")[0]
    return None


def dpkg_checks(dist, location):
    """Name the dpkg package of a questionable dist and count what its list says is missing."""
    package = dpkg_owner(dist)
    dist["dpkg_package"] = package
    if package is None:
        return
    prefix = location.rstrip("/") + "/"
    rels = [f[len(prefix):] for f in dpkg_files(package) or () if f.startswith(prefix)]
    missing = check_files(location, rels)
    dist["record_files"] = len(rels)
    dist["missing_files"], dist["missing_examples"], dist["missing_outside"] = missing[:3]
    dist["unreadable"] = sorted(set(dist["unreadable"]) | set(missing[3]))


def mark_dpkg(entries):
    """For the dists a check would question (files missing, no RECORD, a second metadata folder
    for the name), ask dpkg whether it installed them. Only under /usr (never /usr/local, where
    Debian's pip installs) or with INSTALLER "debian"; nothing at all without a dpkg database."""
    if not os.path.isdir(DPKG_INFO):
        return
    for entry in entries:
        location = entry["path"]
        names = [re.sub(r"[-_.]+", "-", (d.get("name") or d.get("dir_name") or "").lower())
                 for d in entry["dists"]]
        for dist, name in zip(entry["dists"], names):
            if dist.get("format") == "zip":
                continue
            systemwide = location.startswith("/usr/") and not location.startswith("/usr/local/")
            if not (systemwide or (dist.get("installer") or "").lower() == "debian"):
                continue
            if dist["missing_files"] or dist["init_missing"] or names.count(name) > 1 \
                    or "RECORD missing" in dist["errors"]:
                dpkg_checks(dist, location)


# ---------------------------------------------------------------- shadowing, conda, config


def import_candidates(entries, ext_suffixes):
    """Where each watched name could be imported from, in sys.path order."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in SHADOW_NAMES}
    for entry in entries:
        if entry["kind"] != "dir":
            continue
        base = entry["path"]
        for name in SHADOW_NAMES:
            pkg = os.path.join(base, name)
            hit = None
            if os.path.isdir(pkg):
                has_init = any(os.path.isfile(os.path.join(pkg, "__init__" + s))
                               for s in (".py", ".pyc"))
                hit = "package" if has_init else "namespace"
            else:
                for suffix in [".py", ".pyc", *ext_suffixes]:
                    if os.path.isfile(pkg + suffix):
                        hit = "module"
                        pkg = pkg + suffix
                        break
            if hit:
                found[name].append({"index": entry["index"], "path": pkg, "kind": hit,
                                    "origin": entry["origin"]})
    return found


def conda_records(prefix):
    meta = os.path.join(prefix, "conda-meta")
    records: list[dict[str, Any]] = []
    if not os.path.isdir(meta):
        return records
    try:
        names = os.listdir(meta)
    except OSError as err:
        problem("unreadable-dir", meta, err)
        return records
    for fname in sorted(names):
        if not fname.endswith(".json"):
            continue
        pkg = fname[:-5].rsplit("-", 2)[0]
        if pkg not in CONDA_NAMES:
            continue
        try:
            data = json.loads(read_text(os.path.join(meta, fname), "conda") or "{}")
        except ValueError as err:
            problem("conda", os.path.join(meta, fname), err)
            continue
        files = data.get("files") or []
        tops = sorted({f.split("/")[3] for f in files
                       if f.count("/") >= 4 and "site-packages/" in f})
        records.append({"name": data.get("name", pkg), "version": data.get("version"),
                        "channel": data.get("channel"), "file": fname, "site_tops": tops})
    return records


def keras_config(env):
    home = env.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    path = os.path.join(home, "keras.json")
    out = {"path": path, "exists": os.path.isfile(path), "backend": None, "error": None}
    if out["exists"]:
        try:
            out["backend"] = json.loads(read_text(path, "keras-config") or "{}").get("backend")
        except (ValueError, AttributeError) as err:
            out["error"] = "%s: %s" % (type(err).__name__, err)
    return out


def cuda_libraries(env):
    """The libcudnn*/libcublas* files of each LD_LIBRARY_PATH folder, in search order: the
    dynamic loader looks there before the RUNPATH that leads TensorFlow to the pip wheels'."""
    if not sys.platform.startswith("linux"):
        return []
    found, seen = [], set()
    for folder in env.get("LD_LIBRARY_PATH", "").split(os.pathsep)[:MAX_LIB_DIRS]:
        if not folder or folder in seen:  # (an empty entry is the current folder to ld.so)
            continue
        seen.add(folder)
        try:
            names = sorted(n for n in os.listdir(folder)
                           if n.startswith(CUDA_LIB_PREFIXES) and ".so" in n)
        except OSError:
            continue
        if names:
            found.append({"folder": folder, "files": names[:64]})
    return found


def main():
    facts = interpreter_facts()
    entries = label_paths(facts)
    site_like = {"site-packages", "user-site"}
    seen = set()
    for entry in entries:
        key = os.path.normcase(os.path.realpath(entry["path"]))
        entry["duplicate_of"] = None
        if key in seen:  # the same folder twice on sys.path (symlinks, .pth)
            entry["duplicate_of"] = key
            entry.update({"dists": [], "leftovers": [], "names": [], "error": None})
            continue
        seen.add(key)
        if entry["kind"] == "dir" and entry["origin"] != "stdlib":
            entry.update(scan_dir(entry["path"], entry["origin"] in site_like))
        elif entry["kind"] == "zip" and entry["origin"] != "stdlib":
            entry.update(scan_zip(entry["path"]))
        else:
            entry.update({"dists": [], "leftovers": [], "names": [], "error": None})
    mark_dpkg(entries)
    plugins = [os.path.join(e["path"], "tensorflow-plugins") for e in entries
               if e["origin"] in site_like and
               os.path.isdir(os.path.join(e["path"], "tensorflow-plugins"))]
    doc = {
        "schema": SCHEMA,
        "interpreter": facts,
        "sys_path": entries,
        "import_candidates": import_candidates(entries, list(_ext_suffixes())),
        "conda": conda_records(sys.prefix),
        "keras_config": keras_config(os.environ),
        "tensorflow_plugins": plugins,
        "cuda_libraries": cuda_libraries(os.environ),
        "problems": problems,
    }
    out = sys.stdout
    out.write(MARKER + "\n")
    out.write(json.dumps(doc))
    out.write("\n")
    out.flush()


def _ext_suffixes():
    import importlib.machinery as machinery

    return machinery.EXTENSION_SUFFIXES


main()
