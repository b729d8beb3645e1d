"""Drive the real `python -m pycodex mcp` with the official MCP Python SDK's stdio client.

Every message the server sends is recorded raw (before the SDK parses it) by a tap between
the transport and the ``ClientSession``, so tests can check the wire: notifications the SDK
would not surface (``codex/event``) and request fields its models drop (``codex_*``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.client.session import ClientSession, ElicitationFnT
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.message import SessionMessage

CALL_TIMEOUT_S = 60.0


@dataclass
class Wire:
    """Everything the server sent, as JSON objects, in arrival order."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    def notifications(self, method: str) -> list[dict[str, Any]]:
        return [m.get("params") or {} for m in self.messages if m.get("method") == method]

    def events(self, request_id: int | str | None = None) -> list[dict[str, Any]]:
        """The ``codex/event`` params (of one request)."""
        return [
            p
            for p in self.notifications("codex/event")
            if request_id is None or p["_meta"]["requestId"] == request_id
        ]

    def requests(self, method: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("method") == method and "id" in m]

    def response_id(self, text: str) -> int | str:
        """The id of the response whose first content text is ``text``."""
        for m in self.messages:
            content = (m.get("result") or {}).get("content") or [{}]
            if "id" in m and content[0].get("text") == text:
                request_id: int | str = m["id"]
                return request_id
        raise AssertionError(f"no response with text {text!r}")


def server_params(env: Mapping[str, str], cwd: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "pycodex", "mcp"], env=dict(env), cwd=cwd
    )


@asynccontextmanager
async def mcp_client(
    env: Mapping[str, str],
    cwd: Path,
    *,
    stderr: Path,
    elicitation: ElicitationFnT | None = None,
) -> AsyncIterator[tuple[ClientSession, Wire, types.InitializeResult]]:
    """An initialized session with a `codex mcp` subprocess (closed, stdin EOF, on exit)."""
    wire = Wire()
    with stderr.open("w") as errlog:
        async with stdio_client(server_params(env, cwd), errlog=errlog) as (read, write):
            tap_send, tap_recv = anyio.create_memory_object_stream[SessionMessage | Exception](0)

            async def tap() -> None:
                async with tap_send:
                    async for item in read:
                        if isinstance(item, SessionMessage):
                            wire.messages.append(
                                item.message.model_dump(by_alias=True, exclude_unset=True)
                            )
                        await tap_send.send(item)

            async with anyio.create_task_group() as tg:
                tg.start_soon(tap)
                async with ClientSession(tap_recv, write, elicitation_callback=elicitation) as s:
                    with anyio.fail_after(CALL_TIMEOUT_S):
                        init = await s.initialize()
                    yield s, wire, init
                tg.cancel_scope.cancel()


async def call(
    session: ClientSession, name: str, arguments: dict[str, Any]
) -> types.CallToolResult:
    with anyio.fail_after(CALL_TIMEOUT_S):
        return await session.call_tool(name, arguments)


def text_of(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as dead)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(") ")[1][:1] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Whether ``pid`` (not our child) ends within ``timeout`` (event-driven: a pidfd)."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready) or not pid_alive(pid)
    finally:
        os.close(fd)


def user_texts(body: dict[str, Any] | None) -> list[str]:
    """The user messages' text parts of a Responses request body."""
    assert body is not None
    return [
        part["text"]
        for item in body["input"]
        if item.get("type") == "message" and item.get("role") == "user"
        for part in item["content"]
        if part.get("type") == "input_text"
    ]
