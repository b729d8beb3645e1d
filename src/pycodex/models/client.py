"""The real ``ModelClient``: the retry loop around attempts (``attempt``) over a transport.

Provider differences live in ``quirks``; one attempt (request -> wire parser -> events) in
``attempt``; the socket behind a ``transport.Transport`` (``http_transport`` by default).

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

from pycodex.config.schema import ModelProviderInfo
from pycodex.models import chat_api, responses_api
from pycodex.models.attempt import EMPTY_BODY, error_message, http_error, run_attempt
from pycodex.models.base import (
    FunctionTool,
    ModelClient,
    ModelEvent,
    ModelRequestOptions,
    Notice,
    Prompt,
    Retrying,
)
from pycodex.models.compact_tools import compact_tools
from pycodex.models.quirks import (
    CHATGPT_BACKEND_PATH,
    apply_tool_choice,
    build_headers,
    build_url,
    chatgpt_backend_url,
    rejects_tool_choice,
    resolve_bearer,
    signed_in_provider,
)
from pycodex.models.retry import Backoff
from pycodex.models.text_tool_calls import ToolSchemas
from pycodex.models.tolerance import does_not_fit_message, estimate_request_tokens
from pycodex.models.transport import Transport, TransportRequest, http_transport
from pycodex.protocol.errors import ModelError, ProviderConnectionError, ProviderHttpError
from pycodex.protocol.policy import WireApi

# Re-exported: callers and tests import these from the client, as before the split.
__all__ = [
    "CHATGPT_BACKEND_PATH",
    "EMPTY_BODY",
    "HttpModelClient",
    "RequestAuth",
    "build_headers",
    "build_url",
    "chatgpt_backend_url",
    "create_model_client",
    "error_message",
    "http_error",
    "resolve_bearer",
]

CONNECT_TIMEOUT_SECONDS = 30.0
Sleep = Callable[[float], Awaitable[None]]


class RequestAuth(Protocol):
    """Credentials that change during a session (a ChatGPT sign-in refreshes)."""

    async def headers(self) -> dict[str, str]: ...
    async def after_unauthorized(self) -> None: ...


class HttpModelClient:
    """Streams one response per ``stream()`` through a transport; see the module docstring."""

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
        transport: Transport | None = None,
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
        self._transport = transport or http_transport(env)
        self._chat = provider.wire_api != WireApi.RESPONSES
        self._tool_choice = provider.tool_choice
        self._window = options.context_window
        self._checked_fit = False
        self._told_dropped = False

    def request_body(self, prompt: Prompt) -> dict[str, Any]:
        if self.options.compact_tools and prompt.tools:
            prompt = dataclasses.replace(prompt, tools=compact_tools(prompt.tools))
        if self._chat:
            return chat_api.build_body(prompt, self.options, tool_choice=self._tool_choice)
        body = responses_api.build_body(prompt, self.options)
        apply_tool_choice(body, self._tool_choice)
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
        for notice in (await self._fit_notice(prompt_tokens), self._dropped_notice(prompt)):
            if notice is not None:
                yield notice
        body = json.dumps(request).encode("utf-8")
        headers = dict(self.headers)
        if prompt.session_id and not self._chat:
            headers["session_id"] = prompt.session_id
        schemas: ToolSchemas | None = None
        if self.provider.text_tool_calls and prompt.tools:
            schemas = {t.name: t.parameters for t in prompt.tools if isinstance(t, FunctionTool)}
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

    def _dropped_notice(self, prompt: Prompt) -> Notice | None:
        """Once per client: the tools this wire has no form for (hosted and freeform tools on
        Chat) are left out of the request, and the user is told which."""
        if self._told_dropped or not self._chat:
            return None
        _, dropped = chat_api.render_tools(prompt.tools)
        if not dropped:
            return None
        self._told_dropped = True
        names = ", ".join(dropped)
        return Notice(f"{names}: not offered, the Chat Completions API has no such tools")

    async def _reauthorize(self, exc: ModelError) -> bool:
        """A 401 with a refreshable sign-in: refresh it (raises when that fails)."""
        if self._auth is None or not isinstance(exc, ProviderHttpError) or exc.status != 401:
            return False
        await self._auth.after_unauthorized()
        return True

    def _drop_tool_choice(self, exc: ModelError, request: dict[str, Any]) -> bool:
        """A 4xx about ``tool_choice``: resend without it, once; it stays off for the rest
        of this client (``quirks.rejects_tool_choice``)."""
        if rejects_tool_choice(exc, request):
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
        if self._auth is not None:  # fresh each attempt: a refresh may have happened
            headers = {**headers, **await self._auth.headers()}
        request = TransportRequest(
            "POST",
            self.url,
            headers=headers,
            body=body,
            connect_timeout=self._connect_timeout,
            read_timeout=self.provider.stream_idle_timeout_ms / 1000.0,
        )
        events = run_attempt(
            self._transport,
            request,
            chat=self._chat,
            schemas=schemas,
            prompt_tokens=prompt_tokens,
        )
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()


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
    transport: Transport | None = None,
) -> ModelClient:
    """Build the client for a provider; raises ``AuthError`` when its key is missing or empty.

    With ``chatgpt`` (a ChatGPT sign-in) a provider that ``requires_openai_auth`` is
    authorized by it instead of an API key; see the module docstring. ``transport``: the
    real HTTP stack unless given (tests pass an in-memory one)."""
    auth = chatgpt if chatgpt is not None and provider.requires_openai_auth else None
    if auth is not None:
        provider = signed_in_provider(provider, chatgpt_base_url)
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
        provider,
        options,
        headers=headers,
        env=env,
        sleep=sleep,
        backoff=backoff,
        auth=auth,
        transport=transport,
    )
