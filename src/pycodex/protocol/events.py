"""Events out of core, with the wire names of Codex's ``EventMsg`` (reference §4.8).

An ``Event`` pairs a message with the id of the submission that caused it. Front ends
render these; the MCP server forwards them as ``codex/event`` notifications; ``to_json``
gives the ``{"type": ..., ...}`` form used on every wire.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from pycodex.protocol.items import JsonObject, PlanStep, TokenUsage


@dataclass(frozen=True, slots=True)
class SessionConfigured:
    session_id: str
    model: str
    rollout_path: str | None = None
    history_log_id: int = 0
    history_entry_count: int = 0
    type: Literal["session_configured"] = "session_configured"


@dataclass(frozen=True, slots=True)
class TaskStarted:
    model_context_window: int | None = None
    type: Literal["task_started"] = "task_started"


@dataclass(frozen=True, slots=True)
class TaskComplete:
    last_agent_message: str | None = None
    type: Literal["task_complete"] = "task_complete"


@dataclass(frozen=True, slots=True)
class TurnAborted:
    reason: Literal["interrupted", "replaced"] = "interrupted"
    type: Literal["turn_aborted"] = "turn_aborted"


@dataclass(frozen=True, slots=True)
class AgentMessageDelta:
    delta: str
    type: Literal["agent_message_delta"] = "agent_message_delta"


@dataclass(frozen=True, slots=True)
class AgentMessage:
    message: str
    type: Literal["agent_message"] = "agent_message"


@dataclass(frozen=True, slots=True)
class AgentReasoningDelta:
    delta: str
    type: Literal["agent_reasoning_delta"] = "agent_reasoning_delta"


@dataclass(frozen=True, slots=True)
class AgentReasoning:
    text: str
    type: Literal["agent_reasoning"] = "agent_reasoning"


@dataclass(frozen=True, slots=True)
class AgentReasoningRawContentDelta:
    delta: str
    type: Literal["agent_reasoning_raw_content_delta"] = "agent_reasoning_raw_content_delta"


@dataclass(frozen=True, slots=True)
class AgentReasoningRawContent:
    text: str
    type: Literal["agent_reasoning_raw_content"] = "agent_reasoning_raw_content"


@dataclass(frozen=True, slots=True)
class TokenCount:
    """Usage of the last response plus the running total of the session."""

    last: TokenUsage
    total: TokenUsage
    model_context_window: int | None = None
    type: Literal["token_count"] = "token_count"


@dataclass(frozen=True, slots=True)
class ExecCommandBegin:
    call_id: str
    command: tuple[str, ...]
    cwd: str
    type: Literal["exec_command_begin"] = "exec_command_begin"


@dataclass(frozen=True, slots=True)
class ExecCommandOutputDelta:
    call_id: str
    stream: Literal["stdout", "stderr"]
    chunk: bytes
    type: Literal["exec_command_output_delta"] = "exec_command_output_delta"


@dataclass(frozen=True, slots=True)
class ExecCommandEnd:
    call_id: str
    stdout: str
    stderr: str
    aggregated_output: str
    exit_code: int
    duration_seconds: float
    formatted_output: str = ""  # what the model was shown
    type: Literal["exec_command_end"] = "exec_command_end"


@dataclass(frozen=True, slots=True)
class ExecApprovalRequest:
    call_id: str
    command: tuple[str, ...]
    cwd: str
    reason: str | None = None
    type: Literal["exec_approval_request"] = "exec_approval_request"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of a patch: ``kind`` add (content), delete, or update (unified_diff)."""

    kind: Literal["add", "delete", "update"]
    content: str | None = None
    unified_diff: str | None = None
    move_path: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyPatchApprovalRequest:
    call_id: str
    changes: dict[str, FileChange]
    reason: str | None = None
    grant_root: str | None = None
    type: Literal["apply_patch_approval_request"] = "apply_patch_approval_request"


@dataclass(frozen=True, slots=True)
class PatchApplyBegin:
    call_id: str
    auto_approved: bool
    changes: dict[str, FileChange]
    type: Literal["patch_apply_begin"] = "patch_apply_begin"


@dataclass(frozen=True, slots=True)
class PatchApplyEnd:
    call_id: str
    stdout: str
    stderr: str
    success: bool
    type: Literal["patch_apply_end"] = "patch_apply_end"


@dataclass(frozen=True, slots=True)
class TurnDiff:
    unified_diff: str
    type: Literal["turn_diff"] = "turn_diff"


@dataclass(frozen=True, slots=True)
class PlanUpdate:
    plan: tuple[PlanStep, ...]
    explanation: str | None = None
    type: Literal["plan_update"] = "plan_update"


@dataclass(frozen=True, slots=True)
class McpInvocation:
    server: str
    tool: str
    arguments: JsonObject | None = None


@dataclass(frozen=True, slots=True)
class McpToolCallBegin:
    call_id: str
    invocation: McpInvocation
    type: Literal["mcp_tool_call_begin"] = "mcp_tool_call_begin"


@dataclass(frozen=True, slots=True)
class McpToolCallEnd:
    call_id: str
    invocation: McpInvocation
    duration_seconds: float
    content: tuple[JsonObject, ...] = ()
    is_error: bool = False
    error: str | None = None  # the call itself failed (server down, timeout, ...)
    structured_content: Any = None  # the result's ``structuredContent`` (JSON), if any
    type: Literal["mcp_tool_call_end"] = "mcp_tool_call_end"


@dataclass(frozen=True, slots=True)
class WebSearchEnd:
    """The model searched the web (the provider's hosted ``web_search`` tool ran)."""

    call_id: str
    query: str
    action: JsonObject | None = None
    type: Literal["web_search_end"] = "web_search_end"


@dataclass(frozen=True, slots=True)
class BackgroundEvent:
    message: str
    type: Literal["background_event"] = "background_event"


@dataclass(frozen=True, slots=True)
class StreamError:
    """A retryable failure that is being retried: shown, not fatal."""

    message: str
    attempt: int = 0
    max_attempts: int = 0
    delay_seconds: float = 0.0
    type: Literal["stream_error"] = "stream_error"


@dataclass(frozen=True, slots=True)
class ModelWaiting:
    """Progress, not an error: the model has sent nothing for ``elapsed_seconds`` (no
    answer yet, or a stream gone quiet, ``responded``). Emitted when the silence passes a
    threshold, then at doubling intervals; names the retry plan: this is ``attempt``, each
    attempt gives up after ``timeout_seconds`` of silence, ``retries_left`` more follow."""

    message: str
    elapsed_seconds: float
    attempt: int = 1
    retries_left: int = 0
    timeout_seconds: float = 0.0
    responded: bool = False
    type: Literal["model_waiting"] = "model_waiting"


@dataclass(frozen=True, slots=True)
class Error:
    """A fatal error for the current turn (the turn then ends with ``task_complete``)."""

    message: str
    type: Literal["error"] = "error"


@dataclass(frozen=True, slots=True)
class ShutdownComplete:
    type: Literal["shutdown_complete"] = "shutdown_complete"


EventMsg = (
    SessionConfigured
    | TaskStarted
    | TaskComplete
    | TurnAborted
    | AgentMessageDelta
    | AgentMessage
    | AgentReasoningDelta
    | AgentReasoning
    | AgentReasoningRawContentDelta
    | AgentReasoningRawContent
    | TokenCount
    | ExecCommandBegin
    | ExecCommandOutputDelta
    | ExecCommandEnd
    | ExecApprovalRequest
    | ApplyPatchApprovalRequest
    | PatchApplyBegin
    | PatchApplyEnd
    | TurnDiff
    | PlanUpdate
    | McpToolCallBegin
    | McpToolCallEnd
    | WebSearchEnd
    | BackgroundEvent
    | StreamError
    | ModelWaiting
    | Error
    | ShutdownComplete
)


@dataclass(frozen=True, slots=True)
class Event:
    """An event and the id of the submission it answers (``"0"`` for session start)."""

    id: str
    msg: EventMsg
    meta: dict[str, Any] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def msg_to_json(msg: EventMsg) -> JsonObject:
    """``{"type": <wire name>, ...fields}`` with bytes as integer arrays (as Codex sends)."""
    body: JsonObject = _jsonable(msg)
    kind = body.pop("type")
    return {"type": kind, **body}


def file_change_to_codex_json(change: FileChange) -> JsonObject | str:
    """One change in Codex's externally tagged form (reference §3.4): ``{"add": {"content"}}``,
    ``"delete"`` (a bare string, as v0.20 sends it), or ``{"update": {"unified_diff",
    "move_path"}}``."""
    if change.kind == "add":
        return {"add": {"content": change.content or ""}}
    if change.kind == "delete":
        return "delete"
    return {"update": {"unified_diff": change.unified_diff or "", "move_path": change.move_path}}


def file_changes_to_codex_json(changes: dict[str, FileChange]) -> JsonObject:
    """``changes`` (path -> ``FileChange``) as Codex puts them in ``patch_apply_begin`` and
    ``apply_patch_approval_request``, for wires that must match Codex byte for byte (the MCP
    server's elicitations). ``msg_to_json`` keeps our flat ``{"kind", ...}`` form."""
    return {path: file_change_to_codex_json(change) for path, change in changes.items()}
