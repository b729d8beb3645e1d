"""The completion popup above the composer: slash commands and ``@`` file matches.

It never takes focus: the composer keeps typing while Up/Down/Tab/Enter are routed here
when it is open. Each option's id is the text to insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pycodex.core.terminal_text import sanitize

PopupKind = Literal["slash", "file"]


class Popup(OptionList, can_focus=False):
    DEFAULT_CSS = """
    Popup { height: auto; max-height: 10; display: none; border: none; padding: 0 1;
            background: $boost; }
    """

    def __init__(self) -> None:
        super().__init__(id="popup")
        self.kind: PopupKind | None = None

    @property
    def is_open(self) -> bool:
        return self.kind is not None

    def show(self, kind: PopupKind, items: Sequence[tuple[str, str]]) -> None:
        """``items``: (value, description). Empty items close the popup."""
        if not items:
            self.close()
            return
        self.kind = kind
        options = []
        for value, description in items:
            # file names come from the workspace (which the model writes): shown safe
            label = Text(sanitize(value), style="bold")
            if description:
                label.append("  " + sanitize(description), style="dim")
            options.append(Option(label, id=value))
        self.set_options(options)
        self.highlighted = 0
        self.display = True

    def close(self) -> None:
        self.kind = None
        self.clear_options()
        self.display = False

    def move(self, step: int) -> None:
        if self.option_count:
            current = self.highlighted or 0
            self.highlighted = (current + step) % self.option_count

    def current(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None
