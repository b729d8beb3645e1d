"""MCP tools as model tools: their specs, and the handler that calls them.

The manager (``pycodex.mcp_client.manager``, which imports the SDK) is created by
``Codex.spawn`` only when servers are configured; this module sees it through the small
``McpTools`` protocol, so importing it costs nothing. A call emits ``McpToolCallBegin``,
goes to the server, and emits ``McpToolCallEnd`` with the duration, the content blocks,
``is_error`` and, when there was no result at all, ``error``. The model always gets an
output: a failure is text it can read (results.py), never an exception.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pycodex.core.approval_policy import Refused
from pycodex.core.tools.context import McpTools, ToolContext
from pycodex.mcp_client.records import McpTool
from pycodex.models.base import FunctionTool
from pycodex.protocol.events import (
    ExecApprovalRequest,
    McpInvocation,
    McpToolCallBegin,
    McpToolCallEnd,
)
from pycodex.protocol.policy import AskForApproval

ABORTED = "aborted by user"
REJECTED = "MCP tool call rejected by user"


def mcp_function_tools(tools: Sequence[McpTool]) -> tuple[FunctionTool, ...]:
    """The function tools offered to the model, one per MCP tool (reference §3.5)."""
    return tuple(
        FunctionTool(
            name=t.model_name,
            description=t.description or f"Tool `{t.name}` of the MCP server `{t.server}`.",
            strict=False,
            parameters=t.parameters(),
        )
        for t in tools
    )


async def mcp_call_approved(
    ctx: ToolContext, call_id: str, invocation: McpInvocation, approval_mode: str = "auto"
) -> str | None:
    """APPROVAL CALL POINT for MCP tool calls. None: go ahead; else the refusal for the model.

    An MCP tool can have any side effect outside the sandbox. The tool's ``approval_mode``
    (``[mcp_servers.NAME.tools.TOOL]`` or the server's ``default_tools_approval_mode``)
    combines with the policy so that it can only add questions, never remove the `never`
    guarantee that nothing waits for a human:

    ============  ===========  ==========================  ===========
    mode          untrusted    on-request / on-failure      never
    ============  ===========  ==========================  ===========
    ``auto``      ask          run (v0.20 never asked)      run
    ``prompt``    ask          ask                          refused
    ``approve``   run          run                          run
    ============  ===========  ==========================  ===========

    ``approve`` is the user's own standing approval of that one tool (config comes only from
    ``$CODEX_HOME`` and ``-c``, never from the repository). Under ``never`` a ``prompt`` tool
    cannot be asked about, so it is refused: running it unasked would ignore the setting.

    The question is an ``ExecApprovalRequest`` every front end already answers: its
    ``command`` is ``mcp_call_argv`` and the reason names the server and tool. "Approve for
    the session" remembers that exact call (tool and arguments), as for commands. A refusal
    makes no call; abort ends the turn.
    """
    policy = ctx.approval_policy
    if approval_mode == "approve":
        return None
    if approval_mode == "prompt" and policy is AskForApproval.NEVER:
        return (
            f"MCP tool call refused: `{invocation.tool}` of the server `{invocation.server}` "
            'requires approval (approval_mode = "prompt") and the approval policy is `never`'
        )
    if approval_mode != "prompt" and policy is not AskForApproval.UNTRUSTED:
        return None
    argv = mcp_call_argv(invocation)
    if argv in ctx.approvals.approved_mcp_calls:
        return None
    reason = f"MCP tool call: `{invocation.tool}` of the server `{invocation.server}`"
    request = ExecApprovalRequest(call_id, argv, str(ctx.cwd), reason)
    answer = await ctx.approvals.ask(call_id, request, ctx.emit, "exec")
    if isinstance(answer, Refused):
        return REJECTED
    if answer.remember:
        ctx.approvals.remember_mcp_call(argv)
    return None


def mcp_call_argv(invocation: McpInvocation) -> tuple[str, ...]:
    """How an MCP call is shown in an approval request: ``mcp SERVER TOOL ARGS-JSON``."""
    arguments = json.dumps(invocation.arguments, ensure_ascii=False, sort_keys=True)
    return ("mcp", invocation.server, invocation.tool, arguments)


async def call_mcp_tool(
    ctx: ToolContext, mcp: McpTools, tool: McpTool, call_id: str, arguments: dict[str, Any]
) -> str:
    """Runs one MCP call with its events; returns the model's output text."""
    invocation = McpInvocation(tool.server, tool.name, arguments)
    refusal = await mcp_call_approved(ctx, call_id, invocation, tool.approval_mode)
    if refusal is not None:
        return refusal
    ctx.emit(McpToolCallBegin(call_id, invocation))
    started = time.monotonic()
    try:
        outcome = await mcp.call(tool, arguments)
    except asyncio.CancelledError:
        ctx.emit(McpToolCallEnd(call_id, invocation, time.monotonic() - started, error=ABORTED))
        raise
    ctx.emit(
        McpToolCallEnd(
            call_id,
            invocation,
            duration_seconds=time.monotonic() - started,
            content=outcome.content,
            is_error=outcome.is_error,
            error=outcome.error,
            structured_content=outcome.structured_content,
        )
    )
    return outcome.model_output(tool.server, tool.name)


def mcp_handler(
    ctx: ToolContext, name: str
) -> Callable[[ToolContext, str, dict[str, Any]], Awaitable[str]] | None:
    """The router's handler for ``name`` when it is an MCP tool of this session, else None."""
    mcp = ctx.mcp
    tool = mcp.tool(name) if mcp is not None else None
    if mcp is None or tool is None:
        return None

    async def handle(ctx: ToolContext, call_id: str, arguments: dict[str, Any]) -> str:
        return await call_mcp_tool(ctx, mcp, tool, call_id, arguments)

    return handle
