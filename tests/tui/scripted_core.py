"""A core double for the TUI: plays given events per user turn through the same
``submit``/``next_event`` seam as ``Codex``, waiting at approval requests for the answer.

Used where real core cannot (yet) produce the flow on demand: approval requests (until
the approval matrix is wired into core) and snapshots that must be byte-for-byte stable.
Behaviour tests otherwise run the real core against the scripted HTTP server.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.frontends.tui.options import CoreHandle, SpawnCore
from pycodex.protocol.events import (
    ApplyPatchApprovalRequest,
    Event,
    EventMsg,
    ExecApprovalRequest,
    SessionConfigured,
    ShutdownComplete,
    TaskComplete,
    TaskStarted,
    TurnAborted,
)
from pycodex.protocol.ops import (
    ExecApproval,
    Interrupt,
    Op,
    PatchApproval,
    Shutdown,
    UserInput,
)
from pycodex.protocol.policy import ReviewDecision


class ScriptedCore:
    def __init__(self, turns: Sequence[Sequence[EventMsg]], *, window: int | None = None) -> None:
        self.turns = deque(turns)
        self.window = window
        self.ops: list[Op] = []
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.answers: dict[str, asyncio.Future[ReviewDecision]] = {}
        self.task: asyncio.Task[None] | None = None
        self.events.put_nowait(Event("0", SessionConfigured("sess-1", "test-model", None)))

    async def submit(self, op: Op) -> str:
        self.ops.append(op)
        if isinstance(op, UserInput) and self.turns:
            self.task = asyncio.create_task(self._play(list(self.turns.popleft())))
        elif isinstance(op, ExecApproval | PatchApproval) and op.decision == ReviewDecision.ABORT:
            await self._abort()  # as Codex: abort ends the turn
        elif isinstance(op, ExecApproval | PatchApproval):
            future = self.answers.get(op.id)
            if future is not None and not future.done():
                future.set_result(op.decision)
        elif isinstance(op, Interrupt):
            await self._abort()
        elif isinstance(op, Shutdown):
            self.emit(ShutdownComplete())
        return str(len(self.ops))

    async def _abort(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.wait({self.task})
            self.emit(TurnAborted("interrupted"))

    async def next_event(self) -> Event:
        return await self.events.get()

    def emit(self, msg: EventMsg) -> None:
        self.events.put_nowait(Event("1", msg))

    async def _play(self, msgs: list[EventMsg]) -> None:
        self.emit(TaskStarted(self.window))
        for msg in msgs:
            self.emit(msg)
            if isinstance(msg, ExecApprovalRequest | ApplyPatchApprovalRequest):
                future: asyncio.Future[ReviewDecision] = asyncio.get_running_loop().create_future()
                self.answers[msg.call_id] = future
                await future
        self.emit(TaskComplete(None))

    def spawner(self) -> SpawnCore:
        """A ``SpawnCore`` that hands out this core (once)."""

        async def spawn(config: Config, resume_path: Path | None) -> CoreHandle:
            del config, resume_path
            return self

        return spawn
