"""Each fault, observed from a real client socket: what arrives, what is missing, and that
the server neither hangs nor crashes afterwards."""

from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn
from tests.support_tests.http_helpers import json_events, parse_sse, post


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, "rate_limit_exceeded"), (500, "server_error"), (401, "invalid_request_error")],
)
def test_http_status_fault(model_server: ScriptedModelServer, status: int, kind: str) -> None:
    model_server.push(Fault.http_status(status, retry_after=2 if status == 429 else None))
    reply = post(model_server.port, "/v1/responses", {"model": "m"})
    assert reply.status == status
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["error"]["type"] == kind
    assert str(status) in reply.json()["error"]["message"]
    assert reply.headers.get("retry-after") == ("2" if status == 429 else None)
    assert model_server.requests[0].served == "fault:http_status"


def test_http_status_with_custom_body_then_recovery(model_server: ScriptedModelServer) -> None:
    body = {"error": {"message": "Invalid schema for function 'shell'", "code": "bad"}}
    model_server.push(Fault.http_status(400, body=body), Turn(text="recovered"))
    first = post(model_server.port, "/v1/chat/completions", {"model": "m"})
    assert (first.status, first.json()) == (400, body)
    second = post(model_server.port, "/v1/chat/completions", {"model": "m"})
    assert second.status == 200 and parse_sse(second.body)[-1].data == "[DONE]"


def test_cut_drops_connection_mid_body(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.cut(after_events=3))
    reply = post(model_server.port, "/v1/responses", {"model": "m"})
    assert reply.status == 200 and not reply.complete
    events = parse_sse(reply.body)
    assert len(events) == 3
    assert events[0].event == "response.created"
    assert "response.completed" not in reply.body.decode()


def test_graceful_cut_ends_body_without_final_event(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.cut(after_events=4, graceful=True), Fault.cut(2, graceful=True))
    reply = post(model_server.port, "/v1/responses", {"model": "m"})
    assert reply.complete and len(parse_sse(reply.body)) == 4
    assert "response.completed" not in reply.body.decode()
    chat = post(model_server.port, "/v1/chat/completions", {"model": "m"})
    assert chat.complete and [e.data for e in parse_sse(chat.body)][-1] != "[DONE]"
    assert len(parse_sse(chat.body)) == 2


def test_chat_cut_has_no_done(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.cut(after_events=2, turn=Turn(text="a long answer that is cut")))
    reply = post(model_server.port, "/v1/chat/completions", {"model": "m"})
    assert not reply.complete
    assert b"[DONE]" not in reply.body
    assert len(parse_sse(reply.body)) == 2


def test_idle_stream_goes_silent_until_client_leaves(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.idle(after_events=2, hold_seconds=30))
    reply = post(model_server.port, "/v1/responses", {"model": "m"}, timeout=0.4)
    assert reply.error == "TimeoutError"
    assert len(parse_sse(reply.body)) == 2
    # The client closed its socket: the server notices and ends the 30 s hold early
    # (the bounded wait raises TimeoutError if the hold runs on).
    (rec,) = model_server.wait_for_idle(timeout=5)
    assert rec.finished_at is not None and rec.finished_at - rec.started_at < 30
    assert rec.served == "fault:idle"


def test_idle_hold_is_bounded(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.idle(after_events=1, hold_seconds=0.2))
    reply = post(model_server.port, "/v1/chat/completions", {"model": "m"}, timeout=5)
    assert not reply.complete and reply.error == "IncompleteRead"
    assert len(parse_sse(reply.body)) == 1


def test_stop_ends_an_idle_stream_promptly() -> None:
    server = ScriptedModelServer([Fault.idle(after_events=1, hold_seconds=60)]).start()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        sock.sendall(
            b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        )
        received = b""
        while b"response.created" not in received:  # the first event, then silence
            received += sock.recv(65536)
        # Bounded: stop() must not sit out the 60 s hold.
        stopper = threading.Thread(target=server.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=2)
        assert not stopper.is_alive(), "stop() is waiting on the idle stream"
        while chunk := sock.recv(65536):  # EOF arrives: the socket was shut down
            received += chunk
        assert b"response.completed" not in received
    finally:
        sock.close()


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/chat/completions"])
def test_noisy_success_is_garbage_tolerant_and_complete(
    model_server: ScriptedModelServer, path: str
) -> None:
    model_server.push(Fault.noisy_success(Turn(text="still fine")))
    reply = post(model_server.port, path, {"model": "m"})
    assert reply.status == 200 and reply.complete
    raw = reply.body.decode()
    assert ": ping" in raw and "data: not-json" in raw and "\ndata:\n" in raw
    events = parse_sse(reply.body)
    junk = [e for e in events if e.data == "not-json"]
    assert junk
    objs = json_events(reply.body)
    if path.endswith("responses"):
        assert any(o["type"] == "response.future_feature" for o in objs)
        deltas = [o["delta"] for o in objs if o.get("type") == "response.output_text.delta"]
        assert "".join(deltas) == "still fine"
        assert objs[-1]["type"] == "response.completed"
    else:
        assert events[-1].data == "[DONE]"
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in objs if c["choices"])
        assert text == "still fine"


def test_json_error_body_instead_of_stream(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.json_error_body(message="model overloaded"))
    reply = post(model_server.port, "/v1/responses", {"model": "m", "stream": True})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["error"]["message"] == "model overloaded"


def test_stream_error_in_band(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.stream_error("boom"), Fault.stream_error("bang"))
    responses = json_events(post(model_server.port, "/v1/responses", {"model": "m"}).body)
    assert [o["type"] for o in responses] == ["response.created", "response.failed"]
    assert responses[1]["response"]["error"]["message"] == "boom"
    chat = json_events(post(model_server.port, "/v1/chat/completions", {"model": "m"}).body)
    assert chat[-1]["error"]["message"] == "bang"


def test_exhausted_script_is_a_500(model_server: ScriptedModelServer) -> None:
    reply = post(model_server.port, "/v1/responses", {"model": "m"})
    assert reply.status == 500
    assert reply.json()["error"]["message"] == "scripted model server: script exhausted"
    assert model_server.requests[0].served == "exhausted"


def test_echo_fallback_answers_last_user_message() -> None:
    with ScriptedModelServer(fallback="echo") as s:
        chat_body = {
            "model": "m",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "say hi"}]},
            ],
        }
        chat = json_events(post(s.port, "/v1/chat/completions", chat_body).body)
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chat if c["choices"])
        resp_body = {
            "model": "m",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "yo"}],
                }
            ],
        }
        resp = json_events(post(s.port, "/v1/responses", resp_body).body)
    assert text == "echo: say hi"
    assert resp[-1]["response"]["output"][0]["content"][0]["text"] == "echo: yo"


def test_server_survives_faults_and_serves_concurrently(model_server: ScriptedModelServer) -> None:
    """An idle stream on one connection does not block a turn on another."""
    model_server.push(Fault.idle(after_events=1, hold_seconds=30), Turn(text="parallel"))
    idle = http.client.HTTPConnection("127.0.0.1", model_server.port, timeout=5)
    try:
        idle.request("POST", "/v1/responses", body=json.dumps({"model": "m"}))
        resp = idle.getresponse()
        assert resp.status == 200
        assert b"response.created" in resp.fp.readline() + resp.fp.readline()
        # Bounded: served behind the idle stream, this read would time out after 2 s.
        other = post(model_server.port, "/v1/responses", {"model": "m"}, timeout=2)
        assert other.complete, other.error
        assert json_events(other.body)[-1]["type"] == "response.completed"
    finally:
        idle.close()


def test_slow_stream_stops_when_the_client_leaves(model_server: ScriptedModelServer) -> None:
    """An interrupted client: the server notices on its next write and finishes the request."""
    model_server.push(Turn(text="x" * 200, chunk_size=1, event_delay=0.02))
    conn = http.client.HTTPConnection("127.0.0.1", model_server.port, timeout=5)
    try:
        conn.request("POST", "/v1/responses", body=b'{"model": "m"}')
        resp = conn.getresponse()
        assert b"response.created" in resp.fp.readline() + resp.fp.readline()
    finally:
        conn.close()
    (rec,) = model_server.wait_for_idle(timeout=3)
    assert rec.finished_at is not None and rec.finished_at - rec.started_at < 3  # not 4 s


def test_same_script_same_bytes() -> None:
    turn = Turn(text="deterministic", reasoning_summary="r", tool_calls=[ToolCall("f", {"a": 1})])
    bodies = []
    for _ in range(2):
        with ScriptedModelServer([turn, turn]) as s:
            bodies.append(post(s.port, "/v1/responses", {"model": "m", "input": "q"}).body)
            bodies.append(post(s.port, "/v1/chat/completions", {"model": "m"}).body)
    assert bodies[0] == bodies[2] and bodies[1] == bodies[3]
