"""Tool calls in, ``function_call_output`` items out: name -> handler.

Every failure a model can cause (unknown tool, arguments that are not JSON or do not fit)
becomes an output the model can read and act on; the turn goes on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pycodex.core.tools.apply_patch import handle_apply_patch_tool
from pycodex.core.tools.context import ToolArgumentError, ToolContext
from pycodex.core.tools.mcp import mcp_handler
from pycodex.core.tools.plan import handle_update_plan
from pycodex.core.tools.shell import ShellParams, handle_shell, run_shell
from pycodex.core.tools.specs import APPLY_PATCH, SHELL, UPDATE_PLAN
from pycodex.protocol.items import FunctionCallItem, FunctionCallOutputItem, LocalShellCallItem

Handler = Callable[[ToolContext, str, dict[str, Any]], Awaitable[str]]

HANDLERS: dict[str, Handler] = {
    SHELL: handle_shell,
    "container.exec": handle_shell,  # an alias some models use for shell
    UPDATE_PLAN: handle_update_plan,
}

ToolCallItem = FunctionCallItem | LocalShellCallItem


def parse_arguments(name: str, arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as exc:
        raise ToolArgumentError(
            f"failed to parse function arguments for `{name}` as JSON: {exc.msg} at "
            f"line {exc.lineno} column {exc.colno}; send a JSON object matching the "
            "tool's parameters schema"
        ) from exc
    if not isinstance(value, dict):
        raise ToolArgumentError(
            f"arguments for `{name}` must be a JSON object, got {type(value).__name__}"
        )
    return value


async def dispatch(ctx: ToolContext, call: ToolCallItem) -> FunctionCallOutputItem:
    """Run one tool call and return its output item (same ``call_id``)."""
    if isinstance(call, LocalShellCallItem):
        params = ShellParams(call.command, call.workdir, call.timeout_ms)
        return FunctionCallOutputItem(call.call_id, await run_shell(ctx, call.call_id, params))
    if call.name == APPLY_PATCH:  # its raw arguments: a bare patch is accepted too
        return FunctionCallOutputItem(
            call.call_id, await handle_apply_patch_tool(ctx, call.call_id, call.arguments)
        )
    handler = HANDLERS.get(call.name) or mcp_handler(ctx, call.name)  # `server__tool`
    if handler is None:
        return FunctionCallOutputItem(call.call_id, f"unsupported call: {call.name}")
    try:
        output = await handler(ctx, call.call_id, parse_arguments(call.name, call.arguments))
    except ToolArgumentError as exc:
        message = str(exc)
        if not message.startswith("failed to parse"):
            message = f"invalid arguments for `{call.name}`: {message}"
        output = message
    return FunctionCallOutputItem(call.call_id, output)
