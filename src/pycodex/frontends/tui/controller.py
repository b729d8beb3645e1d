"""What a slash command may do to the session: the narrow face of the app it is given.

Commands (``slash``) receive a ``SessionController`` rather than ``CodexApp``, so they can
neither reach into the app's widgets nor import it: ``app`` imports the commands, never the
other way round. ``CodexApp`` implements the protocol; tests drive commands with their own
small implementation, without a UI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pycodex.config.schema import Config
from pycodex.protocol.items import TokenUsage
from pycodex.protocol.ops import Op

if TYPE_CHECKING:
    from textual.screen import Screen

    from pycodex.frontends.tui.cells import Cell
    from pycodex.frontends.tui.options import TuiServices

T = TypeVar("T")


@dataclass(frozen=True)
class SessionUsage:
    """What ``/status`` reports: the session (None while it starts) and its tokens."""

    session_id: str | None
    total: TokenUsage
    context_window: int | None


class SessionController(Protocol):
    @property
    def config(self) -> Config:
        """The settings the current session runs with."""
        ...

    @property
    def busy(self) -> bool:
        """A turn is running, or no session is ready to take one: commands not available
        during a turn are refused (``registry``)."""
        ...

    @property
    def services(self) -> TuiServices: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    def usage(self) -> SessionUsage: ...

    async def note(self, text: str, style: str = "dim") -> None:
        """A one-line notice in the transcript."""
        ...

    async def show(self, cell: Cell) -> None:
        """Add a cell to the transcript."""
        ...

    async def submit_prompt(self, text: str) -> None:
        """Send a built-in prompt as the user's turn (not recorded in the history)."""
        ...

    async def submit(self, op: Op) -> None:
        """Send an operation to the running core (nothing without one)."""
        ...

    async def switch_config(self, config: Config, what: str) -> None:
        """Continue the same conversation on a core started with ``config``; ``what`` is
        the notice shown once it is done."""
        ...

    async def new_session(self) -> None:
        """Drop the conversation (and its transcript) and start a fresh one."""
        ...

    async def resume_session(self, path: Path) -> None:
        """Show the saved session at ``path`` and continue it here."""
        ...

    def open_screen(self, screen: Screen[T], then: Callable[[T | None], Awaitable[None]]) -> None:
        """Push a modal; ``then`` gets its result (None when cancelled)."""
        ...

    def add_to_composer(self, text: str) -> None:
        """Append ``text`` to the composer (after a space when needed) and focus it."""
        ...

    async def quit(self) -> None: ...
