"""The real ``ModelClient``: provider settings -> HTTP request -> wire parser -> ``ModelEvent``s.

Retry rule (also stated on ``ModelClient``): every failed attempt that will be retried yields
``Retrying`` before the wait. ``OutputItemDone`` events are held back until the attempt's
response is complete, then released just before ``Completed``; so items never come from a
failed attempt and never repeat. Deltas stream live; after ``Retrying`` the partial text of
the failed attempt is void and the next attempt starts the response from scratch.

Budgets, counted separately over one ``stream()`` call: HTTP 429/5xx and connection errors use
``request_max_retries``; streams that drop, go idle, or fail with a retryable server error use
``stream_max_retries``. 400/401/403/404 (any other status) are raised at once.

Local servers (see ``tolerance`` and ``text_tool_calls``): a 200 with an empty body is a
dropped stream (retried, then reported); a 5xx whose body is a traceback blaming the request
is not retried, other tracebacks once, and the message is shortened; a 4xx that names
``tool_choice`` is retried once without it (and it stays off for this client); a response
without usage gets an estimate marked ``estimated``; with the provider's ``text_tool_calls``
the calls a model wrote as text become real function calls; before the first request the
prompt is measured against the context window (asked from Ollama with
``probe_context_window``), and a ``Notice`` says once when it does not fit.

ChatGPT sign-in (``chatgpt``, a ``RequestAuth`` such as ``chatgpt_tokens.ChatgptCredentials``):
for a provider with ``requires_openai_auth`` the headers come from it before every attempt
(it refreshes when due), the default OpenAI base URL becomes the ChatGPT backend
(``chatgpt_base_url`` + ``codex``, as Codex), and one 401 triggers one refresh and a retry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

from pycodex.config.providers import OPENAI_BASE_URL
from pycodex.config.schema import ModelProviderInfo
from pycodex.models import chat_api, responses_api
from pycodex.models.base import (
    Completed,
    ModelClient,
    ModelEvent,
    ModelRequestOptions,
    Notice,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    Retrying,
)
from pycodex.models.compact_tools import compact_tools
from pycodex.models.http import HttpResponse, open_request
from pycodex.models.retry import Backoff, parse_retry_after
from pycodex.models.sse import SseEvent, SseParser
from pycodex.models.text_tool_calls import TextToolCallFilter, ToolSchemas
from pycodex.models.text_tool_items import convert_text_calls
from pycodex.models.tolerance import (
    TRACEBACK_RETRIES,
    does_not_fit_message,
    estimate_request_tokens,
    estimated_usage,
    is_traceback,
    looks_like_request_error,
    shorten_error,
)
from pycodex.protocol.errors import (
    AuthError,
    ModelError,
    ProviderConnectionError,
    ProviderHttpError,
    StreamDisconnected,
)
from pycodex.protocol.policy import WireApi

EMPTY_BODY = "the server answered 200 with an empty body"
# Local servers answer 200 and nothing when the request fails after the headers went out
# (llama-cpp-python does for a prompt larger than its context): a retry rarely helps.
EMPTY_BODY_RETRIES = 2
EMPTY_BODY_HINT = (
    " (local servers do this when the prompt is larger than their context: try a model "
    'with a larger context, model_instructions_profile = "compact", or /compact)'
)


def _empty_body() -> StreamDisconnected:
    exc = StreamDisconnected(EMPTY_BODY + EMPTY_BODY_HINT)
    exc.max_retries = EMPTY_BODY_RETRIES
    return exc


CONNECT_TIMEOUT_SECONDS = 30.0
CHATGPT_BACKEND_PATH = "codex"  # under chatgpt_base_url: {base}/codex/responses
Sleep = Callable[[float], Awaitable[None]]


class RequestAuth(Protocol):
    """Credentials that change during a session (a ChatGPT sign-in refreshes)."""

    async def headers(self) -> dict[str, str]: ...
    async def after_unauthorized(self) -> None: ...


def chatgpt_backend_url(chatgpt_base_url: str) -> str:
    """The model base URL of a ChatGPT sign-in: ``{chatgpt_base_url}/codex``."""
    return chatgpt_base_url.rstrip("/") + "/" + CHATGPT_BACKEND_PATH


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
    url = (provider.base_url or OPENAI_BASE_URL).rstrip("/") + path
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
        auth: RequestAuth | None = None,
    ) -> None:
        self.provider = provider
        self._auth = auth
        self.options = options
        self.url = build_url(provider)
        self.headers = dict(headers)
        self._env = env
        self._sleep = sleep
        self._backoff = backoff or Backoff()
        self._connect_timeout = connect_timeout
        self._chat = provider.wire_api != WireApi.RESPONSES
        self._tool_choice = provider.tool_choice
        self._window = options.context_window
        self._checked_fit = False

    def request_body(self, prompt: Prompt) -> dict[str, Any]:
        if self.options.compact_tools and prompt.tools:
            prompt = dataclasses.replace(prompt, tools=compact_tools(prompt.tools))
        if self._chat:
            return chat_api.build_body(prompt, self.options, tool_choice=self._tool_choice)
        body = responses_api.build_body(prompt, self.options)
        if self._tool_choice == "omit":
            body.pop("tool_choice", None)
        elif self._tool_choice is not None:
            body["tool_choice"] = self._tool_choice
        return body

    async def _fit_notice(self, tokens: int) -> Notice | None:
        """Once per client: a ``Notice`` when the prompt (``tokens``) is larger than the window."""
        if self._checked_fit:
            return None
        self._checked_fit = True
        if self._window is None and self.provider.probe_context_window:
            from pycodex.models.local import ollama_context_window

            self._window = await ollama_context_window(
                self.provider.base_url or "", self.options.model, env=self._env
            )
        if self._window is not None and tokens > self._window:
            return Notice(does_not_fit_message(tokens, self._window))
        return None

    async def stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]:
        request = self.request_body(prompt)
        prompt_tokens = estimate_request_tokens(request)
        notice = await self._fit_notice(prompt_tokens)
        if notice is not None:
            yield notice
        body = json.dumps(request).encode("utf-8")
        headers = dict(self.headers)
        if prompt.session_id and not self._chat:
            headers["session_id"] = prompt.session_id
        schemas: ToolSchemas | None = None
        if self.provider.text_tool_calls and prompt.tools:
            schemas = {t.name: t.parameters for t in prompt.tools}
        request_retries = stream_retries = 0
        reauthorized = False
        while True:
            attempt_events = self._attempt(body, headers, schemas, prompt_tokens)
            try:
                async for event in attempt_events:
                    yield event
                return
            except ModelError as exc:
                if self._drop_tool_choice(exc, request):
                    request.pop("tool_choice", None)
                    body = json.dumps(request).encode("utf-8")
                    continue
                if not reauthorized and await self._reauthorize(exc):
                    reauthorized = True  # once per stream(): refresh, then the same request
                    continue
                if not exc.retryable:
                    raise
                retry_after = None
                if isinstance(exc, ProviderHttpError | ProviderConnectionError):
                    request_retries += 1
                    attempt = request_retries
                    budget = self.provider.request_max_retries
                    retry_after = exc.retry_after if isinstance(exc, ProviderHttpError) else None
                else:
                    stream_retries += 1
                    attempt = stream_retries
                    budget = self.provider.stream_max_retries
                if exc.max_retries is not None:
                    budget = min(budget, exc.max_retries)
                if attempt > budget:
                    raise
                delay = self._backoff.delay(attempt, retry_after)
                yield Retrying(str(exc), attempt, budget, delay)
                await self._sleep(delay)
            finally:
                # Deterministic close when the consumer stops early (aclose/cancel).
                await attempt_events.aclose()

    async def _reauthorize(self, exc: ModelError) -> bool:
        """A 401 with a refreshable sign-in: refresh it (raises when that fails)."""
        if self._auth is None or not isinstance(exc, ProviderHttpError) or exc.status != 401:
            return False
        await self._auth.after_unauthorized()
        return True

    def _drop_tool_choice(self, exc: ModelError, request: dict[str, Any]) -> bool:
        """A 4xx about ``tool_choice`` (vLLM without ``--enable-auto-tool-choice``): resend
        without it, once; it stays off for the rest of this client."""
        if (
            isinstance(exc, ProviderHttpError)
            and 400 <= exc.status < 500
            and "tool_choice" in request
            and "tool_choice" in exc.body.replace("-", "_").replace(" ", "_")
        ):
            self._tool_choice = "omit"
            return True
        return False

    async def _attempt(
        self,
        body: bytes,
        headers: dict[str, str],
        schemas: ToolSchemas | None = None,
        prompt_tokens: int = 0,
    ) -> AsyncGenerator[ModelEvent, None]:
        idle = self.provider.stream_idle_timeout_ms / 1000.0
        if self._auth is not None:  # fresh each attempt: a refresh may have happened
            headers = {**headers, **await self._auth.headers()}
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
        text_calls = TextToolCallFilter(schemas) if schemas else None
        produced = 0  # characters of output, for a usage estimate
        try:
            parser: _WireParser = (
                chat_api.ChatParser() if self._chat else responses_api.ResponsesParser()
            )
            held: list[ModelEvent] = []  # items and Completed, released when the attempt ends
            live: list[ModelEvent] = await self._check(resp, parser)
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
                raise _empty_body()
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

    async def _check(self, resp: HttpResponse, parser: _WireParser) -> list[ModelEvent]:
        """Raise for error statuses; a 200 JSON body is an error or a non-streamed reply."""
        if not 200 <= resp.status < 300:
            raise http_error(resp.status, await resp.read(1 << 16), resp.headers)
        if resp.content_type != "application/json":
            return []
        raw = await resp.read()
        if not raw.strip():
            raise _empty_body()
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
    chatgpt: RequestAuth | None = None,
    chatgpt_base_url: str | None = None,
) -> ModelClient:
    """Build the client for a provider; raises ``AuthError`` when its key is missing or empty.

    With ``chatgpt`` (a ChatGPT sign-in) a provider that ``requires_openai_auth`` is
    authorized by it instead of an API key; see the module docstring."""
    auth = chatgpt if chatgpt is not None and provider.requires_openai_auth else None
    if auth is not None and chatgpt_base_url and provider.base_url in (None, OPENAI_BASE_URL):
        provider = dataclasses.replace(provider, base_url=chatgpt_backend_url(chatgpt_base_url))
    bearer = None if auth is not None else resolve_bearer(provider, env, api_key)
    headers = build_headers(
        provider,
        env,
        bearer,
        session_id=session_id,
        originator=originator,
        extra=options.extra_headers,
    )
    return HttpModelClient(
        provider, options, headers=headers, env=env, sleep=sleep, backoff=backoff, auth=auth
    )
