"""`codex mcp`: the MCP server over stdio, on the official SDK's dispatcher and kernel.

The SDK's ``ServerRunner`` does the protocol work (``initialize`` with every handshake
version the SDK knows, the initialization gate, ``-32601`` for unknown methods, params
validation, result shaping per version). This module adds what Codex needs on top:

* its own stdio transport (``transport``), which answers malformed lines with ``-32700``
  and keeps serving;
* the per-request dispatch context, kept in a context variable so the ``tools/call``
  handler can stream ``codex/event`` notifications and send ``elicitation/create``
  requests with Codex's extra ``codex_*`` fields (the SDK's typed helpers would drop them);
* only the ``initialize`` handshake era: the 2026-07-28 stateless era forbids the
  server-to-client requests that approvals need, so its ``server/discover`` probe gets
  ``-32601`` and clients fall back to ``initialize``;
* on EOF (or SIGINT/SIGTERM), in-flight calls are cancelled (their turns interrupted) and
  every session is shut down, its commands killed, before the process exits;
* a client that did not declare the elicitation capability is not sent elicitation
  requests: approvals it cannot answer are denied.
"""

from __future__ import annotations

import contextvars
import signal
from collections.abc import Mapping
from typing import IO, Any

import anyio
import mcp_types as types
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.runner import ServerRunner, aclose_shielded
from mcp.shared.dispatcher import DispatchContext
from mcp.shared.exceptions import MCPError
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
from mcp.shared.transport_context import TransportContext
from mcp_types import INVALID_REQUEST, METHOD_NOT_FOUND, PROTOCOL_VERSION_META_KEY

from pycodex.core.terminal_text import sanitize
from pycodex.frontends.mcp_server.relay import ELICIT_METHOD, TurnResult
from pycodex.frontends.mcp_server.sessions import ServerContext, Sessions
from pycodex.frontends.mcp_server.tools import (
    CODEX_TOOL,
    REPLY_TOOL,
    TOOL_DEFINITIONS,
    ToolArgumentError,
    parse_codex_args,
    parse_reply_args,
)
from pycodex.frontends.mcp_server.transport import stdio_transport
from pycodex.protocol.errors import EXIT_INTERRUPTED, EXIT_OK

SERVER_NAME = "codex-mcp-server"
SERVER_TITLE = "Codex"

_dispatch: contextvars.ContextVar[DispatchContext[TransportContext]] = contextvars.ContextVar(
    "pycodex_mcp_dispatch"
)


def _result(result: TurnResult) -> dict[str, Any]:
    """The ``tools/call`` result: the final message as text; the session id is also given
    as structured content, for clients that do not show notifications. The text is
    terminal-safe (``core.terminal_text``), whichever path produced it."""
    text = sanitize(result.text)
    body: dict[str, Any] = {
        "content": [{"type": "text", "text": text}],
        "isError": result.is_error,
    }
    if result.session_id is not None:
        body["structuredContent"] = {"sessionId": result.session_id, "content": text}
    return body


def _error_result(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": sanitize(text)}], "isError": True}


class _Peer:
    """The client while one request is being answered; elicitation only if it declared it
    (the spec forbids requests a client did not sign up for)."""

    def __init__(self, dctx: DispatchContext[TransportContext], can_elicit: bool) -> None:
        self._dctx = dctx
        self._can_elicit = can_elicit

    async def notify(self, method: str, params: Mapping[str, Any] | None) -> None:
        await self._dctx.notify(method, params)

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        if method == ELICIT_METHOD and not self._can_elicit:
            raise MCPError(code=METHOD_NOT_FOUND, message="client does not support elicitation")
        return await self._dctx.send_raw_request(method, params)


def build_server(sessions: Sessions, version: str) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> Any:
        return {"tools": [dict(tool) for tool in TOOL_DEFINITIONS]}

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> Any:
        capabilities = ctx.session.client_capabilities
        peer = _Peer(
            _dispatch.get(), capabilities is not None and capabilities.elicitation is not None
        )
        request_id = ctx.request_id if ctx.request_id is not None else 0
        try:
            if params.name == CODEX_TOOL:
                result = await sessions.start(parse_codex_args(params.arguments), peer, request_id)
            elif params.name == REPLY_TOOL:
                result = await sessions.reply(parse_reply_args(params.arguments), peer, request_id)
            else:
                return _error_result(
                    f"unknown tool `{params.name}` (this server has `{CODEX_TOOL}` and "
                    f"`{REPLY_TOOL}`)"
                )
        except ToolArgumentError as exc:
            return _error_result(f"invalid arguments for `{params.name}`: {exc}")
        return _result(result)

    return Server(
        SERVER_NAME,
        version=version,
        title=SERVER_TITLE,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _modern_envelope(params: Mapping[str, Any] | None) -> bool:
    meta = (params or {}).get("_meta")
    return isinstance(meta, Mapping) and PROTOCOL_VERSION_META_KEY in meta


async def _serve_connection(
    server: Server[Any], reader: IO[bytes] | None, writer: IO[bytes] | None
) -> None:
    async with stdio_transport(reader, writer) as (read_stream, write_stream):
        dispatcher: JSONRPCDispatcher[TransportContext] = JSONRPCDispatcher(
            read_stream,
            write_stream,
            # `initialize` is answered before the next message is read (as in the SDK).
            inline_methods=frozenset({"initialize"}),
        )
        connection = Connection.for_loop(dispatcher)
        runner = ServerRunner(
            server, connection, {}, init_options=server.create_initialization_options()
        )

        async def on_request(
            dctx: DispatchContext[TransportContext],
            method: str,
            params: Mapping[str, Any] | None,
        ) -> dict[str, Any]:
            if method == "server/discover":
                raise MCPError(code=METHOD_NOT_FOUND, message="Method not found", data=method)
            if method != "initialize" and _modern_envelope(params):
                raise MCPError(
                    code=INVALID_REQUEST,
                    message="this server speaks the initialize handshake protocols only",
                )
            _dispatch.set(dctx)
            return await runner.on_request(dctx, method, params)

        try:
            await dispatcher.run(on_request, runner.on_notify)
        finally:
            await aclose_shielded(connection)


async def _stop_on_signals(scope: anyio.CancelScope, received: list[int]) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            received.append(signum)
            scope.cancel()
            return


async def serve(
    context: ServerContext,
    version: str,
    *,
    reader: IO[bytes] | None = None,
    writer: IO[bytes] | None = None,
    handle_signals: bool = True,
) -> int:
    """Serve one client until its stdin closes (or SIGINT/SIGTERM); then stop every session,
    killing what they still run. Returns the exit status: 0, or 130 after SIGINT."""
    sessions = Sessions(context)
    server = build_server(sessions, version)
    received: list[int] = []
    try:
        async with anyio.create_task_group() as tg:
            if handle_signals:
                tg.start_soon(_stop_on_signals, tg.cancel_scope, received)
            await _serve_connection(server, reader, writer)
            tg.cancel_scope.cancel()
    finally:
        await sessions.close_all()
    return EXIT_INTERRUPTED if signal.SIGINT in received else EXIT_OK
