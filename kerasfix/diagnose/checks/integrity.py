"""What is on disk: who owns each import folder, damaged installs, leftovers, orphans, stubs.

pip check only reads metadata; these read RECORD against the files (S9, S10, S16, S17, S21, S22).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator

from kerasfix import knowledge
from kerasfix.diagnose.checks.base import applies, check, pip_cmd, reinstall_cmd
from kerasfix.diagnose.findings import Finding, RuntimeStep, Severity
from kerasfix.diagnose.findings import Strategy as S
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.knowledge import compat
from kerasfix.textsafe import plural

SYMPTOM_NAMESPACE = "AttributeError: module '{pkg}' has no attribute '__version__'"
STEP_FOR_PACKAGE = {"tensorflow": RuntimeStep.IMPORT_TENSORFLOW, "keras": RuntimeStep.IMPORT_KERAS,
                    "tf_keras": RuntimeStep.IMPORT_TF_KERAS}


@check
def one_owner_per_import_package(inv: Inventory) -> Iterator[Finding]:
    """Two distributions whose RECORD claims the same <pkg>/__init__.py in one folder."""
    owners: dict[tuple[str, str], list[Distribution]] = defaultdict(list)
    for dist in inv.distributions:
        for pkg in dist.owns_init:
            if pkg in ("tensorflow", "keras", "tf_keras"):
                owners[(dist.location, pkg)].append(dist)
    for (folder, pkg), dists in sorted(owners.items()):
        if len(dists) < 2:
            continue
        labels = tuple(d.label for d in dists)
        versions = sorted({d.raw_version or "?" for d in dists})
        mixed = (f" The versions differ ({', '.join(versions)}): files only the older RECORD lists"
                 " are still there, next to the newer build's, and native libraries from two"
                 " builds do not load together." if len(versions) > 1 else "")
        last = next((d for d in dists if d.init_written_by_me.get(pkg)), None)
        yield Finding(
            code="import-package-owned-twice",
            severity=Severity.ERROR,
            title=f"{len(dists)} distributions share the {pkg}/ folder: {', '.join(labels)}",
            detail=(f"{' and '.join(labels)} all install into {pkg}/. pip does not warn: the last"
                    " install overwrote the files of the earlier one, so the folder may mix two"
                    " builds, and uninstalling either deletes files the other still lists, leaving"
                    f" an empty `{pkg}` namespace. pip check is silent about this." + mixed),
            symptom=(SYMPTOM_NAMESPACE.format(pkg=pkg) + " (after one is uninstalled)"
                     if len(versions) == 1 else
                     "NotFoundError: ...libtfkernel_*.so: undefined symbol ..."),
            evidence=(*(f"{d.label}: {d.dist_dir}" for d in dists),
                      *((f"{pkg}/__init__.py on disk was written by {last.label}",) if last
                        else ())),
            distributions=labels,
            paths=(os.path.join(folder, pkg), *(d.dist_dir for d in dists)),
            strategies=(S.REPAIR, S.FRESH_VENV),
            scenario="S9" if pkg == "tensorflow" else "S10",
            predicts=(STEP_FOR_PACKAGE[pkg],) if len(versions) > 1 else (),
        )


@check
def damaged_installs(inv: Inventory) -> Iterator[Finding]:
    for dist in inv.distributions:
        if dist.missing_files == 0 or not dist.active:
            continue
        if dist.dpkg_owned and not dist.dpkg_package and not dist.init_missing:
            continue  # a Debian RECORD lists build-tree paths; without dpkg's list, no verdict
        pkg_init_gone = list(dist.init_missing)
        scripts_only = dist.missing_files == dist.missing_outside
        stack = dist.name in knowledge.STACK
        severity = Severity.ERROR if stack and not scripts_only else Severity.WARNING
        evidence = [f"missing: {os.path.join(dist.location, p, '__init__.py')}"
                    for p in pkg_init_gone]
        evidence += [f"missing: {os.path.join(dist.location, ex)}"
                     for ex in dist.missing_examples if not ex.endswith("/__init__.py")]
        if dist.missing_outside:
            evidence.append(f"{plural(dist.missing_outside, 'console script')} in bin/ missing")
        clobbered = bool(pkg_init_gone) and dist.family == "tensorflow"
        yield Finding(
            code="damaged-install",
            severity=severity,
            title=(f"{dist.label}: {dist.missing_files} of {dist.record_files} installed files are"
                   " missing"),
            detail=("Files listed in the distribution's RECORD are gone from disk: typically a"
                    " sibling distribution sharing the folder was uninstalled, an uninstall or"
                    " upgrade was interrupted, or files were deleted by hand. pip check does not"
                    " look at files, so it reports nothing."
                    + (f" {pkg_init_gone[0]}/__init__.py is gone: Python now imports"
                       f" {pkg_init_gone[0]} as an empty namespace package." if pkg_init_gone
                       else "")
                    + (" Only console scripts are missing (another wheel that shipped the same"
                       " script was uninstalled); the package itself is intact." if scripts_only
                       else "")
                    + (" dpkg installed it (apt): reinstall it with apt, not pip." if
                       dist.dpkg_owned else "")),
            symptom=SYMPTOM_NAMESPACE.format(pkg=pkg_init_gone[0]) if pkg_init_gone else None,
            evidence=tuple(evidence),
            distributions=(dist.label,),
            paths=(dist.dist_dir,),
            strategies=((S.MANUAL,) if dist.dpkg_owned else
                        (S.REPAIR, S.FRESH_VENV) if stack else (S.REPAIR,)),
            scenario="S9" if clobbered else ("S16" if dist.family else None),
            predicts=tuple(STEP_FOR_PACKAGE[p] for p in pkg_init_gone if p in STEP_FOR_PACKAGE),
            manual=(reinstall_cmd(inv, dist),),
        )


@check
def leftover_folders(inv: Inventory) -> Iterator[Finding]:
    if not inv.leftovers:
        return
    names = [name for _, name in inv.leftovers]
    stack = any(n.lstrip("~-").startswith(("ensorflow", "eras", "f_keras", "f-nightly", "umpy"))
                for n in names)
    yield Finding(
        code="interrupted-pip-leftovers",
        severity=Severity.WARNING,
        title=f"{plural(len(names), 'leftover folder')} from an interrupted pip run:"
              f" {', '.join(names[:4])}"
              + (" ..." if len(names) > 4 else ""),
        detail=("pip moves a package aside to a '~'-prefixed folder while uninstalling and deletes"
                " it at the end; these were left when pip was interrupted (Ctrl-C, a killed"
                " process, a locked file). pip warns about them on every run, and the real"
                " package next to them may be half-replaced."
                + (" They belong to the TensorFlow/Keras stack." if stack else "")),
        symptom=f"WARNING: Ignoring invalid distribution {names[0]} ({inv.leftovers[0][0]})",
        evidence=tuple(os.path.join(folder, name) for folder, name in inv.leftovers[:10]),
        paths=tuple(os.path.join(folder, name) for folder, name in inv.leftovers),
        strategies=(S.REPAIR,),
        scenario="S16",
    )


def _stashed_package(name: str) -> str | None:
    """pip's stash name for a folder: leading characters replaced by '~' (~ensorflow)."""
    rest = name.lstrip("~")
    cut = len(name) - len(rest)
    if not cut or rest.endswith((".dist-info", ".egg-info")):
        return None
    return next((p for p in knowledge.IMPORT_PACKAGES if len(p) > cut and p[cut:] == rest), None)


@check
def half_uninstalled_package(inv: Inventory) -> Iterator[Finding]:
    """Only pip's stashed copy of a stack package is left: the real folder is gone."""
    for folder, name in inv.leftovers:
        package = _stashed_package(name)
        if package is None or os.path.exists(os.path.join(folder, package)):
            continue
        yield Finding(
            code="half-uninstalled-package",
            severity=Severity.ERROR,
            title=f"{package}/ exists only as pip's stash {name} in {folder}",
            detail=(f"pip moved {package}/ aside to {name} to uninstall or upgrade it and was"
                    " interrupted before putting anything in its place. `import"
                    f" {package}` fails, and pip check says nothing because the dist-info went"
                    " with it."),
            symptom=f"ModuleNotFoundError: No module named '{package}'",
            evidence=(f"present: {os.path.join(folder, name)}",
                      f"missing: {os.path.join(folder, package)}"),
            paths=(os.path.join(folder, name),),
            strategies=(S.REPAIR, S.UPGRADE, S.FRESH_VENV),
            scenario="S16",
            predicts=(STEP_FOR_PACKAGE[package],) if package in STEP_FOR_PACKAGE else (),
        )


@check
def orphan_import_folders(inv: Inventory) -> Iterator[Finding]:
    """A stack import folder in site-packages that no RECORD (and no conda record) owns."""
    blind = {d.location for d in inv.distributions if d.dist_dir in d.unreadable}
    for folder, name in inv.unowned:
        if name not in knowledge.IMPORT_PACKAGES or folder in blind:
            continue  # blind: a metadata folder we may not read could be the owner
        path = os.path.join(folder, name)
        yield Finding(
            code="orphan-import-folder",
            severity=Severity.ERROR if name in ("tensorflow", "keras", "tf_keras")
            else Severity.WARNING,
            title=f"{path} belongs to no installed distribution",
            detail=(f"No RECORD in {folder} lists {name}/: it is the remains of a removed"
                    " distribution, a manual copy, or an install whose dist-info was deleted."
                    " Python imports it anyway, and pip cannot uninstall or upgrade it cleanly."),
            evidence=(f"folder: {path}", "owned by: nothing"),
            paths=(path,),
            strategies=(S.REPAIR, S.FRESH_VENV),
            scenario="S16",
        )


@check
def tensorflow_stub_without_payload(inv: Inventory) -> Iterator[Finding]:
    tf = inv.get("tensorflow")
    if not tf or "tensorflow" in tf.tops or not tf.has_record:
        return
    payloads = [r for r in tf.requires if r.name in knowledge.STUB_PAYLOADS and applies(r, inv)]
    missing = [r for r in payloads if inv.get(r.name) is None]
    if not missing:
        return
    req = missing[0]
    yield Finding(
        code="tensorflow-stub-without-payload",
        severity=Severity.ERROR,
        title=f"{tf.label} is a platform stub and its payload {req.name} is missing",
        detail=("On this platform the `tensorflow` wheel contains no code: it depends on"
                f" {req.name}, which holds the tensorflow/ folder. It is not installed (a"
                " --no-deps install, a lock file made on another platform, or uninstalling only"
                " one of the two)."),
        symptom="ModuleNotFoundError: No module named 'tensorflow'",
        evidence=(f"{tf.label} RECORD lists no tensorflow/ files",
                  f"{tf.label} requires {req}"),
        distributions=(tf.label,),
        paths=(tf.dist_dir,),
        strategies=(S.REPAIR, S.UPGRADE),
        scenario="S21",
        predicts=(RuntimeStep.IMPORT_TENSORFLOW,),
        manual=(pip_cmd(inv, "install", str(req).split(";")[0].replace(" ", "")),),
    )


@check
def tensorflow_gpu_distribution(inv: Inventory) -> Iterator[Finding]:
    dist = inv.get("tensorflow-gpu")
    if dist:
        yield Finding(
            code="tensorflow-gpu-installed",
            severity=Severity.WARNING,
            title=f"{dist.label} is installed; the tensorflow-gpu name was retired",
            detail=("Since TF 2.1 `tensorflow` itself includes GPU support; tensorflow-gpu stopped"
                    f" at {knowledge.minor_text(knowledge.TENSORFLOW_GPU_LAST)}"
                    f" and {compat.tensorflow_gpu_refusing_release()} is a package that refuses to"
                    " build. It owns the same"
                    " tensorflow/ folder as `tensorflow`, so it clobbers or is clobbered by it."),
            symptom='The "tensorflow-gpu" package has been removed! Please install "tensorflow"'
                    " instead.",
            distributions=(dist.label,),
            paths=(dist.dist_dir,),
            strategies=(S.REPAIR, S.UPGRADE),
            scenario="S17",
        )


_MACOS_MERGED = knowledge.minor_text(knowledge.TENSORFLOW_MACOS_MERGED)  # 2.16


@check
def apple_packages_after_merge(inv: Inventory) -> Iterator[Finding]:
    macos, metal, tf = inv.get("tensorflow-macos"), inv.get("tensorflow-metal"), inv.tensorflow()
    if macos and macos.version and compat.tensorflow_macos_is_stub(macos.version):
        yield Finding(
            code="tensorflow-macos-after-merge",
            severity=Severity.WARNING,
            title=f"{macos.label} is only a stub since the {_MACOS_MERGED} merge",
            detail=(f"From {_MACOS_MERGED} `tensorflow` ships Apple-silicon wheels itself;"
                    f" tensorflow-macos {_MACOS_MERGED} only depends on it, and"
                    f" {knowledge.TENSORFLOW_MACOS_STUB_FROM} depends on itself. Install"
                    " `tensorflow` and drop tensorflow-macos."),
            distributions=(macos.label,),
            strategies=(S.REPAIR,),
            scenario="S22",
        )
    if metal:
        yield Finding(
            code="tensorflow-metal-plugin",
            severity=Severity.INFO,
            title=f"{metal.label} plugs into TensorFlow at import",
            detail=("TensorFlow loads every library in site-packages/tensorflow-plugins at"
                    " import; a tensorflow-metal built for another TF release crashes"
                    " `import tensorflow` (NotFoundError: Symbol not found)."
                    + (f" Installed TensorFlow: {tf.label}." if tf else "")),
            distributions=(metal.label,),
            paths=tuple(inv.tensorflow_plugins),
            scenario="S22",
        )


@check
def version_file_disagrees(inv: Inventory) -> Iterator[Finding]:
    """keras/src/version.py (or tf_keras/__init__.py) says another version than METADATA."""
    for dist in inv.distributions:
        if not dist.active or dist.version is None:
            continue
        for pkg, info in dist.file_versions.items():
            found = knowledge.parse_version(info.get("version"))
            if found is None or found == dist.version:
                continue
            yield Finding(
                code="files-from-another-version",
                severity=Severity.ERROR,
                title=f"{pkg}/ holds files of {found}, but {dist.label} is what pip recorded",
                detail=("The package folder was overwritten by another distribution or version"
                        " (two Keras distributions, a nightly, or a copy) after this one was"
                        " installed. What Python imports is not what pip thinks is installed."),
                evidence=(f"{info.get('file')}: __version__ = {info.get('version')}",
                          f"{dist.dist_dir}: Version {dist.raw_version}"),
                distributions=(dist.label,),
                paths=(os.path.join(dist.location, info.get("file", pkg)),),
                strategies=(S.REPAIR, S.FRESH_VENV),
                scenario="S10",
            )


@check
def same_name_twice_in_one_folder(inv: Inventory) -> Iterator[Finding]:
    seen: dict[tuple[str, str], list[Distribution]] = defaultdict(list)
    for dist in inv.distributions:
        seen[(dist.location, dist.name)].append(dist)
    for (folder, _name), dists in sorted(seen.items()):
        if len(dists) < 2 or _one_dpkg_package(dists):
            continue
        yield Finding(
            code="duplicate-dist-info",
            severity=Severity.ERROR if dists[0].name in knowledge.STACK else Severity.WARNING,
            title=(f"{dists[0].name} has {len(dists)} metadata folders in {folder}: "
                   + ", ".join(d.raw_version or "?" for d in dists)),
            detail=("Two dist-info folders for one name in one place: an upgrade was interrupted"
                    " after the new files were written but before the old metadata was removed."
                    " Which version pip and importlib report depends on directory order."),
            evidence=tuple(d.dist_dir for d in dists),
            distributions=tuple(d.label for d in dists),
            paths=tuple(d.dist_dir for d in dists),
            strategies=(S.REPAIR,),
            scenario="S16",
        )


def _one_dpkg_package(dists: list[Distribution]) -> bool:
    """Debian ships some packages with an .egg-info beside the .dist-info (python3-cryptography
    on Debian 12): all of them dpkg's, or dpkg's dist-info and an egg-info of the same version
    that no installer claims."""
    owned = [d for d in dists if d.dpkg_owned]
    return bool(owned) and all(
        d.dpkg_owned or (d.format == "egg-info" and not d.installer
                         and d.raw_version == owned[0].raw_version) for d in dists)


@check
def unreadable_metadata(inv: Inventory) -> Iterator[Finding]:
    for dist in inv.distributions:
        errors = [e for e in dist.errors if e != "RECORD missing" or
                  (dist.name in knowledge.STACK and not dist.dpkg_owned)]
        if not errors or dist.unreadable:
            continue
        yield Finding(
            code="corrupt-metadata",
            severity=Severity.WARNING,
            title=f"{dist.dist_dir.rsplit(os.sep, 1)[-1]}: {errors[0]}",
            detail=("This distribution's metadata cannot be read completely; pip may ignore it or"
                    " fail on it, and kerasfix judged it from what could be read."),
            evidence=tuple(errors),
            distributions=(dist.label,),
            paths=(dist.dist_dir,),
            strategies=(S.REPAIR,),
        )
    for problem in inv.problems:
        if problem.kind in ("unreadable-dir", "zip", "dist", "conda"):
            yield Finding(
                code="unreadable-path",
                severity=Severity.WARNING,
                title=(permission_denied(problem.path) if "PermissionError" in problem.error
                       else f"Could not read {problem.path}"),
                detail=("kerasfix could not look inside this folder or file, so anything installed"
                        " there is not part of this report."),
                evidence=(problem.error,),
                paths=(problem.path,),
            )


def permission_denied(path: str) -> str:
    return f"cannot read {path}: permission denied — ask the owner or run as them"


@check
def unreadable_package_folders(inv: Inventory) -> Iterator[Finding]:
    """A package or metadata folder the user may not read: permissions, not damage (its files
    are there; the probe could not list them)."""
    seen: set[str] = set()
    for dist in inv.distributions:
        for path in dist.unreadable:
            if path in seen:
                continue
            seen.add(path)
            metadata = path == dist.dist_dir
            package = os.path.relpath(path, dist.location).split(os.sep)[0]
            yield Finding(
                code="unreadable-path",
                severity=Severity.ERROR if dist.name in knowledge.STACK else Severity.WARNING,
                title=permission_denied(path),
                detail=(f"The folder belongs to {dist.label}, but you may not read it, so"
                        + (" its metadata (what is installed, which version) is unknown here."
                           if metadata else
                           f" Python cannot load what is in it: `import {package}` may find"
                           " an empty namespace package or fail.")
                        + " Nothing is missing or damaged that kerasfix can see; reinstalling"
                          " would not help. Ask the folder's owner to fix its permissions"
                          " (chmod -R a+rX), or run as the owner."),
                evidence=(f"{path}: permission denied",),
                distributions=(dist.label,),
                paths=(path,),
                strategies=(S.MANUAL,),
                manual=(f"ask the owner of {path} to run: chmod -R a+rX {path}",),
            )
