"""The check registry and small helpers shared by the checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kerasfix.diagnose.findings import Finding
from kerasfix.inspect.inventory import Distribution, Inventory
from kerasfix.inspect.manager import installs_with_uv

CheckFunction = Callable[[Inventory], Iterator[Finding]]
CHECKS: list[CheckFunction] = []


def check(function: CheckFunction) -> CheckFunction:
    """Register a check. Each is a small named function: inventory in, findings out."""
    CHECKS.append(function)
    return function


def applies(req: Requirement, inv: Inventory, extras: tuple[str, ...] = ("",)) -> bool:
    """Whether a Requires-Dist line applies on the target (its markers, no extras requested)."""
    if req.marker is None:
        return True
    env = dict(inv.interpreter.markers)
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in extras)


def requirement_on(dist: Distribution, inv: Inventory, name: str) -> Requirement | None:
    """The requirement `dist` declares on `name` that applies on this target, if any."""
    wanted = canonicalize_name(name)
    for req in dist.requires:
        if canonicalize_name(req.name) == wanted and applies(req, inv):
            return req
    return None


def satisfied(req: Requirement, dist: Distribution | None) -> bool:
    """pip check semantics: installed, and the version is inside the specifier."""
    if dist is None or dist.version is None:
        return False
    return req.specifier.contains(dist.version, prereleases=True)


def pip_cmd(inv: Inventory, *args: str) -> str:
    """A command line for the user's eyes, through the interpreter the scan really ran (a pyenv
    shim resolved). Every finding's pip command is made here, so an externally managed Python
    (PEP 668) gets the fresh-venv route instead (pip must not change it), and a uv venv gets
    `uv pip … --python` (it has no pip)."""
    quoted = [f'"{a}"' if any(c in a for c in "<>=!~* ") else a for a in args]
    if inv.interpreter.externally_managed:
        return _fresh_venv_instead(inv, quoted)
    if installs_with_uv(inv) and quoted:  # a uv venv has no pip: the user's tool is uv
        rest = [a for a in quoted[1:] if a != "-y"]
        return " ".join(["uv", "pip", quoted[0], "--python", inv.python, *rest])
    return " ".join([inv.python, "-m", "pip", *quoted])


def _fresh_venv_instead(inv: Inventory, args: list[str]) -> str:
    """What to do instead of pip in an externally managed environment."""
    interp = inv.interpreter
    route = f"kerasfix fix --strategy fresh-venv --python {inv.python}"
    names = " ".join(a.strip('"') for a in args[1:] if not a.startswith("-"))
    if args and args[0] == "uninstall":
        return (f"leave {names} to the system package manager ({inv.python} is externally"
                f" managed: {interp.externally_managed_path}) and work in a fresh virtual"
                f" environment: {route}")
    return (f"put {names} in a fresh virtual environment, not in {inv.python} (externally"
            f" managed: {interp.externally_managed_path}): {route}")


def reinstall_cmd(inv: Inventory, dist: Distribution) -> str:
    """Reinstalling a damaged distribution: with apt for what dpkg installed (pip would
    put a second copy elsewhere, or refuse), with pip for the rest."""
    if dist.dpkg_owned:
        package = dist.dpkg_package or f'"$(dpkg -S {dist.dist_dir} | cut -d: -f1)"'
        return f"sudo apt install --reinstall {package}"
    return pip_cmd(inv, "install", "--force-reinstall", "--no-deps",
                   f"{dist.name}=={dist.raw_version}")


def tf_keras_install(inv: Inventory, tf: Distribution, tf_keras_req: str) -> str:
    """The command that installs a matching tf-keras without moving TensorFlow.

    tf-keras from knowledge.candidates.first_tf_keras_declaring_tensorflow() on requires the
    `tensorflow` distribution by name: on tensorflow-cpu (or any other build) a plain install
    adds a second TensorFlow over the same folder.
    """
    if tf.name == "tensorflow":
        return pip_cmd(inv, "install", f"tensorflow=={tf.raw_version}", tf_keras_req)
    return pip_cmd(inv, "install", "--no-deps", tf_keras_req)
