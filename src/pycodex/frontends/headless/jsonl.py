"""`codex exec --json`: core events mapped to the versioned JSONL schema (SPEC §6).

One JSON object per line, discriminated by ``type``; the JSON Schema that every line
satisfies is ``exec-events.schema.json`` next to this module. The shape follows the later
Codex "exec events" (reference §11.2) so tools written for it keep working; what is ours:

- ``schema_version`` (an integer, currently ``SCHEMA_VERSION``) rides on the first line,
  ``thread.started``: a consumer checks it once, and every later line stays small. It is
  bumped only for incompatible changes; new optional fields and new item types are not.
- Item ids are ``item_N``, counted from 0 in the order items start, unique per run.
- Deltas (message, reasoning, command output) are never printed: items are printed when
  they start and when they complete; a plan (``todo_list``) is ``item.updated`` on every
  change and completed when the turn ends.
- A fatal error of a turn prints an ``error`` item where it happened, then the turn ends
  with ``turn.failed`` instead of ``turn.completed``. A retry notice (the model stream is
  being retried) is a top-level ``error`` line: it is news, not a failure.
- An interrupted turn ends with ``turn.failed`` and the message ``turn interrupted``.
- A failed ``file_change`` carries ``error.message`` (why). A patch that was never applied
  (invalid, or refused by the approval settings: the message starts ``patch rejected``) is
  a lone ``item.completed`` ``file_change`` with ``changes: []`` and status ``failed``.
- A notice about the session outside a turn (an MCP server that failed to start) is a
  top-level ``error`` line too; the run goes on.
- ``mcp_tool_call``: ``result`` holds the content blocks as the server sent them and its
  ``structuredContent``; a result flagged ``isError`` is ``failed`` with its text as
  ``error.message``; a call with no result (timeout, server gone) has ``result: null``.
- Machine output: strings are the texts as they were, escape sequences included (a
  consumer may want them). JSON already writes C0 controls (``ESC``, ``BEL``, ``\\r``) as
  ``\\u00XX``; ``dumps`` does the same for DEL, the C1 controls (U+0080..U+009F: a terminal
  may take U+009B for CSI) and the bidi overrides/isolates, which ``ensure_ascii=False``
  would leave raw. The decoded values are unchanged; only the encoding differs.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from pycodex.frontends.headless.waiting import waiting_json
from pycodex.protocol.events import (
    AgentMessage,
    AgentReasoning,
    AgentReasoningRawContent,
    BackgroundEvent,
    Error,
    Event,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    McpToolCallBegin,
    McpToolCallEnd,
    ModelWaiting,
    PatchApplyBegin,
    PatchApplyEnd,
    PlanUpdate,
    SessionConfigured,
    StreamError,
    TaskComplete,
    TaskStarted,
    TokenCount,
    TurnAborted,
    WebSearchEnd,
)
from pycodex.protocol.items import JsonObject, TokenUsage

SCHEMA_VERSION = 1
INTERRUPTED_MESSAGE = "turn interrupted"


def _tool_error_text(msg: McpToolCallEnd) -> str:
    """An ``isError`` result's text blocks: what the tool said went wrong."""
    texts = [str(c["text"]) for c in msg.content if c.get("type") == "text" and "text" in c]
    return "\n".join(texts) or "the tool reported an error"


_RAW_CONTROLS = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(obj: JsonObject) -> str:
    """One compact JSON line (no trailing newline); non-ASCII kept as is but for the
    controls a terminal could act on, written as ``\\u00XX`` (the same JSON value: such
    characters can only occur inside strings)."""
    return _RAW_CONTROLS.sub(_escape, json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


@dataclass
class JsonlMapper:
    """Turns core events into schema lines. Stateful: it tracks open items and usage."""

    show_reasoning: bool = True
    show_raw_reasoning: bool = False
    _next_id: int = 0
    _open: dict[str, JsonObject] = field(default_factory=dict)  # call_id -> item
    _todo: JsonObject | None = None
    _usage: TokenUsage = field(default_factory=TokenUsage)
    _turn_error: str | None = None
    _in_turn: bool = False

    def _new_item(self, kind: str, **fields: Any) -> JsonObject:
        item: JsonObject = {"id": f"item_{self._next_id}", "type": kind, **fields}
        self._next_id += 1
        return item

    def _take(self, call_id: str) -> JsonObject | None:
        return self._open.pop(call_id, None)

    @staticmethod
    def _line(kind: str, item: JsonObject) -> JsonObject:
        return {"type": kind, "item": dict(item)}

    def _completed(self, kind: str, **fields: Any) -> list[JsonObject]:
        return [self._line("item.completed", self._new_item(kind, **fields))]

    def map(self, event: Event) -> list[JsonObject]:  # noqa: PLR0915 (one case per event)
        """The lines (possibly none) that one event produces, in order."""
        msg = event.msg
        match msg:
            case SessionConfigured():
                return [
                    {
                        "type": "thread.started",
                        "thread_id": msg.session_id,
                        "schema_version": SCHEMA_VERSION,
                    }
                ]
            case TaskStarted():
                self._in_turn = True
                self._usage = TokenUsage()
                self._turn_error = None
                self._todo = None
                return [{"type": "turn.started"}]
            case AgentMessage():
                return self._completed("agent_message", text=msg.message)
            case AgentReasoning():
                if not self.show_reasoning:
                    return []
                return self._completed("reasoning", text=msg.text)
            case AgentReasoningRawContent():
                if not self.show_raw_reasoning:
                    return []
                return self._completed("reasoning", text=msg.text)
            case ExecCommandBegin():
                item = self._new_item(
                    "command_execution",
                    command=shlex.join(msg.command),
                    aggregated_output="",
                    exit_code=None,
                    status="in_progress",
                )
                self._open[msg.call_id] = item
                return [self._line("item.started", item)]
            case ExecCommandEnd():
                item = self._take(msg.call_id) or self._new_item("command_execution", command="")
                item.update(
                    aggregated_output=msg.aggregated_output,
                    exit_code=msg.exit_code,
                    status="completed" if msg.exit_code == 0 else "failed",
                )
                return [self._line("item.completed", item)]
            case ExecApprovalRequest():
                # exec runs with approval "never", so this is answered "denied" by the loop.
                return self._completed(
                    "command_execution",
                    command=shlex.join(msg.command),
                    aggregated_output="",
                    exit_code=None,
                    status="declined",
                )
            case PatchApplyBegin():
                changes = [{"path": p, "kind": c.kind} for p, c in msg.changes.items()]
                item = self._new_item("file_change", changes=changes, status="in_progress")
                self._open[msg.call_id] = item
                return [self._line("item.started", item)]
            case PatchApplyEnd():
                item = self._take(msg.call_id) or self._new_item("file_change", changes=[])
                item["status"] = "completed" if msg.success else "failed"
                if not msg.success:
                    reason = (msg.stderr or msg.stdout).strip() or "the patch was not applied"
                    item["error"] = {"message": reason}
                return [self._line("item.completed", item)]
            case McpToolCallBegin():
                inv = msg.invocation
                item = self._new_item(
                    "mcp_tool_call",
                    server=inv.server,
                    tool=inv.tool,
                    arguments=inv.arguments,
                    result=None,
                    error=None,
                    status="in_progress",
                )
                self._open[msg.call_id] = item
                return [self._line("item.started", item)]
            case McpToolCallEnd():
                return self._mcp_end(msg)
            case WebSearchEnd():  # the provider ran it: reported once, completed
                return self._completed("web_search", query=msg.query, action=msg.action)
            case PlanUpdate():
                items = [{"text": s.step, "completed": s.status == "completed"} for s in msg.plan]
                if self._todo is None:
                    self._todo = self._new_item("todo_list", items=items)
                    return [self._line("item.started", self._todo)]
                self._todo["items"] = items
                return [self._line("item.updated", self._todo)]
            case TokenCount():
                self._usage = self._usage + msg.last
                return []
            case BackgroundEvent():
                # Outside a turn it is news about the session (an MCP server that did not
                # start, an image that could not be read): a top-level `error` line.
                return [] if self._in_turn else [{"type": "error", "message": msg.message}]
            case ModelWaiting():  # progress, not an item: see headless.waiting
                return [waiting_json(msg)]
            case StreamError():
                # core's text already says what failed and the retry: "…; retrying 1/5 in 0.2s…"
                return [{"type": "error", "message": msg.message}]
            case Error():
                if not self._in_turn:
                    return [{"type": "error", "message": msg.message}]
                self._turn_error = msg.message
                return self._completed("error", message=msg.message)
            case TurnAborted():
                return self._end_turn(failure=INTERRUPTED_MESSAGE)
            case TaskComplete():
                return self._end_turn(failure=self._turn_error)
            case _:
                return []

    def _mcp_end(self, msg: McpToolCallEnd) -> list[JsonObject]:
        item = self._take(msg.call_id) or self._new_item(
            "mcp_tool_call",
            server=msg.invocation.server,
            tool=msg.invocation.tool,
            arguments=msg.invocation.arguments,
        )
        failed = msg.error is not None or msg.is_error
        if msg.error is not None:
            item["result"] = None
            item["error"] = {"message": msg.error}
        else:
            item["result"] = {
                "content": list(msg.content),
                "structured_content": msg.structured_content,
            }
            item["error"] = {"message": _tool_error_text(msg)} if msg.is_error else None
        item["status"] = "failed" if failed else "completed"
        return [self._line("item.completed", item)]

    def _end_turn(self, *, failure: str | None) -> list[JsonObject]:
        if not self._in_turn:
            return []
        self._in_turn = False
        lines: list[JsonObject] = []
        for item in self._open.values():  # never finished (interrupted): closed as failed
            item["status"] = "failed"
            lines.append(self._line("item.completed", item))
        self._open.clear()
        if self._todo is not None:
            lines.append(self._line("item.completed", self._todo))
            self._todo = None
        if failure is not None:
            lines.append({"type": "turn.failed", "error": {"message": failure}})
        else:
            u = self._usage
            usage: JsonObject = {
                "input_tokens": u.input_tokens,
                "cached_input_tokens": u.cached_input_tokens,
                "output_tokens": u.output_tokens,
                "reasoning_output_tokens": u.reasoning_output_tokens,
            }
            if u.estimated:  # the server reported none: counted by the client (~4 chars/token)
                usage["estimated"] = True
            lines.append({"type": "turn.completed", "usage": usage})
        return lines
