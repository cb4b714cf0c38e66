"""Checks: interpreters (issue 12)."""

from __future__ import annotations
