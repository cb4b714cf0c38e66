"""Catalogue area: interop (see the package docstring)."""

from __future__ import annotations

from kerasfix.knowledge.messages.records import Cause, Signature

CAUSES: tuple[Cause, ...] = ()
SIGNATURES: tuple[Signature, ...] = ()
