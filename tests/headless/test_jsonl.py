"""Core events to the exec JSONL schema: exact lines, and every line valid."""

from __future__ import annotations

from typing import Any

from pycodex.frontends.headless.jsonl import SCHEMA_VERSION, JsonlMapper
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    Error,
    Event,
    EventMsg,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    FileChange,
    McpInvocation,
    McpToolCallBegin,
    McpToolCallEnd,
    PatchApplyBegin,
    PatchApplyEnd,
    PlanUpdate,
    SessionConfigured,
    StreamError,
    TaskComplete,
    TaskStarted,
    TokenCount,
    TurnAborted,
)
from pycodex.protocol.items import PlanStep, TokenUsage
from tests.headless.schema_check import errors, validate_stream


def run(msgs: list[EventMsg], **kw: Any) -> list[dict[str, Any]]:
    mapper = JsonlMapper(**kw)
    out: list[dict[str, Any]] = []
    for m in msgs:
        out += mapper.map(Event("1", m))
    validate_stream(out)
    return out


def usage(i: int, c: int, o: int, r: int) -> TokenUsage:
    return TokenUsage(i, c, o, r, i + o)


def test_a_full_turn_maps_to_the_documented_lines() -> None:
    lines = run(
        [
            SessionConfigured(session_id="abc", model="m"),
            TaskStarted(),
            AgentReasoning(text="**Plan**"),
            ExecCommandBegin("c1", ("bash", "-lc", "echo hi; exit 2"), "/w"),
            ExecCommandOutputDelta("c1", "stdout", b"hi\n"),
            ExecCommandEnd("c1", "hi\n", "", "hi\n", 2, 0.01),
            PlanUpdate(plan=(PlanStep("a", "in_progress"), PlanStep("b", "pending"))),
            PlanUpdate(plan=(PlanStep("a", "completed"), PlanStep("b", "in_progress"))),
            TokenCount(last=usage(100, 10, 5, 1), total=usage(100, 10, 5, 1)),
            StreamError("stream closed; retrying 1/5 in 0.2s…", attempt=1, max_attempts=5),
            TokenCount(last=usage(200, 20, 7, 0), total=usage(300, 30, 12, 1)),
            AgentMessageDelta("do"),
            AgentMessage("done"),
            TaskComplete(last_agent_message="done"),
        ]
    )
    todo = {"id": "item_2", "type": "todo_list"}
    assert lines == [
        {"type": "thread.started", "thread_id": "abc", "schema_version": SCHEMA_VERSION},
        {"type": "turn.started"},
        {
            "type": "item.completed",
            "item": {"id": "item_0", "type": "reasoning", "text": "**Plan**"},
        },
        {
            "type": "item.started",
            "item": {
                "id": "item_1",
                "type": "command_execution",
                "command": "bash -lc 'echo hi; exit 2'",
                "aggregated_output": "",
                "exit_code": None,
                "status": "in_progress",
            },
        },
        {
            "type": "item.completed",
            "item": {
                "id": "item_1",
                "type": "command_execution",
                "command": "bash -lc 'echo hi; exit 2'",
                "aggregated_output": "hi\n",
                "exit_code": 2,
                "status": "failed",
            },
        },
        {
            "type": "item.started",
            "item": {
                **todo,
                "items": [{"text": "a", "completed": False}, {"text": "b", "completed": False}],
            },
        },
        {
            "type": "item.updated",
            "item": {
                **todo,
                "items": [{"text": "a", "completed": True}, {"text": "b", "completed": False}],
            },
        },
        {"type": "error", "message": "stream closed; retrying 1/5 in 0.2s…"},
        {
            "type": "item.completed",
            "item": {"id": "item_3", "type": "agent_message", "text": "done"},
        },
        {
            "type": "item.completed",
            "item": {
                **todo,
                "items": [{"text": "a", "completed": True}, {"text": "b", "completed": False}],
            },
        },
        {
            "type": "turn.completed",
            "usage": {
                "input_tokens": 300,
                "cached_input_tokens": 30,
                "output_tokens": 12,
                "reasoning_output_tokens": 1,
            },
        },
    ]


def test_fatal_error_is_an_error_item_then_turn_failed() -> None:
    lines = run(
        [
            SessionConfigured(session_id="s", model="m"),
            TaskStarted(),
            Error("unexpected status 401: bad key"),
            TaskComplete(),
        ]
    )
    assert lines[2:] == [
        {
            "type": "item.completed",
            "item": {"id": "item_0", "type": "error", "message": "unexpected status 401: bad key"},
        },
        {"type": "turn.failed", "error": {"message": "unexpected status 401: bad key"}},
    ]


def test_error_outside_a_turn_is_a_top_level_error() -> None:
    lines = run([SessionConfigured(session_id="s", model="m"), Error("boom")])
    assert lines[1] == {"type": "error", "message": "boom"}


def test_interrupt_closes_open_items_and_fails_the_turn() -> None:
    lines = run(
        [
            SessionConfigured(session_id="s", model="m"),
            TaskStarted(),
            ExecCommandBegin("c1", ("sleep", "100"), "/w"),
            TurnAborted(),
        ]
    )
    assert lines[-2]["item"]["status"] == "failed"
    assert lines[-1] == {"type": "turn.failed", "error": {"message": "turn interrupted"}}


def test_patch_and_mcp_items() -> None:
    inv = McpInvocation("fs", "read", {"path": "a"})
    lines = run(
        [
            SessionConfigured(session_id="s", model="m"),
            TaskStarted(),
            PatchApplyBegin("p1", True, {"/w/a.txt": FileChange("add", content="x")}),
            PatchApplyEnd("p1", "ok", "", success=True),
            McpToolCallBegin("m1", inv),
            McpToolCallEnd("m1", inv, 0.1, content=({"type": "text", "text": "hi"},)),
            McpToolCallBegin("m2", inv),
            McpToolCallEnd("m2", inv, 0.1, error="server crashed"),
            TaskComplete(),
        ]
    )
    items = [line["item"] for line in lines if line["type"] == "item.completed"]
    assert items[0] == {
        "id": "item_0",
        "type": "file_change",
        "changes": [{"path": "/w/a.txt", "kind": "add"}],
        "status": "completed",
    }
    assert items[1]["result"] == {
        "content": [{"type": "text", "text": "hi"}],
        "structured_content": None,
    }
    assert (items[1]["status"], items[1]["error"]) == ("completed", None)
    assert items[2]["error"] == {"message": "server crashed"}
    assert items[2]["status"] == "failed"


def test_hidden_reasoning_is_not_printed() -> None:
    lines = run(
        [SessionConfigured(session_id="s", model="m"), TaskStarted(), AgentReasoning("x")],
        show_reasoning=False,
    )
    assert [line["type"] for line in lines] == ["thread.started", "turn.started"]


def test_schema_rejects_lines_outside_the_contract() -> None:
    assert errors({"type": "thread.started"})  # no thread_id / schema_version
    assert errors({"type": "turn.begun"})
    assert errors({"type": "item.completed", "item": {"type": "agent_message", "text": "x"}})
    assert errors(
        {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": 3}}
    )
    assert errors(
        {
            "type": "item.started",
            "item": {
                "id": "item_1",
                "type": "command_execution",
                "command": "x",
                "aggregated_output": "",
                "exit_code": None,
                "status": "running",
            },
        }
    )
    assert not errors({"type": "error", "message": "x"})
