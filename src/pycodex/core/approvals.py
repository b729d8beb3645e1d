"""The approval seam: an approval is an event out and an op back, matched by call id.

Core emits ``ExecApprovalRequest`` / ``ApplyPatchApprovalRequest`` and awaits the future
that the ``ExecApproval`` / ``PatchApproval`` op with the same id resolves; every front end
(TUI, exec, MCP server) answers in its own way. Which commands need asking (the v0.20
decision matrix, reference §5.1) is the sandbox issue's job: today ``exec_needs_approval``
says no, so commands run directly with danger-full-access semantics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from pycodex.protocol.events import EventMsg
from pycodex.protocol.policy import AskForApproval, ReviewDecision, SandboxMode


def exec_needs_approval(
    approval: AskForApproval, sandbox: SandboxMode, command: Sequence[str]
) -> bool:
    """Whether to ask the user before running ``command`` (the matrix comes later)."""
    del approval, sandbox, command
    return False


class ApprovalBroker:
    """Pending approval requests, keyed by call id."""

    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Future[ReviewDecision]] = {}

    async def request(
        self, call_id: str, event: EventMsg, emit: Callable[[EventMsg], None]
    ) -> ReviewDecision:
        """Emit ``event`` and wait for the matching answer (cancelled with the turn)."""
        future: asyncio.Future[ReviewDecision] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            emit(event)
            return await future
        finally:
            self._pending.pop(call_id, None)

    def resolve(self, call_id: str, decision: ReviewDecision) -> bool:
        """Answer a pending request; False when nothing waits for ``call_id``."""
        future = self._pending.get(call_id)
        if future is None or future.done():
            return False
        future.set_result(decision)
        return True

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(self._pending)
