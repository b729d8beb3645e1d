"""The client's own rules through the in-memory transport (no sockets): what it sends, the
retry and hold-back rule, auth refresh. Each wire behaviour also has an end-to-end test over
real HTTP in ``test_client_http.py``."""

from __future__ import annotations

import asyncio

import pytest

from pycodex.config.schema import ModelProviderInfo
from pycodex.models.base import (
    Completed,
    FunctionTool,
    ModelEvent,
    ModelRequestOptions,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    Retrying,
)
from pycodex.models.client import create_model_client
from pycodex.protocol.errors import ProviderConnectionError, ProviderHttpError, StreamDisconnected
from pycodex.protocol.items import TokenUsage, assistant_message, user_message
from pycodex.protocol.policy import WireApi
from tests.support.fake_transport import Answer, FakeTransport, sse

PROMPT = Prompt("be brief", (user_message("hi"),), (FunctionTool("shell", "run", {}),))
USAGE = {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
DONE = sse(
    {"type": "response.output_text.delta", "delta": "ok"},
    {
        "type": "response.output_item.done",
        "item": {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "ok"}],
        },
    },
    {"type": "response.completed", "response": {"id": "r1", "usage": USAGE}},
)


async def _no_sleep(seconds: float) -> None:
    return None


def run(transport: FakeTransport, **provider: object) -> list[ModelEvent]:
    provider.setdefault("wire_api", WireApi.RESPONSES)
    prov = ModelProviderInfo(
        id="t",
        name="T",
        base_url="http://model.test/v1",
        **provider,  # type: ignore[arg-type]
    )
    client = create_model_client(
        prov,
        ModelRequestOptions("m"),
        env={},
        session_id="s-1",
        sleep=_no_sleep,
        transport=transport,
    )

    async def main() -> list[ModelEvent]:
        return [e async for e in client.stream(PROMPT)]

    return asyncio.run(main())


def test_the_request_goes_through_the_transport_with_url_headers_and_body() -> None:
    fake = FakeTransport(Answer(chunks=DONE))
    events = run(fake, query_params={"api-version": "1"}, http_headers={"X-Org": "o"})
    assert events == [
        OutputTextDelta("ok"),
        OutputItemDone(assistant_message("ok")),
        Completed("r1", TokenUsage(5, 0, 2, 0, 7)),
    ]
    [request] = fake.requests
    assert (request.method, request.url) == ("POST", "http://model.test/v1/responses?api-version=1")
    assert request.headers["X-Org"] == "o"
    assert request.headers["session_id"] == "s-1"
    assert request.read_timeout == 300.0
    body = fake.json_bodies()[0]
    assert body["tools"][0]["name"] == "shell"
    assert body["stream"] is True
    assert fake.responses[0].closed


def test_a_failed_attempt_never_leaks_items_and_is_retried() -> None:
    broken: list[bytes | BaseException] = [
        *DONE[:2],
        StreamDisconnected("stream disconnected: reset"),
    ]
    fake = FakeTransport(
        Answer(status=503, chunks=[b'{"error":{"message":"busy"}}']),
        ProviderConnectionError("refused"),
        Answer(chunks=broken),
        Answer(chunks=DONE),
    )
    events = run(fake, request_max_retries=3, stream_max_retries=3)
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "Retrying", "Retrying", "OutputTextDelta", "Retrying",
        "OutputTextDelta", "OutputItemDone", "Completed",
    ]  # fmt: skip
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [(r.attempt, r.max_attempts) for r in retries] == [(1, 3), (2, 3), (1, 3)]
    assert "busy" in retries[0].reason
    assert len(fake.requests) == 4
    assert all(r.closed for r in fake.responses)


def test_a_4xx_is_raised_at_once() -> None:
    fake = FakeTransport(Answer(status=400, chunks=[b'{"error":{"message":"bad tool"}}']))
    with pytest.raises(ProviderHttpError, match="bad tool"):
        run(fake, request_max_retries=3)
    assert len(fake.requests) == 1


def test_a_chat_provider_posts_to_chat_completions() -> None:
    chat = [
        b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n',
        b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    fake = FakeTransport(Answer(chunks=chat))
    events = run(fake, wire_api=WireApi.CHAT)
    assert fake.requests[0].url == "http://model.test/v1/chat/completions"
    assert "session_id" not in fake.requests[0].headers
    assert [e for e in events if isinstance(e, OutputItemDone)] == [
        OutputItemDone(assistant_message("hi"))
    ]
