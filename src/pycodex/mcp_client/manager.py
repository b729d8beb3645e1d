"""All configured MCP servers of a session: started together, called by model name,
restarted when they break, stopped together.

- ``start`` runs every server concurrently, each bounded by its ``startup_timeout_sec``; a
  server that fails is left out and described once in ``failures`` (core reports it), the
  others serve. A server with ``required = true`` that fails stops the whole start
  (``RequiredServerError``): the user said the session is useless without it.
- A server with ``enabled = false`` is never started. Its ``enabled_tools`` (allow-list) and
  ``disabled_tools`` (deny-list) filter its listing: a tool filtered out is neither offered
  nor callable (``tool()`` does not know it, so the router answers the model with an error).
- The tools of the servers that started are offered once, for the whole session, under
  ``server__tool`` names (naming.py).
- A call on a server that timed out or lost its connection first replaces it with a fresh
  one (at most one restart at a time per server); the old one is stopped in the background.
- ``shutdown`` stops everything, bounded.

Importing this module imports the SDK (~0.5 s): core imports it only when
``config.mcp_servers`` is non-empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from pycodex.config.schema import McpServerConfig
from pycodex.mcp_client.connection import STOP_SECONDS, ServerConnection, StartupError
from pycodex.mcp_client.naming import assign_names
from pycodex.mcp_client.records import CallOutcome, JsonObject, McpTool
from pycodex.protocol.errors import CodexError


def _tool_entries(listed: list[JsonObject]) -> list[tuple[str, JsonObject]]:
    """(name, listing) per tool, first of each name only."""
    seen: dict[str, JsonObject] = {}
    for raw in listed:
        name = raw.get("name")
        if isinstance(name, str) and name not in seen:
            seen[name] = raw
    return list(seen.items())


def _make_tool(config: McpServerConfig, tool: str, model_name: str, raw: JsonObject) -> McpTool:
    schema = raw.get("inputSchema")
    return McpTool(
        server=config.name,
        name=tool,
        model_name=model_name,
        description=str(raw.get("description") or ""),
        input_schema=schema if isinstance(schema, dict) else {},
        approval_mode=config.approval_mode(tool),
    )


class RequiredServerError(CodexError):
    """A server marked ``required = true`` did not start: the session does not start either."""


class McpManager:
    """Create with ``await McpManager.start(servers, env=..., cwd=...)``."""

    def __init__(
        self,
        connections: dict[str, ServerConnection],
        tools: tuple[McpTool, ...],
        failures: tuple[str, ...],
        env: Mapping[str, str],
        cwd: Path,
    ) -> None:
        self._connections = connections
        self.tools = tools
        self.failures = failures  # one message per server that did not start
        self._by_model_name = {t.model_name: t for t in tools}
        self._env = env
        self._cwd = cwd
        self._locks = {name: asyncio.Lock() for name in connections}
        self._retiring: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(
        cls, servers: Mapping[str, McpServerConfig], *, env: Mapping[str, str], cwd: Path
    ) -> McpManager:
        conns = {
            name: ServerConnection(cfg, env, cwd) for name, cfg in servers.items() if cfg.enabled
        }
        results = await asyncio.gather(*(c.start() for c in conns.values()), return_exceptions=True)
        started: dict[str, ServerConnection] = {}
        listed: list[tuple[str, str, JsonObject]] = []
        failures: list[str] = []
        retiring: list[ServerConnection] = []
        required_failure: str | None = None
        for (name, conn), result in zip(conns.items(), results, strict=True):
            if isinstance(result, BaseException):
                reason = str(result) if isinstance(result, StartupError) else repr(result)
                if conn.config.required and required_failure is None:
                    required_failure = (
                        f"MCP server `{name}` failed to start: {reason} "
                        f"(it is `required` in [mcp_servers.{name}])"
                    )
                failures.append(
                    f"MCP server `{name}` failed to start: {reason}. Continuing without its tools."
                )
                retiring.append(conn)  # stopped in the background: report without waiting
                continue
            started[name] = conn
            listed += [
                (name, tool, raw) for tool, raw in _tool_entries(result) if conn.config.offers(tool)
            ]
        names = assign_names((server, tool) for server, tool, _ in listed)
        model_names = {pair: model for model, pair in names.items()}
        tools = tuple(
            _make_tool(started[server].config, tool, model_names[(server, tool)], raw)
            for server, tool, raw in listed
        )
        manager = cls(started, tools, tuple(failures), env, cwd)
        for conn in retiring:
            manager._retire(conn)
        if required_failure is not None:
            await manager.shutdown()
            raise RequiredServerError(required_failure)
        return manager

    def tool(self, model_name: str) -> McpTool | None:
        """The tool the model means by ``model_name`` (None: not an MCP tool)."""
        return self._by_model_name.get(model_name)

    async def call(self, tool: McpTool, arguments: JsonObject) -> CallOutcome:
        """Calls ``tool``; a broken server is restarted first. Never raises (but for
        cancellation)."""
        conn = await self._live_connection(tool.server)
        if isinstance(conn, str):
            return CallOutcome(error=conn)
        return await conn.call_tool(tool.name, arguments)

    async def _live_connection(self, server: str) -> ServerConnection | str:
        conn = self._connections.get(server)
        if conn is None:
            return f"no MCP server `{server}` is running"
        if not conn.broken:
            return conn
        async with self._locks[server]:
            conn = self._connections[server]
            if not conn.broken:  # another call restarted it meanwhile
                return conn
            self._retire(conn)
            fresh = ServerConnection(conn.config, self._env, self._cwd)
            try:
                await fresh.start()
            except StartupError as exc:
                self._retire(fresh)
                return f"the server was restarted and failed to start: {exc}"
            self._connections[server] = fresh
            return fresh

    def _retire(self, conn: ServerConnection) -> None:
        task = asyncio.create_task(conn.stop())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def shutdown(self) -> None:
        """Stops every server (and the ones still being retired); bounded."""
        stops = [asyncio.ensure_future(c.stop()) for c in self._connections.values()]
        pending = {*stops, *self._retiring}
        if pending:
            await asyncio.wait(pending, timeout=STOP_SECONDS + 2.0)
        self._connections.clear()
