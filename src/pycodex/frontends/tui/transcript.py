"""The scrolling transcript, virtualised: only the newest ``MAX_MOUNTED`` cells are widgets.

Older cells leave the widget tree: each is rendered once into styled history lines (kept on
disk, shown by the Ctrl+T pager), and its plain text goes to a second on-disk list for the
transcript the CLI prints into the terminal's scrollback on exit. So a 500-turn session
lays out and scrolls like a short one, and memory does not grow with its length. In that
exit transcript one long line (a command printing 1 MiB without a newline) keeps only its
start and end (``core.display_text.bound_lines``): the scrollback is for people.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from pycodex.core.display_text import bound_lines
from pycodex.frontends.tui.cells import Cell
from pycodex.frontends.tui.history import HistoryLines, render_ansi_lines
from pycodex.frontends.tui.spill import SpilledStrings

if TYPE_CHECKING:
    from pycodex.frontends.tui.pager import TranscriptPager

MAX_MOUNTED = 60


class Transcript(VerticalScroll):
    DEFAULT_CSS = """
    Transcript { height: 1fr; scrollbar-size-vertical: 1; }
    Transcript > #evicted { color: $text-muted; padding: 0 1; height: auto; display: none; }
    """

    def __init__(self, max_mounted: int = MAX_MOUNTED) -> None:
        super().__init__(id="transcript")
        self.max_mounted = max_mounted
        self.history = HistoryLines()  # styled lines of the cells no longer mounted
        self.evicted = SpilledStrings()  # their plain text, for the exit transcript
        self._cells: list[Cell] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="evicted")

    def on_mount(self) -> None:
        self.anchor()

    @property
    def cells(self) -> list[Cell]:
        return list(self._cells)

    async def add(self, cell: Cell) -> Cell:
        """Mount ``cell`` at the bottom (staying scrolled to the end unless the user
        scrolled up), moving the oldest cells beyond the limit into the history."""
        self._cells.append(cell)
        await self.mount(cell)
        if len(self._cells) > self.max_mounted:
            old = self._cells[: len(self._cells) - self.max_mounted]
            del self._cells[: len(old)]
            self.history.write([c.history_renderable() for c in old], self._width())
            await self._unmount(old)
            marker = self.query_one("#evicted", Static)
            marker.update(
                Text(f"… {self.history.blocks} earlier cells · Ctrl+T shows the whole transcript")
            )
            marker.display = True
        return cell

    async def discard(self, cell: Cell) -> None:
        """Remove a cell that should not have been shown (a retried partial answer)."""
        if cell in self._cells:
            self._cells.remove(cell)
            await cell.remove()

    async def clear_cells(self) -> None:
        """Empty the screen and the pager (``/new``); the text stays for the exit
        transcript."""
        old, self._cells = self._cells, []
        await self._unmount(old)
        self.history.clear()
        self.query_one("#evicted", Static).display = False

    def plain_text(self) -> str:
        """The exit transcript: every cell's text, long lines bounded."""
        parts = [*self.evicted, *(bound_lines(c.plain()) for c in self._cells)]
        return "\n\n".join(p for p in parts if p)

    def pager(self) -> TranscriptPager:
        """A pager over the whole transcript: the history lines, then the mounted cells
        as they look now."""
        from pycodex.frontends.tui.pager import TranscriptPager

        width = self._width()
        recent = render_ansi_lines([c.history_renderable() for c in self._cells], width)
        return TranscriptPager(self.history.lines, recent, max(width, self.history.width))

    def _width(self) -> int:
        return self.scrollable_content_region.width or self.size.width or 80

    async def _unmount(self, cells: list[Cell]) -> None:
        self.evicted.extend([bound_lines(c.plain()) for c in cells])
        _release_render_caches(cells)
        await self.remove_children(cells)
        _forget_styles_caches()


def _release_render_caches(cells: list[Cell]) -> None:
    """Empty the rendered lines of cells about to be removed (see ``_forget_styles_caches``
    for why they would otherwise outlive the widgets)."""
    for cell in cells:
        for widget in (cell, *cell.query("*")):
            cache = getattr(widget, "_styles_cache", None)  # private: absent in other versions
            if cache is not None:
                cache.clear()


def _forget_styles_caches() -> None:
    """Textual memoises ``StylesCache.get_inner_outer`` in an ``lru_cache`` keyed by the
    instance, which keeps up to 1,024 removed widgets' caches alive; emptying it (the
    colours are recomputed on the next frame, microseconds) lets them go."""
    try:
        from textual._styles_cache import StylesCache  # private: may move in other versions
    except ImportError:
        return
    forget = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if callable(forget):
        forget()
