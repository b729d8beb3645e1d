"""One running core, as the app sees it: spawn, pump its events, shut it down.

The pump hands every event to a callback until ``ShutdownComplete`` (or the core is gone).
``/new``, ``/model``, ``/approvals`` and ``/resume`` replace the link with a new one, so an
old core's late events never reach the new transcript.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.frontends.tui.options import SpawnCore
from pycodex.protocol.events import Event, SessionConfigured, ShutdownComplete
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import Op, Shutdown

SHUTDOWN_TIMEOUT_S = 5.0
START_TIMEOUT_S = 120.0  # MCP servers may take their startup timeouts

OnEvent = Callable[[Event], Awaitable[None]]


class CoreLink:
    def __init__(self, spawn: SpawnCore, config: Config, resume_path: Path | None) -> None:
        self._spawn = spawn
        self.config = config
        self.resume_path = resume_path
        self.core: CoreHandle | None = None
        self.session_id: str | None = None
        self.rollout_path: Path | None = None
        self.ready = asyncio.Event()
        self.closed = asyncio.Event()

    async def start(self) -> SessionConfigured:
        """Spawn the core and read its ``SessionConfigured`` (errors propagate)."""
        self.core = await self._spawn(self.config, self.resume_path)
        async with asyncio.timeout(START_TIMEOUT_S):  # not wait_for: it can eat a cancel (3.11)
            event = await self.core.next_event()
        msg = event.msg
        if not isinstance(msg, SessionConfigured):
            raise RuntimeError(f"the session did not start: {msg}")
        self.session_id = msg.session_id
        self.rollout_path = Path(msg.rollout_path) if msg.rollout_path else None
        self.ready.set()
        return msg

    async def pump(self, on_event: OnEvent) -> None:
        """Deliver events until the core shuts down."""
        assert self.core is not None
        try:
            while True:
                try:
                    event = await self.core.next_event()
                except Exception:  # the core is gone (SessionClosedError)
                    return
                if isinstance(event.msg, ShutdownComplete):
                    return
                await on_event(event)
        finally:
            self.closed.set()

    async def submit(self, op: Op) -> None:
        if self.core is not None and not self.closed.is_set():
            await self.core.submit(op)

    async def shutdown(self) -> None:
        """Ask the core to stop (rollout flushed, children killed); bounded."""
        if self.core is None or self.closed.is_set():
            return
        try:
            await self.core.submit(Shutdown())
            async with asyncio.timeout(SHUTDOWN_TIMEOUT_S):
                await self.closed.wait()
        except Exception:  # shutting down: nothing to report it to
            return
