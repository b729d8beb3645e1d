"""The working indicator above the composer and the key/token footer below it."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from pycodex.frontends.tui.render import tokens_left_text


class StatusLine(Static):
    """``• Working (3s • Ctrl+C to interrupt)`` while a turn runs, hidden otherwise.

    The elapsed seconds come from the injected clock and tick once a second."""

    DEFAULT_CSS = "StatusLine { height: 1; padding: 0 1; display: none; color: $accent; }"

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__("", id="status")
        self._clock = clock
        self._started: float | None = None
        self._label = "Working"
        self._ticker: Timer | None = None

    def start(self, label: str = "Working") -> None:
        self._label = label
        self._started = self._clock()
        self.display = True
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)

    def stop(self) -> None:
        self._started = None
        self.display = False
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    @property
    def working(self) -> bool:
        return self._started is not None

    def _tick(self) -> None:
        if self._started is None:
            return
        elapsed = int(self._clock() - self._started)
        out = Text("• ", style="bold")
        out.append(self._label, style="bold")
        out.append(f" ({elapsed}s • Ctrl+C to interrupt)", style="dim")
        self.update(out)


class FooterBar(Static):
    """Keys on the left, ``N tokens used   P% context left`` after them; a transient hint
    (``Ctrl+C again to quit``) replaces the keys until the next key press."""

    DEFAULT_CSS = "FooterBar { height: 1; padding: 0 1; color: $text-muted; }"

    def __init__(self) -> None:
        super().__init__("", id="footer")
        self.total_tokens = 0
        self.context_used = 0
        self.window: int | None = None
        self.working = False
        self.hint: str | None = None

    def on_mount(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        if self.hint:
            keys = self.hint
        elif self.working:
            keys = "⏎ queue message   Ctrl+J newline   Ctrl+C interrupt"
        else:
            keys = "⏎ send   Ctrl+J newline   / commands   @ files   Ctrl+C quit"
        out = Text(keys, style="bold" if self.hint else "")
        out.append("   " + tokens_left_text(self.total_tokens, self.context_used, self.window))
        self.update(out)
