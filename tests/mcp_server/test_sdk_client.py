"""The official MCP Python SDK's stdio client drives the real `codex mcp` subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import mcp_types as types

from tests.e2e.harness import base_env, write_config
from tests.e2e.test_exec_signals import read_pid_from_fifo
from tests.mcp_server.harness import (
    Wire,
    call,
    mcp_client,
    pid_alive,
    text_of,
    user_texts,
    wait_for_exit,
)
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

V020_CODEX_PROPERTIES = {
    "prompt",
    "model",
    "profile",
    "cwd",
    "approval-policy",
    "sandbox",
    "config",
    "base-instructions",
    "include-plan-tool",
}


def test_initialize_and_tools_list(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    async def main() -> None:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, _, init):
            assert init.server_info.name == "codex-mcp-server"
            assert init.server_info.title == "Codex"
            assert init.server_info.version == "0.1.0"
            assert init.protocol_version == "2025-11-25"  # the SDK client's newest
            assert init.capabilities.tools is not None
            listed = await session.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        assert set(tools) == {"codex", "codex-reply"}
        codex = tools["codex"].input_schema
        assert codex["required"] == ["prompt"]
        assert set(codex["properties"]) == V020_CODEX_PROPERTIES
        assert codex["properties"]["approval-policy"]["enum"] == [
            "untrusted",
            "on-failure",
            "on-request",
            "never",
        ]
        assert codex["properties"]["sandbox"]["enum"] == [
            "read-only",
            "workspace-write",
            "danger-full-access",
        ]
        assert codex["properties"]["config"]["type"] == "object"
        assert codex["properties"]["include-plan-tool"]["type"] == "boolean"
        reply = tools["codex-reply"].input_schema
        assert sorted(reply["required"]) == ["prompt", "sessionId"]
        assert tools["codex"].title == "Codex"
        assert tools["codex-reply"].title == "Codex Reply"

    anyio.run(main)


def test_codex_runs_a_command_and_streams_each_event_once(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["echo", "hello-from-mcp"]})]),
        Turn(text="The command printed hello-from-mcp."),
    )

    async def main() -> None:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, wire, _):
            result = await call(
                session,
                "codex",
                {"prompt": "say hello", "approval-policy": "never", "sandbox": "read-only"},
            )
        assert not result.is_error, text_of(result)
        assert text_of(result) == "The command printed hello-from-mcp."
        request_id = wire.response_id(text_of(result))
        events = wire.events()
        assert events, "no codex/event notifications"
        assert all(e["_meta"]["requestId"] == request_id for e in events)
        assert all(e["id"] == str(request_id) for e in events)
        types_seen = [e["msg"]["type"] for e in events]
        assert types_seen[0] == "session_configured"
        for once in (
            "session_configured",
            "task_started",
            "exec_command_begin",
            "exec_command_end",
            "agent_message",
            "task_complete",
        ):
            assert types_seen.count(once) == 1, (once, types_seen)
        # v0.20 also sent every event under its own method name: not any more.
        assert not [m for m in wire.messages if m.get("method") in set(types_seen)]
        end = next(e["msg"] for e in events if e["msg"]["type"] == "exec_command_end")
        assert end["exit_code"] == 0
        assert "hello-from-mcp" in end["stdout"]
        session_id = events[0]["msg"]["session_id"]
        assert result.structured_content == {
            "sessionId": session_id,
            "content": "The command printed hello-from-mcp.",
        }
        complete = next(e["msg"] for e in events if e["msg"]["type"] == "task_complete")
        assert complete["last_agent_message"] == "The command printed hello-from-mcp."

    anyio.run(main)
    first = model_server.model_requests[0].body
    assert first is not None
    assert any(
        part.get("text") == "say hello"
        for item in first["input"]
        if item.get("role") == "user"
        for part in item["content"]
    )


def test_bad_arguments_unknown_tool_and_config_errors_are_error_results(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    async def main() -> list[types.CallToolResult]:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, _, _):
            return [
                await call(session, "codex", {"prompt": "x", "approval-policy": "sometimes"}),
                await call(session, "codex", {"prompt": "x", "config": {"approval_policy": "x"}}),
                await call(session, "codex", {"prompt": "x", "config": {"model": None}}),
                await call(session, "codex", {"prompt": "x", "sandbox": 3}),
                await call(session, "codex", {"prompt": "x", "colour": "red"}),
                await call(session, "codex", {}),
                await call(session, "codex", {"prompt": "x", "profile": "missing"}),
                await call(session, "codex", {"prompt": "x", "cwd": "no/such/dir"}),
                await call(session, "codex-reply", {"sessionId": "nope", "prompt": "x"}),
                await call(session, "codex-reply", {"prompt": "x"}),
                await call(session, "codex-review", {"prompt": "x"}),
            ]

    results = anyio.run(main)
    assert all(r.is_error for r in results)
    texts = [text_of(r) for r in results]
    assert "`approval-policy` must be one of untrusted, on-failure, on-request, never" in texts[0]
    assert texts[1] == (
        '-c approval_policy="x": `approval_policy`: invalid value: expected one of '
        'untrusted, on-failure, on-request, never, found "x"'
    )
    assert "null has no TOML form" in texts[2]
    assert "`sandbox` must be a string, got a number" in texts[3]
    assert "unknown argument `colour`" in texts[4]
    assert "missing required argument `prompt`" in texts[5]
    assert "config profile `missing` not found" in texts[6]
    assert "not a directory" in texts[7]
    assert texts[8] == "no session with id 'nope'"
    assert "missing required argument `sessionId`" in texts[9]
    assert texts[10].startswith("unknown tool `codex-review`")
    assert all("\n" not in t for t in texts)


def test_config_map_is_applied_like_dash_c(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    model_server.push(Turn(text="ok"))

    async def main() -> types.CallToolResult:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, _, _):
            return await call(
                session,
                "codex",
                {
                    "prompt": "hi",
                    "model": "model-from-arg",
                    "base-instructions": "You are a test.",
                    "config": {
                        "model_reasoning_effort": "high",
                        "model_providers.mock.query_params": {"tag": 'a b"c'},
                    },
                },
            )

    result = anyio.run(main)
    assert not result.is_error, text_of(result)
    request = model_server.model_requests[0]
    assert request.body is not None
    assert request.body["model"] == "model-from-arg"
    assert request.body["instructions"] == "You are a test."
    assert request.query == {"tag": 'a b"c'}


def test_include_plan_tool_false_leaves_update_plan_out(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    model_server.push(Turn(text="ok"), Turn(text="ok"))

    async def main() -> None:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, _, _):
            for plan in (False, True):
                result = await call(session, "codex", {"prompt": "hi", "include-plan-tool": plan})
                assert not result.is_error, text_of(result)

    anyio.run(main)
    offered = [[t["name"] for t in (r.body or {})["tools"]] for r in model_server.model_requests]
    assert "update_plan" not in offered[0]
    assert "update_plan" in offered[1]


def test_several_sessions_at_once_each_with_its_own_core(
    repo: Path, codex_home: Path, tmp_path: Path
) -> None:
    with ScriptedModelServer(fallback="echo") as echo_server:
        write_config(codex_home, echo_server.base_url)
        env = base_env(codex_home)
        results: dict[str, types.CallToolResult] = {}

        async def main() -> Wire:
            async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, wire, _):

                async def one(prompt: str) -> None:
                    results[prompt] = await call(
                        session, "codex", {"prompt": prompt, "approval-policy": "never"}
                    )

                async with anyio.create_task_group() as tg:
                    for prompt in ("alpha", "beta", "gamma"):
                        tg.start_soon(one, prompt)
                replies = {
                    p: await call(
                        session,
                        "codex-reply",
                        {"sessionId": r.structured_content["sessionId"], "prompt": p + "-again"},
                    )
                    for p, r in results.items()
                    if r.structured_content is not None
                }
                results.update({p + "-reply": r for p, r in replies.items()})
            return wire

        wire = anyio.run(main)
        requests = echo_server.model_requests
    assert {p: text_of(r) for p, r in results.items()} == {
        "alpha": "echo: alpha",
        "beta": "echo: beta",
        "gamma": "echo: gamma",
        "alpha-reply": "echo: alpha-again",
        "beta-reply": "echo: beta-again",
        "gamma-reply": "echo: gamma-again",
    }
    session_ids = {
        r.structured_content["sessionId"] for r in results.values() if r.structured_content
    }
    assert len(session_ids) == 3
    # Each session's events went out under its own request id, once each.
    for prompt in ("alpha", "beta", "gamma"):
        request_id = wire.response_id(f"echo: {prompt}")
        kinds = [e["msg"]["type"] for e in wire.events(request_id)]
        assert kinds.count("task_complete") == 1
        assert kinds[0] == "session_configured"
    # A reply carries only its own session's history.
    for request in requests[3:]:
        texts = user_texts(request.body)
        assert texts[-1].endswith("-again")
        assert texts[-2] == texts[-1].removesuffix("-again")


def test_a_cancelled_call_interrupts_its_turn_and_the_session_goes_on(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    fifo = repo.parent / "sleeper.fifo"
    os.mkfifo(fifo)
    sleeper = ["bash", "-c", f"echo $$ > {fifo}; exec sleep 300"]
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": sleeper, "timeout": 120000})]),
        Turn(text="after the interruption"),
    )

    async def main() -> tuple[int, types.CallToolResult]:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, wire, _):
            async with anyio.create_task_group() as tg:
                tg.start_soon(
                    call,
                    session,
                    "codex",
                    {
                        "prompt": "sleep",
                        "approval-policy": "never",
                        "sandbox": "danger-full-access",
                    },
                )
                pid = await anyio.to_thread.run_sync(read_pid_from_fifo, fifo, 30.0)
                tg.cancel_scope.cancel()  # the SDK sends notifications/cancelled
            killed = await anyio.to_thread.run_sync(wait_for_exit, pid, 20.0)
            assert killed, "the command outlived its cancelled call"
            session_id = wire.events()[0]["msg"]["session_id"]
            reply = await call(session, "codex-reply", {"sessionId": session_id, "prompt": "go on"})
            return pid, reply

    pid, reply = anyio.run(main)
    assert not pid_alive(pid)
    assert text_of(reply) == "after the interruption", text_of(reply)
    outputs = [
        i["output"]
        for i in (model_server.model_requests[1].body or {})["input"]
        if i.get("type") == "function_call_output"
    ]
    assert outputs == ["aborted by user"]
