"""Approvals through `codex mcp`: core's requests reach the SDK client as elicitations with
the codex_* fields, and the client's answers decide (real core, real model server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.client.session import ClientRequestContext

from tests.mcp_server.harness import Wire, call, mcp_client, text_of, user_texts
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn


def test_codex_approval_then_codex_reply_round_trip(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """`codex` under `untrusted` runs `touch approved.txt` (the client accepts), then
    `codex-reply` continues the same session with `touch denied.txt` (the client declines).

    Every approval core asks for reaches the client as exactly one elicitation carrying
    the codex_* fields, and its answer decides.
    """
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["touch", "approved.txt"]})]),
        Turn(text="created approved.txt"),
        Turn(tool_calls=[ToolCall("shell", {"command": ["touch", "denied.txt"]})]),
        Turn(text="done with denied.txt"),
    )
    answers = [types.ElicitResult(action="accept"), types.ElicitResult(action="decline")]
    asked: list[str] = []

    async def elicit(context: ClientRequestContext, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return answers[len(asked) - 1]

    async def main() -> tuple[types.CallToolResult, types.CallToolResult, Any]:
        async with mcp_client(env, repo, stderr=tmp_path / "err", elicitation=elicit) as (
            session,
            wire,
            _,
        ):
            first = await call(
                session,
                "codex",
                {
                    "prompt": "make approved.txt",
                    "approval-policy": "untrusted",
                    "sandbox": "danger-full-access",
                },
            )
            assert first.structured_content is not None
            session_id = first.structured_content["sessionId"]
            second = await call(
                session, "codex-reply", {"sessionId": session_id, "prompt": "make denied.txt"}
            )
        return first, second, wire

    first, second, wire = anyio.run(main)
    assert not first.is_error, text_of(first)
    assert text_of(first) == "created approved.txt"
    assert text_of(second) == "done with denied.txt"
    first_id, second_id = wire.response_id(text_of(first)), wire.response_id(text_of(second))
    assert first_id != second_id
    assert wire.events(second_id), "codex-reply streamed no events"
    assert "session_configured" not in [e["msg"]["type"] for e in wire.events(second_id)]
    # The reply continued the same conversation: its request carries the first turn.
    third_request = model_server.model_requests[2].body
    assert user_texts(third_request)[-2:] == ["make approved.txt", "make denied.txt"]

    approval_events = [e for e in wire.events() if e["msg"]["type"] == "exec_approval_request"]
    elicitations = wire.requests("elicitation/create")
    assert len(elicitations) == len(approval_events) == len(asked)
    for event, request in zip(approval_events, elicitations, strict=True):
        params = request["params"]
        assert params["codex_elicitation"] == "exec-approval"
        assert params["codex_call_id"] == event["msg"]["call_id"]
        assert params["codex_command"] == event["msg"]["command"]
        assert params["codex_cwd"] == event["msg"]["cwd"]
        assert params["codex_mcp_tool_call_id"] == event["id"]
        assert params["message"] == (
            f"Allow Codex to run `{' '.join(event['msg']['command'])}` in `{event['msg']['cwd']}`?"
        )
    # Core asked for both commands; accept ran the first, decline stopped the second.
    assert [e["msg"]["command"][-1] for e in approval_events] == ["approved.txt", "denied.txt"]
    assert len(asked) == 2
    assert (repo / "approved.txt").exists()
    assert not (repo / "denied.txt").exists()
    outputs = [
        i["output"]
        for i in (model_server.model_requests[3].body or {})["input"]
        if i.get("type") == "function_call_output"
    ]
    assert "rejected by user" in outputs[-1]


def test_patch_approval_is_relayed_with_codex_shaped_changes(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    patch = "*** Begin Patch\n*** Add File: hello.txt\n+hi there\n*** End Patch\n"
    model_server.push(
        Turn(tool_calls=[ToolCall("apply_patch", {"input": patch}, "p1")]),
        Turn(text="added hello.txt"),
    )
    seen: list[Any] = []

    async def elicit(context: ClientRequestContext, params: Any) -> types.ElicitResult:
        seen.append(params)
        return types.ElicitResult(action="accept", content={"decision": "approved"})

    async def main() -> tuple[types.CallToolResult, Wire]:
        async with mcp_client(env, repo, stderr=tmp_path / "err", elicitation=elicit) as (
            session,
            wire,
            _,
        ):
            result = await call(
                session,
                "codex",
                {
                    "prompt": "add hello",
                    "approval-policy": "untrusted",
                    "sandbox": "workspace-write",
                },
            )
            return result, wire

    result, wire = anyio.run(main)
    assert text_of(result) == "added hello.txt"
    [request] = wire.requests("elicitation/create")
    params = request["params"]
    assert params["message"] == "Allow Codex to apply proposed code changes?"
    assert params["codex_elicitation"] == "patch-approval"
    assert params["codex_call_id"] == "p1"
    assert params["codex_changes"] == {str(repo / "hello.txt"): {"add": {"content": "hi there\n"}}}
    assert params["requestedSchema"]["properties"]["decision"]["type"] == "string"
    assert [p.message for p in seen] == ["Allow Codex to apply proposed code changes?"]
    assert (repo / "hello.txt").read_text() == "hi there\n"
