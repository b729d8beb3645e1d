"""Conversation items in their canonical form: the OpenAI Responses API item shapes.

Every item converts to and from its wire JSON (``to_json`` / ``item_from_json``); the same
JSON is written to session files, so a rollout line is exactly what was sent to the model.
The Chat Completions adapter converts to and from these items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, assert_never

JsonObject = dict[str, Any]

Role = Literal["user", "assistant", "system", "developer"]


@dataclass(frozen=True, slots=True)
class InputText:
    text: str
    type: Literal["input_text"] = "input_text"


@dataclass(frozen=True, slots=True)
class InputImage:
    image_url: str  # a data: URL or an http(s) URL
    type: Literal["input_image"] = "input_image"


@dataclass(frozen=True, slots=True)
class OutputText:
    text: str
    type: Literal["output_text"] = "output_text"


ContentPart = InputText | InputImage | OutputText


@dataclass(frozen=True, slots=True)
class MessageItem:
    role: Role
    content: tuple[ContentPart, ...]
    id: str | None = None
    type: Literal["message"] = "message"

    @property
    def text(self) -> str:
        """The concatenated text parts (images are skipped)."""
        return "".join(p.text for p in self.content if not isinstance(p, InputImage))


@dataclass(frozen=True, slots=True)
class ReasoningItem:
    id: str
    summary: tuple[str, ...] = ()
    content: tuple[str, ...] | None = None  # raw reasoning text, when the provider sends it
    encrypted_content: str | None = None
    type: Literal["reasoning"] = "reasoning"


@dataclass(frozen=True, slots=True)
class FunctionCallItem:
    call_id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it
    id: str | None = None
    type: Literal["function_call"] = "function_call"


@dataclass(frozen=True, slots=True)
class FunctionCallOutputItem:
    call_id: str
    output: str
    type: Literal["function_call_output"] = "function_call_output"


@dataclass(frozen=True, slots=True)
class LocalShellCallItem:
    """The built-in ``local_shell`` tool call (codex-mini models)."""

    call_id: str
    command: tuple[str, ...]
    workdir: str | None = None
    timeout_ms: int | None = None
    id: str | None = None
    status: str = "completed"
    type: Literal["local_shell_call"] = "local_shell_call"


@dataclass(frozen=True, slots=True)
class WebSearchCallItem:
    """A call of the hosted ``web_search`` tool: the provider ran it, nothing runs here.
    Kept in history (and sent back, without its id) so the model sees what it searched for."""

    id: str
    status: str = "completed"
    action: JsonObject | None = None  # e.g. {"type": "search", "query": "..."}
    type: Literal["web_search_call"] = "web_search_call"

    @property
    def query(self) -> str:
        """The searched text (``action.query``), or ``""`` for actions without one."""
        value = (self.action or {}).get("query")
        return value if isinstance(value, str) else ""


ResponseItem = (
    MessageItem
    | ReasoningItem
    | FunctionCallItem
    | FunctionCallOutputItem
    | LocalShellCallItem
    | WebSearchCallItem
)


def user_message(text: str, images: tuple[str, ...] = ()) -> MessageItem:
    """A user message with text first, then image data URLs."""
    parts: list[ContentPart] = [InputText(text)] if text else []
    parts.extend(InputImage(url) for url in images)
    return MessageItem(role="user", content=tuple(parts))


def assistant_message(text: str, item_id: str | None = None) -> MessageItem:
    return MessageItem(role="assistant", content=(OutputText(text),), id=item_id)


def _part_to_json(part: ContentPart) -> JsonObject:
    match part:
        case InputText(text=text):
            return {"type": "input_text", "text": text}
        case InputImage(image_url=url):
            return {"type": "input_image", "image_url": url}
        case OutputText(text=text):
            return {"type": "output_text", "text": text}
        case _:
            assert_never(part)


def to_json(item: ResponseItem) -> JsonObject:
    """The Responses API JSON of an item (also its session-file form)."""
    out: JsonObject
    match item:
        case MessageItem():
            out = {"type": "message", "role": item.role}
            if item.id is not None:
                out["id"] = item.id
            out["content"] = [_part_to_json(p) for p in item.content]
        case ReasoningItem():
            out = {
                "type": "reasoning",
                "id": item.id,
                "summary": [{"type": "summary_text", "text": s} for s in item.summary],
            }
            if item.content is not None:
                out["content"] = [{"type": "reasoning_text", "text": t} for t in item.content]
            if item.encrypted_content is not None:
                out["encrypted_content"] = item.encrypted_content
        case FunctionCallItem():
            out = {
                "type": "function_call",
                "name": item.name,
                "arguments": item.arguments,
                "call_id": item.call_id,
            }
            if item.id is not None:
                out["id"] = item.id
        case FunctionCallOutputItem():
            out = {"type": "function_call_output", "call_id": item.call_id, "output": item.output}
        case LocalShellCallItem():
            action: JsonObject = {"type": "exec", "command": list(item.command)}
            if item.workdir is not None:
                action["working_directory"] = item.workdir
            if item.timeout_ms is not None:
                action["timeout_ms"] = item.timeout_ms
            out = {
                "type": "local_shell_call",
                "call_id": item.call_id,
                "status": item.status,
                "action": action,
            }
            if item.id is not None:
                out["id"] = item.id
        case WebSearchCallItem():
            # No id, as Codex: with store=false the server has no item of that id to find.
            out = {"type": "web_search_call", "status": item.status}
            if item.action is not None:
                out["action"] = item.action
        case _:
            assert_never(item)
    return out


def _part_from_json(data: JsonObject) -> ContentPart | None:
    kind = data.get("type")
    if kind == "input_text":
        return InputText(str(data.get("text", "")))
    if kind == "input_image":
        return InputImage(str(data.get("image_url", "")))
    if kind in ("output_text", "text"):
        return OutputText(str(data.get("text", "")))
    return None


def _texts(parts: Any, key: str = "text") -> tuple[str, ...]:
    if not isinstance(parts, list):
        return ()
    return tuple(str(p.get(key, "")) for p in parts if isinstance(p, dict))


def item_from_json(data: JsonObject) -> ResponseItem | None:
    """Parse a Responses API item; ``None`` for item types pycodex does not keep."""
    kind = data.get("type")
    item_id = data.get("id")
    item_id = str(item_id) if item_id is not None else None
    if kind == "message":
        role = data.get("role", "assistant")
        if role not in ("user", "assistant", "system", "developer"):
            return None
        raw_content = data.get("content", [])
        if isinstance(raw_content, str):
            raw_content = [
                {
                    "type": "output_text" if role == "assistant" else "input_text",
                    "text": raw_content,
                }
            ]
        parts = [p for p in (_part_from_json(c) for c in raw_content if isinstance(c, dict)) if p]
        return MessageItem(role=role, content=tuple(parts), id=item_id)
    if kind == "reasoning":
        content = data.get("content")
        return ReasoningItem(
            id=item_id or "",
            summary=_texts(data.get("summary")),
            content=_texts(content) if isinstance(content, list) else None,
            encrypted_content=data.get("encrypted_content"),
        )
    if kind == "function_call":
        return FunctionCallItem(
            call_id=str(data.get("call_id") or item_id or ""),
            name=str(data.get("name", "")),
            arguments=str(data.get("arguments", "")),
            id=item_id,
        )
    if kind == "function_call_output":
        output = data.get("output", "")
        return FunctionCallOutputItem(
            call_id=str(data.get("call_id", "")),
            output=output if isinstance(output, str) else str(output),
        )
    if kind == "local_shell_call":
        action = data.get("action") or {}
        timeout = action.get("timeout_ms")
        return LocalShellCallItem(
            call_id=str(data.get("call_id") or item_id or ""),
            command=tuple(str(a) for a in action.get("command", [])),
            workdir=action.get("working_directory"),
            timeout_ms=int(timeout) if isinstance(timeout, int | float) else None,
            id=item_id,
            status=str(data.get("status", "completed")),
        )
    if kind == "web_search_call":
        action = data.get("action")
        return WebSearchCallItem(
            id=item_id or "",
            status=str(data.get("status", "completed")),
            action=action if isinstance(action, dict) else None,
        )
    return None


@dataclass(frozen=True, slots=True)
class TokenUsage:
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0
    # True when the server reported no usage and these counts were estimated (~4 chars per
    # token) by the client; a sum is estimated when any part was.
    estimated: bool = False

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_output_tokens + other.reasoning_output_tokens,
            self.total_tokens + other.total_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True, slots=True)
class PlanStep:
    step: str
    status: Literal["pending", "in_progress", "completed"]


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[PlanStep, ...]
    explanation: str | None = None
