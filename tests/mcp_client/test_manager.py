"""The manager against real servers: the project's demo server over stdio and HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from pycodex.config.schema import McpServerConfig
from pycodex.mcp_client.manager import McpManager
from pycodex.mcp_client.records import CallOutcome
from tests.mcp_client.conftest import TOKEN, demo_command

T = TypeVar("T")
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8"}


def demo(name: str, *args: str, **fields: object) -> McpServerConfig:
    command, argv = demo_command(*args)
    return McpServerConfig(name=name, command=command, args=argv, **fields)  # type: ignore[arg-type]


def with_manager(
    servers: list[McpServerConfig],
    body: Callable[[McpManager], Awaitable[T]],
    env: dict[str, str] | None = None,
    start_bound: float | None = None,
) -> T:
    async def main() -> T:
        manager = await asyncio.wait_for(
            McpManager.start({s.name: s for s in servers}, env=env or ENV, cwd=Path.cwd()),
            start_bound,
        )
        try:
            return await body(manager)
        finally:
            await manager.shutdown()

    return asyncio.run(main())


async def call(manager: McpManager, name: str, **args: object) -> CallOutcome:
    tool = manager.tool(name)
    assert tool is not None, name
    return await manager.call(tool, dict(args))


def test_tools_are_listed_with_names_and_faithful_schemas() -> None:
    async def body(m: McpManager) -> None:
        names = [t.model_name for t in m.tools]
        assert names[:3] == ["demo__add", "demo__describe_order", "demo__sleep"]
        long = [n for n in names if n.startswith("demo__summarize")]
        assert len(long) == 1 and len(long[0]) == 64
        add = m.tool("demo__add")
        assert add is not None and add.server == "demo" and add.name == "add"
        assert add.parameters()["properties"]["a"] == {"type": "integer"}
        outcome = await call(m, "demo__add", a=2, b=40)
        assert outcome == CallOutcome(({"type": "text", "text": "42"},), {"sum": 42})
        long_tool = m.tool(long[0])
        assert long_tool is not None
        assert (await m.call(long_tool, {})).content[0]["text"] == "summary: all good"
        assert m.failures == ()

    with_manager([demo("demo")], body)


def test_error_results_and_rich_content() -> None:
    async def body(m: McpManager) -> None:
        failed = await call(m, "demo__fail")
        assert failed.is_error and failed.error is None
        assert failed.model_output("demo", "fail") == "MCP tool error: it failed on purpose"
        pic = await call(m, "demo__picture")
        assert [b["type"] for b in pic.content] == ["text", "image", "resource_link", "resource"]
        assert pic.structured_content == {"width": 1, "height": 1}

    with_manager([demo("demo")], body)


def test_failed_servers_are_reported_once_and_the_rest_serve() -> None:
    async def body(m: McpManager) -> tuple[str, ...]:
        assert [t.server for t in m.tools] == ["ok"] * len(m.tools)
        assert (await call(m, "ok__add", a=1, b=1)).content[0]["text"] == "2"
        return m.failures

    failures = with_manager(
        [
            demo("ok"),
            McpServerConfig(name="missing", command="/nonexistent/mcp-server"),
            demo("slow", "--startup-delay", "30", startup_timeout_sec=1.0),
        ],
        body,
        start_bound=8.0,  # bounded: a start that waited out the slow one's 30 s fails here
    )
    assert len(failures) == 2
    assert failures[0].startswith("MCP server `missing` failed to start: No such file")
    assert "/nonexistent/mcp-server" in failures[0]
    assert failures[1] == (
        "MCP server `slow` failed to start: did not start within 1s (startup_timeout_sec). "
        "Continuing without its tools."
    )


def test_servers_start_concurrently() -> None:
    async def body(m: McpManager) -> int:
        return len({t.server for t in m.tools})

    # Bounded: one after another, the three 4 s startup delays alone take 12 s.
    servers = [demo(f"s{i}", "--startup-delay", "4") for i in range(3)]
    assert with_manager(servers, body, start_bound=12.0) == 3


def test_a_hung_call_times_out_and_the_server_is_restarted() -> None:
    async def body(m: McpManager) -> None:
        pid = (await call(m, "demo__pid")).content[0]["text"]
        # Bounded: a call that ignored tool_timeout_sec would still be waiting at 10 s.
        hung = await asyncio.wait_for(call(m, "demo__sleep", seconds=60), 10.0)
        assert hung.error is not None and "no result within 1s (tool_timeout_sec)" in hung.error
        assert hung.model_output("demo", "sleep").startswith("MCP tool error:")
        again = (await call(m, "demo__pid")).content[0]["text"]
        assert again != pid  # a fresh process answered
        assert (await call(m, "demo__sleep", seconds=0.1)).content[0]["text"] == "slept"

    with_manager([demo("demo", tool_timeout_sec=1.0)], body)


def test_a_crash_mid_call_is_an_error_then_the_server_is_restarted() -> None:
    async def body(m: McpManager) -> None:
        pid = (await call(m, "demo__pid")).content[0]["text"]
        crashed = await call(m, "demo__crash")
        assert crashed.error is not None
        assert "closed the connection" in crashed.error
        assert "crashing on purpose" in crashed.error  # the server's stderr explains it
        assert (await call(m, "demo__pid")).content[0]["text"] != pid

    with_manager([demo("demo")], body)


def test_a_server_that_died_between_calls_is_restarted_before_the_next_one() -> None:
    async def body(m: McpManager) -> None:
        pid = int((await call(m, "demo__pid")).content[0]["text"])
        os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(m._connections["demo"].lost.wait(), 10)
        outcome = await call(m, "demo__pid")  # nothing was sent to the dead one: no error
        assert outcome.error is None and int(outcome.content[0]["text"]) != pid

    with_manager([demo("demo")], body)


def test_a_restart_that_fails_is_an_error_result() -> None:
    async def body(m: McpManager) -> None:
        await call(m, "demo__crash")
        # break the command so the restart cannot succeed
        m._connections["demo"].config = McpServerConfig(name="demo", command="/nonexistent/again")
        outcome = await call(m, "demo__pid")
        assert outcome.error is not None
        assert outcome.error.startswith("the server was restarted and failed to start")

    with_manager([demo("demo")], body)


def test_secrets_in_our_environment_do_not_reach_the_server() -> None:
    async def body(m: McpManager) -> dict[str, str]:
        text = (await call(m, "demo__environment")).content[0]["text"]
        env: dict[str, str] = json.loads(text)
        return env

    parent = {**ENV, "OPENAI_API_KEY": "sk-leak", "MY_SECRET_TOKEN": "leak"}
    env = with_manager([demo("demo", env={"DEMO_SETTING": "on"})], body, env=parent)
    assert env["DEMO_SETTING"] == "on"
    assert env["LANG"] == "C.UTF-8"
    assert "OPENAI_API_KEY" not in env and "MY_SECRET_TOKEN" not in env
    assert not any("leak" in v for v in env.values())


def test_streamable_http_with_a_bearer_token(http_demo: str) -> None:
    async def body(m: McpManager) -> tuple[str, ...]:
        assert (await call(m, "web__add", a=20, b=22)).structured_content == {"sum": 42}
        return m.failures

    failures = with_manager(
        [
            McpServerConfig(name="web", url=http_demo, bearer_token_env_var="DEMO_TOKEN"),
            McpServerConfig(name="wrong", url=http_demo, bearer_token_env_var="WRONG_TOKEN"),
            McpServerConfig(name="unset", url=http_demo, bearer_token_env_var="UNSET_TOKEN"),
        ],
        body,
        env={**ENV, "DEMO_TOKEN": TOKEN, "WRONG_TOKEN": "nope"},
    )
    assert len(failures) == 2
    assert failures[0].startswith("MCP server `wrong` failed to start:")
    assert "HTTP 401" in failures[0]
    assert "`UNSET_TOKEN` (bearer_token_env_var) is not set" in failures[1]
