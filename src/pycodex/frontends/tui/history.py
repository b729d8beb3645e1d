"""The transcript's scrolled-out past, as styled lines on disk.

Cells leaving the mounted window are rendered once, at the width they had, into lines of
ANSI-styled text kept in a ``SpilledStrings`` (an unlinked temp file): memory does not grow
with the session, and the transcript pager (Ctrl+T) draws any of them on demand, the way a
terminal's scrollback keeps lines as they were written.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.color import ColorSystem
from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.segment import Segment

from pycodex.frontends.tui.spill import SpilledStrings


class HistoryLines:
    def __init__(self) -> None:
        self.lines = SpilledStrings()
        self.blocks = 0  # how many cells were written here
        self.width = 0  # the widest rendering so far

    def write(self, renderables: Sequence[RenderableType], width: int) -> None:
        """Append each renderable as lines ``width`` columns wide."""
        self.lines.extend(render_ansi_lines(renderables, width))
        self.blocks += len(renderables)
        self.width = max(self.width, width)

    def clear(self) -> None:
        self.lines.clear()
        self.blocks = 0
        self.width = 0


def render_ansi_lines(renderables: Iterable[RenderableType], width: int) -> list[str]:
    """Each renderable as ANSI-styled lines ``width`` columns wide, as a mounted cell looks
    (padded one column each side, a blank line after)."""
    console = Console(
        file=io.StringIO(),
        width=max(width, 10),
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        highlight=False,
    )
    out: list[str] = []
    for renderable in renderables:
        padded = Padding(renderable, (0, 1, 1, 1))
        out.extend(_ansi(line) for line in console.render_lines(padded, pad=False))
    return out


def _ansi(line: Iterable[Segment]) -> str:
    out: list[str] = []
    for segment in line:
        if segment.control:
            continue
        style = segment.style
        if style is None:
            out.append(segment.text)
        else:
            out.append(style.render(segment.text, color_system=ColorSystem.TRUECOLOR))
    return "".join(out)
