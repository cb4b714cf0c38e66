"""Checks: addons (issue 12)."""

from __future__ import annotations
