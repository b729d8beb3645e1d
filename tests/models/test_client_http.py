"""The real client over real HTTP against the scripted model server: both wires, every fault."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

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
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    Retrying,
)
from pycodex.models.client import create_model_client
from pycodex.protocol.errors import (
    AuthError,
    ModelError,
    ProviderConnectionError,
    ProviderHttpError,
    StreamDisconnected,
)
from pycodex.protocol.items import (
    FunctionCallItem,
    ReasoningItem,
    TokenUsage,
    assistant_message,
    user_message,
)
from pycodex.protocol.policy import WireApi
from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn, Usage

WIRES = [WireApi.RESPONSES, WireApi.CHAT]
SHELL = FunctionTool("shell", "run", {"type": "object", "properties": {}})
PROMPT = Prompt("be brief", (user_message("hi"),), (SHELL,), session_id="sess-42")


class Sleeps:
    """Injected instead of asyncio.sleep: records the delays, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def provider(server: ScriptedModelServer, wire: WireApi, **kw: Any) -> ModelProviderInfo:
    fields: dict[str, Any] = {"id": "test", "name": "Test", "base_url": server.base_url}
    return ModelProviderInfo(wire_api=wire, **(fields | kw))


def collect(
    prov: ModelProviderInfo,
    *,
    env: dict[str, str] | None = None,
    sleeps: Sleeps | None = None,
    options: ModelRequestOptions | None = None,
    prompt: Prompt = PROMPT,
    bound: float = 20,
) -> list[ModelEvent]:
    client = create_model_client(
        prov,
        options or ModelRequestOptions(model="test-model"),
        env=env or {},
        session_id="sess-42",
        sleep=sleeps or Sleeps(),
    )

    async def main() -> list[ModelEvent]:
        return [e async for e in client.stream(prompt)]

    return asyncio.run(asyncio.wait_for(main(), bound))


def items(events: list[ModelEvent]) -> list[Any]:
    return [e.item for e in events if isinstance(e, OutputItemDone)]


def text(events: list[ModelEvent]) -> str:
    return "".join(e.delta for e in events if isinstance(e, OutputTextDelta))


@pytest.mark.parametrize("wire", WIRES)
def test_text_reasoning_and_tool_calls(model_server: ScriptedModelServer, wire: WireApi) -> None:
    model_server.push(
        Turn(
            text="Hello there, world",
            reasoning_summary="**Plan** it",
            reasoning_raw="raw thoughts",
            tool_calls=[
                ToolCall("shell", {"command": ["ls", "-la"]}, call_id="call_x"),
                ToolCall("update_plan", {"plan": []}, call_id="call_y"),
            ],
            usage=Usage(100, 40, 20, 5),
            chunk_size=4,
        )
    )
    events = collect(provider(model_server, wire))
    assert text(events) == "Hello there, world"
    assert sum(isinstance(e, OutputTextDelta) for e in events) >= 4
    raw = "".join(e.delta for e in events if isinstance(e, ReasoningContentDelta))
    assert raw == "raw thoughts"
    calls = [
        FunctionCallItem("call_x", "shell", '{"command": ["ls", "-la"]}'),
        FunctionCallItem("call_y", "update_plan", '{"plan": []}'),
    ]
    got = items(events)
    if wire == WireApi.RESPONSES:
        summary = "".join(e.delta for e in events if isinstance(e, ReasoningSummaryDelta))
        assert summary == "**Plan** it"
        assert got == [
            ReasoningItem("rs_1", ("**Plan** it",), ("raw thoughts",)),
            assistant_message("Hello there, world", "msg_1"),
            *(
                FunctionCallItem(c.call_id, c.name, c.arguments, f"fc_1_{i}")
                for i, c in enumerate(calls)
            ),
        ]
    else:
        assert got == [assistant_message("Hello there, world"), *calls]
    last = events[-1]
    assert isinstance(last, Completed)
    assert last.usage == TokenUsage(100, 40, 20, 5, 120)
    assert sum(isinstance(e, Completed) for e in events) == 1
    # items are released together right before Completed, after every delta
    first_item = next(i for i, e in enumerate(events) if isinstance(e, OutputItemDone))
    assert all(isinstance(e, OutputItemDone) for e in events[first_item:-1])


def test_responses_request_as_seen_by_the_server(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="ok"))
    prov = provider(
        model_server,
        WireApi.RESPONSES,
        env_key="MY_KEY",
        query_params={"api-version": "2025-04-01"},
        http_headers={"X-Static": "s"},
        env_http_headers={"OpenAI-Project": "PROJ", "OpenAI-Organization": "ORG"},
    )
    options = ModelRequestOptions(
        model="o3",
        reasoning_effort="medium",
        reasoning_summary="auto",
        store=False,
        include=("reasoning.encrypted_content",),
    )
    collect(prov, env={"MY_KEY": "sk-test", "PROJ": "proj-1", "ORG": ""}, options=options)
    (req,) = model_server.model_requests
    assert req.path == "/v1/responses"
    assert req.query == {"api-version": "2025-04-01"}
    h = req.headers
    assert h["authorization"] == "Bearer sk-test"
    assert h["openai-beta"] == "responses=experimental"
    assert h["session_id"] == "sess-42"
    assert h["originator"] == "codex_cli_rs"
    assert h["accept"] == "text/event-stream"
    assert h["x-static"] == "s"
    assert h["openai-project"] == "proj-1"
    assert "openai-organization" not in h
    assert req.body is not None
    assert req.body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert (req.body["store"], req.body["include"]) == (False, ["reasoning.encrypted_content"])
    assert req.body["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    ]


def test_chat_request_has_no_authorization_without_env_key(
    model_server: ScriptedModelServer,
) -> None:
    model_server.push(Turn(text="ok"))
    events = collect(provider(model_server, WireApi.CHAT))
    assert text(events) == "ok"
    (req,) = model_server.model_requests
    assert req.path == "/v1/chat/completions"
    assert "authorization" not in req.headers
    assert req.body is not None
    assert req.body["messages"][0] == {"role": "system", "content": "be brief"}
    assert req.body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("wire", WIRES)
def test_429_with_retry_after_then_success(
    model_server: ScriptedModelServer, wire: WireApi
) -> None:
    model_server.push(Fault.http_status(429, retry_after=1), Turn(text="after the wait"))
    sleeps = Sleeps()
    events = collect(provider(model_server, wire), sleeps=sleeps)
    assert sleeps.delays == [1.0]
    retry = events[0]
    assert isinstance(retry, Retrying)
    assert (retry.attempt, retry.max_attempts, retry.delay_seconds) == (1, 4, 1.0)
    assert "429" in retry.reason
    assert text(events) == "after the wait"
    assert len(model_server.model_requests) == 2


def test_500_storm_beyond_budget(model_server: ScriptedModelServer) -> None:
    model_server.push(*[Fault.http_status(500) for _ in range(5)], Turn(text="never"))
    sleeps = Sleeps()
    with pytest.raises(ProviderHttpError) as exc:
        collect(provider(model_server, WireApi.RESPONSES, request_max_retries=3), sleeps=sleeps)
    assert exc.value.status == 500
    assert "scripted fault: HTTP 500" in str(exc.value)
    assert len(model_server.model_requests) == 4
    assert len(sleeps.delays) == 3
    # exponential backoff with jitter: 0.2, 0.4, 0.8 each within +-10%
    for n, delay in enumerate(sleeps.delays):
        assert 0.2 * 2**n * 0.9 <= delay <= 0.2 * 2**n * 1.1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(model_server: ScriptedModelServer, status: int) -> None:
    body = {"error": {"message": f"nope {status}", "type": "invalid_request_error"}}
    model_server.push(Fault.http_status(status, body=body), Turn(text="never"))
    sleeps = Sleeps()
    with pytest.raises(ProviderHttpError) as exc:
        collect(provider(model_server, WireApi.CHAT), sleeps=sleeps)
    assert exc.value.status == status
    assert str(exc.value) == f"unexpected status {status}: nope {status}"
    assert sleeps.delays == []
    assert len(model_server.model_requests) == 1


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("graceful", [False, True])
def test_stream_cut_is_retried_and_partial_text_is_voided(
    model_server: ScriptedModelServer, wire: WireApi, graceful: bool
) -> None:
    model_server.push(Fault.cut(after_events=4, graceful=graceful), Turn(text="complete answer"))
    events = collect(provider(model_server, wire))
    retry_at = next(i for i, e in enumerate(events) if isinstance(e, Retrying))
    retry = events[retry_at]
    assert isinstance(retry, Retrying)
    assert "stream" in retry.reason
    assert retry.max_attempts == 10
    # nothing of the failed attempt became an item; the item is the complete answer, once
    assert not any(isinstance(e, OutputItemDone) for e in events[:retry_at])
    assert text(events[retry_at:]) == "complete answer"
    assert [i.text for i in items(events)] == ["complete answer"]
    assert len(model_server.model_requests) == 2


def test_idle_stream_is_retried_then_fails(model_server: ScriptedModelServer) -> None:
    model_server.push(Fault.idle(after_events=2), Fault.idle(after_events=2), Turn(text="late"))
    prov = provider(
        model_server, WireApi.RESPONSES, stream_idle_timeout_ms=200, stream_max_retries=1
    )
    sleeps = Sleeps()
    # Bounded: two 200 ms idle timeouts end well within 5 s (the holds last 10 s each).
    with pytest.raises(StreamDisconnected, match="idle timeout waiting for SSE"):
        collect(prov, sleeps=sleeps, bound=5)
    assert len(sleeps.delays) == 1
    assert len(model_server.model_requests) == 2
    model_server.wait_for_idle(timeout=5)  # the client closed both held connections


@pytest.mark.parametrize("wire", WIRES)
def test_malformed_sse_lines_are_tolerated(
    model_server: ScriptedModelServer, wire: WireApi
) -> None:
    model_server.push(Fault.noisy_success(Turn(text="survived the noise")))
    events = collect(provider(model_server, wire))
    assert not any(isinstance(e, Retrying) for e in events)
    assert [i.text for i in items(events)] == ["survived the noise"]


@pytest.mark.parametrize("wire", WIRES)
def test_json_error_body_instead_of_a_stream(
    model_server: ScriptedModelServer, wire: WireApi
) -> None:
    model_server.push(Fault.json_error_body(message="quota exhausted"))
    with pytest.raises(ModelError, match="quota exhausted") as exc:
        collect(provider(model_server, wire))
    assert not isinstance(exc.value, ProviderHttpError)
    assert len(model_server.model_requests) == 1


@pytest.mark.parametrize("wire", WIRES)
def test_in_band_server_error_is_retried_on_the_stream_budget(
    model_server: ScriptedModelServer, wire: WireApi
) -> None:
    model_server.push(Fault.stream_error("model overloaded"), Turn(text="second try"))
    events = collect(provider(model_server, wire))
    retry = next(e for e in events if isinstance(e, Retrying))
    assert "model overloaded" in retry.reason
    assert [i.text for i in items(events)] == ["second try"]


@pytest.mark.parametrize("value", [None, ""])
def test_missing_or_empty_env_key(model_server: ScriptedModelServer, value: str | None) -> None:
    prov = provider(
        model_server, WireApi.CHAT, env_key="LOCAL_KEY", env_key_instructions="Export it."
    )
    env = {} if value is None else {"LOCAL_KEY": value}
    with pytest.raises(AuthError, match=r"`LOCAL_KEY`.*Export it\."):
        collect(prov, env=env)
    assert model_server.requests == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_base_url_after_retries() -> None:
    prov = ModelProviderInfo(
        id="dead",
        name="Dead",
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        wire_api=WireApi.CHAT,
        request_max_retries=2,
    )
    sleeps = Sleeps()
    with pytest.raises(ProviderConnectionError, match=r"127\.0\.0\.1"):
        collect(prov, sleeps=sleeps)
    assert len(sleeps.delays) == 2


def test_cancelling_the_stream_closes_the_connection(model_server: ScriptedModelServer) -> None:
    model_server.push(Turn(text="x" * 200, chunk_size=1, event_delay=0.05))
    prov = provider(model_server, WireApi.RESPONSES)
    client = create_model_client(prov, ModelRequestOptions("m"), env={})

    async def main() -> int:
        seen = 0
        async with contextlib.aclosing(client.stream(PROMPT)) as events:  # type: ignore[type-var]
            async for event in events:
                seen += isinstance(event, OutputTextDelta)
                if seen == 3:
                    break
        return seen

    assert asyncio.run(asyncio.wait_for(main(), 10)) == 3
    (req,) = model_server.wait_for_idle(timeout=5)  # the server saw the disconnect
    assert req.finished_at is not None
    assert req.finished_at - req.started_at < 5  # the full script would take 10 s


@pytest.mark.parametrize("wire", WIRES)
def test_body_framed_by_connection_close(wire: WireApi) -> None:
    with ScriptedModelServer([Turn(text="no chunked framing")], framing="close") as server:
        events = collect(provider(server, wire))
    assert [i.text for i in items(events)] == ["no chunked framing"]
