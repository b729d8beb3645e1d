"""An in-memory transport for unit tests of the model client (beside the loopback server).

``FakeTransport`` replays scripted answers, one per request, and records every request.
An answer is a status, headers and the body as a list of byte chunks (an SSE body is written
with ``sse``), or an exception to raise instead of answering (a connection failure). A chunk
that is an exception is raised by the body iterator at that point (a broken stream).
Wire behaviour (framing, proxies, timeouts on real sockets) stays tested over real HTTP
against ``model_server.py``; this is for the client's own rules: retries, hold-back, auth.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pycodex.models.transport import TransportRequest, TransportResponse


def sse(*events: Mapping[str, Any]) -> list[bytes]:
    """One chunk per event, each a ``data:`` line of its JSON."""
    return [f"data: {json.dumps(dict(e))}\n\n".encode() for e in events]


@dataclass
class Answer:
    status: int = 200
    chunks: Sequence[bytes | BaseException] = ()
    headers: Mapping[str, str] = field(
        default_factory=lambda: {"content-type": "text/event-stream"}
    )


class FakeResponse:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.closed = False

    @property
    def status(self) -> int:
        return self._answer.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._answer.headers

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        for chunk in self._answer.chunks:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk

    async def read(self, limit: int = 1 << 20) -> bytes:
        out = b""
        async for chunk in self.chunks():
            out += chunk
        return out[:limit]

    def close(self) -> None:
        self.closed = True


class FakeTransport:
    """Answers requests from a script, in order; ``requests`` holds what was sent."""

    def __init__(self, *answers: Answer | BaseException) -> None:
        self._answers = list(answers)
        self.requests: list[TransportRequest] = []
        self.responses: list[FakeResponse] = []

    def json_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.body or b"{}") for r in self.requests]

    async def __call__(self, request: TransportRequest) -> TransportResponse:
        self.requests.append(request)
        if not self._answers:
            raise AssertionError(f"unscripted request to {request.url}")
        answer = self._answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        response = FakeResponse(answer)
        self.responses.append(response)
        return response
