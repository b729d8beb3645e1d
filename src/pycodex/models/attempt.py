"""One attempt: a request through the transport, its body through the wire parser.

Items (``OutputItemDone``) and ``Completed`` are held back until the attempt's response is
complete and released at the end, so a failed attempt never leaks items (the retry rule of
``client``); deltas stream live. Errors of the answer are classified here: a non-2xx status
is a ``ProviderHttpError`` (tracebacks of Python servers shortened, see ``tolerance``), a 200
with an empty body is a dropped stream, a 200 JSON body is an error or a non-streamed reply.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from typing import Protocol

from pycodex.models import chat_api, responses_api
from pycodex.models.base import (
    Completed,
    ModelEvent,
    OutputItemDone,
    OutputTextDelta,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
)
from pycodex.models.quirks import json_reply_event
from pycodex.models.retry import parse_retry_after
from pycodex.models.sse import SseEvent, SseParser
from pycodex.models.text_tool_calls import TextToolCallFilter, ToolSchemas
from pycodex.models.text_tool_items import convert_text_calls
from pycodex.models.tolerance import (
    TRACEBACK_RETRIES,
    estimated_usage,
    is_traceback,
    looks_like_request_error,
    shorten_error,
)
from pycodex.models.transport import Transport, TransportRequest, TransportResponse
from pycodex.protocol.errors import ModelError, ProviderHttpError, StreamDisconnected

EMPTY_BODY = "the server answered 200 with an empty body"
# Local servers answer 200 and nothing when the request fails after the headers went out
# (llama-cpp-python does for a prompt larger than its context): a retry rarely helps.
EMPTY_BODY_RETRIES = 2
EMPTY_BODY_HINT = (
    " (local servers do this when the prompt is larger than their context: try a model "
    'with a larger context, model_instructions_profile = "compact", or /compact)'
)


def empty_body() -> StreamDisconnected:
    exc = StreamDisconnected(EMPTY_BODY + EMPTY_BODY_HINT)
    exc.max_retries = EMPTY_BODY_RETRIES
    return exc


def http_error(status: int, body: bytes, headers: Mapping[str, str]) -> ProviderHttpError:
    """The error for a non-2xx answer. A 5xx with a traceback (Python servers) is shortened
    to its exception; it is not retried when it blames the request, else retried once."""
    text = body.decode("utf-8", "replace")
    if status >= 500 and (is_traceback(text) or looks_like_request_error(text)):
        exc = ProviderHttpError(status, shorten_error(text), parse_retry_after(headers))
        exc.retryable = not looks_like_request_error(text)
        exc.max_retries = TRACEBACK_RETRIES
        return exc
    return ProviderHttpError(status, error_message(body), parse_retry_after(headers))


def error_message(body: bytes) -> str:
    """The server's own message from ``{"error": {"message": ...}}``, else the raw text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:1000]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return text[:1000]


class WireParser(Protocol):
    done: bool

    def feed(self, event: SseEvent) -> list[ModelEvent]: ...
    def finish(self) -> list[ModelEvent]: ...


async def run_attempt(
    transport: Transport,
    request: TransportRequest,
    *,
    chat: bool,
    schemas: ToolSchemas | None = None,
    prompt_tokens: int = 0,
) -> AsyncGenerator[ModelEvent, None]:
    """The events of one attempt; raises ``ModelError`` subclasses when it fails."""
    resp = await transport(request)
    chunks = resp.chunks()
    text_calls = TextToolCallFilter(schemas) if schemas else None
    produced = 0  # characters of output, for a usage estimate
    try:
        parser: WireParser = chat_api.ChatParser() if chat else responses_api.ResponsesParser()
        held: list[ModelEvent] = []  # items and Completed, released when the attempt ends
        live: list[ModelEvent] = await _check(resp, parser, chat=chat)
        sse = SseParser()
        ended = received = False
        while True:
            for event in live:
                if isinstance(event, OutputItemDone | Completed):
                    held.append(event)
                    continue
                if isinstance(
                    event, OutputTextDelta | ReasoningContentDelta | ReasoningSummaryDelta
                ):
                    produced += len(event.delta)
                if isinstance(event, OutputTextDelta) and text_calls is not None:
                    shown = text_calls.feed(event.delta)
                    if shown:
                        yield OutputTextDelta(shown)
                    continue
                yield event
            if parser.done or ended:
                break
            chunk = await anext(chunks, None)
            ended = chunk is None
            received = received or bool(chunk and chunk.strip())
            events = sse.finish() if chunk is None else sse.feed(chunk)
            live = [e for sse_event in events for e in parser.feed(sse_event)]
        if not received and not parser.done:
            raise empty_body()
        held.extend(parser.finish())  # raises StreamDisconnected when incomplete
    finally:
        resp.close()
        await chunks.aclose()
    if text_calls is not None:
        rest, held = convert_text_calls(text_calls, held)
        if rest:
            yield OutputTextDelta(rest)
    for event in held:
        if isinstance(event, Completed) and event.usage is None:
            event = Completed(event.response_id, estimated_usage(prompt_tokens, produced))
        yield event


async def _check(resp: TransportResponse, parser: WireParser, *, chat: bool) -> list[ModelEvent]:
    """Raise for error statuses; a 200 JSON body is an error or a non-streamed reply."""
    if not 200 <= resp.status < 300:
        raise http_error(resp.status, await resp.read(1 << 16), resp.headers)
    if resp.content_type != "application/json":
        return []
    raw = await resp.read()
    if not raw.strip():
        raise empty_body()
    try:
        data = json.loads(raw)
    except ValueError:
        raise ModelError(f"invalid JSON response: {error_message(raw)}") from None
    if not isinstance(data, dict) or "error" in data:
        raise ModelError(error_message(raw))
    events = parser.feed(json_reply_event(data, chat=chat))
    parser.done = True
    return events
