"""The scrolling transcript, virtualised: only the newest ``MAX_MOUNTED`` cells are widgets.

Older cells are removed from the screen and kept as plain text, so layout and render cost
stay flat however long the session runs (a 500-turn transcript scrolls like a short one).
The whole text, evicted part included, is what ``plain_text`` returns and the CLI prints
into the terminal's scrollback on exit.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from pycodex.frontends.tui.cells import Cell

MAX_MOUNTED = 60


class Transcript(VerticalScroll):
    DEFAULT_CSS = """
    Transcript { height: 1fr; scrollbar-size-vertical: 1; }
    Transcript > #evicted { color: $text-muted; padding: 0 1; height: auto; display: none; }
    """

    def __init__(self, max_mounted: int = MAX_MOUNTED) -> None:
        super().__init__(id="transcript")
        self.max_mounted = max_mounted
        self.evicted: list[str] = []
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
        scrolled up), evicting the oldest cells beyond the limit."""
        self._cells.append(cell)
        await self.mount(cell)
        if len(self._cells) > self.max_mounted:
            old = self._cells[: len(self._cells) - self.max_mounted]
            del self._cells[: len(old)]
            self.evicted.extend(c.plain() for c in old)
            _release_render_caches(old)
            await self.remove_children(old)
            marker = self.query_one("#evicted", Static)
            marker.update(
                Text(f"… {len(self.evicted)} earlier cells (printed to the terminal on exit)")
            )
            marker.display = True
        return cell

    async def discard(self, cell: Cell) -> None:
        """Remove a cell that should not have been shown (a retried partial answer)."""
        if cell in self._cells:
            self._cells.remove(cell)
            await cell.remove()

    async def clear_cells(self) -> None:
        """Empty the screen (``/new``); the text stays for the exit transcript."""
        self.evicted.extend(c.plain() for c in self._cells)
        await self.remove_children(self._cells)
        self._cells.clear()
        self.query_one("#evicted", Static).display = False

    def plain_text(self) -> str:
        parts = [*self.evicted, *(c.plain() for c in self._cells)]
        return "\n\n".join(p for p in parts if p)


def _release_render_caches(cells: list[Cell]) -> None:
    """Empty the rendered lines of cells about to be removed. Textual keeps each widget's
    ``StylesCache`` alive after removal in an ``lru_cache`` (up to 1,024 of them, keyed by the
    instance), and with it every line it rendered: measured ~60 KB per turn of transcript."""
    for cell in cells:
        for widget in (cell, *cell.query("*")):
            cache = getattr(widget, "_styles_cache", None)  # private: absent in other versions
            if cache is not None:
                cache.clear()
