"""Rich-side helpers for showing others' text safely (see textsafe, the engine half).

`visible_text` makes an already styled Text safe (the TUI builds some from many pieces).
`safe_console` is the CLI's last line of defence: whatever a command prints, the segments that
reach the terminal carry no raw control characters, and no markup or emoji code is obeyed.
Renderers still escape their data themselves, so widths are measured on what is shown.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.segment import Segment
from rich.text import Text

from kerasfix.textsafe import visible


def visible_text(text: Text) -> Text:
    """A copy of `text` with control characters made visible and its styles kept."""
    plain = text.plain
    if visible(plain) == plain:
        return text
    cuts = sorted({0, len(plain), *(s.start for s in text.spans), *(s.end for s in text.spans)})
    out = text.blank_copy()
    for start, end in zip(cuts, cuts[1:]):
        piece = text[start:end]  # every span covers all of it, or none of it
        safe = Text(visible(piece.plain))
        for span in piece.spans:
            safe.stylize(span.style)
        out.append_text(safe)
    return out


class _Visible:
    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control or visible(segment.text) == segment.text:
                yield segment
            else:
                yield Segment(visible(segment.text), segment.style)


class _VisibleHook(RenderHook):
    def process_renderables(self, renderables: list[Any]) -> list[Any]:
        return [_Visible(r) for r in renderables]


def safe_console(**kwargs: Any) -> Console:
    """A Console that never passes markup, emoji codes or raw control characters through."""
    console = Console(markup=False, emoji=False, **kwargs)
    console.push_render_hook(_VisibleHook())
    return console
