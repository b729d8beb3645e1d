"""The composer: a multi-line prompt editor with Codex's keys.

Enter sends; Ctrl-J (or Shift-Enter where the terminal reports it) inserts a newline;
Up/Down on the first/last line recall earlier prompts (this session's, then
``history.jsonl``'s); a large paste is shown as ``[Pasted Content N chars]`` and expanded
when sent. While the popup is open, Up/Down/Tab/Enter/Esc drive it instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from pycodex.frontends.tui.popup import Popup

PASTE_COLLAPSE_CHARS = 1000
PLACEHOLDER = "Ask Codex to do anything"


class Composer(TextArea):
    DEFAULT_CSS = """
    Composer { height: auto; min-height: 3; max-height: 12; border: tall $accent 40%;
               padding: 0 1; }
    Composer:focus { border: tall $accent; }
    """

    class Submitted(Message):
        """Enter on a non-empty composer; ``text`` has pastes expanded."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class PopupAccepted(Message):
        """Enter or Tab on the popup: ``value`` is the chosen option; ``run`` for Enter."""

        def __init__(self, value: str, run: bool) -> None:
            super().__init__()
            self.value = value
            self.run = run

    def __init__(self, popup: Popup, history: Sequence[str] = ()) -> None:
        super().__init__(
            id="composer",
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=PLACEHOLDER,
            compact=True,
        )
        self.popup = popup
        self.prompt_history: list[str] = list(history)
        self._history_index: int | None = None  # None: editing a fresh prompt
        self._draft = ""
        self.pastes: dict[str, str] = {}

    # --- keys ------------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if self.popup.is_open and key in ("up", "down", "tab", "enter", "escape"):
            self._stop(event)
            if key in ("up", "down"):
                self.popup.move(-1 if key == "up" else 1)
            elif key == "escape":
                self.popup.close()
            else:
                value = self.popup.current()
                if value is not None:
                    self.post_message(self.PopupAccepted(value, run=key == "enter"))
            return
        if key == "enter":
            self._stop(event)
            self.submit()
            return
        if key in ("ctrl+j", "shift+enter"):
            self._stop(event)
            self.insert("\n")
            return
        if key == "up" and self.cursor_at_first_line and self._may_recall():
            self._stop(event)
            self.recall(-1)
            return
        if key == "down" and self.cursor_at_last_line and self._history_index is not None:
            self._stop(event)
            self.recall(1)
            return
        await super()._on_key(event)

    @staticmethod
    def _stop(event: events.Key) -> None:
        event.stop()
        event.prevent_default()

    async def _on_paste(self, event: events.Paste) -> None:
        if len(event.text) > PASTE_COLLAPSE_CHARS:
            event.stop()
            event.prevent_default()
            label = f"[Pasted Content {len(event.text)} chars]"
            n = 2
            while label in self.pastes:
                label = f"[Pasted Content {len(event.text)} chars #{n}]"
                n += 1
            self.pastes[label] = event.text
            self.insert(label)
            return
        await super()._on_paste(event)

    # --- history and submit ----------------------------------------------------------

    def _may_recall(self) -> bool:
        return bool(self.prompt_history) and (self.text == "" or self._history_index is not None)

    def recall(self, step: int) -> None:
        """Show the previous (-1) or next (+1) history entry; past the newest: the draft."""
        if self._history_index is None:
            if step > 0:
                return
            self._draft = self.text
            index = len(self.prompt_history) - 1
        else:
            index = self._history_index + step
        if index < 0:
            return
        if index >= len(self.prompt_history):
            self._history_index = None
            self._set_text(self._draft)
            return
        self._history_index = index
        self._set_text(self.prompt_history[index])

    def _set_text(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    def expanded(self, text: str) -> str:
        for label, content in self.pastes.items():
            text = text.replace(label, content)
        return text

    def submit(self) -> None:
        raw = self.text
        if not raw.strip():
            return
        text = self.expanded(raw)
        self.prompt_history.append(raw if not self.pastes else text)
        self._history_index = None
        self._draft = ""
        self.pastes.clear()
        self.load_text("")
        self.post_message(self.Submitted(text))
