"""The stdlib HTTP client against raw sockets: framing, proxies, timeouts, odd servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from pycodex.config.schema import ModelProviderInfo
from pycodex.models.base import ModelEvent, ModelRequestOptions, OutputItemDone, Prompt
from pycodex.models.client import create_model_client
from pycodex.models.http import open_request, parse_url, proxy_for
from pycodex.models.retry import Backoff, parse_retry_after
from pycodex.protocol.errors import ProviderConnectionError, StreamDisconnected
from pycodex.protocol.items import FunctionCallItem, assistant_message, user_message
from pycodex.protocol.policy import WireApi
from tests.support.model_server import ScriptedModelServer, Turn

T = TypeVar("T")
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A one-off TCP server on 127.0.0.1; yields its ``http://host:port`` root."""

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def replying(*parts: bytes, received: list[bytes] | None = None) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        if received is not None:
            received.append(request)
        for part in parts:
            writer.write(part)
            await writer.drain()

    return handler


def run(coro: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, 10)

    return asyncio.run(bounded())


async def fetch(handler: Handler, *, timeout: float = 5.0) -> tuple[int, list[bytes]]:
    async with raw_server(handler) as root:
        resp = await open_request("GET", root + "/x", read_timeout=timeout)
        try:
            return resp.status, [line async for line in resp.lines()]
        finally:
            resp.close()


def test_content_length_body_stops_at_length() -> None:
    handler = replying(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nab\r\ncd\r\nIGNORED")
    assert run(fetch(handler)) == (200, [b"ab", b"cd"])


def test_body_until_close_and_interim_100_response() -> None:
    handler = replying(b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\none\ntwo")
    assert run(fetch(handler)) == (200, [b"one", b"two"])


def test_chunked_body_with_extensions_trailers_and_split_lines() -> None:
    body = b"4;ext=1\r\nhel\n\r\n6\r\nlo\r\nwo\r\n3\r\nrld\r\n0\r\nX-Trailer: t\r\n\r\n"
    handler = replying(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", body)
    assert run(fetch(handler)) == (200, [b"hel", b"lo", b"world"])


def test_server_closing_without_response_is_a_connection_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    with pytest.raises(ProviderConnectionError, match="closed the connection without a response"):
        run(fetch(hang_up))


def test_garbage_status_line_is_a_connection_error() -> None:
    with pytest.raises(ProviderConnectionError, match="malformed status line"):
        run(fetch(replying(b"SSH-2.0-OpenSSH\r\n\r\n")))


def test_slow_headers_time_out_and_idle_body_is_a_disconnect() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()  # silent until the client gives up and disconnects

    with pytest.raises(ProviderConnectionError, match="timed out waiting for a response"):
        run(fetch(silent, timeout=0.1))

    async def stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nfirst\n")
        await writer.drain()
        await reader.read()

    with pytest.raises(StreamDisconnected, match="idle timeout waiting for SSE"):
        run(fetch(stalls, timeout=0.1))


def test_request_bytes_on_the_wire() -> None:
    received: list[bytes] = []
    handler = replying(b"HTTP/1.1 204 No Content\r\n\r\n", received=received)

    async def main() -> int:
        async with raw_server(handler) as root:
            resp = await open_request(
                "POST", root + "/v1/a?b=c", headers={"X-A": "1"}, body=b'{"k":1}'
            )
            resp.close()
            return resp.status

    assert run(main()) == 204
    assert parse_url("http://x").port == 80
    assert parse_url("https://x").host_header == "x"
    head, _, body = received[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/a?b=c HTTP/1.1"
    assert lines[1].startswith("Host: 127.0.0.1:")
    assert lines[2:] == ["X-A: 1", "Content-Length: 7", "Connection: close"]
    assert body == b'{"k":1}'


def test_proxy_selection_from_env() -> None:
    env = {"HTTPS_PROXY": "http://user:pw@proxy:3128", "http_proxy": "proxy2:8080"}
    https = parse_url("https://api.example.com/v1")
    proxy = proxy_for(https, env)
    assert proxy is not None
    assert (proxy.host, proxy.port, proxy.userinfo) == ("proxy", 3128, "user:pw")
    plain = proxy_for(parse_url("http://api.example.com/"), env)
    assert plain is not None
    assert (plain.host, plain.port) == ("proxy2", 8080)
    assert proxy_for(https, env | {"NO_PROXY": "example.com"}) is None
    assert proxy_for(https, env | {"no_proxy": ".example.com,other"}) is None
    assert proxy_for(https, env | {"NO_PROXY": "*"}) is None
    assert proxy_for(https, env | {"NO_PROXY": "notexample.com"}) is not None
    assert proxy_for(parse_url("http://127.0.0.1:9/"), env) is None
    assert proxy_for(parse_url("http://localhost:9/"), env) is None


def test_plain_http_goes_through_the_proxy_in_absolute_form() -> None:
    received: list[bytes] = []
    proxy = replying(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n", received=received)

    async def main() -> list[bytes]:
        async with raw_server(proxy) as root:
            env = {"HTTP_PROXY": root.replace("http://", "http://u:p@")}
            resp = await open_request("GET", "http://model.invalid/v1/models", env=env)
            try:
                return [line async for line in resp.lines()]
            finally:
                resp.close()

    assert run(main()) == [b"hi"]
    head = received[0].decode()
    assert head.startswith("GET http://model.invalid/v1/models HTTP/1.1\r\n")
    assert "Host: model.invalid\r\n" in head
    assert "Proxy-Authorization: Basic dTpw\r\n" in head


def test_https_uses_connect_and_a_refusal_is_a_connection_error() -> None:
    received: list[bytes] = []
    proxy = replying(b"HTTP/1.1 403 Forbidden\r\n\r\n", received=received)

    async def main() -> None:
        async with raw_server(proxy) as root:
            await open_request("GET", "https://api.example.com/v1", env={"HTTPS_PROXY": root})

    with pytest.raises(ProviderConnectionError, match="proxy refused CONNECT"):
        run(main())
    assert received[0].startswith(b"CONNECT api.example.com:443 HTTP/1.1\r\n")


def test_non_streamed_json_answer_is_accepted() -> None:
    completion = {
        "id": "chatcmpl-9",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "plain json",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "shell", "arguments": "{}"},
                        }
                    ],
                },
            }
        ],
    }
    body = json.dumps(completion).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    handler = replying(head.encode() + b"\r\n\r\n" + body)

    async def main() -> list[ModelEvent]:
        async with raw_server(handler) as root:
            prov = ModelProviderInfo(id="t", name="T", base_url=root + "/v1")
            client = create_model_client(prov, ModelRequestOptions("m"), env={})
            return [e async for e in client.stream(Prompt("", (user_message("hi"),)))]

    events = run(main())
    assert [e.item for e in events if isinstance(e, OutputItemDone)] == [
        assistant_message("plain json"),
        FunctionCallItem("c1", "shell", "{}"),
    ]


def test_sse_line_longer_than_the_stream_buffer(model_server: ScriptedModelServer) -> None:
    big = "x" * 300_000
    model_server.push(Turn(text=big, chunk_size=200_000))
    prov = ModelProviderInfo(
        id="t", name="T", base_url=model_server.base_url, wire_api=WireApi.RESPONSES
    )
    client = create_model_client(prov, ModelRequestOptions("m"), env={})

    async def main() -> list[ModelEvent]:
        return [e async for e in client.stream(Prompt("", (user_message("hi"),)))]

    events = run(main())
    assert [e.item.text for e in events if isinstance(e, OutputItemDone)] == [big]  # type: ignore[union-attr]


def test_retry_after_parsing_and_cap() -> None:
    now = datetime(2025, 8, 5, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "1"}) == 1.0
    assert parse_retry_after({"retry-after": "2.5"}) == 2.5
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Tue, 05 Aug 2025 12:00:30 GMT"}, now) == 30.0
    assert parse_retry_after({"retry-after": "Tue, 05 Aug 2025 11:00:00 GMT"}, now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    backoff = Backoff(jitter=lambda: 0.5)
    assert [backoff.delay(n) for n in (1, 2, 3)] == pytest.approx([0.2, 0.4, 0.8])
    assert backoff.delay(20) == 60.0
    assert backoff.delay(1, retry_after=3600) == 60.0
    assert backoff.delay(5, retry_after=1) == 1.0
