"""A small modal list: pick one value (``/model``, ``/approvals``); Esc keeps the current."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pycodex.core.terminal_text import sanitize


class ChoiceScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; }
    ChoiceScreen > Vertical { width: 70; height: auto; border: thick $accent;
        background: $surface; padding: 0 1; }
    ChoiceScreen OptionList { height: auto; max-height: 14; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str) -> None:
        super().__init__()
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        options = []
        for value, description in self._choices:
            mark = "● " if value == self._current else "  "
            label = Text(mark + sanitize(value), style="bold")  # e.g. a local server's names
            if description:
                label.append("  " + sanitize(description), style="dim")
            options.append(Option(label, id=value))
        with Vertical():
            yield Static(Text(self._title, style="bold"))
            yield OptionList(*options)

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        values = [v for v, _ in self._choices]
        if self._current in values:
            option_list.highlighted = values.index(self._current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
