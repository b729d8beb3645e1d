"""Minimal HTTP and SSE reading for the server's own tests (stdlib only, like the server).

Deliberately independent of pycodex's client: these tests check the server's bytes against
the SSE format itself, not against our parser.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    complete: bool = True  # False: the body ended early (IncompleteRead / reset)
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SseEvent:
    event: str | None
    data: str
    fields: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.data)


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        out = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, b"")
        chunks: list[bytes] = []
        try:
            while True:
                piece = resp.read1(65536)
                if not piece:
                    break
                chunks.append(piece)
        except http.client.IncompleteRead as exc:
            chunks.append(exc.partial)
            out.complete, out.error = False, "IncompleteRead"
        except (TimeoutError, ConnectionError) as exc:
            out.complete, out.error = False, type(exc).__name__
        out.body = b"".join(chunks)
        return out
    finally:
        conn.close()


def post(port: int, path: str, body: Any, **kw: Any) -> Reply:
    return request(port, "POST", path, body, **kw)


def parse_sse(raw: bytes) -> list[SseEvent]:
    """Parse per the SSE spec: events end at a blank line; ``:`` lines are comments;
    ``data`` lines join with newlines; events without data are not dispatched."""
    events: list[SseEvent] = []
    text = raw.decode().replace("\r\n", "\n")
    for block in text.split("\n\n"):
        event: str | None = None
        data: list[str] = []
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            else:
                fields[name] = value
        joined = "\n".join(data)
        if joined:  # an empty data buffer is not dispatched (SSE spec)
            events.append(SseEvent(event, joined, fields))
    return events


def json_events(raw: bytes) -> list[dict[str, Any]]:
    """The SSE events whose data is a JSON object, skipping garbage like a tolerant client."""
    out: list[dict[str, Any]] = []
    for ev in parse_sse(raw):
        try:
            obj = json.loads(ev.data)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out
