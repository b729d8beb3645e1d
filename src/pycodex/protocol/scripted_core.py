"""A scripted ``CoreHandle``: the in-package double beside the front-end seam.

Front ends reach core only through ``submit``/``next_event``. This double plays given
events through that same seam, so a front end's own decisions (rendering, approvals,
Ctrl-C, exit statuses) can be tested on exact, repeatable event sequences, including ones
real core produces only with effort (an approval request on demand, a turn that never
ends, a core that never confirms an interrupt). Flows that span core are tested with the
real core against the scripted model server instead.

    core = ScriptedCore([
        turn(ExecApprovalRequest("c1", ("touch", "x"), "/w"), AgentMessage("done")),
    ])

It answers as ``pycodex.core.codex.Codex`` does:

- ``session`` (``SessionConfigured``) is the first event, id ``"0"``; ``None``: no such
  event (for a caller that is handed a core whose start was already read).
- Each ``UserInput`` plays the next script (none left: nothing happens); its events carry
  that submission's id.
- After an approval request the script waits for the answer with the same call id; an
  ``abort`` answer ends the turn as an interrupt does.
- A script that does not end with ``TaskComplete`` or ``TurnAborted`` leaves its turn
  running (as a model that never answers) until it is interrupted.
- ``Interrupt`` ends a running turn with ``TurnAborted`` (``confirm_interrupt=False``: it
  is recorded and ignored, a core that never confirms).
- ``Shutdown`` is answered with ``ShutdownComplete``.

Every op is recorded in ``ops``, in order. Imported only by tests (and whoever wants a
core without a model): nothing in the package imports it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence

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
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import ExecApproval, Interrupt, Op, PatchApproval, Shutdown, UserInput
from pycodex.protocol.policy import ReviewDecision

SESSION = SessionConfigured("sess-1", "test-model", None)


def turn(*msgs: EventMsg, window: int | None = None) -> list[EventMsg]:
    """A whole turn's script: ``TaskStarted``, ``msgs``, then ``TaskComplete``."""
    return [TaskStarted(window), *msgs, TaskComplete(None)]


class ScriptedCore:
    """Plays one script per user turn; see the module docstring for its answers."""

    def __init__(
        self,
        turns: Iterable[Sequence[EventMsg]] = (),
        *,
        session: SessionConfigured | None = SESSION,
        confirm_interrupt: bool = True,
    ) -> None:
        self.scripts = deque(list(script) for script in turns)
        self.confirm_interrupt = confirm_interrupt
        self.ops: list[Op] = []
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._answers: dict[str, asyncio.Future[ReviewDecision]] = {}
        self._task: asyncio.Task[None] | None = None
        self._task_id = ""
        if session is not None:
            self._events.put_nowait(Event("0", session))

    async def submit(self, op: Op) -> str:
        self.ops.append(op)
        sub_id = str(len(self.ops))
        if isinstance(op, UserInput):
            if self.scripts:
                self._task_id = sub_id
                self._task = asyncio.create_task(self._play(sub_id, self.scripts.popleft()))
        elif isinstance(op, ExecApproval | PatchApproval):
            if op.decision == ReviewDecision.ABORT:
                await self._abort()
            else:
                answer = self._answers.pop(op.id, None)
                if answer is not None and not answer.done():
                    answer.set_result(op.decision)
        elif isinstance(op, Interrupt):
            if self.confirm_interrupt:
                await self._abort()
        elif isinstance(op, Shutdown):
            self._emit(sub_id, ShutdownComplete())
        return sub_id

    async def next_event(self) -> Event:
        return await self._events.get()

    def spawner(self) -> Callable[..., Awaitable[CoreHandle]]:
        """A core spawner for any front end's seam (whatever it is given): this core."""

        async def spawn(*args: object, **kwargs: object) -> CoreHandle:
            del args, kwargs
            return self

        return spawn

    def _emit(self, sub_id: str, msg: EventMsg) -> None:
        self._events.put_nowait(Event(sub_id, msg))

    async def _play(self, sub_id: str, script: Sequence[EventMsg]) -> None:
        loop = asyncio.get_running_loop()
        for msg in script:
            self._emit(sub_id, msg)
            if isinstance(msg, ExecApprovalRequest | ApplyPatchApprovalRequest):
                answer: asyncio.Future[ReviewDecision] = loop.create_future()
                self._answers[msg.call_id] = answer
                await answer
        if not script or not isinstance(script[-1], TaskComplete | TurnAborted):
            await loop.create_future()  # the turn runs on until interrupted

    async def _abort(self) -> None:
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait({task})
        self._emit(self._task_id, TurnAborted("interrupted"))
