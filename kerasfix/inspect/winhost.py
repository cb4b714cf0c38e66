"""Windows host facts explain needs: the Visual C++ runtime DLLs TensorFlow's Windows wheels
load (tensorflow/python/platform/self_check.py checks the same names), and whether Windows
long paths are enabled. Read in the kerasfix process, which runs on the target's host."""

from __future__ import annotations

import os
import sys

MSVC_DLLS = ("msvcp140.dll", "msvcp140_1.dll", "vcruntime140.dll", "vcruntime140_1.dll")
LONG_PATHS_KEY = r"SYSTEM\CurrentControlSet\Control\FileSystem"


def missing_msvc_dlls(system_root: str | None = None) -> list[str] | None:
    """The runtime DLLs absent from System32; None when this is not Windows."""
    root = system_root or (os.environ.get("SYSTEMROOT") if sys.platform == "win32" else None)
    if not root:
        return None
    system32 = os.path.join(root, "System32")
    return [dll for dll in MSVC_DLLS if not os.path.isfile(os.path.join(system32, dll))]


if sys.platform == "win32":
    import winreg

    def long_paths_enabled() -> bool | None:
        """LongPathsEnabled from the registry; None when it cannot be read."""
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, LONG_PATHS_KEY) as key:
                value, _ = winreg.QueryValueEx(key, "LongPathsEnabled")
        except FileNotFoundError:
            return False  # the value is absent on a default install: disabled
        except OSError:
            return None
        return bool(value)
else:
    def long_paths_enabled() -> bool | None:
        """Not Windows: there is no such setting."""
        return None
