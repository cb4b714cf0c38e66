"""What the app was opened with, typed and handed to every screen (screens never read
untyped attributes off the app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kerasfix.diagnose.scan import ScanResult
from kerasfix.fix.planner import FixOptions

# scanner(deep=False) -> ScanResult: the app's way to scan its current target (tests hand in
# one that scans a fabricated environment from a fixed folder with a clean environment).
Scanner = Callable[..., ScanResult]


@dataclass(frozen=True)
class AppSettings:
    dry_run: bool = False  # audit only: previews are shown, nothing can run
    fix_options: FixOptions = field(default_factory=FixOptions)
    project_dir: str | None = None  # --project: else found walking up from the folder
    verify_deep: bool = True  # False: verification skips the runtime import (fabricated stacks)
