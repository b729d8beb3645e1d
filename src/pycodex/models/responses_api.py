"""The OpenAI Responses API: request body and headers, and SSE events -> ``ModelEvent``s.

Pure functions and a pure parser (no I/O), so both are tested on captured bytes. Items are
taken only from ``response.output_item.done``: deltas are for display and never become
history, which avoids v0.20's duplicated messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycodex import __version__
from pycodex.models.base import (
    Completed,
    Created,
    FreeformTool,
    FunctionTool,
    HostedTool,
    ModelEvent,
    ModelRequestOptions,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ToolSpec,
)
from pycodex.models.retry import is_retryable_error
from pycodex.models.sse import SseEvent
from pycodex.models.usage import RESPONSES, parse_usage
from pycodex.protocol.errors import ModelError, StreamDisconnected
from pycodex.protocol.items import assistant_message, item_from_json, to_json

# The ``name`` of the structured-output format: the one current Codex sends, so proxies and
# logs that recognise its structured-output requests recognise ours.
OUTPUT_SCHEMA_NAME = "codex_output_schema"


def json_schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    """The Responses ``text.format`` for a final-answer schema: strict, the schema as given.

    Strict mode is what makes the server enforce the schema; OpenAI then accepts only schemas
    with ``additionalProperties: false`` and every property required. The schema is not
    rewritten to fit: a server that refuses it says why, and the user fixes their file.
    """
    return {"type": "json_schema", "name": OUTPUT_SCHEMA_NAME, "schema": schema, "strict": True}


def render_tools(tools: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """Every kind of the tool union: functions, hosted tools (``{"type": "web_search"}``
    plus their settings) and freeform tools (``custom``, with their grammar)."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        match tool:
            case FunctionTool():
                out.append(
                    {
                        "type": "function",
                        "name": tool.name,
                        "description": tool.description,
                        "strict": tool.strict,
                        "parameters": tool.parameters,
                    }
                )
            case HostedTool():
                out.append({"type": tool.type, **tool.settings})
            case FreeformTool():
                out.append(
                    {
                        "type": "custom",
                        "name": tool.name,
                        "description": tool.description,
                        "format": tool.format,
                    }
                )
    return out


def build_body(prompt: Prompt, options: ModelRequestOptions) -> dict[str, Any]:
    """The request body (reference §4.1); stateless, so the whole history is ``input``."""
    body: dict[str, Any] = {
        "model": options.model,
        "instructions": prompt.instructions,
        "input": [to_json(item) for item in prompt.input],
        "tools": render_tools(prompt.tools),
        "tool_choice": "auto",
        "parallel_tool_calls": prompt.parallel_tool_calls,
    }
    if options.reasoning_effort is not None:
        reasoning: dict[str, Any] = {"effort": options.reasoning_effort}
        if options.reasoning_summary is not None:
            reasoning["summary"] = options.reasoning_summary
        body["reasoning"] = reasoning
    body["store"] = options.store
    body["stream"] = True
    body["include"] = list(options.include)
    if options.max_output_tokens is not None:
        body["max_output_tokens"] = options.max_output_tokens
    text: dict[str, Any] = {}  # one object for both, as current Codex sends them
    if prompt.output_schema is not None:
        text["format"] = json_schema_format(prompt.output_schema)
    if options.verbosity is not None:
        text["verbosity"] = options.verbosity
    if text:
        body["text"] = text
    return body


def build_headers(*, session_id: str, originator: str) -> dict[str, str]:
    """Headers specific to the Responses API (auth and provider headers are added by the client)."""
    headers = {"version": __version__, "openai-beta": "responses=experimental"}
    if session_id:
        headers["session_id"] = session_id
    if originator:
        headers["originator"] = originator
    return headers


def _error_from(payload: dict[str, Any]) -> ModelError:
    err = payload.get("error")
    if not isinstance(err, dict):
        err = payload
    message = str(err.get("message") or "response failed")
    code = str(err.get("code") or err.get("type") or "")
    exc = ModelError(f"{message} ({code})" if code and code not in message else message)
    exc.retryable = is_retryable_error(err)
    return exc


class ResponsesParser:
    """Feed SSE events; collects events for the client. ``done`` once the response ended."""

    def __init__(self) -> None:
        self.done = False
        self._items = 0
        self._text: list[str] = []

    def feed(self, event: SseEvent) -> list[ModelEvent]:
        data = event.json_data()
        if data is None or self.done:
            return []  # not JSON (garbage, keep-alive payloads): skip
        kind = data.get("type") or event.event
        if kind == "response.output_text.delta":
            delta = str(data.get("delta", ""))
            self._text.append(delta)
            return [OutputTextDelta(delta)]
        if kind == "response.reasoning_summary_text.delta":
            return [ReasoningSummaryDelta(str(data.get("delta", "")))]
        if kind == "response.reasoning_text.delta":
            return [ReasoningContentDelta(str(data.get("delta", "")))]
        if kind == "response.output_item.done":
            raw = data.get("item")
            item = item_from_json(raw) if isinstance(raw, dict) else None
            if item is None:
                return []
            self._items += 1
            return [OutputItemDone(item)]
        if kind == "response.created":
            response = data.get("response") or {}
            return [Created(response.get("id") if isinstance(response, dict) else None)]
        if kind in ("response.completed", "response.incomplete"):
            self.done = True
            response = data.get("response")
            response = response if isinstance(response, dict) else {}
            events = self._fallback_items(response)
            rid = response.get("id")
            return [
                *events,
                Completed(
                    rid if isinstance(rid, str) else None,
                    parse_usage(response.get("usage"), RESPONSES),
                ),
            ]
        if kind == "response.failed":
            response = data.get("response")
            raise _error_from(response if isinstance(response, dict) else data)
        if kind == "error":
            raise _error_from(data)
        return []  # in_progress, output_item.added, *.done text events, unknown types

    def _fallback_items(self, response: dict[str, Any]) -> list[ModelEvent]:
        """Servers that skip ``output_item.done``: take ``output``, else the streamed text."""
        if self._items:
            return []
        output = response.get("output")
        items = (
            [item_from_json(o) for o in output if isinstance(o, dict)]
            if isinstance(output, list)
            else []
        )
        found: list[ModelEvent] = [OutputItemDone(i) for i in items if i is not None]
        if not found and self._text:
            found = [OutputItemDone(assistant_message("".join(self._text)))]
        return found

    def finish(self) -> list[ModelEvent]:
        if not self.done:
            raise StreamDisconnected(
                "stream disconnected before completion: stream closed before response.completed"
            )
        return []
