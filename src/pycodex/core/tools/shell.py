"""``shell`` (and the built-in ``local_shell`` call): judge, maybe ask, run, report.

Each call goes through the approval matrix (``approval_policy.assess_command``, reference
§5.1) before anything runs: run it under the configured sandbox, run it without one (no
sandbox configured, or the user approved), ask the user first (an ``ExecApprovalRequest``
through the broker), or refuse. Under on-failure a command that failed in the sandbox is
offered a rerun without it. A command the user approved runs outside the sandbox (approval
implies trust) and without ``CODEX_SANDBOX_NETWORK_DISABLED``, since its network is open.

A known-safe command that runs without the user's yes runs read-only: under the read-only
sandbox policy whatever ``sandbox_mode`` says (it needs no write and no network), also under
danger-full-access with ``untrusted``, where being known safe is what spares the question
(unsandboxed only where this machine has no sandbox), and with git's program-running
settings neutralised (``exec_env.known_safe_env``). So a program a repository names (a
textconv or filter driver git cannot be told to skip) can at most read, as ``cat`` can.

The model's ``timeout`` is clamped to ``max_tool_timeout_sec`` and the output says so.

Live output goes out as ``ExecCommandOutputDelta`` events, capped per call so a command
that prints gigabytes cannot fill the event queue; the model gets the formatted result
from ``exec_output``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pycodex.apply_patch import extract_patch_from_argv
from pycodex.core.approval_policy import (
    RETRY_NOTICE,
    AskUser,
    Refused,
    Reject,
    RunSandboxed,
    RunUnsandboxed,
    assess_command,
    failure_notice,
    join_reasons,
    on_failure_retry,
)
from pycodex.core.command_safety import is_known_safe
from pycodex.core.exec_env import known_safe_env
from pycodex.core.exec_output import exec_output_json, exec_output_text
from pycodex.core.tools.apply_patch import apply_patch_call, workdir_reason
from pycodex.core.tools.context import ToolArgumentError, ToolContext
from pycodex.protocol.events import (
    BackgroundEvent,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
)
from pycodex.protocol.policy import AskForApproval, SandboxMode
from pycodex.sandbox import notices
from pycodex.sandbox.policy import FULL_ACCESS, SandboxPolicy, enforced_mode
from pycodex.sandbox.spawn import CommandResult, StreamName, run_command

MAX_DELTA_BYTES_PER_CALL = 1024 * 1024
ABORTED = "aborted by user"


@dataclass(frozen=True, slots=True)
class ShellParams:
    command: tuple[str, ...]
    workdir: str | None = None
    timeout_ms: int | None = None
    justification: str | None = None
    with_escalated_permissions: bool = False


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
    escalated = args.get("with_escalated_permissions", False)
    if not isinstance(escalated, bool):
        raise ToolArgumentError("`with_escalated_permissions` must be true or false")
    return ShellParams(
        command=tuple(command),
        workdir=workdir or None,
        timeout_ms=int(timeout) if timeout is not None else None,
        justification=justification if isinstance(justification, str) else None,
        with_escalated_permissions=escalated,
    )


async def run_shell(ctx: ToolContext, call_id: str, params: ShellParams) -> str:
    cwd = ctx.cwd / params.workdir if params.workdir else ctx.cwd  # absolute workdir wins
    invocation = extract_patch_from_argv(params.command)
    if invocation is not None:  # a patch, not a program: judged and applied as a patch
        patch_cwd = cwd / invocation.workdir if invocation.workdir else cwd  # `cd DIR && ...`
        return await apply_patch_call(ctx, call_id, invocation.patch, patch_cwd)
    known_safe = is_known_safe(params.command)
    assessment = assess_command(
        ctx.approval_policy,
        ctx.sandbox.mode,
        params.command,
        approved_for_session=ctx.approvals.approved_commands,
        with_escalated_permissions=params.with_escalated_permissions,
        known_safe=known_safe,
        justification=params.justification,
    )
    if isinstance(assessment, Reject):
        return assessment.message
    if isinstance(assessment, AskUser):
        refused = await _ask(ctx, call_id, params.command, cwd, assessment.reason)
        if refused is not None:
            return refused
    sandboxed = isinstance(assessment, RunSandboxed)
    sandbox, env = (ctx.sandbox if sandboxed else FULL_ACCESS), ctx.env
    unasked_full_access = (
        isinstance(assessment, RunUnsandboxed)
        and assessment.why == "full-access"
        and ctx.approval_policy is AskForApproval.UNTRUSTED
    )
    if known_safe and (sandboxed or unasked_full_access):
        sandbox, env = _known_safe_run(ctx.sandbox), known_safe_env(ctx.env)
        sandboxed = sandbox.mode is not SandboxMode.DANGER_FULL_ACCESS
    result, formatted = await _execute(ctx, call_id, params, cwd, sandbox=sandbox, env=env)
    # A command that did not start (not found, or a sandbox this machine cannot set up)
    # is not offered a rerun outside the sandbox.
    retry = on_failure_retry(
        ctx.approval_policy,
        ran_sandboxed=sandboxed and result.error is None,
        exit_code=result.exit_code,
        timed_out=result.timed_out,
        known_safe=known_safe,
        output=result.aggregated,
    )
    if retry is None:
        return formatted
    ctx.emit(BackgroundEvent(failure_notice(result.aggregated)))
    refused = await _ask(ctx, call_id, params.command, cwd, retry.reason)
    if refused is not None:
        return refused
    ctx.emit(BackgroundEvent(RETRY_NOTICE))
    _, formatted = await _execute(ctx, call_id, params, cwd, sandbox=FULL_ACCESS, env=ctx.env)
    return formatted


def _known_safe_run(configured: SandboxPolicy) -> SandboxPolicy:
    """The read-only form of ``configured`` (no writable root, no network); the policy as
    configured (no sandbox) where danger-full-access meets a machine without a sandbox."""
    read_only = replace(configured, mode=SandboxMode.READ_ONLY, network_access=False)
    if configured.mode is SandboxMode.DANGER_FULL_ACCESS and (
        enforced_mode(read_only) is SandboxMode.DANGER_FULL_ACCESS
    ):
        return configured
    return read_only


async def _ask(
    ctx: ToolContext, call_id: str, command: tuple[str, ...], cwd: Path, reason: str | None
) -> str | None:
    """Ask the user; None when approved (remembered if for the session), else the text for
    the model. Abort raises ``ApprovalAborted`` (the turn ends)."""
    reason = join_reasons(reason, workdir_reason(ctx, cwd))  # says when workdir is outside
    request = ExecApprovalRequest(call_id, command, str(cwd), reason)
    answer = await ctx.approvals.ask(call_id, request, ctx.emit, "exec")
    if isinstance(answer, Refused):
        return answer.model_output
    if answer.remember:
        ctx.approvals.remember_command(command)
    return None


def clamp_timeout(requested: int | None, default_ms: int, max_ms: int) -> tuple[int, str | None]:
    """The timeout to run with, and the note for the model when its request was cut."""
    if requested is None:
        return min(default_ms, max_ms), None
    if requested <= max_ms:
        return requested, None
    return max_ms, (
        f"the requested timeout of {requested} ms exceeds the maximum of {max_ms} ms "
        f"(max_tool_timeout_sec); the command ran with a timeout of {max_ms} ms"
    )


def _with_note(text: str, note: str) -> str:
    sep = "" if not text or text.endswith("\n") else "\n"
    return f"{text}{sep}{note}"


async def _execute(
    ctx: ToolContext,
    call_id: str,
    params: ShellParams,
    cwd: Path,
    *,
    sandbox: SandboxPolicy,
    env: dict[str, str],
) -> tuple[CommandResult, str]:
    """Run once under ``sandbox`` (``FULL_ACCESS``: none) with ``env`` and begin/delta/end
    events; the result and the text for the model."""
    timeout_ms, clamped = clamp_timeout(
        params.timeout_ms, ctx.default_timeout_ms, ctx.max_timeout_ms
    )
    budget = MAX_DELTA_BYTES_PER_CALL
    # FULL_ACCESS: the user lifted the sandbox for this command, network included
    # (prepare_launch marks CODEX_SANDBOX_NETWORK_DISABLED only under a policy without it).

    def on_output(stream: StreamName, chunk: bytes) -> None:
        nonlocal budget
        if budget <= 0:
            return
        piece = chunk[:budget]
        budget -= len(piece)
        ctx.emit(ExecCommandOutputDelta(call_id, stream, piece))

    ctx.emit(ExecCommandBegin(call_id, params.command, str(cwd)))
    started = time.monotonic()
    try:
        result = await run_command(
            params.command,
            cwd=Path(cwd),
            env=env,
            timeout_ms=timeout_ms,
            on_output=on_output,
            sandbox=sandbox,
        )
    except asyncio.CancelledError:
        took = time.monotonic() - started  # how long it ran before the interrupt
        ctx.emit(ExecCommandEnd(call_id, "", ABORTED, ABORTED, -1, took, ABORTED))
        raise
    text = exec_output_text(result, timeout_ms=timeout_ms)
    if result.omitted_bytes or text != result.aggregated:
        ctx.keep_full_output(call_id, result)  # the model saw less than was captured
    if clamped is not None:
        text = _with_note(text, clamped)
    formatted = exec_output_json(result, text)
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
    _tell_missing_protections(ctx, sandboxed=sandbox.mode is not FULL_ACCESS.mode)
    return result, formatted


def _tell_missing_protections(ctx: ToolContext, *, sandboxed: bool) -> None:
    """What the sandbox could not put in place (``sandbox.notices``), told once a session."""
    if not sandboxed:
        return
    for line in notices.recorded():
        if line not in ctx.shown_notices:
            ctx.shown_notices.add(line)
            ctx.emit(BackgroundEvent(line))


async def handle_shell(ctx: ToolContext, call_id: str, args: dict[str, Any]) -> str:
    return await run_shell(ctx, call_id, parse_shell_args(args))
