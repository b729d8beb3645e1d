"""The HTTP side of the scripted model server: one handler per connection.

Reads and records each request, routes it (model endpoints by path suffix, Ollama by path),
and writes the answer: JSON, or SSE/NDJSON with ``Transfer-Encoding: chunked`` (or a
close-delimited body). Faults are played here because they are about bytes on the socket:
dropping a connection mid-body, going silent, interleaving garbage.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from http.server import BaseHTTPRequestHandler
from select import select
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.support import ollama_api, server_profiles, wire_render
from tests.support.model_script import Fault, Turn
from tests.support.wire_render import RenderContext

if TYPE_CHECKING:
    from tests.support.model_server import ScriptedModelServer

EXHAUSTED = {
    "error": {"message": "scripted model server: script exhausted", "type": "server_error"}
}
DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class ClientGone(Exception):
    """The client closed the connection while we were writing."""


class ModelRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ScriptedModelServer/1"
    # One write per SSE event: with Nagle on, each small write after the first waits for the
    # client's delayed ACK (~40 ms per response on Linux loopback). Benchmarks need ~1 ms.
    disable_nagle_algorithm = True
    owner: ScriptedModelServer  # set on the subclass the server creates

    # --- plumbing ----------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read ``server.requests`` instead of a log."""

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        started = time.time()
        raw = self._read_body()
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body: dict[str, Any] | None = None
        with contextlib.suppress(ValueError):
            parsed = json.loads(raw) if raw else None
            body = parsed if isinstance(parsed, dict) else None
        self._raw = raw
        self._body = body or {}
        self._index = self.owner._record_start(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            raw=raw,
            started_at=started,
        )
        self._served = "unrouted"
        self._finished = False
        self._closed_early = False
        try:
            self._route(url.path, body or {})
        except (ClientGone, *DISCONNECTS):
            self.close_connection = True
        finally:
            self._mark_finished()

    def _mark_finished(self) -> None:
        if not self._finished:
            self._finished = True
            self.owner._record_finish(self._index, self._served, closed_early=self._closed_early)

    # --- writing -----------------------------------------------------------------------

    def _send_json(
        self, status: int, obj: Any, headers: dict[str, str] | None = None, served: str = ""
    ) -> None:
        self._served = served or self._served
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self._mark_finished()
        self._write(data)

    def _send_bytes(self, status: int, data: bytes, content_type: str, served: str) -> None:
        self._served = served
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self._mark_finished()
        self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except DISCONNECTS as exc:
            raise ClientGone from exc

    def _start_stream(self, content_type: str) -> None:
        self._chunked = self.owner.framing == "chunked"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        if self._chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._write(b"")

    def _frame(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self._chunked else data

    def _stream(self, frames: list[bytes], delay: float = 0.0, *, end: bool = True) -> None:
        """Write frames (one flush each); ``end`` closes the body properly."""
        for i, frame in enumerate(frames):
            last = end and i == len(frames) - 1
            if i and delay > 0 and self.owner._stopping.wait(delay):
                raise ClientGone("server stopping")
            if i and self._client_closed():
                self._closed_early = True
                raise ClientGone("client closed the stream")
            if last:
                self._mark_finished()
                self._write(self._frame(frame) + (b"0\r\n\r\n" if self._chunked else b""))
            else:
                try:
                    self._write(self._frame(frame))
                except ClientGone:
                    self._closed_early = True
                    raise
        if end and not frames:
            self._mark_finished()
            self._write(b"0\r\n\r\n" if self._chunked else b"")

    def _client_closed(self) -> bool:
        """Has the client closed its end? (It sends nothing after the request.)"""
        try:
            readable, _, _ = select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _drop(self) -> None:
        """End the exchange without terminating the body: the client sees a cut stream."""
        self.close_connection = True
        self._mark_finished()
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    # --- routing -----------------------------------------------------------------------

    def _route(self, path: str, body: dict[str, Any]) -> None:
        method = self.command
        wire = None
        if method == "POST" and path.endswith("/responses"):
            wire = "responses"
        elif method == "POST" and path.endswith("/chat/completions"):
            wire = "chat"
        if wire is not None and wire in self.owner.wires:
            self._model(wire, body)
        elif method == "GET" and path.endswith("/api/version"):
            self._send_json(200, {"version": ollama_api.OLLAMA_VERSION}, served="ollama:version")
        elif method == "GET" and path.endswith("/api/tags"):
            tags = ollama_api.tags_body(self.owner.ollama_models)
            self._send_json(200, tags, served="ollama:tags")
        elif method == "POST" and path.endswith("/api/pull"):
            self._pull(body)
        elif method == "POST" and path.endswith("/api/show"):
            self._show(body)
        elif method == "GET" and path.endswith("/models"):
            models = ollama_api.models_body(self.owner.ollama_models)
            self._send_json(200, models, served="models")
        else:
            err = {"error": {"message": f"scripted model server: no route for {method} {path}"}}
            self._send_json(404, err, served="not_found")

    def _pull(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or body.get("name") or "")
        error = self.owner.pull_error
        lines = ollama_api.pull_lines(model, error)
        if error is None:
            self.owner._add_ollama_model(model)
        self._served = "ollama:pull"
        if body.get("stream") is False:
            last = json.loads(lines[-1])
            self._send_json(500 if error else 200, last)
            return
        self._start_stream("application/x-ndjson")
        self._stream(lines)

    def _show(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or body.get("name") or "")
        known = self.owner.ollama_models
        if known and model not in known and f"{model}:latest" not in known:
            self._send_json(404, {"error": f"model '{model}' not found"}, served="ollama:show")
            return
        show = server_profiles.show_body(self.owner.profile, model)
        self._send_json(200, show, served="ollama:show")

    def _model(self, wire: str, body: dict[str, Any]) -> None:
        profile = self.owner.profile
        if wire == "chat":
            rejected = server_profiles.check_chat_request(profile, body)
            if rejected is not None:  # like the real server: nothing of the script is used
                self._send_bytes(rejected.status, rejected.body, rejected.content_type, "rejected")
                return
        number, step = self.owner._next_step()
        if step is None:
            if self.owner.fallback != "echo":
                self._send_json(500, EXHAUSTED, served="exhausted")
                return
            step = Turn(text="echo: " + wire_render.last_user_message(body))
        stream_opts = body.get("stream_options")
        ctx = RenderContext(
            number=number,
            model=str(body.get("model", "scripted-model")),
            request_bytes=len(self._raw),
            include_usage=isinstance(stream_opts, dict) and bool(stream_opts.get("include_usage")),
        )
        if isinstance(step, Fault):
            self._served = f"fault:{step.kind}"
            self._fault(wire, step, ctx)
            return
        self._served = "turn"
        if body.get("stream") is False:
            answer = wire_render.responses_json if wire == "responses" else wire_render.chat_json
            self._send_json(200, answer(step, ctx))
            return
        self._start_stream("text/event-stream")
        self._stream(self._render(wire, step, ctx), step.event_delay)

    def _render(self, wire: str, turn: Turn, ctx: RenderContext) -> list[bytes]:
        if wire == "responses":
            return wire_render.render_responses(turn, ctx)
        if self.owner.profile != server_profiles.ServerProfile():
            return server_profiles.render_chat(
                turn, ctx, self.owner.profile, self._body, self.owner.chat_reasoning_field
            )
        return wire_render.render_chat(turn, ctx, self.owner.chat_reasoning_field)

    def _fault(self, wire: str, fault: Fault, ctx: RenderContext) -> None:
        if fault.kind == "no_answer":  # accepted, read, never answered
            self.owner._hold(self.connection, fault.hold_seconds)
            self.close_connection = True
            return
        if fault.kind == "http_status" and isinstance(fault.body, str):
            self._send_bytes(fault.status, fault.body.encode(), "text/plain", self._served)
            return
        if fault.kind in ("http_status", "json_error_body"):
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._send_json(fault.status, fault.error_body(), extra)
            return
        if fault.kind == "empty_body":
            self._start_stream("text/event-stream")
            self._stream([])
            return
        if fault.kind == "stream_error":
            self._start_stream("text/event-stream")
            if wire == "responses":
                self._stream(wire_render.responses_failed(ctx, fault.message))
            else:
                self._stream(wire_render.chat_failed(ctx, fault.message))
            return
        turn = fault.partial_turn()
        frames = self._render(wire, turn, ctx)
        self._start_stream("text/event-stream")
        if fault.kind == "noisy_success":
            noise = wire_render.RESPONSES_NOISE if wire == "responses" else wire_render.CHAT_NOISE
            self._stream(wire_render.with_noise(frames, noise), turn.event_delay)
            return
        n = max(0, min(fault.after_events, len(frames) - 1))
        self._stream(frames[:n], turn.event_delay, end=False)
        if fault.kind == "cut" and fault.graceful:
            self.close_connection = True
            self._stream([])
            return
        if fault.kind == "idle":
            self.owner._hold(self.connection, fault.hold_seconds)
        self._drop()
