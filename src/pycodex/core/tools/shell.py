"""``shell`` (and the built-in ``local_shell`` call): run an argv, report both streams.

Live output goes out as ``ExecCommandOutputDelta`` events, capped per call so a command
that prints gigabytes cannot fill the event queue; the model gets the formatted result
from ``exec_output``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycodex.apply_patch import extract_patch_from_argv
from pycodex.core.approvals import exec_needs_approval
from pycodex.core.exec_output import format_exec_output
from pycodex.core.tools.apply_patch import apply_patch_call
from pycodex.core.tools.context import ToolArgumentError, ToolContext
from pycodex.protocol.events import (
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
)
from pycodex.protocol.policy import ReviewDecision
from pycodex.sandbox.spawn import StreamName, run_command

MAX_DELTA_BYTES_PER_CALL = 1024 * 1024
REJECTED = "exec command rejected by user"
ABORTED = "aborted by user"


@dataclass(frozen=True, slots=True)
class ShellParams:
    command: tuple[str, ...]
    workdir: str | None = None
    timeout_ms: int | None = None
    justification: str | None = None


def parse_shell_args(args: dict[str, Any]) -> ShellParams:
    command = args.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise ToolArgumentError(
            '`command` must be a non-empty array of strings, e.g. ["bash", "-lc", "ls"]'
        )
    timeout = args.get("timeout", args.get("timeout_ms"))
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ToolArgumentError("`timeout` must be a positive number of milliseconds")
    workdir = args.get("workdir")
    if workdir is not None and not isinstance(workdir, str):
        raise ToolArgumentError("`workdir` must be a string")
    justification = args.get("justification")
    return ShellParams(
        command=tuple(command),
        workdir=workdir or None,
        timeout_ms=int(timeout) if timeout is not None else None,
        justification=justification if isinstance(justification, str) else None,
    )


async def run_shell(ctx: ToolContext, call_id: str, params: ShellParams) -> str:
    cwd = ctx.cwd / params.workdir if params.workdir else ctx.cwd  # absolute workdir wins
    invocation = extract_patch_from_argv(params.command)
    if invocation is not None:  # a patch, not a program: applied in-process, nothing spawned
        patch_cwd = cwd / invocation.workdir if invocation.workdir else cwd  # `cd DIR && ...`
        return await apply_patch_call(ctx, call_id, invocation.patch, patch_cwd)
    if exec_needs_approval(ctx.approval_policy, ctx.sandbox.mode, params.command):
        decision = await ctx.approvals.request(
            call_id,
            ExecApprovalRequest(call_id, params.command, str(cwd), params.justification),
            ctx.emit,
        )
        if decision not in (ReviewDecision.APPROVED, ReviewDecision.APPROVED_FOR_SESSION):
            return REJECTED
    timeout_ms = params.timeout_ms or ctx.default_timeout_ms
    budget = MAX_DELTA_BYTES_PER_CALL

    def on_output(stream: StreamName, chunk: bytes) -> None:
        nonlocal budget
        if budget <= 0:
            return
        piece = chunk[:budget]
        budget -= len(piece)
        ctx.emit(ExecCommandOutputDelta(call_id, stream, piece))

    ctx.emit(ExecCommandBegin(call_id, params.command, str(cwd)))
    try:
        result = await run_command(
            params.command,
            cwd=Path(cwd),
            env=ctx.env,
            timeout_ms=timeout_ms,
            on_output=on_output,
            sandbox=ctx.sandbox,
        )
    except asyncio.CancelledError:
        ctx.emit(ExecCommandEnd(call_id, "", ABORTED, ABORTED, -1, 0.0, ABORTED))
        raise
    formatted = format_exec_output(result, timeout_ms=timeout_ms)
    if result.omitted_bytes or json.loads(formatted)["output"] != result.aggregated:
        ctx.keep_full_output(call_id, result)  # the model saw less than was captured
    ctx.emit(
        ExecCommandEnd(
            call_id=call_id,
            stdout=result.stdout,
            stderr=result.stderr,
            aggregated_output=result.aggregated,
            exit_code=result.exit_code,
            duration_seconds=result.duration,
            formatted_output=formatted,
        )
    )
    return formatted


async def handle_shell(ctx: ToolContext, call_id: str, args: dict[str, Any]) -> str:
    return await run_shell(ctx, call_id, parse_shell_args(args))
