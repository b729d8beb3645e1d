"""Which CLI wrote a rollout file, and how another CLI's items become pycodex history.

Three layouts are read (docs/sessions.md):

* ``pycodex``: line 1 is a bare meta object carrying ``"writer": "pycodex"`` (files written
  before that marker existed are recognised by ``cli_version`` + ``originator`` + ``cwd`` at
  the top level, which Codex v0.20 never writes); then one response item per line.
* ``codex-0.20``: the same bare layout, meta ``{id, timestamp, instructions, git}`` only,
  items interleaved with ``{"record_type": "state"}``.
* ``codex-v2`` (Codex 0.3x and later, v0.171 checked): every line is an envelope
  ``{timestamp, type, payload}``; ``session_meta`` and ``response_item`` matter, the rest
  (``event_msg``, ``turn_context``, ``world_state``, ``token_usage_record``, …) is skipped.

pycodex's own items are kept as written. Another CLI's items are *cleaned*: its system and
developer messages and its generated user-role context (environment, AGENTS.md, skills, …)
are dropped, because pycodex sends its own; reasoning without ``encrypted_content`` is
dropped (with ``store: false`` a server cannot look it up); ``custom_tool_call`` pairs become
function-call pairs; and only complete call/output pairs survive, so a strict server accepts
the next request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputText,
    LocalShellCallItem,
    MessageItem,
    ReasoningItem,
    ResponseItem,
    item_from_json,
)

RolloutFormat = Literal["pycodex", "codex-0.20", "codex-v2"]
PYCODEX_FORMAT: RolloutFormat = "pycodex"
WRITER_MARKER = "pycodex"
"""The meta line's ``"writer"`` value: a file with it is pycodex's own (resumed in place)."""

NAME_RE = re.compile(r"^rollout-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})-(.+)\.jsonl$")
COMPACTED_RECORD = "compacted"
"""``{"record_type": "compacted"}``: the items after this line replace all before it."""

_LEGACY_PYCODEX_KEYS = ("cli_version", "originator", "cwd")
# Text a CLI generates and sends with the user role; pycodex generates its own. Shell
# commands the user ran and interruption notes are real conversation and stay.
CONTEXT_MARKERS = (
    "<environment_context>",
    "<user_instructions>",
    "# agents.md instructions",
    "<skills_instructions>",
    "<skill>",
    "<permissions",
    "<collaboration_mode>",
    "<subagents>",
    "<subagent_notification>",
    "<hook_prompt",
)


def id_from_name(path: Path) -> str | None:
    match = NAME_RE.match(path.name)
    return match.group(2) if match else None


def parse_line(raw: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        return None
    return obj if isinstance(obj, dict) else None


def is_envelope(obj: dict[str, Any]) -> bool:
    """A v2 line: ``{"timestamp", "type", "payload"}``."""
    return isinstance(obj.get("type"), str) and "payload" in obj and "timestamp" in obj


def format_of_meta(meta: dict[str, Any] | None, *, envelope: bool) -> RolloutFormat:
    """The writer of a file, from its meta object (``envelope``: it came in a v2 line)."""
    if envelope:
        return "codex-v2"
    if meta is None:
        return "codex-0.20"  # no meta: not ours (pycodex always writes one first)
    if meta.get("writer") == WRITER_MARKER:
        return PYCODEX_FORMAT
    if all(key in meta for key in _LEGACY_PYCODEX_KEYS):
        return PYCODEX_FORMAT
    return "codex-0.20"


def is_context_text(text: str) -> bool:
    """True for a CLI-generated context block sent as a user message."""
    return text.lstrip().lower().startswith(CONTEXT_MARKERS)


@dataclass
class LineReader:
    """Folds the lines of one file into meta, format and raw history items."""

    meta: dict[str, Any] | None = None
    envelope: bool = False
    items: list[dict[str, Any]] = field(default_factory=list)
    unknown_lines: int = 0  # well-formed lines of a kind pycodex does not use

    def feed(self, obj: dict[str, Any]) -> None:
        if is_envelope(obj):
            self.envelope = True
            self._feed_envelope(str(obj["type"]), obj["payload"])
        elif obj.get("record_type") == COMPACTED_RECORD:
            self.items.clear()  # pycodex's compaction: what follows replaces the history
        elif "record_type" in obj:
            pass  # v0.20 state markers: nothing to keep, nothing unknown
        elif self.meta is None and not self.items and "id" in obj and "type" not in obj:
            self.meta = obj
        elif isinstance(obj.get("type"), str):
            self.items.append(obj)
        else:
            self.unknown_lines += 1

    def _feed_envelope(self, kind: str, payload: Any) -> None:
        if not isinstance(payload, dict):
            self.unknown_lines += 1
        elif kind == "session_meta":
            self.meta = self.meta or payload
        elif kind == "response_item":
            self.items.append(payload)
        elif kind == "compacted":
            self._compacted(payload)
        elif kind not in ("event_msg", "turn_context", "world_state", "token_usage_record"):
            self.unknown_lines += 1

    def _compacted(self, payload: dict[str, Any]) -> None:
        """A v2 compaction: its replacement history, else the user's words and the summary."""
        replacement = payload.get("replacement_history")
        if isinstance(replacement, list):
            self.items = [i for i in replacement if isinstance(i, dict)]
            return
        kept = [i for i in self.items if i.get("type") == "message" and i.get("role") == "user"]
        summary = payload.get("message")
        if isinstance(summary, str) and summary:
            kept.append({"type": "message", "role": "user", "content": summary})
        self.items = kept

    @property
    def format(self) -> RolloutFormat:
        return format_of_meta(self.meta, envelope=self.envelope)


@dataclass(frozen=True)
class Cleaned:
    items: tuple[ResponseItem, ...]
    dropped: int  # items of the source not carried over


def own_items(raw: Iterable[dict[str, Any]]) -> tuple[ResponseItem, ...]:
    """pycodex's own file: every item pycodex can parse, as written."""
    return tuple(item for item in (item_from_json(obj) for obj in raw) if item is not None)


def _normalized(obj: dict[str, Any]) -> dict[str, Any]:
    """Another CLI's item in the shape pycodex parses (custom tools as function calls)."""
    kind = obj.get("type")
    if kind == "custom_tool_call":
        args = json.dumps({"input": obj.get("input", "")}, ensure_ascii=False)
        return {**obj, "type": "function_call", "arguments": args}
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = obj.get("output", "")
        if isinstance(output, dict):  # {"content": ..., "success": ...}
            output = output.get("content", "")
        if isinstance(output, list):  # content parts: keep the text
            output = "\n".join(
                str(p.get("text", "")) for p in output if isinstance(p, dict) and "text" in p
            )
        return {**obj, "type": "function_call_output", "output": output}
    return obj


def _foreign_message(item: MessageItem) -> MessageItem | None:
    if item.role not in ("user", "assistant"):
        return None  # another CLI's base instructions, permissions, skills …
    parts = tuple(
        p for p in item.content if not (isinstance(p, InputText) and is_context_text(p.text))
    )
    return replace(item, content=parts) if parts else None


def clean_foreign(raw: Iterable[dict[str, Any]]) -> Cleaned:
    """Another CLI's items as pycodex history: conversation only, calls paired."""
    parsed: list[ResponseItem] = []
    dropped = 0
    for obj in raw:
        item = item_from_json(_normalized(obj))
        if isinstance(item, MessageItem):
            item = _foreign_message(item)
        elif isinstance(item, ReasoningItem) and not item.encrypted_content:
            item = None  # nothing a server could use again
        elif item is None:
            pass  # web search calls, compaction blobs, kinds pycodex does not know
        if item is None:
            dropped += 1
        else:
            parsed.append(item)
    return Cleaned(*_paired(parsed, dropped))


def _paired(parsed: list[ResponseItem], dropped: int) -> tuple[tuple[ResponseItem, ...], int]:
    """Keep a call only when an output follows it, and an output only right for an open call."""
    last_output = {
        item.call_id: index
        for index, item in enumerate(parsed)
        if isinstance(item, FunctionCallOutputItem)
    }
    kept: list[ResponseItem] = []
    open_calls: set[str] = set()
    for index, item in enumerate(parsed):
        if isinstance(item, FunctionCallItem | LocalShellCallItem):
            if last_output.get(item.call_id, -1) < index or item.call_id in open_calls:
                dropped += 1  # never answered: pycodex could only answer it out of place
                continue
            open_calls.add(item.call_id)
        elif isinstance(item, FunctionCallOutputItem):
            if item.call_id not in open_calls:
                dropped += 1  # no call before it, or a second answer
                continue
            open_calls.discard(item.call_id)
        kept.append(item)
    return tuple(kept), dropped
