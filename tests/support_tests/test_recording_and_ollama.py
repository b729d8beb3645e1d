"""Recorded requests (URL, query, headers, body, timing) and Ollama's bootstrap endpoints."""

from __future__ import annotations

import http.client
import json
import threading
import time

from tests.support.model_handler import ModelRequestHandler
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn
from tests.support_tests.http_helpers import json_events, post, request


def test_requests_are_recorded_with_query_headers_and_body(
    model_server: ScriptedModelServer,
) -> None:
    model_server.push(Turn(text="azure says hi"))
    body = {"model": "gpt-4o", "input": [], "stream": True, "store": False}
    before = time.time()
    reply = post(
        model_server.port,
        "/openai/responses?api-version=2025-04-01-preview&x=",
        body,
        headers={"Authorization": "Bearer sk-test", "OpenAI-Beta": "responses=experimental"},
    )
    assert json_events(reply.body)[-1]["type"] == "response.completed"
    (rec,) = model_server.wait_for_requests(1)
    assert (rec.method, rec.path) == ("POST", "/openai/responses")
    assert rec.query == {"api-version": "2025-04-01-preview", "x": ""}
    assert rec.headers["authorization"] == "Bearer sk-test"
    assert rec.headers["openai-beta"] == "responses=experimental"
    assert rec.headers["content-type"] == "application/json"
    assert rec.body == body and json.loads(rec.raw) == body
    assert rec.is_model_request and rec.served == "turn"
    assert before <= rec.started_at <= rec.finished_at <= time.time()  # type: ignore[operator]


def test_every_request_is_recorded_even_faults_and_404s(model_server: ScriptedModelServer) -> None:
    request(model_server.port, "GET", "/api/version")
    request(model_server.port, "GET", "/nowhere")
    post(model_server.port, "/v1/chat/completions", {"model": "m"})  # exhausted
    reqs = model_server.wait_for_requests(3)
    assert [(r.method, r.path, r.served) for r in reqs] == [
        ("GET", "/api/version", "ollama:version"),
        ("GET", "/nowhere", "not_found"),
        ("POST", "/v1/chat/completions", "exhausted"),
    ]
    assert reqs[0].body is None and reqs[0].raw == b""
    assert [r.path for r in model_server.model_requests] == ["/v1/chat/completions"]


def test_non_json_body_is_kept_raw(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="x"))
    request(model_server.port, "POST", "/v1/responses", None)
    (rec,) = model_server.requests
    assert rec.body is None and rec.raw == b""


def test_wait_for_requests_times_out_quickly(model_server: ScriptedModelServer) -> None:
    raised: list[TimeoutError] = []

    def wait() -> None:
        try:
            model_server.wait_for_requests(1, timeout=0.1)
        except TimeoutError as exc:
            raised.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(timeout=1)  # bounded: a wait that ignored its 0.1 s timeout is still running
    assert not waiter.is_alive(), "wait_for_requests did not honour timeout=0.1"
    assert len(raised) == 1 and "wanted 1 requests" in str(raised[0])


def test_disabled_wire_is_404_and_keeps_the_step() -> None:
    with ScriptedModelServer([Turn(text="for chat")], wires=["chat"]) as s:
        assert post(s.port, "/v1/responses", {"model": "m"}).status == 404
        assert s.remaining == 1
        assert post(s.port, "/v1/chat/completions", {"model": "m"}).status == 200
        assert s.remaining == 0


def test_ollama_version_tags_and_models() -> None:
    with ScriptedModelServer(ollama_models=["gpt-oss:20b", "qwen3:8b"]) as s:
        assert s.base_url == s.root_url + "/v1"
        assert request(s.port, "GET", "/api/version").json()["version"]
        tags = request(s.port, "GET", "/api/tags").json()
        models = request(s.port, "GET", "/v1/models").json()
    assert [m["name"] for m in tags["models"]] == ["gpt-oss:20b", "qwen3:8b"]
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["gpt-oss:20b", "qwen3:8b"]


def test_ollama_pull_streams_ndjson_progress_and_adds_model(
    model_server: ScriptedModelServer,
) -> None:
    assert model_server.ollama_models == []
    reply = post(model_server.port, "/api/pull", {"model": "gpt-oss:20b", "stream": True})
    assert reply.status == 200 and reply.complete
    assert reply.headers["content-type"] == "application/x-ndjson"
    assert reply.headers["transfer-encoding"] == "chunked"
    lines = [json.loads(line) for line in reply.body.decode().splitlines()]
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"status": "success"}
    progress = [ln for ln in lines if "digest" in ln]
    digests = {ln["digest"] for ln in progress}
    assert len(digests) == 2
    for digest in digests:
        mine = [ln for ln in progress if ln["digest"] == digest]
        done = [ln["completed"] for ln in mine if "completed" in ln]
        assert done == sorted(done) and done[-1] == mine[0]["total"]
    assert model_server.ollama_models == ["gpt-oss:20b"]
    tags = request(model_server.port, "GET", "/api/tags").json()
    assert [m["name"] for m in tags["models"]] == ["gpt-oss:20b"]


def test_ollama_pull_error() -> None:
    with ScriptedModelServer(pull_error="pull model manifest: file does not exist") as s:
        reply = post(s.port, "/api/pull", {"model": "nope:1b", "stream": True})
        assert s.ollama_models == []
    lines = [json.loads(line) for line in reply.body.decode().splitlines()]
    assert reply.status == 200
    assert lines[-1] == {"error": "pull model manifest: file does not exist"}
    assert not any(ln.get("status") == "success" for ln in lines)


def test_stop_is_idempotent() -> None:
    server = ScriptedModelServer().start()
    assert request(server.port, "GET", "/api/version").status == 200
    server.stop()
    server.stop()


def test_streams_are_not_delayed_by_nagle(model_server: ScriptedModelServer) -> None:
    """One small write per event must not wait for delayed ACKs (~40 ms each response):
    the handler turns Nagle off (socketserver sets TCP_NODELAY on each accepted socket),
    and keep-alive streams still complete one after another on one connection."""
    assert ModelRequestHandler.disable_nagle_algorithm is True
    turn = Turn(text="a streamed answer of several deltas", tool_calls=[ToolCall("shell", {})])
    model_server.push(*[turn] * 3)
    conn = http.client.HTTPConnection("127.0.0.1", model_server.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("POST", "/v1/responses", body=b'{"model": "m"}')
            assert b"response.completed" in conn.getresponse().read()
    finally:
        conn.close()
