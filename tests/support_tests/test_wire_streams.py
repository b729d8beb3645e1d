"""Both wire formats, as bytes on a real socket: valid SSE, the expected event order,
deltas that add up, tool-call fragments that reassemble, usage where asked for."""

from __future__ import annotations

import json
from typing import Any

from tests.support.model_server import ScriptedModelServer, ToolCall, Turn, Usage
from tests.support_tests.http_helpers import json_events, parse_sse, post

RICH = Turn(
    text="Hello there, world!",
    reasoning_summary="**Plan** look first",
    reasoning_raw="raw chain of thought",
    tool_calls=[
        ToolCall("shell", {"command": ["echo", "hi"]}, call_id="call_a"),
        ToolCall("update_plan", '{"plan": [', call_id=None),
    ],
    usage=Usage(input_tokens=100, cached=40, output_tokens=20, reasoning=5, total=120),
    encrypted_reasoning="gAAAAB-opaque",
    chunk_size=5,
)


def test_responses_stream_event_sequence(model_server: ScriptedModelServer) -> None:
    model_server.push(RICH)
    reply = post(model_server.port, "/v1/responses", {"model": "gpt-5", "stream": True})
    assert reply.status == 200 and reply.complete
    assert reply.headers["content-type"] == "text/event-stream"
    assert reply.headers["transfer-encoding"] == "chunked"
    events = parse_sse(reply.body)
    types = [e.event for e in events]
    assert all(e.event == e.json()["type"] for e in events)
    assert [e.json()["sequence_number"] for e in events] == list(range(len(events)))
    assert types[0] == "response.created" and types[-1] == "response.completed"
    added = [e.json()["item"]["type"] for e in events if e.event == "response.output_item.added"]
    done = [e.json()["item"] for e in events if e.event == "response.output_item.done"]
    assert added == ["reasoning", "message", "function_call", "function_call"]
    assert [i["type"] for i in done] == added

    def joined(kind: str) -> str:
        return "".join(e.json()["delta"] for e in events if e.event == kind)

    text_deltas = [e for e in events if e.event == "response.output_text.delta"]
    assert len(text_deltas) == 4  # 19 chars in pieces of 5
    assert joined("response.output_text.delta") == "Hello there, world!"
    assert joined("response.reasoning_summary_text.delta") == "**Plan** look first"
    assert joined("response.reasoning_text.delta") == "raw chain of thought"
    assert joined("response.function_call_arguments.delta") == (
        json.dumps({"command": ["echo", "hi"]}) + '{"plan": ['
    )
    reasoning, message, call_a, call_b = done
    assert reasoning["summary"] == [{"type": "summary_text", "text": "**Plan** look first"}]
    assert reasoning["encrypted_content"] == "gAAAAB-opaque"
    assert message["role"] == "assistant"
    assert message["content"][0] == {
        "type": "output_text",
        "text": "Hello there, world!",
        "annotations": [],
    }
    assert (call_a["call_id"], call_a["name"]) == ("call_a", "shell")
    assert json.loads(call_a["arguments"]) == {"command": ["echo", "hi"]}
    assert call_b["call_id"] == "call_1_1" and call_b["arguments"] == '{"plan": ['
    completed = events[-1].json()["response"]
    assert completed["status"] == "completed" and completed["model"] == "gpt-5"
    assert completed["usage"] == {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 40},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 5},
        "total_tokens": 120,
    }


def _reassemble_chat(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    calls: dict[int, dict[str, str]] = {}
    content, reasoning, finish, usage = "", "", None, None
    for c in chunks:
        if c.get("usage"):
            usage = c["usage"]
        for choice in c["choices"]:
            delta = choice["delta"]
            content += delta.get("content") or ""
            reasoning += delta.get("reasoning") or ""
            for frag in delta.get("tool_calls", []):
                slot = calls.setdefault(frag["index"], {"id": "", "name": "", "arguments": ""})
                slot["id"] = frag.get("id", slot["id"])
                fn = frag.get("function", {})
                slot["name"] += fn.get("name", "")
                slot["arguments"] += fn.get("arguments", "")
            finish = choice["finish_reason"] or finish
    return {
        "content": content,
        "reasoning": reasoning,
        "calls": [calls[i] for i in sorted(calls)],
        "finish": finish,
        "usage": usage,
    }


def test_chat_stream_fragments_reassemble(model_server: ScriptedModelServer) -> None:
    model_server.push(RICH)
    body = {"model": "gpt-oss:20b", "stream": True, "stream_options": {"include_usage": True}}
    reply = post(model_server.port, "/v1/chat/completions", body)
    assert reply.status == 200 and reply.complete
    events = parse_sse(reply.body)
    assert all(e.event is None for e in events)
    assert events[-1].data == "[DONE]"
    chunks = [e.json() for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    frags = [f for c in chunks for ch in c["choices"] for f in ch["delta"].get("tool_calls", [])]
    assert [f["index"] for f in frags if "id" in f] == [0, 1]
    assert sum(1 for f in frags if f["index"] == 0) >= 3  # name first, arguments in pieces
    got = _reassemble_chat(chunks)
    assert got["content"] == "Hello there, world!"
    assert got["reasoning"] == "raw chain of thought"
    assert got["finish"] == "tool_calls"
    assert got["calls"] == [
        {"id": "call_a", "name": "shell", "arguments": json.dumps({"command": ["echo", "hi"]})},
        {"id": "call_1_1", "name": "update_plan", "arguments": '{"plan": ['},
    ]
    assert chunks[-1]["choices"] == []
    assert got["usage"] == {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 40},
        "completion_tokens_details": {"reasoning_tokens": 5},
    }


def test_chat_usage_only_when_asked_and_text_finish_is_stop() -> None:
    with ScriptedModelServer([Turn(text="hi")], chat_reasoning_field="reasoning_content") as s:
        reply = post(s.port, "/v1/chat/completions", {"model": "m", "stream": True})
    chunks = json_events(reply.body)
    assert not any("usage" in c for c in chunks)
    got = _reassemble_chat(chunks)
    assert (got["content"], got["finish"], got["calls"]) == ("hi", "stop", [])
    content_chunks = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content_chunks) == 2  # even two characters stream as two deltas


def test_chat_reasoning_field_is_configurable() -> None:
    turn = Turn(text="ok", reasoning_raw="thinking")
    with ScriptedModelServer([turn], chat_reasoning_field="reasoning_content") as s:
        reply = post(s.port, "/v1/chat/completions", {"model": "m", "stream": True})
    deltas = [c["choices"][0]["delta"] for c in json_events(reply.body) if c["choices"]]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "thinking"
    assert not any("reasoning" in d for d in deltas)


def test_default_usage_is_deterministic(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="same"), Turn(text="same"))
    body = {"model": "m", "input": "x" * 400}
    usages = [
        json_events(post(model_server.port, "/v1/responses", body).body)[-1]["response"]["usage"]
        for _ in range(2)
    ]
    assert usages[0] == usages[1]
    assert usages[0]["input_tokens"] >= 100
    assert usages[0]["total_tokens"] == usages[0]["input_tokens"] + usages[0]["output_tokens"]


def test_non_streaming_requests_get_json(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="plain", tool_calls=[ToolCall("shell", {"command": ["ls"]})]))
    model_server.push(Turn(text="plain too"))
    chat = post(model_server.port, "/v1/chat/completions", {"model": "m", "stream": False})
    assert chat.headers["content-type"] == "application/json"
    message = chat.json()["choices"][0]["message"]
    assert message["content"] == "plain"
    assert message["tool_calls"][0]["function"]["name"] == "shell"
    resp = post(model_server.port, "/v1/responses", {"model": "m", "stream": False}).json()
    assert resp["output"][0]["content"][0]["text"] == "plain too"
    assert resp["status"] == "completed"


def test_steps_are_consumed_in_order_across_wires(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="first"), Turn(text="second"))
    a = json_events(post(model_server.port, "/v1/chat/completions", {"model": "m"}).body)
    b = json_events(post(model_server.port, "/v1/responses", {"model": "m"}).body)
    assert _reassemble_chat(a)["content"] == "first"
    assert b[-1]["response"]["output"][0]["content"][0]["text"] == "second"
    assert b[-1]["response"]["id"] == "resp_2"
    assert model_server.remaining == 0


def test_close_delimited_framing() -> None:
    with ScriptedModelServer([Turn(text="closing")], framing="close") as s:
        reply = post(s.port, "/v1/responses", {"model": "m"})
    assert reply.complete and "transfer-encoding" not in reply.headers
    assert reply.headers["connection"] == "close"
    assert json_events(reply.body)[-1]["type"] == "response.completed"


def test_reasoning_summary_in_several_parts(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="ok", reasoning_summary=["**One**\n\nfirst", "**Two**\n\nnext"]))
    events = json_events(post(model_server.port, "/v1/responses", {"model": "m"}).body)
    by_part: dict[int, str] = {}
    for e in events:
        if e["type"] == "response.reasoning_summary_text.delta":
            by_part[e["summary_index"]] = by_part.get(e["summary_index"], "") + e["delta"]
    assert by_part == {0: "**One**\n\nfirst", 1: "**Two**\n\nnext"}
    added = [e["summary_index"] for e in events if e["type"].endswith("summary_part.added")]
    assert added == [0, 1]
    (reasoning,) = [
        e["item"]
        for e in events
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "reasoning"
    ]
    assert [p["text"] for p in reasoning["summary"]] == ["**One**\n\nfirst", "**Two**\n\nnext"]
    assert "content" not in reasoning and "encrypted_content" not in reasoning
