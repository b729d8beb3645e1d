"""Provider quirks in one place: what differs between providers on the wire.

Everything the client does differently for one kind of provider lives here, so the client
itself only streams, retries and parses:
- the URL: ``/responses`` or ``/chat/completions`` under the base URL, plus the provider's
  ``query_params`` (Azure's ``api-version``);
- the headers: the Responses API's own, the provider's static and environment headers;
- the key: ``env_key`` with its instructions, or the OpenAI API key / sign-in;
- the ChatGPT backend: a signed-in OpenAI provider talks to ``{chatgpt_base_url}/codex``;
- ``tool_choice``: what the provider wants sent (``omit`` for servers that reject it), and
  the vLLM-style 4xx that names it (then it is dropped for the rest of the client);
- non-streamed replies: a server that ignores ``stream: true`` and answers one JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from pycodex.config.providers import OPENAI_BASE_URL
from pycodex.config.schema import ModelProviderInfo
from pycodex.models import responses_api
from pycodex.models.sse import SseEvent
from pycodex.protocol.errors import AuthError, ModelError, ProviderHttpError
from pycodex.protocol.policy import WireApi

CHATGPT_BACKEND_PATH = "codex"  # under chatgpt_base_url: {base}/codex/responses


def chatgpt_backend_url(chatgpt_base_url: str) -> str:
    """The model base URL of a ChatGPT sign-in: ``{chatgpt_base_url}/codex``."""
    return chatgpt_base_url.rstrip("/") + "/" + CHATGPT_BACKEND_PATH


def signed_in_provider(
    provider: ModelProviderInfo, chatgpt_base_url: str | None
) -> ModelProviderInfo:
    """A signed-in provider at the default OpenAI URL moves to the ChatGPT backend."""
    import dataclasses

    if chatgpt_base_url and provider.base_url in (None, OPENAI_BASE_URL):
        return dataclasses.replace(provider, base_url=chatgpt_backend_url(chatgpt_base_url))
    return provider


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


def apply_tool_choice(body: dict[str, Any], tool_choice: str | None) -> None:
    """The provider's ``tool_choice`` on a Responses body: ``omit`` drops the field."""
    if tool_choice == "omit":
        body.pop("tool_choice", None)
    elif tool_choice is not None:
        body["tool_choice"] = tool_choice


def rejects_tool_choice(exc: ModelError, request: Mapping[str, Any]) -> bool:
    """A 4xx about ``tool_choice`` (vLLM without ``--enable-auto-tool-choice``)."""
    return (
        isinstance(exc, ProviderHttpError)
        and 400 <= exc.status < 500
        and "tool_choice" in request
        and "tool_choice" in exc.body.replace("-", "_").replace(" ", "_")
    )


def json_reply_event(data: dict[str, Any], *, chat: bool) -> SseEvent:
    """A non-streamed JSON reply as the one SSE event its wire parser understands."""
    if chat:
        choices = [
            {"delta": c.get("message"), "finish_reason": c.get("finish_reason") or "stop"}
            for c in data.get("choices") or []
            if isinstance(c, dict)
        ]
        synthetic = {**data, "choices": choices}
    else:
        synthetic = {"type": "response.completed", "response": data}
    return SseEvent("message", json.dumps(synthetic))
