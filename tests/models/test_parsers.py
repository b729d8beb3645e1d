"""Wire parsers on captured SSE bytes: events out, garbage tolerated, incomplete streams caught."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pycodex.models.base import (
    Completed,
    Created,
    ModelEvent,
    OutputItemDone,
    OutputTextDelta,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
)
from pycodex.models.chat_api import ChatParser
from pycodex.models.responses_api import ResponsesParser
from pycodex.models.sse import SseParser
from pycodex.protocol.errors import ModelError, StreamDisconnected
from pycodex.protocol.items import (
    FunctionCallItem,
    ReasoningItem,
    TokenUsage,
    WebSearchCallItem,
    assistant_message,
)


def sse(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    data = obj if isinstance(obj, str) else json.dumps(obj)
    return f"{head}data: {data}\n\n".encode()


def run(parser: ResponsesParser | ChatParser, raw: bytes) -> list[ModelEvent]:
    sse_parser = SseParser()
    out: list[ModelEvent] = []
    for event in sse_parser.feed(raw) + sse_parser.finish():
        out.extend(parser.feed(event))
    return out + parser.finish()


def rs(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, kind)


MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Hello"}],
}
REASONING = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [{"type": "summary_text", "text": "**Plan**"}],
    "encrypted_content": "enc",
}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "shell",
    "arguments": '{"command":["ls"]}',
}
USAGE = {
    "input_tokens": 100,
    "input_tokens_details": {"cached_tokens": 40},
    "output_tokens": 20,
    "output_tokens_details": {"reasoning_tokens": 5},
    "total_tokens": 120,
}
RESPONSES_STREAM = b"".join(
    [
        rs("response.created", response={"id": "resp_1"}),
        rs("response.in_progress", response={"id": "resp_1"}),
        b": ping\n\n",
        rs("response.reasoning_summary_text.delta", delta="**Pl"),
        rs("response.reasoning_text.delta", delta="raw"),
        rs("response.output_item.done", item=REASONING),
        b"data: this is not json\n\n",
        rs("response.output_text.delta", delta="Hel"),
        rs("response.output_text.delta", delta="lo"),
        rs("response.brand_new_event", foo=1),
        rs("response.output_item.done", item=MESSAGE),
        rs("response.function_call_arguments.delta", delta="{"),
        rs("response.output_item.done", item=CALL),
        rs("response.output_item.done", item={"type": "web_search_call", "id": "ws"}),
        rs("response.completed", response={"id": "resp_1", "usage": USAGE, "output": []}),
    ]
)


def test_responses_stream_to_events() -> None:
    assert run(ResponsesParser(), RESPONSES_STREAM) == [
        Created("resp_1"),
        ReasoningSummaryDelta("**Pl"),
        ReasoningContentDelta("raw"),
        OutputItemDone(ReasoningItem("rs_1", ("**Plan**",), None, "enc")),
        OutputTextDelta("Hel"),
        OutputTextDelta("lo"),
        OutputItemDone(assistant_message("Hello", "msg_1")),
        OutputItemDone(FunctionCallItem("call_1", "shell", '{"command":["ls"]}', "fc_1")),
        OutputItemDone(WebSearchCallItem("ws")),
        Completed("resp_1", TokenUsage(100, 40, 20, 5, 120)),
    ]


def test_responses_stream_without_completed_is_a_disconnect() -> None:
    cut = RESPONSES_STREAM[: RESPONSES_STREAM.index(b"event: response.completed")]
    with pytest.raises(StreamDisconnected, match=r"stream closed before response\.completed"):
        run(ResponsesParser(), cut)


def test_responses_failed_is_a_model_error_retryable_only_for_server_errors() -> None:
    server = rs(
        "response.failed",
        response={"error": {"code": "server_error", "message": "overloaded"}},
    )
    with pytest.raises(ModelError, match="overloaded") as exc:
        run(ResponsesParser(), server)
    assert exc.value.retryable
    bad = rs(
        "response.failed",
        response={"error": {"code": "invalid_prompt", "message": "prompt rejected"}},
    )
    with pytest.raises(ModelError, match="prompt rejected") as exc:
        run(ResponsesParser(), bad)
    assert not exc.value.retryable


def test_responses_completed_without_output_item_done_uses_output_then_text() -> None:
    raw = rs("response.completed", response={"id": "r", "output": [MESSAGE]})
    assert run(ResponsesParser(), raw) == [
        OutputItemDone(assistant_message("Hello", "msg_1")),
        Completed("r", None),
    ]
    raw = rs("response.output_text.delta", delta="hi") + rs("response.completed", response={})
    assert run(ResponsesParser(), raw) == [
        OutputTextDelta("hi"),
        OutputItemDone(assistant_message("hi")),
        Completed(None, None),
    ]


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": choices, **extra})


def frag(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


CHAT_PARTS = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"reasoning": "think"}),
    chunk({"reasoning_content": "more"}),
    chunk({"content": "Hi "}),
    b": keep-alive\n\n",
    chunk({"content": "there"}),
    chunk(frag(0, id="call_a", type="function", function={"name": "shell", "arguments": ""})),
    chunk(frag(1, id="call_b", type="function", function={"name": "update_plan"})),
    chunk(frag(0, function={"arguments": '{"comm'})),
    b"data: {broken json\n\n",
    chunk(frag(1, function={"arguments": '{"plan":[]}'})),
    chunk(frag(0, function={"arguments": 'and":["ls"]}'})),
    chunk({}, finish="tool_calls"),
    chunk(
        None,
        usage={
            "prompt_tokens": 50,
            "completion_tokens": 7,
            "total_tokens": 57,
            "prompt_tokens_details": {"cached_tokens": 10},
        },
    ),
    b"data: [DONE]\n\n",
]
CHAT_STREAM = b"".join(CHAT_PARTS)


def test_chat_stream_assembles_fragments_by_index() -> None:
    assert run(ChatParser(), CHAT_STREAM) == [
        Created("chatcmpl-1"),
        ReasoningContentDelta("think"),
        ReasoningContentDelta("more"),
        OutputTextDelta("Hi "),
        OutputTextDelta("there"),
        OutputItemDone(assistant_message("Hi there")),
        OutputItemDone(FunctionCallItem("call_a", "shell", '{"command":["ls"]}')),
        OutputItemDone(FunctionCallItem("call_b", "update_plan", '{"plan":[]}')),
        Completed("chatcmpl-1", TokenUsage(50, 10, 7, 0, 57)),
    ]


def test_chat_stream_ending_early_is_a_disconnect() -> None:
    cut = b"".join(CHAT_PARTS[:12])  # up to the finish_reason chunk
    with pytest.raises(StreamDisconnected):
        run(ChatParser(), cut)


def test_chat_finish_reason_without_done_is_complete() -> None:
    events = run(ChatParser(), chunk({"content": "ok"}) + chunk({}, finish="stop"))
    assert events[-2:] == [OutputItemDone(assistant_message("ok")), Completed("chatcmpl-1")]


def test_chat_in_band_error() -> None:
    raw = chunk({"content": "x"}) + sse({"error": {"message": "boom", "type": "server_error"}})
    with pytest.raises(ModelError, match="boom") as exc:
        run(ChatParser(), raw)
    assert exc.value.retryable


def test_chat_fragments_without_index_or_id() -> None:
    raw = b"".join(
        [
            sse({"choices": [{"delta": {"tool_calls": [{"id": "x", "function": {"name": "f"}}]}}]}),
            sse({"choices": [{"delta": {"tool_calls": [{"function": {"arguments": "{}"}}]}}]}),
            sse({"choices": [{"delta": {"tool_calls": [{"function": {"name": "g"}}]}}]}),
            b"data: [DONE]\n\n",
        ]
    )
    events = run(ChatParser(), raw)
    calls = [e.item for e in events if isinstance(e, OutputItemDone)]
    assert calls[0] == FunctionCallItem("x", "f", "{}")
    assert len(calls) == 1  # a name-only fragment without id continues the last call
