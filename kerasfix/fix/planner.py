"""Turn a scan plus a strategy into a plan of exact steps, and recommend a strategy.

Rules every plan follows:
- every pip call goes through the target interpreter (`<python> -m pip`, or kerasfix's own pip
  with `--python <target>` when the environment has no pip);
- TensorFlow is pinned in the same pip call as its Keras / tf-keras / numpy / protobuf, so pip
  can never move TensorFlow as a side effect;
- folders are moved aside into kerasfix's state folder, never deleted;
- what kerasfix will not do (rename the user's keras.py, edit their shell) is a manual step.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from kerasfix import knowledge
from kerasfix.diagnose.checks import gpu
from kerasfix.diagnose.checks.base import requirement_on, satisfied
from kerasfix.diagnose.checks.outside import CODE as CODE_OUTSIDE
from kerasfix.diagnose.findings import Finding, Severity, Strategy
from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix import conda, installers, project_tools
from kerasfix.fix import snapshot as snapshots
from kerasfix.fix.installers import Installer
from kerasfix.fix.manifest_steps import add_manifest_steps
from kerasfix.fix.plan import Plan, Step, StepKind
from kerasfix.inspect.inventory import Distribution, Inventory, inside
from kerasfix.inspect.manager import Manager
from kerasfix.inspect.project import Project
from kerasfix.knowledge import addons, compat, cuda

ORDER = (Strategy.REPAIR, Strategy.LEGACY, Strategy.UPGRADE, Strategy.FRESH_VENV)


@dataclass(frozen=True)
class FixOptions:
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    venv_path: str | None = None  # fresh-venv destination
    carry_over: bool = False  # fresh-venv: reinstall the user's other requested packages
    installer: str = "auto"  # auto | pip | uv (installers.CHOICES)
    manifest: bool = True  # also edit the project's manifests (--no-manifest: leave them)
    route: Installer | None = None  # the resolved installer (build_plan sets it)

    def __post_init__(self) -> None:
        # Installer steps run from a neutral folder (isolation), and undo runs later from
        # anywhere: a relative wheel folder must mean the folder the user meant now.
        links = tuple(link if "://" in link else os.path.abspath(link)
                      for link in self.find_links)
        object.__setattr__(self, "find_links", links)

    @property
    def index_flags(self) -> tuple[str, ...]:
        flags: list[str] = []
        for link in self.find_links:
            flags += ["--find-links", link]
        return (*flags, "--no-index") if self.no_index else tuple(flags)


# ---------------------------------------------------------------- pip command lines


def installer_for(inv: Inventory, python: str, options: FixOptions) -> Installer:
    """The route the plan's steps run through: build_plan resolves it once."""
    return options.route or installers.pip_route(inv, python)


def pip_install(inv: Inventory, python: str, reqs: Iterable[str], options: FixOptions,
                *extra: str) -> tuple[str, ...]:
    return installer_for(inv, python, options).install(reqs, options.index_flags, *extra)


def pip_uninstall(inv: Inventory, python: str, names: Iterable[str], options: FixOptions
                  ) -> tuple[str, ...]:
    return installer_for(inv, python, options).uninstall(names)


def _valid(req: str) -> str:
    """Requirements come from metadata; packaging validates them before they reach argv."""
    return str(Requirement(req))


# ---------------------------------------------------------------- what to keep


def chosen_tensorflow(inv: Inventory) -> Distribution | None:
    """Of the TF distributions present, the one the user meant: asked for by name (pip's
    REQUESTED marker) first, then the one whose files are on disk."""
    variants = [d for d in inv.distributions if d.name in knowledge.TENSORFLOW_VARIANTS
                and d.active and d.name not in knowledge.STUB_PAYLOADS and d.name !=
                "tensorflow-gpu"]
    if not variants:
        return inv.tensorflow()
    primary = inv.tensorflow()
    variants.sort(key=lambda d: (not d.requested, d is not primary))
    return variants[0]


def _codes(findings: Iterable[Finding]) -> set[str]:
    return {f.code for f in findings}


def _problems(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.severity is not Severity.INFO
            and not f.code.startswith("runtime-ok")]


def _keras_req(line: knowledge.TFLine | None, tf: Distribution, inv: Inventory) -> str:
    if line is not None:
        return knowledge.keras_requirement_for(line)
    req = requirement_on(tf, inv, "keras")  # a TF line the table does not know
    return f"keras{req.specifier}" if req else "keras"


# ---------------------------------------------------------------- shared step builders


def _move_aside_leftovers(inv: Inventory) -> list[Step]:
    paths = [os.path.join(folder, name) for folder, name in inv.leftovers]
    paths += [os.path.join(folder, name) for folder, name in inv.unowned
              if name in knowledge.IMPORT_PACKAGES]
    if not paths:
        return []
    return [Step(StepKind.MOVE_ASIDE, "Move leftovers and orphan folders aside",
                 paths=tuple(paths),
                 why="remains of interrupted pip runs or removed distributions; kept in the"
                     " snapshot so undo can put them back")]


def _manual_steps(result: ScanResult) -> list[Step]:
    steps = []
    for f in result.findings:
        if f.strategies == (Strategy.MANUAL,) or (Strategy.MANUAL in f.strategies and
                                                   f.code in MANUAL_ONLY):
            steps.append(Step(StepKind.MANUAL, f.title, why=f.detail,
                              instruction="; ".join(f.manual) or f.title,
                              paths=f.paths))
    return steps


MANUAL_ONLY = {"local-file-shadows-package", "keras-backend-not-tensorflow",
               "conda-and-pip-own-package", "legacy-keras-value-ignored",
               "legacy-keras-variable-ignored-by-old-tf"}


def _reset_family(inv: Inventory, python: str, family: frozenset[str], package: str,
                  reason: str, options: FixOptions) -> list[Step]:
    """Uninstall every distribution of a family, then move the folder's remains aside."""
    names = sorted({d.name for d in inv.distributions if d.name in family and d.active})
    if not names:
        return []
    folders = sorted({os.path.join(d.location, package) for d in inv.distributions
                      if d.name in family and d.active})
    return [
        Step(StepKind.PIP_UNINSTALL, f"Uninstall {', '.join(names)}",
             argv=pip_uninstall(inv, python, names, options), why=reason, packages=tuple(names)),
        Step(StepKind.MOVE_ASIDE, f"Move what is left of {package}/ aside", paths=tuple(folders),
             why="files only one of the uninstalled RECORDs listed (or none) stay behind; if"
                 " the folder is gone already this step does nothing"),
    ]


# ---------------------------------------------------------------- strategies


def plan_repair(result: ScanResult, options: FixOptions) -> Plan:
    inv, python = result.environment, result.python
    problems = _problems(result)
    codes = _codes(problems)
    tf = chosen_tensorflow(inv)
    plan = Plan(Strategy.REPAIR, python, [], [], [])
    if tf is None or tf.version is None:
        plan.blocked = "no TensorFlow is installed to repair around (use upgrade or fresh-venv)"
        return plan
    line = knowledge.tf_line(tf.version)
    steps = _move_aside_leftovers(inv)
    reinstall_tf = bool(codes & {"import-package-owned-twice", "damaged-install",
                                 "orphan-import-folder", "duplicate-dist-info"}) and any(
        f for f in problems if f.code in {"import-package-owned-twice", "damaged-install",
                                          "duplicate-dist-info"} and
        any(label.split()[0] in knowledge.TENSORFLOW_VARIANTS for label in f.distributions))
    if reinstall_tf:
        steps += _reset_family(inv, python, knowledge.TENSORFLOW_VARIANTS, "tensorflow",
                               "two TensorFlow builds (or a damaged one) share tensorflow/;"
                               " exactly one must own it", options)
    keras_codes = {"keras3-under-tf-2.14-or-older", "keras3-under-tf-2.15",
                   "keras-minor-mismatch", "keras-standalone-too-old",
                   "keras2-under-tf-2.16-or-newer", "tensorflow-without-keras"}
    keras_clobbered = any(f.code in {"import-package-owned-twice", "files-from-another-version",
                                     "duplicate-dist-info", "damaged-install"}
                          and any(label.split()[0] in knowledge.KERAS_VARIANTS
                                  for label in f.distributions) for f in problems)
    if keras_clobbered:
        steps += _reset_family(inv, python, knowledge.KERAS_VARIANTS, "keras",
                               "keras and keras-nightly (or two keras installs) share keras/",
                               options)
    reqs, realign = _hold_tensorflow(inv, tf, codes, plan, options)
    steps += realign
    reqs += aligned_requirements(inv, tf, force_keras=keras_clobbered or bool(codes & keras_codes))
    pins = addon_pins(inv, tf.name, tf.version)
    reqs += pins.same_call
    plan.notes.extend(pins.notes)
    tf_keras = inv.tf_keras()
    tfk_req = knowledge.tf_keras_requirement_for(line) if line else None
    tfk_needed = bool(codes & {"tf-keras-minor-mismatch", "legacy-keras-without-tf-keras",
                               "transformers-needs-tf-keras", "addon-needs-tf-keras"}) or \
        (tf_keras is None and _addons_need_tf_keras(pins, tf.version)) or bool(
        tf_keras and tf_keras.version and knowledge.minor_of(tf_keras.version) !=
        knowledge.minor_of(tf.version))
    no_deps_tfk = tf.name != "tensorflow" and tfk_req is not None
    if tfk_needed and tfk_req and not no_deps_tfk:
        reqs.append(tfk_req)
    extra: tuple[str, ...] = ("--force-reinstall", "--no-deps") if reinstall_tf else ()
    if reinstall_tf:
        # Reinstall exactly the one TF build first, then let pip align the rest around it.
        steps.append(Step(StepKind.PIP_INSTALL, f"Reinstall {tf.label} as the only owner of"
                          " tensorflow/", argv=pip_install(inv, python, [reqs[0]], options,
                                                            *extra),
                          packages=(tf.name,), why="a clean copy of the build you asked for"))
    if _needs_align(reqs, reinstall_tf, codes):
        steps.append(Step(StepKind.PIP_INSTALL,
                          f"Align the stack to TensorFlow {tf.raw_version}",
                          argv=pip_install(inv, python, [_valid(r) for r in reqs], options),
                          packages=tuple(Requirement(r).name for r in reqs),
                          why="TensorFlow is pinned in the same call so the installer cannot"
                              " move it"))
    if tfk_needed and tfk_req and no_deps_tfk:
        steps.append(Step(StepKind.PIP_INSTALL, f"Install {tfk_req} for {tf.name}",
                          argv=pip_install(inv, python, [_valid(tfk_req)], options, "--no-deps"),
                          packages=("tf-keras",),
                          why=f"tf-keras requires the `tensorflow` distribution by name; with"
                              f" {tf.name} pip would install a second 600 MB TensorFlow build"
                              " over the same folder, so it is installed without dependencies"
                              f" ({tf.name} provides them)"))
    steps += _addon_no_deps_step(inv, python, tf.name, tf.raw_version or "", pins, options)
    for dist in _damaged_others(inv):
        steps.append(Step(StepKind.PIP_INSTALL, f"Reinstall damaged {dist.label}",
                          argv=pip_install(inv, python, [f"{dist.name}=={dist.raw_version}"],
                                           options, "--force-reinstall", "--no-deps"),
                          packages=(dist.name,), why="files listed in its RECORD are missing"))
    if tf_keras and "tf-keras-minor-mismatch" in codes and not tfk_req:
        plan.notes.append("no tf-keras release matches this TensorFlow line")
    steps += _manual_steps(result)
    plan.steps = steps
    return _split(plan, problems)


def _hold_tensorflow(inv: Inventory, tf: Distribution, codes: set[str], plan: Plan,
                     options: FixOptions) -> tuple[list[str], list[Step]]:
    """The requirement that holds TensorFlow where it is (with its `and-cuda` extra when its
    CUDA wheels moved: the extra brings their exact pins back in the same call), and the steps
    that realignment needs first."""
    realign = _cuda_realign(inv, tf, codes, plan, options)
    if realign is None:
        return [f"{tf.name}=={tf.raw_version}"], []
    return [f"{tf.name}[and-cuda]=={tf.raw_version}"], realign


def _needs_align(reqs: list[str], reinstall_tf: bool, codes: set[str]) -> bool:
    """Whether the align call has work: more than the TensorFlow hold, its CUDA extra, or a
    missing or conflicting requirement pip resolves around the hold."""
    return len(reqs) > 1 or "[and-cuda]" in reqs[0] or (
        not reinstall_tf and bool(codes & {"requirement-not-installed",
                                           "requirement-version-conflict"}))


CUDA_CODES = {"cuda-wheels-mismatch", "cuda-wheels-missing-some", "cuda-major-mismatch"}


def _cuda_realign(inv: Inventory, tf: Distribution, codes: set[str], plan: Plan,
                  options: FixOptions) -> list[Step] | None:
    """TensorFlow's CUDA wheels back at its `and-cuda` pins (None: nothing to realign): the
    uninstall of wheels of the other CUDA major nobody else needs (returned), and notes on the
    frameworks whose own pins the realignment breaks (one environment cannot serve both:
    fresh-venv separates them)."""
    if not codes & CUDA_CODES or tf.name not in cuda.CUDA_BUILDS:
        return None
    pins = gpu.tf_pins(inv, tf)
    for name, spec in sorted(pins.items()):
        for other in gpu.requirers(inv, name, skip=tf):
            wanted = cuda.wanted_version(spec)
            if wanted is not None and not other.req.specifier.contains(wanted, True):
                plan.notes.append(f"{other.text}: realigning to TensorFlow's {name}{spec}"
                                  f" breaks it (`fix --strategy fresh-venv` gives TensorFlow"
                                  " its own environment instead)")
    major = cuda.pins_cuda_major(pins)
    stray = sorted(d.name for d in inv.active_distributions if cuda.is_cuda_wheel(d.name)
                   and cuda.wheel_cuda_major(d.name) not in (None, major)
                   and not gpu.requirers(inv, d.name, skip=tf))
    if not stray:
        return []
    return [Step(StepKind.PIP_UNINSTALL, f"Uninstall the -cu{cuda.wheel_cuda_major(stray[0])}"
                 " wheels nothing here requires", argv=pip_uninstall(inv, plan.target_python,
                                                                     stray, options),
                 packages=tuple(stray),
                 why=f"they unpack into the same nvidia/ folders as TensorFlow's -cu{major}"
                     " wheels")]


def aligned_requirements(inv: Inventory, tf: Distribution, *, force_keras: bool) -> list[str]:
    """What keras / numpy / protobuf / ml-dtypes must become for the TensorFlow being kept,
    read from that TensorFlow's own Requires-Dist (plus what its metadata gets wrong)."""
    line = knowledge.tf_line(tf.version)
    reqs = []
    keras = inv.keras()
    keras_req = requirement_on(tf, inv, "keras")
    if force_keras or keras is None or (keras_req and not satisfied(keras_req, keras)):
        reqs.append(_keras_req(line, tf, inv))
    for name in ("numpy", "protobuf", "ml-dtypes"):
        spec = requirement_on(tf, inv, name)
        current = inv.get(name)
        uncapped = (name == "numpy" and tf.version is not None and current is not None and
                    current.version is not None and compat.is_numpy2(current.version) and
                    compat.numpy_uncapped(tf.version))
        if uncapped:
            reqs.append("numpy<2")
        elif spec and not satisfied(spec, current):
            reqs.append(f"{name}{spec.specifier}")
    return reqs


@dataclass(frozen=True)
class AddonPins:
    """The installed add-ons moved to the TensorFlow a plan keeps or installs."""

    same_call: list[str]  # pinned in TensorFlow's own pip call (`tensorflow` itself)
    no_deps: list[str]  # beside another build: installed without dependencies
    notes: list[str]  # add-ons left as they are, and why
    after: dict[str, Version]  # every installed add-on's version once the plan has run


def addon_pins(inv: Inventory, tf_name: str, tf_version: Version | None) -> AddonPins:
    """Each installed add-on that does not work with this TensorFlow, pinned to its newest
    release that does (knowledge.addons). Beside a build other than `tensorflow` the pins go
    in with --no-deps: the add-ons (and the tf-keras they pull) require `tensorflow` by name,
    and pip would put a second TensorFlow over the same folder."""
    pins = AddonPins([], [], [], {})
    if tf_version is None:
        return pins
    for dist in inv.installed(addons.TF_ADDONS):
        if dist.version is None:
            continue
        pins.after[dist.name] = dist.version
        verdict = addons.fits(dist.name, dist.version, tf_version, dist.requires)
        if verdict is None or verdict.ok:
            continue
        newest = addons.fitting_release(dist.name, tf_version, inv.interpreter.cp_tag)
        if newest is None:
            pins.notes.append(f"{dist.label} is left as it is: no release works with"
                              f" TensorFlow {tf_version} ({verdict.reason})")
            continue
        target = pins.same_call if tf_name == "tensorflow" else pins.no_deps
        target.append(f"{dist.name}=={newest}")
        pins.after[dist.name] = Version(newest)
    return pins


def _addon_no_deps_step(inv: Inventory, python: str, tf_name: str, line: str, pins: AddonPins,
                        options: FixOptions) -> list[Step]:
    if not pins.no_deps:
        return []
    return [Step(StepKind.PIP_INSTALL, f"Install the add-ons built for TensorFlow {line}",
                 argv=pip_install(inv, python, [_valid(r) for r in pins.no_deps], options,
                                  "--no-deps"),
                 packages=tuple(Requirement(r).name for r in pins.no_deps),
                 why=f"each add-on's newest release built for this TensorFlow line; without"
                     f" dependencies, because they require `tensorflow` by name and {tf_name}"
                     " provides it")]


def _damaged_others(inv: Inventory) -> list[Distribution]:
    """Stack distributions outside the shared-folder families with files missing."""
    return [d for d in inv.active_distributions
            if d.missing_files and d.family is None and d.name in knowledge.STACK]


def _target_line(inv: Inventory) -> knowledge.TFLine | None:
    return knowledge.newest_line_for_python(inv.interpreter.short_version)


def _upgrade_name(tf: Distribution | None) -> str:
    if tf is not None and tf.name in ("tensorflow", "tensorflow-cpu"):
        return tf.name
    return "tensorflow"


def plan_upgrade(result: ScanResult, options: FixOptions, *,
                 strategy: Strategy = Strategy.UPGRADE) -> Plan:
    inv, python = result.environment, result.python
    problems = _problems(result)
    plan = Plan(strategy, python, [], [], [])
    line = _target_line(inv)
    if line is None:
        plan.blocked = (f"no stable TensorFlow has wheels for Python"
                        f" {inv.interpreter.version_text}; use fresh-venv with a supported Python")
        return plan
    tf = chosen_tensorflow(inv)
    name = _upgrade_name(tf)
    steps = _move_aside_leftovers(inv)
    others = sorted({d.name for d in inv.distributions if d.active and d.name in
                     knowledge.TENSORFLOW_VARIANTS and d.name != name})
    if others:
        steps.append(Step(StepKind.PIP_UNINSTALL, f"Uninstall {', '.join(others)}",
                          argv=pip_uninstall(inv, python, others, options),
                          packages=tuple(others),
                          why=f"{name} will be the only TensorFlow build"))
    nightly = [d.name for d in inv.active_distributions if d.name in ("keras-nightly",
                                                                       "tf-keras-nightly")]
    if nightly:
        steps.append(Step(StepKind.PIP_UNINSTALL, f"Uninstall {', '.join(nightly)}",
                          argv=pip_uninstall(inv, python, nightly, options),
                          packages=tuple(nightly),
                          why="nightlies share keras/ and tf_keras/ with the releases"))
    reqs = [knowledge.pin_for_line(line, name), f"keras{line.keras}"]
    pins = addon_pins(inv, name, line.version)
    reqs += pins.same_call
    plan.notes.extend(pins.notes)
    wanted = inv.tf_keras() is not None or strategy is Strategy.LEGACY or \
        _addons_need_tf_keras(pins, line.version)
    tfk = knowledge.tf_keras_requirement_for(line) if wanted else None
    if tfk and name == "tensorflow":
        reqs.append(tfk)
    steps.append(Step(StepKind.PIP_INSTALL, f"Install TensorFlow {line.minor_text} with its Keras",
                      argv=pip_install(inv, python, [_valid(r) for r in reqs], options),
                      packages=tuple(Requirement(r).name for r in reqs),
                      why="TensorFlow and its Keras move together, in one pip call"))
    if tfk and name != "tensorflow":
        steps.append(Step(StepKind.PIP_INSTALL, f"Install {tfk} for {name}",
                          argv=pip_install(inv, python, [_valid(tfk)], options, "--no-deps"),
                          packages=("tf-keras",),
                          why=f"tf-keras depends on `tensorflow` by name; {name} provides it"))
    steps += _addon_no_deps_step(inv, python, name, line.minor_text, pins, options)
    if strategy is Strategy.LEGACY:
        steps += _legacy_env_steps(inv)
    steps += _manual_steps(result)
    plan.steps = steps
    return _split(plan, problems)


def _addons_need_tf_keras(pins: AddonPins, tf_version: Version | None) -> bool:
    """An add-on that needs tf-keras on this TensorFlow, at the version the plan leaves."""
    return tf_version is not None and any(
        addons.needs_tf_keras(name, version, tf_version)
        or addons.needs_legacy_keras(name, version, tf_version)
        for name, version in pins.after.items())


def plan_legacy(result: ScanResult, options: FixOptions) -> Plan:
    """Keras 2 semantics on a TensorFlow built for Keras 3 (compat.first_keras3_line() on):
    tf-keras~=2.N.0 plus TF_USE_LEGACY_KERAS=1. An older TensorFlow is upgraded first."""
    inv, python = result.environment, result.python
    tf = chosen_tensorflow(inv)
    if tf is None or tf.version is None or not compat.keras3_line(tf.version) or \
            _codes(result.findings) & {"import-package-owned-twice", "damaged-install"}:
        return plan_upgrade(result, options, strategy=Strategy.LEGACY)
    problems = _problems(result)
    line = knowledge.tf_line(tf.version)
    plan = Plan(Strategy.LEGACY, python, [], [], [])
    tfk = knowledge.tf_keras_requirement_for(line) if line else None
    if tfk is None:
        plan.blocked = f"no tf-keras release is known for TensorFlow {tf.raw_version}"
        return plan
    steps = _move_aside_leftovers(inv)
    if tf.name == "tensorflow":
        steps.append(Step(StepKind.PIP_INSTALL, f"Install {tfk} beside {tf.label}",
                          argv=pip_install(inv, python, [f"{tf.name}=={tf.raw_version}",
                                                         _valid(tfk)], options),
                          packages=("tensorflow", "tf-keras"),
                          why="pinned together so pip cannot move TensorFlow"))
    else:
        steps.append(Step(StepKind.PIP_INSTALL, f"Install {tfk} for {tf.name}",
                          argv=pip_install(inv, python, [_valid(tfk)], options, "--no-deps"),
                          packages=("tf-keras",),
                          why=f"tf-keras depends on `tensorflow` by name; {tf.name} provides"
                              " it, and a plain install would add a second TensorFlow build"))
    steps += _legacy_env_steps(inv)
    steps += _manual_steps(result)
    plan.steps = steps
    return _split(plan, problems)


def activation_files(inv: Inventory) -> list[str]:
    """Where this environment gets activated: venv activate scripts, conda's activate.d."""
    prefix = inv.interpreter.prefix
    if inv.interpreter.kind == "venv":
        folder = os.path.join(prefix, "Scripts" if os.name == "nt" else "bin")
        names = ("activate", "activate.fish", "activate.csh", "activate.bat")
        return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]
    if inv.interpreter.kind == "conda":
        return [os.path.join(prefix, "etc", "conda", "activate.d", "kerasfix-env.sh"),
                os.path.join(prefix, "etc", "conda", "deactivate.d", "kerasfix-env.sh")]
    return []


def _legacy_env_steps(inv: Inventory) -> list[Step]:
    files = activation_files(inv)
    if not files:
        return [Step(StepKind.MANUAL, "Set TF_USE_LEGACY_KERAS=1 before Python starts",
                     instruction="add `export TF_USE_LEGACY_KERAS=1` to your shell profile"
                                 " (~/.bashrc, ~/.zshrc) or your job script",
                     why="this environment has no activation script kerasfix can edit")]
    return [Step(StepKind.SET_ENV_VAR, "Set TF_USE_LEGACY_KERAS=1 when this environment is"
                 " activated", paths=tuple(files), env_var=("TF_USE_LEGACY_KERAS", "1"),
                 why="TensorFlow reads it before the first import; a marked block that undo"
                     " removes again")]


def default_venv_path(inv: Inventory) -> str:
    return os.path.join(inv.interpreter.cwd, ".venv-tf")


def plan_fresh_venv(result: ScanResult, options: FixOptions) -> Plan:
    inv = result.environment
    problems = _problems(result)
    plan = Plan(Strategy.FRESH_VENV, result.python, [], [], [])
    line = _target_line(inv)
    base = inv.interpreter.base_executable
    if line is None:
        window = compat.python_window(knowledge.TF_LINES[knowledge.NEWEST_LINE])
        suggested = compat.dotted(compat.recommended_python())
        plan.blocked = (f"Python {inv.interpreter.version_text} has no TensorFlow wheels: create"
                        f" the environment with a supported Python ({window}),"
                        f" e.g. `uv venv -p {suggested}` or `conda create -n tf"
                        f" python={suggested}`")
        return plan
    dest = os.path.abspath(options.venv_path or default_venv_path(inv))
    if os.path.exists(dest):
        plan.blocked = f"{dest} exists; choose another --venv path"
        return plan
    new_python = os.path.join(dest, "Scripts" if os.name == "nt" else "bin",
                              "python.exe" if os.name == "nt" else "python")
    tf = chosen_tensorflow(inv)
    name = _upgrade_name(tf)
    gpu_build = name == "tensorflow" and any(cuda.is_cuda_wheel(d.name)
                                             for d in inv.active_distributions)
    tf_req = knowledge.pin_for_line(line, name)
    reqs = [tf_req.replace(name, f"{name}[and-cuda]", 1) if gpu_build else tf_req,
            f"keras{line.keras}"]
    tfk = knowledge.tf_keras_requirement_for(line)
    if inv.tf_keras() is not None and tfk and name == "tensorflow":
        reqs.append(tfk)
    if options.carry_over:
        carried, left = _carry_over(inv)
        reqs += carried
        if left:
            plan.notes.append(f"not carried over: {', '.join(left)} — they pin their own CUDA"
                              " wheels; one environment per framework")
    route = installer_for(inv, result.python, options)
    create: tuple[str, ...]
    if route.name == "uv":  # uv makes the venv (no pip in it) and installs into it
        create = (route.base[0], "venv", "--python", base, dest)
        into = replace(route, python=new_python)
    else:
        create = (base, "-m", "venv", dest)
        into = Installer("pip", (new_python, "-m", "pip"), new_python)
    plan.steps = [
        Step(StepKind.CREATE_VENV, f"Create a virtual environment at {dest}",
             argv=create, why="the old environment is left untouched"),
        Step(StepKind.PIP_INSTALL, f"Install TensorFlow {line.minor_text} with its Keras into it",
             argv=into.install([_valid(r) for r in reqs], options.index_flags),
             packages=tuple(Requirement(r).name for r in reqs)),
    ]
    plan.notes.append(f"new environment: {dest} — use it with `source"
                      f" {os.path.join(dest, 'bin', 'activate')}`, or point your IDE / Jupyter"
                      f" kernel at {new_python}")
    return _split(plan, problems, fresh=True)


def _carry_over(inv: Inventory) -> tuple[list[str], list[str]]:
    """The user's own requested packages, at their versions, minus the TF stack, and the ones
    left behind: a framework that pins CUDA wheels (torch, jax's plugins) would bring back the
    very conflict with TensorFlow's that a separate environment is for."""
    mine = [d for d in inv.active_distributions
            if d.requested and d.name not in knowledge.STACK and d.name not in
            ("pip", "setuptools", "wheel") and d.raw_version and d.origin == "site-packages"
            and not cuda.is_cuda_wheel(d.name)]
    pins_cuda = {d.name for d in mine if any(cuda.is_cuda_wheel(r.name) for r in d.requires)}
    return ([f"{d.name}=={d.raw_version}" for d in mine if d.name not in pins_cuda],
            sorted(d.label for d in mine if d.name in pins_cuda))


# ---------------------------------------------------------------- choosing


BUILDERS = {Strategy.REPAIR: plan_repair, Strategy.UPGRADE: plan_upgrade,
            Strategy.LEGACY: plan_legacy, Strategy.FRESH_VENV: plan_fresh_venv}


def _split(plan: Plan, problems: list[Finding], fresh: bool = False) -> Plan:
    """Which findings the plan is meant to clear and which it leaves (manual or out of scope)."""
    manual_codes = {s.title for s in plan.manual_steps}
    for f in problems:
        if fresh or (plan.strategy in f.strategies and f.title not in manual_codes):
            plan.resolves.append(f)
        else:
            plan.leaves.append(f)
    return plan


def python_after(plan: Plan) -> str:
    """The interpreter the fixed environment runs: the new venv's for fresh-venv."""
    if plan.strategy is Strategy.FRESH_VENV:
        created = next((s for s in plan.steps if s.kind is StepKind.PIP_INSTALL), None)
        if created is not None:
            argv = created.argv
            return argv[argv.index("--python") + 1] if installers.is_uv(argv) else argv[0]
    return plan.target_python


def can_change_in_place(inv: Inventory) -> str | None:
    """Why this environment must not be modified in place (None: it may be)."""
    interp = inv.interpreter
    if interp.externally_managed:
        return f"it is externally managed ({interp.externally_managed_path})"
    if not interp.site_writable:
        return f"{interp.purelib} is not writable by you"
    return None


def resolve_route(result: ScanResult, options: FixOptions) -> FixOptions:
    """`options` with the installer its plans run through (--installer, or the manager's)."""
    if options.route is not None:
        return options
    auto = result.manager.installer
    route = installers.route(result.environment, result.python, options.installer, auto)
    return replace(options, route=route)


def build_plan(result: ScanResult, strategy: Strategy, options: FixOptions) -> Plan:
    options = resolve_route(result, options)
    plan = BUILDERS[strategy](result, options)
    plan.index_flags = options.index_flags
    assert options.route is not None
    plan.installer = options.route.name
    if options.route.missing and not plan.blocked:
        plan.blocked = options.route.missing
    manager = result.manager
    if manager.name == "conda" and strategy is not Strategy.FRESH_VENV:
        conda.route_conda(plan, result.environment, manager.conda_owned,
                          conda.conda_exe(result.environment))
    reason = can_change_in_place(result.inventory)
    if reason and strategy is not Strategy.FRESH_VENV and not plan.blocked:
        plan.blocked = f"kerasfix will not modify this environment: {reason}. Use fresh-venv."
    if not plan.blocked:
        plan.blocked = _touches_outside(plan, result.inventory)
    _recipe_steps(plan, result, strategy, options)
    _tool_note(plan, manager, result.project, options)
    if not plan.blocked:
        _download_first(plan, result.environment)
    return plan


def _recipe_steps(plan: Plan, result: ScanResult, strategy: Strategy,
                  options: FixOptions) -> None:
    """The project's side: its tool runs the installs (--installer poetry|pdm|pipenv), or
    kerasfix edits its manifests."""
    tool = options.installer
    if tool not in project_tools.TOOLS:
        if options.manifest:
            add_manifest_steps(plan, result.environment, result.project)
        return
    plan.installer = tool
    if strategy is Strategy.FRESH_VENV and not plan.blocked:
        plan.blocked = (f"fresh-venv makes a new environment, not {tool}'s: choose"
                        " --installer pip or uv")
    if not plan.blocked:
        project_tools.tool_route(plan, result.project, tool,
                                 result.inventory.interpreter.prefix, result.env)


def _tool_note(plan: Plan, manager: Manager, project: Project | None,
               options: FixOptions) -> None:
    """A project tool's environment changed behind its back: say what keeps the fix."""
    if project is None or project.tool != manager.name or manager.name not in \
            ("uv", "poetry", "pdm", "pipenv") or options.installer in project_tools.TOOLS \
            or plan.blocked:
        return
    sync = {"uv": "uv sync"}.get(manager.name, f"{manager.name} install")
    if any(s.kind is StepKind.EDIT_MANIFEST for s in plan.steps):
        plan.notes.append(f"{manager.name} manages this project: kerasfix changes the"
                          f" environment with {plan.installer} and edits its manifest, so"
                          f" `{sync}` keeps the fix")
    else:
        plan.notes.append(f"warning: {manager.name} manages this project and its manifest is"
                          f" not edited: the next `{sync}` undoes this fix (or choose"
                          f" --installer {manager.name})")


def _touches_outside(plan: Plan, inv: Inventory) -> str | None:
    """pip uninstalls whatever copy it finds inside the prefix, also one in a folder a .pth
    file adds: such a copy is the user's, so a plan that would replace it does not start."""
    prefix = inv.interpreter.prefix
    at_risk = {d.name: d for d in inv.distributions if d.origin in ("pth", "other")
               and inside(d.location, prefix)}
    for step in plan.automatic_steps:
        hit = next((at_risk[n] for n in map(canonicalize_name, step.packages) if n in at_risk),
                   None)
        if hit is not None and step.kind in (StepKind.PIP_INSTALL, StepKind.PIP_UNINSTALL):
            return (f"{hit.label} in {hit.location} is not the environment's own copy and pip"
                    f" would replace it; take that folder off sys.path first (see"
                    f" {CODE_OUTSIDE}), then run the fix again")
    return None


def _download_first(plan: Plan, inv: Inventory) -> None:
    """Installs that follow an uninstall get their wheels downloaded before anything else runs,
    then install from that folder: an index that fails mid-run (offline, a timeout) stops the
    plan at the download, while the environment is still whole."""
    # Moving a pip stash (~ensorflow) aside takes nothing a later step needs; an uninstall does.
    first_change = next((i for i, s in enumerate(plan.steps)
                         if s.kind is StepKind.PIP_UNINSTALL), None)
    if first_change is None:
        return
    folder = snapshots.folder_for(inv.interpreter.prefix, plan.id)
    downloads, rewritten = [], []
    for step in plan.steps:
        index = plan.steps.index(step)
        if step.kind is StepKind.PIP_INSTALL and index > first_change and "install" in step.argv:
            if installers.is_uv(step.argv):
                fetched, step = _uv_prefetch(step, str(folder / PREFETCH))
            else:
                fetched, step = _pip_download(step, str(folder / "wheels"))
            downloads.append(fetched)
        rewritten.append(step)
    plan.steps = downloads + rewritten


PREFETCH = "prefetch"  # uv installs there once, to fill its cache; removed when the fix ends


def _pip_download(install: Step, wheels: str) -> tuple[Step, Step]:
    at = install.argv.index("install") + 1
    offline = replace(install, argv=(*install.argv[:at], "--no-index", "--find-links", wheels,
                                     *install.argv[at:]),
                      why=(install.why + "; " if install.why else "") +
                      "from the wheels downloaded before the first change")
    return _download_step(install, wheels), offline


def _uv_prefetch(install: Step, folder: str) -> tuple[Step, Step]:
    """uv has no `download`: the same resolution installed into a throwaway folder puts every
    package in uv's cache, and the real install then runs --offline from it."""
    at = install.argv.index("install") + 1
    fetch = Step(StepKind.PIP_DOWNLOAD, f"Fetch the packages for: {install.title}",
                 argv=(*install.argv[:at], "--target", folder, *install.argv[at:]),
                 packages=install.packages, resolves=(install.argv,),
                 why="into uv's cache (and a throwaway folder): nothing is uninstalled until"
                     " every package is here")
    offline = replace(install, argv=(*install.argv[:at], "--offline", *install.argv[at:]),
                      why=(install.why + "; " if install.why else "") +
                      "from uv's cache, filled before the first change")
    return fetch, offline


def _download_step(install: Step, wheels: str) -> Step:
    at = install.argv.index("install")
    base, args = install.argv[:at], install.argv[at + 1:]
    flags, reqs, skip = [], [], False
    for arg in args:
        if skip:
            flags.append(arg)
            skip = False
        elif arg in ("--find-links", "-f", "--index-url", "-i", "--extra-index-url"):
            flags.append(arg)
            skip = True
        elif arg.startswith("-"):
            if arg in ("--no-index", "--no-deps", "--disable-pip-version-check"):
                flags.append(arg)
        else:
            reqs.append(arg)
    return Step(StepKind.PIP_DOWNLOAD, f"Download the wheels for: {install.title}",
                argv=(*base, "download", *flags, "--dest", wheels, *reqs),
                packages=install.packages, resolves=(install.argv,),
                why="nothing is uninstalled until every wheel is here")


def recommend(result: ScanResult) -> Strategy | None:
    """The least disruptive strategy that resolves every error (None: nothing to fix)."""
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    problems = _problems(result)
    if not problems:
        return None
    if can_change_in_place(result.inventory):
        return Strategy.FRESH_VENV
    pool = errors or problems
    for strategy in ORDER:
        if all(strategy in f.strategies or f.strategies in ((), (Strategy.MANUAL,))
               for f in pool):
            return strategy
    return Strategy.FRESH_VENV
