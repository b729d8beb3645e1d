"""The seam between a front end and core: ops in through ``submit``, events out through
``next_event``.

This is all a front end (exec, the TUI, the MCP server) needs of a running session, so it
is declared once, here, as a structural type: ``pycodex.core.codex.Codex`` satisfies it,
and so does the scripted double beside it (``pycodex.protocol.scripted_core``), which
front-end tests use to play exact event sequences.
"""

from __future__ import annotations

from typing import Protocol

from pycodex.protocol.events import Event
from pycodex.protocol.ops import Op


class CoreHandle(Protocol):
    """A running session as a front end sees it."""

    async def submit(self, op: Op) -> str:
        """Queue ``op``; returns its submission id, the id of the events it causes."""
        ...

    async def next_event(self) -> Event:
        """The next event (``SessionConfigured`` with id ``"0"`` first)."""
        ...
