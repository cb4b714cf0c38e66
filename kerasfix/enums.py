"""A `str` enum that reads as its value wherever it is shown.

Statuses travel into JSON documents, tables and Markdown. A plain `(str, Enum)` member is its
value for `==`, dict keys and json.dumps, but Python 3.11 made `format()` and f-strings show
`Class.MEMBER` instead; these read as the value everywhere, on every supported Python.
"""

from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)
