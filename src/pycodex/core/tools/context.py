"""What a tool handler may use: where and how to run, how to emit, how to ask."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pycodex.core.approvals import ApprovalBroker
from pycodex.protocol.events import EventMsg
from pycodex.protocol.items import Plan
from pycodex.protocol.policy import AskForApproval
from pycodex.sandbox.policy import SandboxPolicy

DEFAULT_SHELL_TIMEOUT_MS = 10_000


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
