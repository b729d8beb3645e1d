"""The working indicator above the composer and the key/token footer below it."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from pycodex.frontends.tui.render import tokens_left_text
from pycodex.protocol.events import EventMsg, ModelWaiting


class StatusLine(Static):
    """``• Working (3s • Ctrl+C to interrupt)`` while a turn runs, hidden otherwise.

    While the model is silent past core's threshold (``ModelWaiting``) it says so instead,
    with the retry plan: ``• Waiting for the model… 35s (no response yet; will retry 4 more
    times, timeout 300s) • Ctrl+C to interrupt``, the seconds still ticking, until the
    model's next event. The elapsed seconds come from the injected clock and tick once a
    second."""

    DEFAULT_CSS = "StatusLine { height: 1; padding: 0 1; display: none; color: $accent; }"

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__("", id="status")
        self._clock = clock
        self._started: float | None = None
        self._label = "Working"
        self._ticker: Timer | None = None
        self._waiting: tuple[ModelWaiting, float] | None = None  # the report, when received

    def start(self, label: str = "Working") -> None:
        self._label = label
        self._started = self._clock()
        self.display = True
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)

    def core_event(self, msg: EventMsg) -> None:
        """Every core event passes here: a ``ModelWaiting`` shows the wait, anything else
        from the turn ends it."""
        if isinstance(msg, ModelWaiting):
            self._waiting = (msg, self._clock())
            self._tick()
        elif self._waiting is not None:
            self._waiting = None
            self._tick()

    @property
    def waiting_text(self) -> str | None:
        """What the line says about a silent model (None when it is not waiting)."""
        if self._waiting is None or self._started is None:
            return None
        from pycodex.core.waiting import waiting_message

        msg, since = self._waiting
        elapsed = msg.elapsed_seconds + max(self._clock() - since, 0.0)
        text = waiting_message(
            elapsed,
            responded=msg.responded,
            retries_left=msg.retries_left,
            timeout_seconds=msg.timeout_seconds,
        )
        return text[:1].upper() + text[1:]

    def stop(self) -> None:
        self._started = None
        self._waiting = None
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
        waiting = self.waiting_text
        if waiting is not None and self._label == "Working":
            out = Text("• ", style="bold")
            out.append(waiting, style="bold")
            out.append(" • Ctrl+C to interrupt", style="dim")
            self.update(out)
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

    def reset_tokens(self) -> None:
        """A new conversation (``/new``): nothing used yet, the whole context left."""
        self.total_tokens = 0
        self.context_used = 0
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
