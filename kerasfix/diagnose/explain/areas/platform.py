"""How a scan decides the causes of kerasfix/knowledge/messages/platform.py."""

from __future__ import annotations

from kerasfix.diagnose.explain.checkers import (
    CONFIRMED,
    RULED_OUT,
    UNKNOWN,
    Check,
    Checker,
    Context,
    traceback_env,
)
from kerasfix.inspect.winhost import long_paths_enabled, missing_msvc_dlls


def _not_windows(ctx: Context) -> Check | None:
    platform = ctx.inv.interpreter.platform
    if platform.startswith("win"):
        return None
    return RULED_OUT, (f"the scanned interpreter runs on {platform}, not Windows",)


def msvc_runtime(ctx: Context) -> Check | None:
    other = _not_windows(ctx)
    if other:
        return other
    missing = missing_msvc_dlls()
    if missing is None:
        return None
    if missing:
        return CONFIRMED, (f"System32 has no {', '.join(missing)}",)
    return RULED_OUT, ("System32 has the Visual C++ runtime DLLs TensorFlow loads",)


def long_paths(ctx: Context) -> Check | None:
    other = _not_windows(ctx)
    if other:
        return other
    enabled = long_paths_enabled()
    if enabled is None:
        return None
    if enabled:
        return RULED_OUT, ("LongPathsEnabled is 1 in the registry",)
    return CONFIRMED, ("LongPathsEnabled is not set in the registry: paths over 260"
                       " characters fail",)


def other_environment(ctx: Context) -> Check | None:
    """The traceback's own paths decide; else commands on PATH that run another Python are
    evidence, not proof (the code may be started some other way)."""
    decided = traceback_env(ctx)
    if decided is not None:
        return decided
    foreign = [f for f in ctx.findings if f.code == "command-other-interpreter"]
    if foreign:
        return UNKNOWN, (foreign[0].title, *foreign[0].evidence[:3])
    return None


DECIDES: dict[str, Checker] = {
    "msvc-runtime-missing": msvc_runtime,
    "windows-long-paths": long_paths,
    "wrong-environment": other_environment,
}
