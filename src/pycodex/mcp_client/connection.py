"""One running MCP server: a dedicated task owns its transport and SDK session.

The SDK is anyio-based and its transports are async context managers that must be entered
and left by the same task; core is asyncio. So each server gets one asyncio task that
enters the transport (stdio subprocess or streamable HTTP) and the ``ClientSession``,
runs the handshake and ``tools/list``, then parks until told to stop. Calls are made from
the caller's task on the live session (the SDK correlates requests by id, any task may
send). Stopping sets an event; the owner leaves its contexts in order (stdio: stdin closed,
a grace period, then the process group killed — the SDK's bounded shutdown).

The startup bound is a cancel scope around the owner's body whose deadline is lifted once
the server is ready; a call's bound is the SDK's request timeout, with an asyncio bound a
little above it in case the transport itself hangs.

This module imports the SDK at the top: import it only when a server is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import IO, Any

import anyio
import mcp_types
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from pycodex import __version__
from pycodex.config.schema import McpServerConfig
from pycodex.mcp_client.env import server_environment
from pycodex.mcp_client.records import CallOutcome, JsonObject

CLIENT_INFO = mcp_types.Implementation(
    name="pycodex-mcp-client", title="pycodex", version=__version__
)
CALL_GRACE_SECONDS = 5.0  # over tool_timeout_sec: the SDK's own timeout should fire first
STOP_SECONDS = 8.0  # the SDK's stdio shutdown takes at most ~6.5 s
MAX_TOOL_PAGES = 100
STDERR_TAIL_BYTES = 4096
STDERR_TAIL_LINES = 8
HTTP_CONNECT_SECONDS = 30.0
HTTP_READ_SECONDS = 300.0


# The SDK logs tracebacks (a server printing non-JSON to stdout, a dropped stream) and Python
# prints unhandled WARNING+ records to stderr, which would draw over the TUI. A NullHandler
# on the SDK's loggers stops that; records still reach any handler configured above them.
for _name in ("mcp", "client"):  # mcp.client.session logs as "client"
    logging.getLogger(_name).addHandler(logging.NullHandler())


class StartupError(Exception):
    """The server did not come up; the message says why in one line (or a few)."""


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException) -> str:
    """A foreign exception as one short human sentence."""
    exc = _leaf(exc)
    if isinstance(exc, StartupError):
        return str(exc)
    if isinstance(exc, MCPError):
        if exc.code == mcp_types.CONNECTION_CLOSED:
            return "the server closed the connection"
        return f"MCP error {exc.code}: {exc.message}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if not exc.filename else f"{exc.strerror}: {exc.filename}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _WatchedReadStream:
    """The transport's read stream, noting its end. A stdio server that dies between calls
    closes its stdout; seen here, the connection is marked lost at once, so the next call
    restarts the server first instead of failing (nothing was sent, nothing ran). Anything
    else is passed through (``last_context`` of the HTTP transport's streams included)."""

    def __init__(self, inner: Any, on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def receive(self) -> Any:
        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._on_end()
            raise

    def __aiter__(self) -> _WatchedReadStream:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedReadStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class ServerConnection:
    """Start with ``await start()`` (returns the tool list); ``call_tool``; ``stop``."""

    def __init__(self, config: McpServerConfig, env: Mapping[str, str], cwd: Path) -> None:
        self.config = config
        self.name = config.name
        self._env = env
        self._cwd = cwd
        self._session: ClientSession | None = None
        self._stop_requested = asyncio.Event()
        self._scope: anyio.CancelScope | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[list[JsonObject]] | None = None
        self._stderr: IO[str] | None = None
        self._http_status: str | None = None  # the last HTTP error status, for messages
        self.broken = False  # timed out or lost: replace it before the next call
        self.lost = asyncio.Event()  # the server's side of the connection ended

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> list[JsonObject]:
        """Runs the server and lists its tools (``name``, ``description``, ``inputSchema``);
        raises ``StartupError`` after at most ``startup_timeout_sec`` (plus a grace)."""
        self._ready = asyncio.get_running_loop().create_future()
        self._ready.add_done_callback(_consume)  # start() may have stopped waiting for it
        self._task = asyncio.create_task(self._main(self._ready), name=f"mcp-server:{self.name}")
        try:
            async with asyncio.timeout(self.config.startup_timeout_sec):  # not wait_for (3.11)
                return await asyncio.shield(self._ready)
        except TimeoutError:
            if self._scope is not None:
                self._scope.cancel()  # the owner winds down; stop() waits for it
            raise StartupError(self._timeout_message()) from None
        except StartupError:
            raise
        except Exception as exc:
            raise StartupError(self._with_stderr(describe(exc))) from exc

    async def stop(self) -> None:
        """Leaves the session and transport (server process ended); bounded."""
        self._stop_requested.set()
        if self._scope is not None and (self._ready is None or not self._ready.done()):
            self._scope.cancel()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=STOP_SECONDS)
            if not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    async def _main(self, ready: asyncio.Future[list[JsonObject]]) -> None:
        timeout = self.config.startup_timeout_sec + CALL_GRACE_SECONDS  # start() fires first
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + timeout) as scope:
                self._scope = scope
                async with AsyncExitStack() as stack:
                    read, write = await self._open_transport(stack)
                    watched = _WatchedReadStream(read, self._on_lost)
                    session = await stack.enter_async_context(
                        ClientSession(watched, write, client_info=CLIENT_INFO)
                    )
                    await session.initialize()
                    tools = await _list_tools(session)
                    scope.deadline = math.inf
                    self._session = session
                    ready.set_result(tools)
                    await self._stop_requested.wait()
            if not ready.done():
                ready.set_exception(StartupError(self._timeout_message()))
        except (Exception, BaseExceptionGroup) as exc:
            if not ready.done():
                ready.set_exception(StartupError(self._with_stderr(describe(exc))))
        except BaseException:  # cancelled (stop() ran out of patience) or exiting
            if not ready.done():
                ready.cancel()
            raise
        finally:
            self._session = None
            self.broken = True

    async def _open_transport(self, stack: AsyncExitStack) -> tuple[Any, Any]:
        cfg = self.config
        if cfg.url is not None:
            import httpx2

            headers = dict(cfg.http_headers)
            for header, var in cfg.env_http_headers.items():
                value = self._env.get(var)
                if value:  # unset: the header is left out, as current Codex does
                    headers[header] = value
            if cfg.bearer_token_env_var:
                token = self._env.get(cfg.bearer_token_env_var)
                if not token:
                    raise StartupError(
                        f"environment variable `{cfg.bearer_token_env_var}` "
                        "(bearer_token_env_var) is not set"
                    )
                headers["Authorization"] = f"Bearer {token}"

            async def note_status(response: httpx2.Response) -> None:
                if response.status_code >= 400:
                    self._http_status = f"HTTP {response.status_code} {response.reason_phrase}"

            client = httpx2.AsyncClient(
                headers=headers,
                event_hooks={"response": [note_status]},
                timeout=httpx2.Timeout(HTTP_CONNECT_SECONDS, read=HTTP_READ_SECONDS),
            )
            await stack.enter_async_context(client)
            read, write = await stack.enter_async_context(
                streamable_http_client(cfg.url, http_client=client)
            )
            return read, write
        assert cfg.command is not None  # the config loader requires command or url
        # Closed in stop(): its tail explains failures found after the transport is gone.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        params = StdioServerParameters(
            command=cfg.command,
            args=list(cfg.args),
            env=server_environment(self._env, cfg.env, cfg.env_vars),
            cwd=self._cwd / cfg.cwd if cfg.cwd is not None else self._cwd,
        )
        read, write = await stack.enter_async_context(stdio_client(params, errlog=self._stderr))
        return read, write

    # --- calls ---------------------------------------------------------------------------

    async def call_tool(self, tool: str, arguments: JsonObject) -> CallOutcome:
        """One ``tools/call``; every failure is an outcome, never an exception."""
        session = self._session
        if session is None or self.broken:
            self.broken = True
            return CallOutcome(error=self._with_stderr("the server is not running"))
        timeout = self.config.tool_timeout_sec
        try:
            # Not wait_for: on 3.11 it drops an interrupt landing as the call completes.
            async with asyncio.timeout(timeout + CALL_GRACE_SECONDS):
                result = await session.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except TimeoutError:
            return self._lost(self._call_timeout_message())
        except MCPError as exc:
            if exc.code == mcp_types.REQUEST_TIMEOUT:
                return self._lost(self._call_timeout_message())
            if exc.code == mcp_types.CONNECTION_CLOSED:
                return self._lost(
                    self._with_stderr(
                        "the server closed the connection (did it crash?); "
                        "it will be restarted on the next call"
                    )
                )
            return CallOutcome(error=describe(exc))
        except Exception as exc:  # a bad result (schema, unexpected shape): the server lives on
            return CallOutcome(error=describe(exc))
        content = tuple(
            block.model_dump(by_alias=True, mode="json", exclude_none=True)
            for block in result.content
        )
        return CallOutcome(
            content=content,
            structured_content=result.structured_content,
            is_error=bool(result.is_error),
        )

    def _on_lost(self) -> None:
        self.broken = True
        self.lost.set()

    def _lost(self, message: str) -> CallOutcome:
        self.broken = True
        return CallOutcome(error=message)

    # --- messages ------------------------------------------------------------------------

    def _timeout_message(self) -> str:
        return self._with_stderr(
            f"did not start within {self.config.startup_timeout_sec:g}s (startup_timeout_sec)"
        )

    def _call_timeout_message(self) -> str:
        return (
            f"no result within {self.config.tool_timeout_sec:g}s (tool_timeout_sec); "
            "the server will be restarted on the next call"
        )

    def _with_stderr(self, message: str) -> str:
        if self._http_status is not None:
            message = f"{message} ({self._http_status})"
        tail = self._stderr_tail()
        return f"{message}; its stderr ends with:\n{tail}" if tail else message

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            fd = self._stderr.fileno()
            size = os.fstat(fd).st_size
            data = os.pread(fd, STDERR_TAIL_BYTES, max(0, size - STDERR_TAIL_BYTES))
            lines = data.decode("utf-8", "replace").strip().splitlines()
            return "\n".join(lines[-STDERR_TAIL_LINES:])
        return ""


def _consume(future: asyncio.Future[list[JsonObject]]) -> None:
    if not future.cancelled():
        future.exception()


async def _list_tools(session: ClientSession) -> list[JsonObject]:
    tools: list[JsonObject] = []
    cursor: str | None = None
    for _ in range(MAX_TOOL_PAGES):
        params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools += [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in page.tools]
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
