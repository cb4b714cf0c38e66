"""How a scan decides the causes of kerasfix/knowledge/messages/interop.py."""

from __future__ import annotations

from kerasfix.diagnose.explain.checkers import Checker

DECIDES: dict[str, Checker] = {}
