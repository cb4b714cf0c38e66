"""Which checker decides which cause: the core checkers and every area's, in one registry."""

from __future__ import annotations

from kerasfix.diagnose.explain import checkers
from kerasfix.diagnose.explain.areas import addons, gpu, imports, interop, numeric, platform
from kerasfix.diagnose.explain.checkers import Checker

DECIDES: dict[str, Checker] = {
    **checkers.DECIDES, **imports.DECIDES, **interop.DECIDES, **numeric.DECIDES,
    **platform.DECIDES, **addons.DECIDES, **gpu.DECIDES,
}
