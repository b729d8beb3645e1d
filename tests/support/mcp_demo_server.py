"""A small MCP server of the project's own, on the official SDK, for the client tests.

stdio by default; ``--http`` serves streamable HTTP on 127.0.0.1 (a free port, printed as
``READY <url>`` on stdout) and, with ``--token``, answers 401 to any request without
``Authorization: Bearer <token>``. ``--startup-delay S`` sleeps before serving (startup
timeouts); ``--garbage`` prints a line that is not JSON-RPC first. Tools, each exercising
one path of the client:

- ``add`` (integer arguments: v0.20 dropped such tools) and ``describe_order`` (nested
  objects, arrays of objects, enums, anyOf, $defs/$ref);
- ``sleep`` (tool timeouts), ``crash`` (the process exits mid-call), ``pid`` (tells a
  restarted server from the old one), ``fail`` (an ``isError`` result);
- ``picture`` (image + resource link + embedded resource + structured content);
- ``environment`` (the variables the server was started with: secrets must not leak);
- a tool whose name is long enough to need shortening.

Run by hand: ``python -m tests.support.mcp_demo_server [--http] [--token T]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

LONG_TOOL = "summarize_the_quarterly_engineering_metrics_for_every_team_in_the_org"
# A 1x1 transparent PNG.
PNG_1X1 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "item": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1},
            },
            "required": ["sku", "quantity"],
        }
    },
    "properties": {
        "customer": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "tier": {"enum": ["free", "pro", "enterprise"]},
            },
            "required": ["name"],
        },
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "tags": {"type": "array"},
    },
    "required": ["customer", "items"],
}

TOOLS = [
    types.Tool(
        name="add",
        description="Adds two integers.",
        input_schema={
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    ),
    types.Tool(name="describe_order", description="Describes an order.", input_schema=ORDER_SCHEMA),
    types.Tool(
        name="sleep",
        description="Sleeps, then answers.",
        input_schema={"type": "object", "properties": {"seconds": {"type": "number"}}},
    ),
    types.Tool(
        name="crash", description="Exits the server process.", input_schema={"type": "object"}
    ),
    types.Tool(name="pid", description="The server's process id.", input_schema={"type": "object"}),
    types.Tool(name="fail", description="Always fails.", input_schema={"type": "object"}),
    types.Tool(
        name="picture", description="An image and friends.", input_schema={"type": "object"}
    ),
    types.Tool(
        name="environment", description="The server's environment.", input_schema={"type": "object"}
    ),
    types.Tool(
        name=LONG_TOOL, description="A tool with a long name.", input_schema={"type": "object"}
    ),
]


def _text(text: str, **extra: Any) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], **extra)


async def _picture() -> types.CallToolResult:
    return types.CallToolResult(
        content=[
            types.TextContent(text="a picture of nothing"),
            types.ImageContent(data=PNG_1X1, mime_type="image/png"),
            types.ResourceLink(
                uri="file:///tmp/report.csv",
                name="report.csv",
                mime_type="text/csv",
                description="the numbers",
            ),
            types.EmbeddedResource(
                resource=types.TextResourceContents(uri="memo://1", text="memo text")
            ),
        ],
        structured_content={"width": 1, "height": 1},
    )


async def _call(args: dict[str, Any], name: str) -> types.CallToolResult:
    if name == "add":
        total = int(args["a"]) + int(args["b"])
        return _text(str(total), structured_content={"sum": total})
    if name == "describe_order":
        return _text("order: " + json.dumps(args, sort_keys=True))
    if name == "sleep":
        await asyncio.sleep(float(args.get("seconds", 1)))
        return _text("slept")
    if name == "crash":
        print("demo server: crashing on purpose", file=sys.stderr, flush=True)
        os._exit(3)
    if name == "pid":
        return _text(str(os.getpid()))
    if name == "fail":
        return _text("it failed on purpose", is_error=True)
    if name == "picture":
        return await _picture()
    if name == "environment":
        return _text(json.dumps(dict(os.environ), sort_keys=True))
    if name == LONG_TOOL:
        return _text("summary: all good")
    return _text(f"unknown tool {name}", is_error=True)


async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
    del ctx, params
    return types.ListToolsResult(tools=TOOLS)


async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    del ctx
    return await _call(dict(params.arguments or {}), params.name)


def make_server() -> Server[Any]:
    return Server(
        "pycodex-demo", version="1.0", on_list_tools=on_list_tools, on_call_tool=on_call_tool
    )


async def serve_stdio() -> None:
    server = make_server()
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


def bearer_guard(app: ASGIApp, token: str) -> ASGIApp:
    """401 for HTTP requests without the right bearer token."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await app(scope, receive, send)

    return guarded


async def serve_http(token: str | None) -> None:
    import uvicorn

    app: ASGIApp = make_server().streamable_http_app()
    if token:
        app = bearer_guard(app, token)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    print(f"READY http://127.0.0.1:{port}/mcp", flush=True)
    await task


@contextlib.contextmanager
def running_http_server(token: str) -> Iterator[str]:
    """The demo server in HTTP mode as a child process; yields its URL, stops it after."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--http", "--token", token],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # bounded: the server prints READY or exits
        assert line.startswith("READY "), f"demo HTTP server did not start: {line!r}"
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    parser.add_argument("--token", help="bearer token the HTTP server requires")
    parser.add_argument("--startup-delay", type=float, default=0.0)
    parser.add_argument("--garbage", action="store_true", help="a non-JSON line on stdout first")
    args = parser.parse_args(argv)
    if args.startup_delay:
        time.sleep(args.startup_delay)
    if args.garbage:
        print("this is not JSON-RPC", flush=True)
    asyncio.run(serve_http(args.token) if args.http else serve_stdio())
    return 0


if __name__ == "__main__":
    sys.exit(main())
