"""The transcript pager (Ctrl+T): the whole session, scrolled-out past included.

A Line-API view over the history lines on disk plus the mounted cells rendered when it
opens: only the lines on screen are decoded, so a 500-turn session opens and scrolls like
a short one. ``q``, ``Esc`` or ``Ctrl+T`` closes it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from pycodex.frontends.tui.spill import SpilledStrings


class PagerView(ScrollView, can_focus=True):
    """Keys move at once (no scroll animation: Home over 10,000 lines must not glide)."""

    DEFAULT_CSS = "PagerView { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "page_down", "Page Down", show=False),
    ]

    def __init__(self, past: SpilledStrings, recent: list[str], width: int) -> None:
        super().__init__(id="pager-view")
        self.past = past
        self.past_len = len(past)  # cells evicted while the pager is open come after it
        self.recent = recent
        self.virtual_size = Size(width, self.past_len + len(recent))

    def line(self, index: int) -> str:
        """Line ``index`` of the transcript as it was when the pager opened, ANSI-styled."""
        if index < self.past_len:
            return self.past[index]
        return self.recent[index - self.past_len]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if not 0 <= index < self.virtual_size.height:
            return Strip.blank(width, self.rich_style)
        text = Text.from_ansi(self.line(index), no_wrap=True, end="")
        strip = Strip(list(text.render(self.app.console)))
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def action_scroll_home(self) -> None:
        self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_end(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)


class TranscriptPager(ModalScreen[None]):
    DEFAULT_CSS = """
    TranscriptPager { background: $background; }
    TranscriptPager > #pager-title { height: 1; padding: 0 1; background: $boost; }
    TranscriptPager > #pager-keys { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape,ctrl+t", "close", "close", show=False),
    ]

    def __init__(self, past: SpilledStrings, recent: list[str], width: int) -> None:
        super().__init__()
        self.view = PagerView(past, recent, width)

    def compose(self) -> ComposeResult:
        yield Static(Text("Transcript", style="bold"), id="pager-title")
        yield self.view
        yield Static("↑/↓ PgUp/PgDn/Space Home/End scroll · q or Esc close", id="pager-keys")

    def on_mount(self) -> None:
        self.view.focus()
        self.call_after_refresh(self.view.scroll_end, animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)
