"""The relay of one turn, with the scripted core and a recording peer (no SDK, no process):
elicitation payloads, the answer-to-decision mapping, errors, and cancellation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import pytest

from pycodex.frontends.mcp_server.relay import (
    ELICIT_METHOD,
    EVENT_METHOD,
    Turn,
    decision_from_result,
)
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    ApplyPatchApprovalRequest,
    Error,
    EventMsg,
    ExecApprovalRequest,
    FileChange,
    TaskComplete,
    TaskStarted,
)
from pycodex.protocol.ops import ExecApproval, Interrupt, PatchApproval
from pycodex.protocol.policy import ReviewDecision
from pycodex.protocol.scripted_core import ScriptedCore


def scripted(script: list[EventMsg]) -> ScriptedCore:
    """One turn playing ``script``, pausing after each approval request until the matching
    answer is submitted; ``Interrupt`` ends the turn with ``TurnAborted``. The relay is
    handed a started core, so no ``SessionConfigured`` comes first."""
    return ScriptedCore([script], session=None)


class RecordingPeer:
    def __init__(self, answer: dict[str, Any] | Exception | None = None) -> None:
        self.answer = answer  # None: never answers
        self.notifications: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.asked: anyio.Event | None = None

    async def notify(self, method: str, params: Mapping[str, Any] | None) -> None:
        assert method == EVENT_METHOD
        self.notifications.append(dict(params or {}))

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        assert method == ELICIT_METHOD
        self.requests.append(dict(params or {}))
        if self.asked is not None:
            self.asked.set()
        if self.answer is None:
            await anyio.sleep_forever()
        if isinstance(self.answer, Exception):
            raise self.answer
        assert self.answer is not None
        return self.answer


def run_turn(core: ScriptedCore, peer: RecordingPeer, request_id: int | str = 7) -> Any:
    async def main() -> Any:
        return await Turn(core, peer, request_id).run("go")

    return anyio.run(main)


def exec_script() -> list[EventMsg]:
    return [
        TaskStarted(),
        AgentMessageDelta("work"),
        ExecApprovalRequest("call_1", ("touch", "a b.txt"), "/work", reason="needs a file"),
        AgentMessage("done"),
        TaskComplete("done"),
    ]


def test_exec_approval_is_an_elicitation_with_codex_fields_and_its_answer_an_op() -> None:
    core = scripted(exec_script())
    peer = RecordingPeer({"action": "accept"})
    result = run_turn(core, peer)
    assert result.text == "done"
    assert not result.is_error
    assert peer.requests == [
        {
            "message": "Allow Codex to run `touch 'a b.txt'` in `/work`? (needs a file)",
            "requestedSchema": peer.requests[0]["requestedSchema"],
            "codex_elicitation": "exec-approval",
            "codex_mcp_tool_call_id": "7",
            "codex_event_id": "1",
            "codex_call_id": "call_1",
            "codex_command": ["touch", "a b.txt"],
            "codex_cwd": "/work",
            "codex_reason": "needs a file",
        }
    ]
    schema = peer.requests[0]["requestedSchema"]
    assert schema["type"] == "object"
    assert schema["properties"]["decision"]["enum"] == [
        "approved",
        "approved_for_session",
        "denied",
        "abort",
    ]
    assert core.ops[1] == ExecApproval("call_1", ReviewDecision.APPROVED)
    kinds = [n["msg"]["type"] for n in peer.notifications]
    assert kinds == [
        "task_started",
        "agent_message_delta",
        "exec_approval_request",
        "agent_message",
        "task_complete",
    ]
    assert all(n["id"] == "7" and n["_meta"] == {"requestId": 7} for n in peer.notifications)


def test_patch_approval_carries_codex_shaped_changes() -> None:
    changes = {
        "/w/new.txt": FileChange("add", content="hi\n"),
        "/w/old.txt": FileChange("delete"),
        "/w/mod.txt": FileChange("update", unified_diff="@@ -1 +1 @@\n-a\n+b\n"),
    }
    core = scripted(
        [TaskStarted(), ApplyPatchApprovalRequest("call_9", changes), TaskComplete("patched")]
    )
    peer = RecordingPeer({"decision": "denied"})
    result = run_turn(core, peer, request_id="req-1")
    assert result.text == "patched"
    [request] = peer.requests
    assert request["message"] == "Allow Codex to apply proposed code changes?"
    assert request["codex_elicitation"] == "patch-approval"
    assert request["codex_mcp_tool_call_id"] == "req-1"
    assert request["codex_call_id"] == "call_9"
    assert request["codex_changes"] == {
        "/w/new.txt": {"add": {"content": "hi\n"}},
        "/w/old.txt": "delete",
        "/w/mod.txt": {"update": {"unified_diff": "@@ -1 +1 @@\n-a\n+b\n", "move_path": None}},
    }
    assert "codex_reason" not in request
    assert core.ops[1] == PatchApproval("call_9", ReviewDecision.DENIED)


@pytest.mark.parametrize(
    ("answer", "decision"),
    [
        ({"decision": "approved"}, ReviewDecision.APPROVED),
        ({"decision": "approved_for_session"}, ReviewDecision.APPROVED_FOR_SESSION),
        ({"decision": "abort"}, ReviewDecision.ABORT),
        ({"action": "accept"}, ReviewDecision.APPROVED),
        ({"action": "accept", "content": {}}, ReviewDecision.APPROVED),
        (
            {"action": "accept", "content": {"decision": "approved_for_session"}},
            ReviewDecision.APPROVED_FOR_SESSION,
        ),
        ({"action": "accept", "content": {"decision": "denied"}}, ReviewDecision.DENIED),
        ({"action": "accept", "content": {"decision": "maybe"}}, ReviewDecision.APPROVED),
        ({"action": "decline"}, ReviewDecision.DENIED),
        ({"action": "cancel"}, ReviewDecision.ABORT),
        ({"decision": "yes please"}, ReviewDecision.DENIED),
        ({}, ReviewDecision.DENIED),
    ],
)
def test_answer_to_decision(answer: dict[str, Any], decision: ReviewDecision) -> None:
    assert decision_from_result(answer) is decision


def test_a_client_that_cannot_answer_denies() -> None:
    core = scripted(exec_script())
    run_turn(core, RecordingPeer(RuntimeError("Method not found")))
    assert core.ops[1] == ExecApproval("call_1", ReviewDecision.DENIED)


def test_an_error_event_makes_an_error_result_with_its_text() -> None:
    core = scripted([TaskStarted(), Error("unexpected status 500: boom"), TaskComplete(None)])
    result = run_turn(core, RecordingPeer())
    assert result.is_error
    assert result.text == "unexpected status 500: boom"


def test_an_error_before_the_turn_starts_ends_the_call() -> None:
    core = scripted([Error("a task is already running; interrupt it first")])
    result = run_turn(core, RecordingPeer())
    assert result.is_error
    assert result.text == "a task is already running; interrupt it first"


def test_the_last_agent_message_is_used_when_task_complete_has_none() -> None:
    core = scripted(
        [TaskStarted(), AgentMessage("first"), AgentMessage("last"), TaskComplete(None)]
    )
    assert run_turn(core, RecordingPeer()).text == "last"


def test_cancelling_the_call_interrupts_the_turn() -> None:
    core = scripted(exec_script())
    peer = RecordingPeer(None)  # the question is never answered

    async def main() -> None:
        peer.asked = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(Turn(core, peer, 1).run, "go")
            with anyio.fail_after(10):
                await peer.asked.wait()  # the turn now waits for the answer
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert len(peer.requests) == 1
    assert isinstance(core.ops[-1], Interrupt)
    assert not any(isinstance(op, ExecApproval) for op in core.ops)
