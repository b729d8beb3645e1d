"""The Chat Completions API: canonical items -> ``messages``, streamed chunks -> ``ModelEvent``s.

Chat has no items, so the parser assembles them: text deltas into one assistant message,
tool-call fragments by their ``index`` (id and name from the first fragment that has them,
arguments concatenated). Items are emitted when the stream ends, then ``Completed``.
Reasoning items are not sent back: Chat servers have no field for them.

Requests are built to pass the strictest OpenAI-compatible validators (llama.cpp, vLLM,
LM Studio, Ollama, Jinja chat templates):
- an assistant message that only carries ``tool_calls`` has ``content: ""``, never ``null``
  (rejected by several servers; an empty string is accepted by all of them);
- there is one ``system`` message, first: the instructions, followed by the text of any
  ``developer``/``system`` item of the history (many templates raise on a system message
  that is not first, and ``developer`` is an unknown role outside OpenAI);
- consecutive user messages are sent as one (templates that require alternating roles);
- tool-call arguments are re-serialised as compact JSON objects (templates that parse them
  fail on invalid JSON or odd whitespace; anything that is not an object becomes ``{}``).

Streams are parsed tolerantly: fragments that repeat ``id`` and ``function.name`` in every
chunk, fragments without ``index``, the legacy ``function_call`` delta (used only when no
``tool_calls`` came, so servers that send both do not double the call), arguments sent as an
object or padded with whitespace.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pycodex.models.base import (
    Completed,
    Created,
    FunctionTool,
    ModelEvent,
    ModelRequestOptions,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ToolSpec,
)
from pycodex.models.responses_api import OUTPUT_SCHEMA_NAME
from pycodex.models.retry import is_retryable_error
from pycodex.models.sse import SseEvent
from pycodex.models.usage import CHAT, parse_usage
from pycodex.protocol.errors import ModelError, StreamDisconnected
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputImage,
    LocalShellCallItem,
    MessageItem,
    ReasoningItem,
    ResponseItem,
    TokenUsage,
    assistant_message,
)


def normalize_arguments(arguments: str) -> str:
    """Compact JSON of an object; ``{}`` for empty, invalid or non-object arguments."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    args = normalize_arguments(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def _message(item: MessageItem) -> dict[str, Any]:
    role = "system" if item.role == "developer" else item.role
    if any(isinstance(p, InputImage) for p in item.content):
        parts: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": p.image_url}}
            if isinstance(p, InputImage)
            else {"type": "text", "text": p.text}
            for p in item.content
        ]
        return {"role": role, "content": parts}
    return {"role": role, "content": item.text}


def build_messages(prompt: Prompt) -> list[dict[str, Any]]:
    """System message from the instructions, then the history in Chat form."""
    messages: list[dict[str, Any]] = []
    system = [prompt.instructions] if prompt.instructions else []
    last_assistant: dict[str, Any] | None = None  # open for tool_calls that follow
    for item in prompt.input:
        call: dict[str, Any] | None = None
        if isinstance(item, MessageItem) and item.role in ("developer", "system"):
            if item.text:
                system.append(item.text)
        elif isinstance(item, MessageItem):
            msg = _message(item)
            messages.append(msg)
            last_assistant = msg if item.role == "assistant" else None
        elif isinstance(item, FunctionCallItem):
            call = _tool_call(item.call_id, item.name, item.arguments)
        elif isinstance(item, LocalShellCallItem):
            args: dict[str, Any] = {"command": list(item.command)}
            if item.workdir is not None:
                args["workdir"] = item.workdir
            if item.timeout_ms is not None:
                args["timeout_ms"] = item.timeout_ms
            call = _tool_call(item.call_id, "shell", json.dumps(args))
        elif isinstance(item, FunctionCallOutputItem):
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": item.output})
            last_assistant = None
        elif isinstance(item, ReasoningItem):
            continue  # no Chat field for reasoning; keep an open assistant message open
        if call is not None:
            if last_assistant is None:
                last_assistant = {"role": "assistant", "content": ""}
                messages.append(last_assistant)
            last_assistant.setdefault("tool_calls", []).append(call)
    if system:
        messages.insert(0, {"role": "system", "content": "\n\n".join(system)})
    return _merge_user_runs(messages)


def _parts(content: Any) -> list[dict[str, Any]]:
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def _merge_user_runs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive user messages (environment context, AGENTS.md, the prompt) as one:
    templates of Gemma, Mistral and others raise unless roles alternate."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        prev = out[-1] if out else None
        if prev is not None and prev["role"] == msg["role"] == "user":
            a, b = prev["content"], msg["content"]
            if isinstance(a, str) and isinstance(b, str):
                prev["content"] = f"{a}\n\n{b}" if a and b else a or b
            else:
                prev["content"] = _parts(a) + _parts(b)
            continue
        out.append(dict(msg))
    return out


def render_tools(tools: Iterable[ToolSpec]) -> tuple[list[dict[str, Any]], list[str]]:
    """Function tools as Chat ``tools``; and the names of the tools Chat has no form for
    (hosted and freeform tools are Responses API tools): the client says once that they
    were dropped. Search itself is refused earlier, at start-up (``config``)."""
    out: list[dict[str, Any]] = []
    dropped: list[str] = []
    for tool in tools:
        if not isinstance(tool, FunctionTool):
            dropped.append(tool.name)
            continue
        fn: dict[str, Any] = {"name": tool.name, "description": tool.description}
        if tool.strict:
            fn["strict"] = True
        fn["parameters"] = tool.parameters
        out.append({"type": "function", "function": fn})
    return out, dropped


def build_body(
    prompt: Prompt, options: ModelRequestOptions, *, tool_choice: str | None = None
) -> dict[str, Any]:
    """``tool_choice``: sent as given; None or ``"omit"`` sends none (the Chat default)."""
    body: dict[str, Any] = {
        "model": options.model,
        "messages": build_messages(prompt),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    tools, _ = render_tools(prompt.tools)
    if tools:
        body["tools"] = tools
        if tool_choice is not None and tool_choice != "omit":
            body["tool_choice"] = tool_choice
    if options.max_output_tokens is not None:
        body["max_tokens"] = options.max_output_tokens
    if prompt.output_schema is not None:  # as on the Responses API: strict, the schema as given
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": OUTPUT_SCHEMA_NAME,
                "schema": prompt.output_schema,
                "strict": True,
            },
        }
    return body


@dataclass(slots=True)
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def _add_function(partial: _PartialCall, fn: Any) -> None:
    """Merge one ``function`` fragment: the name once (servers repeat it in every chunk),
    arguments appended (a whole object, as some servers send, is serialised)."""
    if not isinstance(fn, dict):
        return
    if fn.get("name") and not partial.name:
        partial.name = str(fn["name"])
    args = fn.get("arguments")
    if isinstance(args, str):
        partial.arguments.append(args)
    elif isinstance(args, dict):
        partial.arguments.append(json.dumps(args, ensure_ascii=False, separators=(",", ":")))


class ChatParser:
    """Feed SSE events of a streamed chat completion; ``finish`` yields items and ``Completed``."""

    def __init__(self) -> None:
        self.done = False  # ``[DONE]`` seen: stop reading
        self._finished = False  # a ``finish_reason`` was seen
        self._created = False
        self._id: str | None = None
        self._text: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._legacy: _PartialCall | None = None  # the deprecated ``function_call`` delta
        self._usage: TokenUsage | None = None

    def feed(self, event: SseEvent) -> list[ModelEvent]:
        if self.done:
            return []
        if event.is_done:
            self.done = True
            return []
        data = event.json_data()
        if data is None:
            return []
        if "error" in data and "choices" not in data:
            err = data["error"]
            message = err.get("message") if isinstance(err, dict) else err
            exc = ModelError(str(message or "model error"))
            exc.retryable = isinstance(err, dict) and is_retryable_error(err)
            raise exc
        out: list[ModelEvent] = []
        if self._id is None and isinstance(data.get("id"), str):
            self._id = data["id"]
        if not self._created:
            self._created = True
            out.append(Created(self._id))
        usage = parse_usage(data.get("usage"), CHAT)
        if usage is not None:
            self._usage = usage
        choices = data.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, dict):
                continue
            out.extend(self._delta(choice.get("delta")))
            if choice.get("finish_reason"):
                self._finished = True
        return out

    def _delta(self, delta: Any) -> list[ModelEvent]:
        if not isinstance(delta, dict):
            return []
        out: list[ModelEvent] = []
        for key in ("reasoning", "reasoning_content"):
            if isinstance(delta.get(key), str) and delta[key]:
                out.append(ReasoningContentDelta(delta[key]))
        content = delta.get("content")
        if isinstance(content, str) and content:
            self._text.append(content)
            out.append(OutputTextDelta(content))
        calls = delta.get("tool_calls")
        for frag in calls if isinstance(calls, list) else []:
            if not isinstance(frag, dict):
                continue
            index = frag.get("index")
            if not isinstance(index, int):  # servers that omit it: match by id, else append
                fid = frag.get("id")
                same = [k for k, c in self._calls.items() if fid and c.id == fid]
                index = (
                    same[0]
                    if same
                    else len(self._calls)
                    if fid or not self._calls
                    else max(self._calls)
                )
            partial = self._calls.setdefault(index, _PartialCall())
            if frag.get("id") and not partial.id:
                partial.id = str(frag["id"])
            _add_function(partial, frag.get("function"))
        legacy = delta.get("function_call")
        if isinstance(legacy, dict):
            if self._legacy is None:
                self._legacy = _PartialCall()
            _add_function(self._legacy, legacy)
        return out

    def finish(self) -> list[ModelEvent]:
        if not (self.done or self._finished):
            raise StreamDisconnected(
                "stream disconnected before completion: stream closed before finish_reason"
            )
        items: list[ResponseItem] = []
        if self._text:
            items.append(assistant_message("".join(self._text)))
        calls = [self._calls[i] for i in sorted(self._calls)]
        if not calls and self._legacy is not None and self._legacy.name:
            calls = [self._legacy]
        for call in calls:
            call_id = call.id or f"call_{os.urandom(12).hex()}"
            arguments = "".join(call.arguments).strip() or "{}"
            items.append(FunctionCallItem(call_id, call.name, arguments))
        return [*(OutputItemDone(i) for i in items), Completed(self._id, self._usage)]
