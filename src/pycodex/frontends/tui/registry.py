"""The slash-command registry: each command declared once, and everything derived from it.

A ``SlashCommand`` is a name, the description the popup shows, whether it may run while a
turn is in progress, and its handler (an async function of a ``SessionController`` and the
text after the name). The popup's list (``matching``), the test for "is this a command"
(``is_command``) and the dispatch with its one busy check (``run``) all read the same
registry, so adding a command is one decorated function in ``slash``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pycodex.frontends.tui.controller import SessionController

Handler = Callable[[SessionController, str], Awaitable[None]]


@dataclass(frozen=True)
class SlashCommand:
    name: str  # without the slash
    description: str
    during_turn: bool  # False: refused while the session is busy (see ``run``)
    handler: Handler


class SlashRegistry:
    """Commands in declaration order, which is the popup's order."""

    def __init__(self) -> None:
        self._commands: dict[str, SlashCommand] = {}

    def command(
        self, name: str, description: str, *, during_turn: bool
    ) -> Callable[[Handler], Handler]:
        """Declare the decorated handler as ``/name``."""

        def register(handler: Handler) -> Handler:
            if name in self._commands:
                raise ValueError(f"/{name} is declared twice")
            self._commands[name] = SlashCommand(name, description, during_turn, handler)
            return handler

        return register

    @property
    def commands(self) -> tuple[SlashCommand, ...]:
        return tuple(self._commands.values())

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._commands)

    def matching(self, prefix: str) -> list[tuple[str, str]]:
        """The popup's rows for ``prefix`` (no slash): commands starting with it, then
        those merely containing it, as ``(/name, description)``."""
        starts = [c for c in self._commands.values() if c.name.startswith(prefix)]
        contains = [c for c in self._commands.values() if prefix in c.name and c not in starts]
        return [(f"/{c.name}", c.description) for c in (*starts, *contains)]

    def is_command(self, text: str) -> bool:
        """A submitted text that runs a command (anything else is a prompt, even when it
        starts with a slash, like a path)."""
        return text.startswith("/") and text.split(maxsplit=1)[0][1:] in self._commands

    async def run(self, session: SessionController, text: str) -> None:
        """Run ``/name arg``. The one place where a command is refused during a turn."""
        name, _, arg = text[1:].partition(" ")
        command = self._commands.get(name)
        if command is None:
            await session.note(f"unknown command /{name}", "red")
            return
        if not command.during_turn and session.busy:
            await session.note(f"/{name}: wait for the turn to finish", "yellow")
            return
        await command.handler(session, arg.strip())
