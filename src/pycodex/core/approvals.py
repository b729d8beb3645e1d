"""The approval seam: an approval is an event out and an op back, matched by call id.

Core emits ``ExecApprovalRequest`` / ``ApplyPatchApprovalRequest`` and awaits the future
that the ``ExecApproval`` / ``PatchApproval`` op with the same id resolves; every front end
answers in its own way (exec denies, since it runs with ``never`` and should never be asked;
the TUI and the MCP server ask a person). What needs asking is decided by the pure matrix in
``approval_policy``; this module holds the per-session state that matrix reads (what the
user approved for the session) and turns an answer into the next step.

Abort is not an answer a tool can give the model: ``ask`` raises ``ApprovalAborted`` and the
turn ends like an interrupt (``Codex._turn_task`` emits ``TurnAborted`` and gives every
unanswered call an output, so the history stays valid for the next turn).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pycodex.core.approval_policy import (
    Abort,
    Proceed,
    Refused,
    Subject,
    remember_command,
    resolve_decision,
)
from pycodex.protocol.events import EventMsg
from pycodex.protocol.policy import ReviewDecision


class ApprovalAborted(Exception):
    """The user answered ``abort``: the running turn ends (as on ``Interrupt``)."""


class ApprovalBroker:
    """Pending approval requests keyed by call id, and what was approved for the session."""

    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Future[ReviewDecision]] = {}
        self.approved_commands: frozenset[tuple[str, ...]] = frozenset()
        self.approved_patch_paths: frozenset[Path] = frozenset()
        # Kept apart from commands: approving an MCP call never approves a program.
        self.approved_mcp_calls: frozenset[tuple[str, ...]] = frozenset()

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

    async def ask(
        self, call_id: str, event: EventMsg, emit: Callable[[EventMsg], None], subject: Subject
    ) -> Proceed | Refused:
        """``request`` and map the answer: ``Proceed`` / ``Refused`` (text for the model);
        raises ``ApprovalAborted`` on abort. Remembering is the caller's (it knows what)."""
        resolution = resolve_decision(await self.request(call_id, event, emit), subject)
        if isinstance(resolution, Abort):
            raise ApprovalAborted
        return resolution

    def remember_command(self, argv: Sequence[str]) -> None:
        """ "Approve for the session": this exact argv runs without asking from now on."""
        self.approved_commands = remember_command(self.approved_commands, argv)

    def remember_patch_paths(self, paths: Iterable[Path]) -> None:
        """ "Approve for the session" of a patch: later patches to these paths are applied."""
        self.approved_patch_paths = self.approved_patch_paths | frozenset(paths)

    def remember_mcp_call(self, call: Sequence[str]) -> None:
        """ "Approve for the session" of an MCP tool call (server, tool, arguments)."""
        self.approved_mcp_calls = self.approved_mcp_calls | {tuple(call)}

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
