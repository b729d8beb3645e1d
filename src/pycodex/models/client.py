"""The real ``ModelClient``: provider settings -> HTTP request -> wire parser -> ``ModelEvent``s.

Retry rule (also stated on ``ModelClient``): every failed attempt that will be retried yields
``Retrying`` before the wait. ``OutputItemDone`` events are held back until the attempt's
response is complete, then released just before ``Completed``; so items never come from a
failed attempt and never repeat. Deltas stream live; after ``Retrying`` the partial text of
the failed attempt is void and the next attempt starts the response from scratch.

Budgets, counted separately over one ``stream()`` call: HTTP 429/5xx and connection errors use
``request_max_retries``; streams that drop, go idle, or fail with a retryable server error use
``stream_max_retries``. 400/401/403/404 (any other status) are raised at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

from pycodex.config.schema import ModelProviderInfo
from pycodex.models import chat_api, responses_api
from pycodex.models.base import (
    Completed,
    ModelClient,
    ModelEvent,
    ModelRequestOptions,
    OutputItemDone,
    Prompt,
    Retrying,
)
from pycodex.models.http import HttpResponse, open_request
from pycodex.models.retry import Backoff, parse_retry_after
from pycodex.models.sse import SseEvent, SseParser
from pycodex.protocol.errors import (
    AuthError,
    ModelError,
    ProviderConnectionError,
    ProviderHttpError,
)
from pycodex.protocol.policy import WireApi

DEFAULT_BASE_URL = "https://api.openai.com/v1"
CONNECT_TIMEOUT_SECONDS = 30.0
Sleep = Callable[[float], Awaitable[None]]


class _WireParser(Protocol):
    done: bool

    def feed(self, event: SseEvent) -> list[ModelEvent]: ...
    def finish(self) -> list[ModelEvent]: ...


def resolve_bearer(
    provider: ModelProviderInfo, env: Mapping[str, str], api_key: str | None
) -> str | None:
    """The Bearer token, or ``None`` for providers without auth (no header is sent)."""
    if provider.env_key:
        value = env.get(provider.env_key)
        if value and value.strip():
            return value.strip()
        if provider.requires_openai_auth and api_key:
            return api_key
        if value is None:
            message = f"Missing environment variable: `{provider.env_key}`."
        else:
            message = f"Environment variable `{provider.env_key}` is empty."
        if provider.env_key_instructions:
            message += f" {provider.env_key_instructions}"
        raise AuthError(message)
    if provider.requires_openai_auth:
        if api_key:
            return api_key
        raise AuthError("Not logged in: set OPENAI_API_KEY or run `codex login`.")
    return None


def build_url(provider: ModelProviderInfo) -> str:
    path = "/responses" if provider.wire_api == WireApi.RESPONSES else "/chat/completions"
    url = (provider.base_url or DEFAULT_BASE_URL).rstrip("/") + path
    if provider.query_params:
        url += ("&" if "?" in url else "?") + urlencode(provider.query_params)
    return url


def build_headers(
    provider: ModelProviderInfo,
    env: Mapping[str, str],
    bearer: str | None,
    *,
    session_id: str = "",
    originator: str = "",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    if provider.wire_api == WireApi.RESPONSES:
        headers.update(responses_api.build_headers(session_id=session_id, originator=originator))
    headers.update(provider.http_headers)
    for header, var in provider.env_http_headers.items():
        if env.get(var):
            headers[header] = env[var]
    headers.update(extra or {})
    return headers


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


class HttpModelClient:
    """Streams one response per ``stream()`` over real HTTP; see the module docstring."""

    def __init__(
        self,
        provider: ModelProviderInfo,
        options: ModelRequestOptions,
        *,
        headers: Mapping[str, str],
        env: Mapping[str, str],
        sleep: Sleep = asyncio.sleep,
        backoff: Backoff | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.provider = provider
        self.options = options
        self.url = build_url(provider)
        self.headers = dict(headers)
        self._env = env
        self._sleep = sleep
        self._backoff = backoff or Backoff()
        self._connect_timeout = connect_timeout
        self._chat = provider.wire_api != WireApi.RESPONSES

    def request_body(self, prompt: Prompt) -> dict[str, Any]:
        if self._chat:
            return chat_api.build_body(prompt, self.options)
        return responses_api.build_body(prompt, self.options)

    async def stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]:
        body = json.dumps(self.request_body(prompt)).encode("utf-8")
        headers = dict(self.headers)
        if prompt.session_id and not self._chat:
            headers["session_id"] = prompt.session_id
        request_retries = stream_retries = 0
        while True:
            attempt_events = self._attempt(body, headers)
            try:
                async for event in attempt_events:
                    yield event
                return
            except ModelError as exc:
                if not exc.retryable:
                    raise
                retry_after = None
                if isinstance(exc, ProviderHttpError | ProviderConnectionError):
                    request_retries += 1
                    attempt, budget = request_retries, self.provider.request_max_retries
                    retry_after = exc.retry_after if isinstance(exc, ProviderHttpError) else None
                else:
                    stream_retries += 1
                    attempt, budget = stream_retries, self.provider.stream_max_retries
                if attempt > budget:
                    raise
                delay = self._backoff.delay(attempt, retry_after)
                yield Retrying(str(exc), attempt, budget, delay)
                await self._sleep(delay)
            finally:
                # Deterministic close when the consumer stops early (aclose/cancel).
                await attempt_events.aclose()

    async def _attempt(
        self, body: bytes, headers: dict[str, str]
    ) -> AsyncGenerator[ModelEvent, None]:
        idle = self.provider.stream_idle_timeout_ms / 1000.0
        resp = await open_request(
            "POST",
            self.url,
            headers=headers,
            body=body,
            connect_timeout=self._connect_timeout,
            read_timeout=idle,
            env=self._env,
        )
        chunks = resp.chunks()
        try:
            parser: _WireParser = (
                chat_api.ChatParser() if self._chat else responses_api.ResponsesParser()
            )
            held: list[ModelEvent] = []  # items and Completed, released when the attempt ends
            live: list[ModelEvent] = await self._check(resp, parser)
            sse = SseParser()
            ended = False
            while True:
                for event in live:
                    if isinstance(event, OutputItemDone | Completed):
                        held.append(event)
                    else:
                        yield event
                if parser.done or ended:
                    break
                chunk = await anext(chunks, None)
                ended = chunk is None
                events = sse.finish() if chunk is None else sse.feed(chunk)
                live = [e for sse_event in events for e in parser.feed(sse_event)]
            held.extend(parser.finish())  # raises StreamDisconnected when incomplete
        finally:
            resp.close()
            await chunks.aclose()
        for event in held:
            yield event

    async def _check(self, resp: HttpResponse, parser: _WireParser) -> list[ModelEvent]:
        """Raise for error statuses; a 200 JSON body is an error or a non-streamed reply."""
        if not 200 <= resp.status < 300:
            body = await resp.read(1 << 16)
            raise ProviderHttpError(
                resp.status, error_message(body), parse_retry_after(resp.headers)
            )
        if resp.content_type != "application/json":
            return []
        raw = await resp.read()
        try:
            data = json.loads(raw)
        except ValueError:
            raise ModelError(f"invalid JSON response: {error_message(raw)}") from None
        if not isinstance(data, dict) or "error" in data:
            raise ModelError(error_message(raw))
        if self._chat:
            choices = [
                {"delta": c.get("message"), "finish_reason": c.get("finish_reason") or "stop"}
                for c in data.get("choices") or []
                if isinstance(c, dict)
            ]
            synthetic = {**data, "choices": choices}
        else:
            synthetic = {"type": "response.completed", "response": data}
        events = parser.feed(SseEvent("message", json.dumps(synthetic)))
        parser.done = True
        return events


def create_model_client(
    provider: ModelProviderInfo,
    options: ModelRequestOptions,
    *,
    env: Mapping[str, str],
    api_key: str | None = None,
    session_id: str = "",
    originator: str = "codex_cli_rs",
    sleep: Sleep = asyncio.sleep,
    backoff: Backoff | None = None,
) -> ModelClient:
    """Build the client for a provider; raises ``AuthError`` when its key is missing or empty."""
    bearer = resolve_bearer(provider, env, api_key)
    headers = build_headers(
        provider,
        env,
        bearer,
        session_id=session_id,
        originator=originator,
        extra=options.extra_headers,
    )
    return HttpModelClient(
        provider, options, headers=headers, env=env, sleep=sleep, backoff=backoff
    )
