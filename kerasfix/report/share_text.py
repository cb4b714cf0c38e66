"""`--share` for the terminal: a safe console (see safe_console) that redacts every string and
Text before rich lays it out, so widths are measured on what is shown and a long path folded
across two lines is never split before its home folder is replaced."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from kerasfix.report.safe_console import _VisibleHook
from kerasfix.report.share import Redactor


def redact_text(text: Text, redactor: Redactor) -> Text:
    """A copy of `text` redacted, its styles kept where a replacement stays inside one style."""
    plain = text.plain
    if redactor.text(plain) == plain:
        return text
    cuts = sorted({0, len(plain), *(s.start for s in text.spans), *(s.end for s in text.spans)})
    out = text.blank_copy()
    for start, end in zip(cuts, cuts[1:]):
        piece = text[start:end]  # every span covers all of it, or none of it
        safe = Text(redactor.text(piece.plain))
        for span in piece.spans:
            safe.stylize(span.style)
        out.append_text(safe)
    if redactor.text(out.plain) != out.plain:  # a name across two styles: give up the styles
        out = text.blank_copy()
        out.append(redactor.text(plain))
    return out


class SharingConsole(Console):
    """Every renderable reaches layout through `Console.render`, nested ones (table cells,
    panel bodies, group members) included: that is where strings and Text are redacted."""

    def __init__(self, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redactor = redactor

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        if isinstance(renderable, str):
            renderable = self.redactor.text(renderable)
        elif isinstance(renderable, Text):
            renderable = redact_text(renderable, self.redactor)
        return super().render(renderable, options)


def sharing_console(redactor: Redactor, **kwargs: Any) -> Console:
    """safe_console(**kwargs), redacting with `redactor`."""
    console = SharingConsole(redactor, markup=False, emoji=False, **kwargs)
    console.push_render_hook(_VisibleHook())
    return console
