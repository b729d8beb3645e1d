"""Render a scripted ``Turn`` as the bytes of an OpenAI-compatible SSE stream.

Two wire formats: the Responses API (``event:`` + ``data:`` frames, ``response.created`` …
``response.completed``) and Chat Completions (``data:`` chunks, tool-call fragments keyed by
``index``, ``data: [DONE]``). Each function returns a list of complete SSE frames so the
server can count events for cut/idle faults and interleave noise. Deterministic: ids derive
from the response number, timestamps are a constant.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.support.model_script import ToolCall, Turn, Usage

CREATED_AT = 1_750_000_000  # fixed so renders are byte-for-byte reproducible


@dataclass(frozen=True)
class RenderContext:
    """What a render needs from the request: its number, the model asked for, its size."""

    number: int
    model: str
    request_bytes: int = 0
    include_usage: bool = False  # Chat: stream_options.include_usage


def pieces(text: str, size: int) -> list[str]:
    """Split ``text`` into deltas of ``size``; at least two when it has two characters."""
    size = max(1, size)
    out = [text[i : i + size] for i in range(0, len(text), size)]
    if len(out) == 1 and len(text) >= 2:
        half = len(text) // 2
        out = [text[:half], text[half:]]
    return out


def arguments_text(call: ToolCall) -> str:
    if isinstance(call.arguments, str):
        return call.arguments
    return json.dumps(call.arguments)


def call_ids(turn: Turn, ctx: RenderContext) -> list[str]:
    return [c.call_id or f"call_{ctx.number}_{i}" for i, c in enumerate(turn.tool_calls)]


def effective_usage(turn: Turn, ctx: RenderContext) -> Usage:
    """The scripted usage, or a deterministic estimate (~4 bytes per token)."""
    if turn.usage is not None:
        return turn.usage
    produced = len(turn.text) + sum(len(arguments_text(c)) + len(c.name) for c in turn.tool_calls)
    reasoning = sum(map(len, turn.summary_parts)) + len(turn.reasoning_raw or "")
    return Usage(
        input_tokens=max(1, ctx.request_bytes // 4),
        output_tokens=1 + (produced + reasoning) // 4,
        reasoning=reasoning // 4,
    )


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


# --- Responses API ---------------------------------------------------------------------


def _responses_usage(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cached},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning},
        "total_tokens": u.total_tokens,
    }


def responses_items(turn: Turn, ctx: RenderContext) -> list[dict[str, Any]]:
    """The completed output items of a turn (what ``output_item.done`` carries)."""
    items: list[dict[str, Any]] = []
    n = ctx.number
    if (
        turn.reasoning_summary is not None
        or turn.reasoning_raw is not None
        or (turn.encrypted_reasoning is not None)
    ):
        item: dict[str, Any] = {"id": f"rs_{n}", "type": "reasoning", "summary": []}
        item["summary"] = [{"type": "summary_text", "text": t} for t in turn.summary_parts]
        if turn.reasoning_raw is not None:
            item["content"] = [{"type": "reasoning_text", "text": turn.reasoning_raw}]
        if turn.encrypted_reasoning is not None:
            item["encrypted_content"] = turn.encrypted_reasoning
        items.append(item)
    for i, query in enumerate(turn.web_searches):
        action = {"type": "search", "query": query}
        items.append(
            {
                "id": f"ws_{n}_{i}",
                "type": "web_search_call",
                "status": "completed",
                "action": action,
            }
        )
    if turn.text:
        items.append(
            {
                "id": f"msg_{n}",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": turn.text, "annotations": []}],
            }
        )
    for i, (call, cid) in enumerate(zip(turn.tool_calls, call_ids(turn, ctx), strict=True)):
        items.append(
            {
                "id": f"fc_{n}_{i}",
                "type": "function_call",
                "status": "completed",
                "name": call.name,
                "call_id": cid,
                "arguments": arguments_text(call),
            }
        )
    return items


def _response_obj(ctx: RenderContext, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"resp_{ctx.number}",
        "object": "response",
        "created_at": CREATED_AT,
        "status": status,
        "model": ctx.model,
        "output": output,
    }


def _item_events(
    item: dict[str, Any], index: int, turn: Turn
) -> Iterable[tuple[str, dict[str, Any]]]:
    """The added/delta/done events of one output item, as (type, payload-without-type)."""
    kind = item["type"]
    iid = item["id"]
    base = {"item_id": iid, "output_index": index}
    if kind == "reasoning":
        yield (
            "response.output_item.added",
            {
                "output_index": index,
                "item": {"id": iid, "type": "reasoning", "summary": []},
            },
        )
        for si, summary in enumerate(turn.summary_parts):
            part: dict[str, Any] = {"type": "summary_text", "text": ""}
            at = {**base, "summary_index": si}
            yield "response.reasoning_summary_part.added", {**at, "part": part}
            for d in pieces(summary, turn.chunk_size):
                yield "response.reasoning_summary_text.delta", {**at, "delta": d}
            yield "response.reasoning_summary_text.done", {**at, "text": summary}
            done_part = {"type": "summary_text", "text": summary}
            yield "response.reasoning_summary_part.done", {**at, "part": done_part}
        if turn.reasoning_raw is not None:
            for d in pieces(turn.reasoning_raw, turn.chunk_size):
                yield "response.reasoning_text.delta", {**base, "content_index": 0, "delta": d}
    elif kind == "web_search_call":
        added = {"id": iid, "type": kind, "status": "in_progress"}
        yield "response.output_item.added", {"output_index": index, "item": added}
        for phase in ("in_progress", "searching", "completed"):
            yield f"response.web_search_call.{phase}", base
    elif kind == "message":
        yield (
            "response.output_item.added",
            {
                "output_index": index,
                "item": {**item, "status": "in_progress", "content": []},
            },
        )
        part0: dict[str, Any] = {"type": "output_text", "text": "", "annotations": []}
        yield "response.content_part.added", {**base, "content_index": 0, "part": part0}
        for d in pieces(turn.text, turn.chunk_size):
            yield "response.output_text.delta", {**base, "content_index": 0, "delta": d}
        yield "response.output_text.done", {**base, "content_index": 0, "text": turn.text}
        part = {"type": "output_text", "text": turn.text, "annotations": []}
        yield "response.content_part.done", {**base, "content_index": 0, "part": part}
    else:
        yield (
            "response.output_item.added",
            {
                "output_index": index,
                "item": {**item, "status": "in_progress", "arguments": ""},
            },
        )
        for d in pieces(item["arguments"], turn.chunk_size):
            yield "response.function_call_arguments.delta", {**base, "delta": d}
        yield "response.function_call_arguments.done", {**base, "arguments": item["arguments"]}
    yield "response.output_item.done", {"output_index": index, "item": item}


def render_responses(turn: Turn, ctx: RenderContext) -> list[bytes]:
    """All SSE frames of a complete Responses stream, ``sequence_number`` included."""
    items = responses_items(turn, ctx)
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"response": _response_obj(ctx, "in_progress", [])}),
        ("response.in_progress", {"response": _response_obj(ctx, "in_progress", [])}),
    ]
    for index, item in enumerate(items):
        events.extend(_item_events(item, index, turn))
    done = _response_obj(ctx, "completed", items)
    done["usage"] = _responses_usage(effective_usage(turn, ctx))
    events.append(("response.completed", {"response": done}))
    return [sse({"type": t, "sequence_number": i, **p}, t) for i, (t, p) in enumerate(events)]


def responses_json(turn: Turn, ctx: RenderContext) -> dict[str, Any]:
    """A non-streamed Responses answer (``"stream": false``)."""
    body = _response_obj(ctx, "completed", responses_items(turn, ctx))
    body["usage"] = _responses_usage(effective_usage(turn, ctx))
    return body


def responses_failed(ctx: RenderContext, message: str) -> list[bytes]:
    created = {"type": "response.created", "response": _response_obj(ctx, "in_progress", [])}
    failed = _response_obj(ctx, "failed", [])
    failed["error"] = {"code": "server_error", "message": message}
    return [
        sse(created, "response.created"),
        sse({"type": "response.failed", "response": failed}, "response.failed"),
    ]


# --- Chat Completions ------------------------------------------------------------------


def _chunk(ctx: RenderContext, delta: dict[str, Any], finish: str | None = None) -> bytes:
    return sse(
        {
            "id": f"chatcmpl-{ctx.number}",
            "object": "chat.completion.chunk",
            "created": CREATED_AT,
            "model": ctx.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def _chat_usage(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning},
    }


def render_chat(turn: Turn, ctx: RenderContext, reasoning_field: str = "reasoning") -> list[bytes]:
    """All SSE frames of a complete Chat stream, ending with ``data: [DONE]``."""
    frames = [_chunk(ctx, {"role": "assistant", "content": ""})]
    if turn.reasoning_raw is not None:
        for d in pieces(turn.reasoning_raw, turn.chunk_size):
            frames.append(_chunk(ctx, {reasoning_field: d}))
    for d in pieces(turn.text, turn.chunk_size):
        frames.append(_chunk(ctx, {"content": d}))
    for i, (call, cid) in enumerate(zip(turn.tool_calls, call_ids(turn, ctx), strict=True)):
        first = {
            "index": i,
            "id": cid,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        frames.append(_chunk(ctx, {"tool_calls": [first]}))
        for d in pieces(arguments_text(call), turn.chunk_size):
            frames.append(_chunk(ctx, {"tool_calls": [{"index": i, "function": {"arguments": d}}]}))
    frames.append(_chunk(ctx, {}, "tool_calls" if turn.tool_calls else "stop"))
    if ctx.include_usage:
        usage_chunk = {
            "id": f"chatcmpl-{ctx.number}",
            "object": "chat.completion.chunk",
            "created": CREATED_AT,
            "model": ctx.model,
            "choices": [],
            "usage": _chat_usage(effective_usage(turn, ctx)),
        }
        frames.append(sse(usage_chunk))
    frames.append(sse("[DONE]"))
    return frames


def chat_json(turn: Turn, ctx: RenderContext) -> dict[str, Any]:
    """A non-streamed Chat answer (``"stream": false``)."""
    message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
    if turn.tool_calls:
        message["tool_calls"] = [
            {
                "id": cid,
                "type": "function",
                "function": {"name": c.name, "arguments": arguments_text(c)},
            }
            for c, cid in zip(turn.tool_calls, call_ids(turn, ctx), strict=True)
        ]
    return {
        "id": f"chatcmpl-{ctx.number}",
        "object": "chat.completion",
        "created": CREATED_AT,
        "model": ctx.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if turn.tool_calls else "stop",
            }
        ],
        "usage": _chat_usage(effective_usage(turn, ctx)),
    }


def chat_failed(ctx: RenderContext, message: str) -> list[bytes]:
    err = {"error": {"message": message, "type": "server_error", "code": 500}}
    return [_chunk(ctx, {"role": "assistant", "content": ""}), sse(err), sse("[DONE]")]


# --- noise for the noisy_success fault -------------------------------------------------

RESPONSES_NOISE: tuple[bytes, ...] = (
    b": ping\n\n",
    b"data: not-json\n\n",
    b'event: response.future_feature\ndata: {"type":"response.future_feature","x":1}\n\n',
    b"data:\n\n",
    b"id: 7\nretry: 3000\n\n",
    b"event: response.output_text.annotation.added\n"
    b'data: {"type":"response.output_text.annotation.added"}\n\n',
)

CHAT_NOISE: tuple[bytes, ...] = (
    b": ping\n\n",
    b"data: not-json\n\n",
    b'data: {"object":"chat.completion.chunk","choices":[]}\n\n',
    b"data:\n\n",
    b"id: 7\nretry: 3000\n\n",
    b'data: {"object":"chat.completion.chunk",'
    b'"choices":[{"index":0,"delta":{},"finish_reason":null}]}\n\n',
)


def with_noise(frames: list[bytes], noise: tuple[bytes, ...]) -> list[bytes]:
    """Noise before the first frame and after every frame except the last."""
    cycle = itertools.cycle(noise)
    out: list[bytes] = [next(cycle)]
    for i, frame in enumerate(frames):
        out.append(frame)
        if i < len(frames) - 1:
            out.append(next(cycle))
    return out


# --- echo mode -------------------------------------------------------------------------


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


def last_user_message(body: dict[str, Any] | None) -> str:
    """The last user text of a Responses ``input`` or Chat ``messages`` body."""
    if not body:
        return ""
    entries = body.get("messages")
    if entries is None:
        entries = body.get("input")
    if isinstance(entries, str):
        return entries
    if not isinstance(entries, list):
        return ""
    for entry in reversed(entries):
        if isinstance(entry, dict) and entry.get("role") == "user":
            return _text_of(entry.get("content"))
    return ""
