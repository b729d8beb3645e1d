"""What the popup offers as the composer is edited: slash commands, or workspace files.

A lone ``/word`` on one line lists the registry's commands; an ``@word`` at the cursor
lists files of the workspace (indexed in a thread at the first ``@``). Accepting a command
with Enter runs it (through the app's callback); Tab, or accepting a file, edits the text.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.core.terminal_text import sanitize
from pycodex.frontends.tui.composer import Composer
from pycodex.frontends.tui.popup import Popup
from pycodex.frontends.tui.registry import SlashRegistry

if TYPE_CHECKING:
    from pycodex.core.services.workspace import FileIndex

FILE_MATCHES = 12
INDEX_POLL_S = 0.1
_MENTION = re.compile(r"(?:^|\s)@(\S*)$")

Schedule = Callable[[float, Callable[[], None]], object]
"""Call back after a delay, on the UI's loop (``App.set_timer``)."""


class Completion:
    def __init__(
        self,
        composer: Composer,
        popup: Popup,
        registry: SlashRegistry,
        cwd: Path,
        *,
        schedule: Schedule,
        run_command: Callable[[str], Awaitable[None]],
    ) -> None:
        self._composer = composer
        self._popup = popup
        self._registry = registry
        self._cwd = cwd
        self._schedule = schedule
        self._run_command = run_command
        self.file_index: FileIndex | None = None  # built at the first `@`

    def update(self) -> None:
        """Open, filter or close the popup after each edit of the composer."""
        text = self._composer.text
        if text.startswith("/") and "\n" not in text and " " not in text:
            self._popup.show("slash", self._registry.matching(text[1:]))
            return
        query = self._mention_query()
        if query is not None:
            found = self._search_files(query)
            if found is None:  # indexing: look again shortly
                self._popup.show("file", [("…", "indexing files")])
                self._schedule(INDEX_POLL_S, self.update)
                return
            self._popup.show("file", found)
            return
        self._popup.close()

    async def accept(self, value: str, run: bool) -> None:
        composer = self._composer
        kind = self._popup.kind
        self._popup.close()
        if kind == "slash":
            if run:
                composer.load_text("")
                await self._run_command(value)
            else:
                composer.load_text(value + " ")
                composer.move_cursor(composer.document.end)
            return
        row, col = composer.cursor_location
        line = composer.document.get_line(row)
        start = line.rfind("@", 0, col)
        if start < 0 or value == "…":
            return
        # as shown: a file name with control characters (the model can create one) would
        # otherwise reach the terminal raw through the composer, which shows text as it is
        composer.replace(sanitize(value) + " ", (row, start), (row, col))
        self._popup.close()

    def _mention_query(self) -> str | None:
        """The ``@word`` being typed at the cursor, without the ``@``."""
        row, col = self._composer.cursor_location
        line = self._composer.document.get_line(row)[:col]
        found = _MENTION.search(line)
        return found.group(1) if found else None

    def _search_files(self, query: str) -> list[tuple[str, str]] | None:
        """Matches for ``@query``; None while the index is still being built."""
        index = self.file_index
        if index is None:
            from pycodex.core.services.workspace import file_index

            index = self.file_index = file_index(self._cwd).start()  # walks in a thread
        if not index.ready:
            return None
        return [(str(m.path), "") for m in index.search(query, FILE_MATCHES)]
