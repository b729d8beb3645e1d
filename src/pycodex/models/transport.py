"""The transport seam: one async callable from a request to a streaming response.

Shaped like httpx's transport seam: the client builds a ``TransportRequest`` and awaits the
transport for a ``TransportResponse`` (status and headers read, body still streaming). The
client never opens sockets itself, so its retry, hold-back and parsing rules are unit-tested
with an in-memory transport (``tests/support/fake_transport.py``), while every wire behaviour
keeps an end-to-end test over real HTTP through ``http_transport`` (``models/http.py``).

Errors are part of the contract: a transport raises ``ProviderConnectionError`` when no
response arrived, and its body iterator raises ``StreamDisconnected`` when a read stalls past
``read_timeout`` or breaks; a body that simply ends is not an error here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TransportRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    connect_timeout: float | None = 30.0
    read_timeout: float | None = None  # bounds every single read: an idle timeout for streams


class TransportResponse(Protocol):
    """A response whose head has arrived; the caller must ``close()`` it."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...  # lower-case names
    @property
    def content_type(self) -> str: ...  # lower-case media type without parameters
    def chunks(self) -> AsyncGenerator[bytes, None]: ...
    async def read(self, limit: int = 1 << 20) -> bytes: ...
    def close(self) -> None: ...


Transport = Callable[[TransportRequest], Awaitable[TransportResponse]]


def http_transport(env: Mapping[str, str]) -> Transport:
    """The real transport: ``models/http.py`` (proxies come from ``env``)."""

    async def send(request: TransportRequest) -> TransportResponse:
        from pycodex.models.http import open_request

        return await open_request(
            request.method,
            request.url,
            headers=request.headers,
            body=request.body,
            connect_timeout=request.connect_timeout,
            read_timeout=request.read_timeout,
            env=env,
        )

    return send
