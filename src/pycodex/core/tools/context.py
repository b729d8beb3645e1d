"""What a tool handler may use: where and how to run, how to emit, how to ask."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pycodex.core.approvals import ApprovalBroker
from pycodex.core.turn_diff import TurnDiffTracker
from pycodex.mcp_client.records import CallOutcome, McpTool
from pycodex.protocol.events import EventMsg
from pycodex.protocol.items import Plan
from pycodex.protocol.policy import AskForApproval
from pycodex.sandbox.policy import SandboxPolicy
from pycodex.sandbox.spawn import CommandResult

DEFAULT_SHELL_TIMEOUT_MS = 10_000
DEFAULT_MAX_TIMEOUT_MS = 600_000  # config max_tool_timeout_sec


def _ignore_output(call_id: str, result: CommandResult) -> None:
    del call_id, result


class McpTools(Protocol):
    """What tool handlers need of ``pycodex.mcp_client.manager.McpManager`` (which imports
    the SDK, so it is named only here, structurally)."""

    def tool(self, model_name: str) -> McpTool | None: ...
    async def call(self, tool: McpTool, arguments: dict[str, Any]) -> CallOutcome: ...


class ToolArgumentError(ValueError):
    """The model's arguments do not fit the tool: told to the model, the turn goes on."""


@dataclass(frozen=True, slots=True)
class ToolContext:
    cwd: Path
    env: dict[str, str]  # after shell_environment_policy
    sandbox: SandboxPolicy
    approval_policy: AskForApproval
    approvals: ApprovalBroker
    emit: Callable[[EventMsg], None]
    set_plan: Callable[[Plan], None]
    default_timeout_ms: int = DEFAULT_SHELL_TIMEOUT_MS
    max_timeout_ms: int = DEFAULT_MAX_TIMEOUT_MS  # the model's `timeout` is clamped to it
    keep_full_output: Callable[[str, CommandResult], None] = _ignore_output  # session file
    turn_diff: TurnDiffTracker = field(default_factory=TurnDiffTracker)  # one per turn
    mcp: McpTools | None = None  # the MCP servers' tools (None: no server configured)
    shown_notices: set[str] = field(default_factory=set)  # sandbox notices told
