"""`codex resume` / `/resume`: pick a saved session, newest first, type to filter.

Front ends may not import ``pycodex.storage``, so the picker takes the sessions as data:
any objects with the attributes of :class:`SessionRow` (``pycodex.storage.rollout.
SessionSummary`` has them), or a callable returning them, which runs in a worker thread so
the screen shows at once even with thousands of rollout files::

    app.push_screen(ResumePicker(lambda: list_sessions(codex_home)), on_chosen)

The screen is dismissed with the chosen rollout ``Path`` (Enter), or ``None`` (Esc).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pycodex.core.terminal_text import sanitize

__all__ = ["ResumePicker", "Session", "SessionRow", "SessionSource", "format_row"]


class SessionRow(Protocol):
    """What the picker reads of a saved session."""

    @property
    def session_id(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def timestamp(self) -> str: ...  # ISO 8601 start time, "" when unknown
    @property
    def preview(self) -> str | None: ...  # first user message, one line
    @property
    def modified(self) -> float: ...  # seconds since the epoch


@dataclass(frozen=True)
class Session:
    """A plain :class:`SessionRow` (tests, other callers)."""

    session_id: str
    path: Path
    timestamp: str = ""
    preview: str | None = None
    modified: float = 0.0


SessionSource = Sequence[SessionRow] | Callable[[], Sequence[SessionRow]]


def _when(row: SessionRow) -> str:
    try:
        moment = datetime.fromisoformat(row.timestamp.replace("Z", "+00:00"))
        return moment.astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return datetime.fromtimestamp(row.modified).strftime("%Y-%m-%d %H:%M")


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


def format_row(row: SessionRow, now: float) -> Text:
    """One line: start time, age, first message, id."""
    out = Text(_when(row), style="bold")
    out.append(f" {_age(now - row.modified):>8}  ", style="dim")
    preview = sanitize(row.preview) if row.preview else None
    out.append(preview or "(no message)", style="" if preview else "dim italic")
    out.append(f"  {row.session_id}", style="dim")
    return out


def _matches(row: SessionRow, words: list[str]) -> bool:
    hay = f"{row.preview or ''} {row.session_id} {row.timestamp} {_when(row)}".lower()
    return all(word in hay for word in words)


class ResumePicker(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    ResumePicker { align: center middle; }
    ResumePicker > Vertical { width: 90%; height: 80%; border: thick $accent;
        background: $surface; padding: 0 1; }
    ResumePicker #resume-filter { margin: 0 0 1 0; }
    ResumePicker OptionList { height: 1fr; }
    ResumePicker #resume-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(
        self,
        sessions: SessionSource,
        *,
        title: str = "Resume a previous session",
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._source = sessions
        self._title = title
        self._now = now
        self._rows: list[SessionRow] = []
        self._shown: list[SessionRow] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title, style="bold"))
            yield Input(placeholder="type to filter", id="resume-filter")
            yield OptionList(id="resume-list")
            yield Static("↑↓ select   ⏎ resume   esc cancel", id="resume-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        source = self._source
        if callable(source):
            self.query_one(OptionList).add_option(Option(Text("Loading sessions…", "dim")))
            self.run_worker(lambda: self.app.call_from_thread(self._loaded, source()), thread=True)
        else:
            self._loaded(source)

    def _loaded(self, rows: Sequence[SessionRow]) -> None:
        self._rows = sorted(rows, key=lambda r: r.modified, reverse=True)
        self.loaded = True
        self._refresh_list()

    def _refresh_list(self) -> None:
        words = self.query_one(Input).value.lower().split()
        self._shown = [r for r in self._rows if _matches(r, words)]
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        now = self._now()
        if self._shown:
            option_list.add_options(Option(format_row(r, now)) for r in self._shown)
            option_list.highlighted = 0
        else:
            empty = "No saved sessions" if not self._rows else "No session matches"
            option_list.add_option(Option(Text(empty, "dim"), disabled=True))

    @property
    def shown(self) -> list[SessionRow]:
        """The rows listed now (after filtering), top first."""
        return list(self._shown)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.loaded:
            self._refresh_list()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._choose(self.query_one(OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self._shown):
            self.dismiss(Path(self._shown[index].path))

    def action_move(self, delta: int) -> None:
        option_list = self.query_one(OptionList)
        if not self._shown:
            return
        current = option_list.highlighted or 0
        option_list.highlighted = max(0, min(len(self._shown) - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)
