"""A small async HTTP/1.1 client over ``asyncio`` streams: the only HTTP stack of pycodex.

Why not a library: the official ``openai`` package costs ~0.9 s to import and mishandles
malformed streams; ``httpx`` adds ~30 ms of imports. Stdlib ``asyncio`` streams cost nothing
beyond ``asyncio`` + ``ssl``, and give exact control over per-read idle timeouts and over
cancellation (cancelling a read closes the socket; nothing lingers in a pool).

Scope, deliberately small: one request per connection (``Connection: close``), bodies framed
by Content-Length, chunked, or until close; ``HTTP(S)_PROXY``/``NO_PROXY`` through a plain
``http://`` proxy (``CONNECT`` tunnel for https); loopback hosts never use a proxy.
Errors: failures before a response arrives are ``ProviderConnectionError``; a body read that
stalls past ``read_timeout`` or breaks is ``StreamDisconnected``. A body that simply ends early
is not an error here: the wire parsers decide whether the stream was complete.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlsplit

from pycodex.protocol.errors import ProviderConnectionError, StreamDisconnected

if TYPE_CHECKING:
    import ssl

T = TypeVar("T")
_READ_SIZE = 65536
IDLE_MESSAGE = "idle timeout waiting for SSE"


@dataclass(frozen=True, slots=True)
class Url:
    scheme: str  # "http" | "https"
    host: str
    port: int
    target: str  # path + query, e.g. "/v1/responses?api-version=1"
    userinfo: str | None = None

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.netloc if self.port != default else self.netloc.rsplit(":", 1)[0]


def parse_url(url: str) -> Url:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ProviderConnectionError(f"unsupported URL: {url!r}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise ProviderConnectionError(f"invalid port in URL: {url!r}") from exc
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    userinfo = parts.netloc.rpartition("@")[0] or None
    return Url(scheme, parts.hostname, port, target, userinfo)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_for(url: Url, env: Mapping[str, str]) -> Url | None:
    """The proxy to use for ``url`` from the usual environment variables, if any."""
    if _is_loopback(url.host):
        return None
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
    host = url.host.lower()
    for raw in no_proxy.split(","):
        entry = raw.strip().lower().lstrip(".").split(":")[0]
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    name = "HTTPS_PROXY" if url.scheme == "https" else "HTTP_PROXY"
    value = env.get(name) or env.get(name.lower()) or env.get("ALL_PROXY") or env.get("all_proxy")
    if not value:
        return None
    return parse_url(value if "://" in value else f"http://{value}")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Importing ssl and loading the CA store cost ~10 ms: once per process, only for https.
    import ssl

    return ssl.create_default_context()


class HttpResponse:
    """Status and headers are read; the body is consumed with ``chunks``/``lines``/``read``."""

    def __init__(
        self,
        status: int,
        reason: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        read_timeout: float | None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case names; repeated headers joined with ", "
        self._reader = reader
        self._writer = writer
        self._timeout = read_timeout

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def close(self) -> None:
        """Close the socket now (synchronous, so it is safe in ``finally`` and on cancel)."""
        self._writer.close()

    async def _io(self, op: Awaitable[bytes]) -> bytes:
        try:
            return await _bounded(op, self._timeout)
        except TimeoutError:
            raise StreamDisconnected(IDLE_MESSAGE) from None
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            # ValueError/LimitOverrunError: a framing line longer than the stream limit.
            raise StreamDisconnected(f"stream disconnected: {exc}") from exc

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """The decoded body, piece by piece; each read is bounded by the idle timeout."""
        te = (self.header("transfer-encoding") or "").lower()
        length = self.header("content-length")
        if self.status in (204, 304) or 100 <= self.status < 200:
            return
        if "chunked" in te:
            async for piece in self._chunked():
                yield piece
            return
        remaining = int(length) if length and length.strip().isdigit() else None
        while remaining is None or remaining > 0:
            size = _READ_SIZE if remaining is None else min(remaining, _READ_SIZE)
            data = await self._io(self._reader.read(size))
            if not data:
                return
            if remaining is not None:
                remaining -= len(data)
            yield data

    async def _chunked(self) -> AsyncIterator[bytes]:
        while True:
            line = await self._io(self._reader.readline())
            if not line:
                return  # closed before the last chunk: the wire parser judges completeness
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise StreamDisconnected("stream disconnected: malformed chunk size") from None
            if size == 0:
                while (await self._io(self._reader.readline())).strip():
                    pass  # trailers
                return
            while size > 0:
                data = await self._io(self._reader.read(min(size, _READ_SIZE)))
                if not data:
                    return
                size -= len(data)
                yield data
            await self._io(self._reader.readline())  # the CRLF after the chunk

    async def lines(self) -> AsyncIterator[bytes]:
        """Body lines without their terminator (``\\n`` or ``\\r\\n``); a last partial line too."""
        buf = bytearray()
        async for data in self.chunks():
            start = len(buf)
            buf += data
            cut = 0
            while (i := buf.find(b"\n", max(start, cut))) >= 0:
                yield bytes(buf[cut:i]).rstrip(b"\r")
                cut = i + 1
            del buf[:cut]
        if buf:
            yield bytes(buf).rstrip(b"\r")

    async def read(self, limit: int = 1 << 20) -> bytes:
        """The whole body, at most ``limit`` bytes (the rest is dropped)."""
        out = bytearray()
        async for data in self.chunks():
            out += data[: max(0, limit - len(out))]
        return bytes(out)


async def _bounded(op: Awaitable[T], timeout: float | None) -> T:
    """``await op`` within ``timeout`` seconds (``TimeoutError`` past it), in this task.

    Not ``asyncio.wait_for``: on Python 3.11 it runs ``op`` in a second task and, when the
    caller is cancelled in the loop iteration where ``op`` completes, returns the result and
    drops the cancellation (CPython gh-86296, fixed in 3.12). An interrupt arriving as a stream
    read completed was lost that way: the turn streamed to its end and later Ctrl-C presses
    waited behind it. ``asyncio.timeout`` cancels this very task, so a cancel is never lost.
    """
    async with asyncio.timeout(timeout):
        return await op


async def _read_head(
    reader: asyncio.StreamReader, timeout: float | None, where: str
) -> tuple[int, str, dict[str, str]]:
    """Status line and headers; 1xx interim responses are skipped."""
    while True:
        line = await _bounded(reader.readline(), timeout)
        if not line:
            raise ProviderConnectionError(f"{where} closed the connection without a response")
        parts = line.decode("latin-1").strip().split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ProviderConnectionError(f"{where} sent a malformed status line: {line[:80]!r}")
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
        headers: dict[str, str] = {}
        while True:
            raw = await _bounded(reader.readline(), timeout)
            text = raw.decode("latin-1").strip()
            if not text:
                break
            name, _, value = text.partition(":")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if not 100 <= status < 200:
            return status, reason, headers


def _basic_auth(userinfo: str | None) -> str:
    if not userinfo:
        return ""
    token = base64.b64encode(unquote(userinfo).encode()).decode()
    return f"Proxy-Authorization: Basic {token}\r\n"


async def _connect(
    url: Url, proxy: Url | None, timeout: float | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    tls = _ssl_context() if url.scheme == "https" else None
    if proxy is None:
        host = url.host if tls else None
        return await asyncio.open_connection(url.host, url.port, ssl=tls, server_hostname=host)
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    if tls is None:
        return reader, writer
    try:
        auth = _basic_auth(proxy.userinfo)
        writer.write(f"CONNECT {url.netloc} HTTP/1.1\r\nHost: {url.netloc}\r\n{auth}\r\n".encode())
        await writer.drain()
        status, reason, _ = await _read_head(reader, timeout, "proxy")
        if status // 100 != 2:
            raise ProviderConnectionError(f"proxy refused CONNECT {url.netloc}: {status} {reason}")
        await writer.start_tls(tls, server_hostname=url.host)
    except BaseException:
        writer.close()
        raise
    return reader, writer


async def open_request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    connect_timeout: float | None = 30.0,
    read_timeout: float | None = 300.0,
    env: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Send one request and return once the response head has arrived.

    The caller must ``close()`` the response. ``read_timeout`` bounds every single read
    (the head and each body read), which makes it an idle timeout for streams.
    """
    target = parse_url(url)
    proxy = proxy_for(target, os.environ if env is None else env)
    where = target.netloc
    try:
        reader, writer = await _bounded(_connect(target, proxy, read_timeout), connect_timeout)
    except TimeoutError:
        raise ProviderConnectionError(f"timed out connecting to {where}") from None
    except OSError as exc:  # ssl.SSLError included
        raise ProviderConnectionError(f"error connecting to {where}: {exc}") from exc
    try:
        request_target = url if proxy is not None and target.scheme == "http" else target.target
        lines = [f"{method} {request_target} HTTP/1.1", f"Host: {target.host_header}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        if proxy is not None and target.scheme == "http" and proxy.userinfo:
            lines.append(_basic_auth(proxy.userinfo).rstrip())
        lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b""))
        await _bounded(writer.drain(), read_timeout)
        status, reason, resp_headers = await _read_head(reader, read_timeout, where)
    except TimeoutError:
        writer.close()
        raise ProviderConnectionError(f"timed out waiting for a response from {where}") from None
    except (OSError, ValueError) as exc:
        writer.close()
        raise ProviderConnectionError(f"connection to {where} failed: {exc}") from exc
    except BaseException:
        writer.close()
        raise
    return HttpResponse(status, reason, resp_headers, reader, writer, read_timeout=read_timeout)
