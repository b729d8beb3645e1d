"""A scripted OpenAI-compatible model server for end-to-end tests and demos.

Real HTTP on 127.0.0.1 (stdlib ``ThreadingHTTPServer`` in a background thread, HTTP/1.1,
SSE with ``Transfer-Encoding: chunked``). It plays a script of turns and faults, records
every request, and also answers Ollama's bootstrap endpoints.

In a test (``model_server`` fixture from ``tests/conftest.py`` gives a started one)::

    from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn, Usage

    with ScriptedModelServer([
        Fault.http_status(429, retry_after=1),
        Turn(tool_calls=[ToolCall("shell", {"command": ["echo", "hi"]})]),
        Turn(text="done", usage=Usage(input_tokens=9, output_tokens=2)),
    ]) as server:
        run_client(base_url=server.base_url)             # "http://127.0.0.1:PORT/v1"
        reqs = server.wait_for_requests(3, timeout=5)
        assert reqs[1].headers["authorization"] == "Bearer sk-test"
        assert reqs[2].body["input"][-1]["type"] == "function_call_output"

Steps are consumed one per ``POST …/responses`` or ``POST …/chat/completions`` (any path
prefix and query, e.g. Azure's ``/openai/responses?api-version=…``), rendered in the wire
format of the endpoint hit. ``push(*steps)`` appends while running. When the script is
exhausted the answer is HTTP 500 ``{"error":{"message":"scripted model server: script
exhausted"}}`` (or, with ``fallback="echo"``, ``echo: <last user message>``).

Options: ``ScriptedModelServer(script, *, ollama_models=(), pull_error=None,
wires=("responses", "chat"), fallback="error"|"echo", framing="chunked"|"close",
chat_reasoning_field="reasoning", profile="openai", port=0, on_request=callback)``.

``profile`` makes the server behave like a real local server (``server_profiles``): a name
(``"llamacpp"``, ``"llamacpp-python"``, ``"vllm"``, ``"lmstudio"``, ``"ollama"``) or a
``ServerProfile`` with single quirks switched on. Requests the emulated server refuses are
answered as it would (recorded with ``served="rejected"``) without consuming a step.

Steps (see ``model_script`` for every field):

* ``Turn(text, reasoning_summary, reasoning_raw, tool_calls, usage, encrypted_reasoning,
  chunk_size, event_delay)``. Responses: ``response.created``, ``response.in_progress``,
  then per item (reasoning, message, function calls) ``output_item.added``, deltas
  (``reasoning_summary_text.delta``, ``reasoning_text.delta``, ``output_text.delta``,
  ``function_call_arguments.delta``), ``output_item.done``; finally ``response.completed``
  with ``usage``. Chat: a role chunk, ``delta.reasoning`` chunks (only for
  ``reasoning_raw``), ``delta.content`` chunks, ``delta.tool_calls`` fragments by ``index``
  (id and name in the first, arguments in pieces), a ``finish_reason`` chunk, a usage chunk
  when ``stream_options.include_usage``, then ``data: [DONE]``. ``"stream": false`` gets a
  plain JSON answer. Tool ``call_id`` defaults to ``call_<request number>_<index>``.
* ``Fault.http_status(status, body=None, retry_after=None)``, ``Fault.cut(after_events,
  graceful=False)``, ``Fault.idle(after_events, hold_seconds)``, ``Fault.noisy_success()``
  (garbage lines around a complete turn), ``Fault.json_error_body(status=200)``,
  ``Fault.stream_error(message)`` (``response.failed`` / in-band Chat error).

Inspecting: ``server.requests`` (every request, arrival order) and ``server.model_requests``
are snapshots of ``RecordedRequest(method, path, query, headers, body, raw, started_at,
finished_at, served)``: ``path`` without the query, ``query`` as a dict, header names
lower-cased, ``body`` the parsed JSON object (else None), ``finished_at`` None while still
being served, ``served`` what answered (``turn``, ``fault:idle``, ``exhausted``,
``ollama:pull``, ``not_found``…), ``closed_early`` True when the client closed a streamed
answer before its last event (an interrupt seen from the server).
``wait_for_requests(n, timeout)`` and ``wait_for_idle(timeout)`` are bounded waits
(TimeoutError). ``remaining`` counts steps left.

Ollama: ``GET /api/version``, ``GET /api/tags`` and ``GET /v1/models`` list
``ollama_models``; ``POST /api/show`` reports the profile's ``context_length``/``num_ctx``
(404 for a model not in a non-empty ``ollama_models``); ``POST /api/pull`` streams NDJSON
progress and adds the model (or reports ``pull_error``). "Ollama is down" is a closed
port: don't start a server.

By hand::

    python -m tests.support.model_server --port 8000 --script script.json --wire both

``script.json`` is a list of steps; keys are the dataclass fields::

    [
      {"text": "Hello!", "reasoning_summary": "**Greeting**"},
      {"tool_calls": [{"name": "shell", "arguments": {"command": ["ls"]}}]},
      {"fault": "http_status", "status": 429, "retry_after": 1},
      {"fault": "cut", "after_events": 3},
      {"fault": "noisy_success", "turn": {"text": "fine anyway"}},
      {"text": "done", "usage": {"input_tokens": 10, "output_tokens": 2}}
    ]

``tests/support/demo_script.json`` is a ready-made one. Without ``--script`` it answers
every request with ``echo: <last user message>``. ``--log`` prints one line per request.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from http.server import ThreadingHTTPServer
from pathlib import Path
from select import select
from types import TracebackType
from typing import Any, Literal

from tests.support.model_handler import DISCONNECTS, ModelRequestHandler
from tests.support.model_script import Fault, Step, ToolCall, Turn, Usage, script_from_json
from tests.support.server_profiles import ServerProfile, resolve

__all__ = [
    "Fault",
    "RecordedRequest",
    "ScriptedModelServer",
    "ServerProfile",
    "Step",
    "ToolCall",
    "Turn",
    "Usage",
]

Wire = Literal["responses", "chat"]
MODEL_SUFFIXES = ("/responses", "/chat/completions")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. ``finished_at`` is None while it is being served;
    ``served`` says what answered it (``turn``, ``fault:cut``, ``exhausted``, ``ollama:pull``…)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] | None
    raw: bytes
    started_at: float
    finished_at: float | None = None
    served: str = ""
    closed_early: bool = False  # the client closed a streamed answer before its last event

    @property
    def is_model_request(self) -> bool:
        return self.method == "POST" and self.path.endswith(MODEL_SUFFIXES)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects are normal here; anything else still gets reported."""
        if isinstance(sys.exc_info()[1], (*DISCONNECTS, OSError)):
            return
        super().handle_error(request, client_address)


class ScriptedModelServer:
    """See the module docstring. Thread-safe; one instance per test."""

    def __init__(
        self,
        script: Iterable[Step] = (),
        *,
        ollama_models: Iterable[str] = (),
        pull_error: str | None = None,
        wires: Iterable[Wire] = ("responses", "chat"),
        fallback: Literal["error", "echo"] = "error",
        framing: Literal["chunked", "close"] = "chunked",
        chat_reasoning_field: str = "reasoning",
        profile: str | ServerProfile | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        self._steps: deque[Step] = deque(script)
        self._models = list(ollama_models)
        self.pull_error = pull_error
        self.wires = frozenset(wires)
        self.fallback = fallback
        self.framing = framing
        self.chat_reasoning_field = chat_reasoning_field
        self.profile = resolve(profile)
        self._host, self._port = host, port
        self._on_request = on_request
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[RecordedRequest] = []
        self._model_count = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> ScriptedModelServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        handler = type("BoundHandler", (ModelRequestHandler,), {"owner": self})
        self._httpd = _HTTPServer((self._host, self._port), handler)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # bounds stop() latency
            name=f"model-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end held streams, and close open connections. Idempotent."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (Ollama's host root)."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (an OpenAI-style provider base URL)."""
        return self.root_url + "/v1"

    # --- script ------------------------------------------------------------------------

    def push(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    @property
    def remaining(self) -> int:
        """Steps not yet consumed."""
        with self._lock:
            return len(self._steps)

    @property
    def ollama_models(self) -> list[str]:
        with self._lock:
            return list(self._models)

    # --- recorded requests -------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    @property
    def model_requests(self) -> list[RecordedRequest]:
        """Only the ``…/responses`` and ``…/chat/completions`` POSTs."""
        return [r for r in self.requests if r.is_model_request]

    def wait_for_requests(
        self, n: int, timeout: float = 5.0, *, model_only: bool = False
    ) -> list[RecordedRequest]:
        """Block until at least ``n`` requests arrived; TimeoutError (listing them) if not."""

        def enough() -> bool:
            seen = self._requests
            if model_only:
                seen = [r for r in seen if r.is_model_request]
            return len(seen) >= n

        with self._changed:
            if not self._changed.wait_for(enough, timeout=timeout):
                seen = [f"{r.method} {r.path}" for r in self._requests]
                raise TimeoutError(f"wanted {n} requests within {timeout}s, saw {seen}")
            return list(self._requests)

    def wait_for_idle(self, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until every request so far has been fully answered (or dropped/ended by a
        client disconnect); TimeoutError if one is still being served."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: all(r.finished_at is not None for r in self._requests), timeout=timeout
            )
            if not done:
                busy = [f"{r.method} {r.path}" for r in self._requests if r.finished_at is None]
                raise TimeoutError(f"still serving after {timeout}s: {busy}")
            return list(self._requests)

    # --- called by the handler ---------------------------------------------------------

    def _record_start(self, **fields: Any) -> int:
        with self._changed:
            self._requests.append(RecordedRequest(**fields))
            self._changed.notify_all()
            return len(self._requests) - 1

    def _record_finish(self, index: int, served: str, *, closed_early: bool = False) -> None:
        with self._changed:
            done = replace(
                self._requests[index],
                finished_at=time.time(),
                served=served,
                closed_early=closed_early,
            )
            self._requests[index] = done
            self._changed.notify_all()
        if self._on_request is not None:
            self._on_request(done)

    def _next_step(self) -> tuple[int, Step | None]:
        with self._lock:
            self._model_count += 1
            return self._model_count, (self._steps.popleft() if self._steps else None)

    def _add_ollama_model(self, model: str) -> None:
        with self._lock:
            if model and model not in self._models:
                self._models.append(model)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _hold(self, conn: socket.socket, seconds: float) -> None:
        """Stay silent up to ``seconds``; return early on client disconnect or stop."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                readable, _, _ = select([conn], [], [], min(left, 0.05))
                if readable and conn.recv(1, socket.MSG_PEEK) == b"":
                    return
            except (OSError, ValueError):
                return
            if readable:  # pipelined bytes, not a disconnect: don't spin on them
                self._stopping.wait(min(left, 0.05))


# --- command line ----------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tests.support.model_server",
        description="Scripted OpenAI-compatible model server (responses, chat, Ollama).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--script", type=Path, help="JSON list of steps (see module docstring)")
    p.add_argument("--wire", choices=("both", "responses", "chat"), default="both")
    p.add_argument("--ollama-model", action="append", default=[], help="listed by /api/tags")
    p.add_argument("--pull-error", default=None)
    p.add_argument("--framing", choices=("chunked", "close"), default="chunked")
    p.add_argument(
        "--fallback",
        choices=("error", "echo"),
        default=None,
        help="when the script runs out (default: error with --script, else echo)",
    )
    p.add_argument("--log", action="store_true", help="one line per request on stderr")
    p.add_argument("--profile", default="openai", help="server profile (server_profiles.py)")
    return p.parse_args(argv)


def _log_request(r: RecordedRequest) -> None:
    took = ((r.finished_at or r.started_at) - r.started_at) * 1000
    query = f"?{r.query}" if r.query else ""
    sys.stderr.write(f"{r.method} {r.path}{query} -> {r.served} ({took:.1f} ms)\n")
    sys.stderr.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    steps = script_from_json(json.loads(args.script.read_text())) if args.script else []
    wires: tuple[Wire, ...] = ("responses", "chat") if args.wire == "both" else (args.wire,)
    fallback: Literal["error", "echo"] = args.fallback or ("error" if args.script else "echo")
    server = ScriptedModelServer(
        steps,
        ollama_models=args.ollama_model,
        pull_error=args.pull_error,
        wires=wires,
        fallback=fallback,
        framing=args.framing,
        profile=args.profile,
        host=args.host,
        port=args.port,
        on_request=_log_request if args.log else None,
    )
    server.start()
    # SIGTERM (and SIGINT, which a shell's background job ignores) stop the server cleanly.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    try:
        while True:
            signal.pause()  # serving happens on the server's threads
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
