"""One tool call's turn: core events out as ``codex/event`` notifications, approvals out as
elicitation requests, the answer back in as an approval op, the final message as the result.

Nothing here imports the MCP SDK: the connection is reached through ``Peer`` (which the
SDK's per-request dispatch context satisfies), so a test can drive the relay with any peer.

Every core event is forwarded exactly once (v0.20 sent each one twice, a second time under
its own method name), deltas included: a client that shows progress wants the text and the
command output as they stream; one that does not can ignore them.

Clients show these texts to people, so every string sent (events, questions, the result)
is terminal-safe (``core.terminal_text``): escape sequences from commands, the model or MCP
tools arrive as visible text such as ``␛]52;…␇``, never as controls. Output chunks (bytes)
go through one ``OutputSanitizer`` per command and stream and are re-encoded as UTF-8.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import anyio.abc

from pycodex.core.terminal_text import OutputSanitizer, sanitize_tree
from pycodex.protocol.errors import CodexError
from pycodex.protocol.events import (
    AgentMessage,
    ApplyPatchApprovalRequest,
    Error,
    Event,
    ExecApprovalRequest,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    TaskComplete,
    TaskStarted,
    TurnAborted,
    file_changes_to_codex_json,
    msg_to_json,
)
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import ExecApproval, Interrupt, Op, PatchApproval, UserInput
from pycodex.protocol.policy import ReviewDecision

EVENT_METHOD = "codex/event"
ELICIT_METHOD = "elicitation/create"
INTERRUPT_TIMEOUT_S = 5.0

RequestId = str | int

DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decision": {
            "type": "string",
            "title": "Decision",
            "description": (
                "Optional: `approved_for_session` also approves the same command for the "
                "rest of the session; `abort` stops the turn. Accepting without a value "
                "approves once, declining denies, cancelling aborts."
            ),
            "enum": [d.value for d in ReviewDecision],
        }
    },
}


class Peer(Protocol):
    """The MCP client, as seen while answering one request (the SDK's dispatch context)."""

    async def notify(self, method: str, params: Mapping[str, Any] | None) -> None: ...
    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None
    ) -> dict[str, Any]: ...


@dataclass
class TurnResult:
    """What the tool call returns: the final agent message, or the error text."""

    text: str
    is_error: bool = False
    session_id: str | None = None
    events: int = 0  # how many were forwarded (for the log and tests)
    errors: list[str] = field(default_factory=list)


def event_params(request_id: RequestId, event: Event) -> dict[str, Any]:
    """``codex/event`` params: the MCP request id (in ``_meta`` as sent, and as a string in
    ``id``, as v0.20 did) and the event in its wire form, every string terminal-safe
    (an output chunk's bytes are the caller's: ``Turn.forward`` sanitises them)."""
    return {
        "_meta": {"requestId": request_id},
        "id": str(request_id),
        "msg": sanitize_tree(msg_to_json(event.msg)),
    }


def elicitation_params(request_id: RequestId, event: Event) -> dict[str, Any] | None:
    """``elicitation/create`` params for an approval event (None for any other event):
    the question for a person plus the ``codex_*`` fields a program can act on, all
    terminal-safe (the answer is matched to the event, not to these fields)."""
    msg = event.msg
    common = {
        "codex_mcp_tool_call_id": str(request_id),
        "codex_event_id": event.id,
    }
    if isinstance(msg, ExecApprovalRequest):
        params: dict[str, Any] = {
            "message": f"Allow Codex to run `{shlex.join(msg.command)}` in `{msg.cwd}`?",
            "requestedSchema": DECISION_SCHEMA,
            "codex_elicitation": "exec-approval",
            **common,
            "codex_call_id": msg.call_id,
            "codex_command": list(msg.command),
            "codex_cwd": msg.cwd,
        }
    elif isinstance(msg, ApplyPatchApprovalRequest):
        params = {
            "message": "Allow Codex to apply proposed code changes?",
            "requestedSchema": DECISION_SCHEMA,
            "codex_elicitation": "patch-approval",
            **common,
            "codex_call_id": msg.call_id,
            "codex_changes": file_changes_to_codex_json(msg.changes),
        }
        if msg.grant_root is not None:
            params["codex_grant_root"] = msg.grant_root
    else:
        return None
    if msg.reason is not None:
        params["codex_reason"] = msg.reason
        # A person using a generic client reads only ``message``: a request that leaves the
        # writable roots (or retries outside the sandbox) must say so there too.
        params["message"] += f" ({msg.reason})"
    return sanitize_tree(params)


def decision_from_result(result: Mapping[str, Any]) -> ReviewDecision:
    """The client's answer as a decision.

    Codex's own clients answer ``{"decision": ...}``; MCP clients answer an elicitation
    result: ``accept`` (with an optional ``decision`` field in ``content``) approves,
    ``decline`` denies, ``cancel`` aborts the turn. Anything else denies.
    """
    direct = _decision(result.get("decision"))
    if direct is not None:
        return direct
    action = result.get("action")
    if action == "accept":
        content = result.get("content")
        chosen = _decision(content.get("decision")) if isinstance(content, Mapping) else None
        return chosen or ReviewDecision.APPROVED
    if action == "cancel":
        return ReviewDecision.ABORT
    return ReviewDecision.DENIED


def _decision(value: Any) -> ReviewDecision | None:
    try:
        return ReviewDecision(value) if isinstance(value, str) else None
    except ValueError:
        return None


async def ask(peer: Peer, request_id: RequestId, event: Event) -> ReviewDecision:
    """Relay one approval request; a client that cannot answer (no elicitation support,
    an error, a closed connection) denies."""
    params = elicitation_params(request_id, event)
    if params is None:
        raise ValueError(f"not an approval request: {event.msg.type}")
    try:
        result = await peer.send_raw_request(ELICIT_METHOD, params)
    except Exception:
        return ReviewDecision.DENIED
    return decision_from_result(result)


def _approval_op(event: Event, decision: ReviewDecision) -> Op:
    msg = event.msg
    if isinstance(msg, ExecApprovalRequest):
        return ExecApproval(msg.call_id, decision)
    assert isinstance(msg, ApplyPatchApprovalRequest)
    return PatchApproval(msg.call_id, decision)


class Turn:
    """Runs one user turn on a core for one MCP request."""

    def __init__(
        self,
        core: CoreHandle,
        peer: Peer,
        request_id: RequestId,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        self.core = core
        self.peer = peer
        self.request_id = request_id
        self.on_cancel = on_cancel  # told first when the call is cancelled
        self.result = TurnResult(text="")
        self._last_message: str | None = None
        self._decoders: dict[tuple[str, str], OutputSanitizer] = {}

    async def run(self, prompt: str) -> TurnResult:
        """Submit ``prompt`` and relay until the turn ends. Cancelled (the client cancelled
        the call, or the server is stopping): the turn is interrupted before re-raising."""
        sub_id = await self.core.submit(UserInput(prompt))
        try:
            async with anyio.create_task_group() as approvals:
                await self._pump(sub_id, approvals)
                approvals.cancel_scope.cancel()  # unanswered questions are moot now
        except anyio.get_cancelled_exc_class():
            if self.on_cancel is not None:
                self.on_cancel()
            with anyio.CancelScope(shield=True):
                await self._interrupt()
            raise
        return self.result

    async def forward(self, event: Event) -> None:
        """Send one event to the client (also used for ``session_configured``)."""
        msg = event.msg
        if isinstance(msg, ExecCommandOutputDelta):
            decoder = self._decoders.setdefault((msg.call_id, msg.stream), OutputSanitizer())
            chunk = decoder.feed(msg.chunk).encode("utf-8")
            event = dataclasses.replace(event, msg=dataclasses.replace(msg, chunk=chunk))
        elif isinstance(msg, ExecCommandEnd):
            for stream in ("stdout", "stderr"):
                self._decoders.pop((msg.call_id, stream), None)
        await self.peer.notify(EVENT_METHOD, event_params(self.request_id, event))
        self.result.events += 1

    async def _pump(self, sub_id: str, approvals: anyio.abc.TaskGroup) -> None:
        started = False
        while True:
            event = await self.core.next_event()
            await self.forward(event)
            msg = event.msg
            if isinstance(msg, ExecApprovalRequest | ApplyPatchApprovalRequest):
                approvals.start_soon(self._answer, event)
            elif isinstance(msg, TaskStarted):
                started = True
            elif isinstance(msg, AgentMessage):
                self._last_message = msg.message
            elif isinstance(msg, Error):
                self.result.errors.append(msg.message)
                if not started and event.id == sub_id:
                    self._finish(None)  # rejected before it began: no task_complete follows
                    return
            elif isinstance(msg, TaskComplete):
                self._finish(msg.last_agent_message)
                return
            elif isinstance(msg, TurnAborted):
                self.result.errors.append(f"turn aborted ({msg.reason})")
                self._finish(None)
                return

    def _finish(self, last: str | None) -> None:
        if self.result.errors:
            self.result.is_error = True
            self.result.text = "\n".join(self.result.errors)
        else:
            self.result.text = last if last is not None else (self._last_message or "")

    async def _answer(self, event: Event) -> None:
        decision = await ask(self.peer, self.request_id, event)
        await self.core.submit(_approval_op(event, decision))

    async def _interrupt(self) -> None:
        """Stop the running turn and wait (bounded) until core confirms it."""
        try:
            await self.core.submit(Interrupt())
        except CodexError:
            return  # the session is already closed
        with anyio.move_on_after(INTERRUPT_TIMEOUT_S):
            while True:
                event = await self.core.next_event()
                if isinstance(event.msg, TaskComplete | TurnAborted):
                    return
