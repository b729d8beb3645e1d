"""apply_patch inside the agent: every way a model sends a patch ends in ``apply_patch_call``.

Forms (reference §3.4): the ``apply_patch`` function tool (``{"input": PATCH}``), and a
``shell`` / ``local_shell`` call whose argv is an apply_patch invocation (``["apply_patch",
PATCH]``, ``applypatch``, the lenient ``["apply_patch", "<<'EOF'\\n…"]``, ``bash -lc
"[cd DIR &&] apply_patch <<'EOF' …"``; recognised by the library, no program is run).

The steps of one call, in order:

1. plan (pure): parse and verify every hunk of every file. A failure goes back to the model
   as the library's text (file, hunk, nearest lines); no event, nothing written.
2. ``assess_patch``: the one approval call point. Today every patch is auto-approved
   (``danger-full-access`` semantics); the approval issue decides here whether to ask
   (``ApplyPatchApprovalRequest`` through ``ctx.approvals``) and returns the verdict.
3. baseline the touched files for the turn diff, emit ``PatchApplyBegin``.
4. ``write_patch``: the one place where patch bytes reach the disk. The sandbox issue wraps
   or replaces this function (e.g. re-running ``python -m pycodex.apply_patch`` under the
   sandbox for auto-approved patches, as Codex does); it gets the plan, the patch text and
   the directory, and must return the library's ``ApplyResult``.
5. emit ``PatchApplyEnd`` and, if the turn's diff changed, ``TurnDiff``.

Planning and writing run on the event loop without awaiting in between: an interrupt can
never separate an applied patch from its ``PatchApplyEnd``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pycodex.apply_patch import (
    ApplyResult,
    PatchError,
    PlannedChanges,
    apply_planned,
    parse_patch,
    patch_from_arguments,
    plan_patch,
)
from pycodex.core.project_doc import find_git_root
from pycodex.core.tools.context import ToolContext
from pycodex.core.turn_diff import read_file_state
from pycodex.protocol.events import PatchApplyBegin, PatchApplyEnd, TurnDiff

REJECTED = "patch rejected by user"


@dataclass(frozen=True, slots=True)
class PatchVerdict:
    """What ``assess_patch`` decided: apply or not, and whether the user was asked."""

    approved: bool
    auto_approved: bool


async def assess_patch(ctx: ToolContext, call_id: str, planned: PlannedChanges) -> PatchVerdict:
    """The approval call point for patches ("assess -> maybe ask"). Today: always
    auto-approved. The approval issue fills this in from ``ctx.approval_policy``,
    ``ctx.sandbox`` and ``planned.paths`` (asking via ``ctx.approvals.request`` with an
    ``ApplyPatchApprovalRequest(call_id, planned.changes)``)."""
    del ctx, call_id, planned
    return PatchVerdict(approved=True, auto_approved=True)


async def write_patch(
    ctx: ToolContext, planned: PlannedChanges, patch: str, verdict: PatchVerdict
) -> ApplyResult:
    """The single place where a patch is written to disk (atomically, by the library).
    The sandbox issue wraps this to write under the sandbox; ``patch`` and ``planned.cwd``
    are what a sandboxed re-run of ``python -m pycodex.apply_patch`` needs."""
    del ctx, patch, verdict
    return apply_planned(planned)


def _success_output(result: ApplyResult, started: float) -> str:
    metadata = {"exit_code": 0, "duration_seconds": round(time.monotonic() - started, 1)}
    return json.dumps({"output": result.output, "metadata": metadata}, ensure_ascii=False)


def _emit_turn_diff(ctx: ToolContext) -> None:
    tracker = ctx.turn_diff
    if tracker.root is None:
        cwd = Path(os.path.abspath(ctx.cwd))  # noqa: PTH100 - keep symlinks, as plan_patch does
        tracker.root = find_git_root(cwd) or cwd
    diff = tracker.unified_diff(read_file_state)
    if diff != tracker.emitted:
        tracker.emitted = diff
        ctx.emit(TurnDiff(diff))


async def apply_patch_call(ctx: ToolContext, call_id: str, patch: str, cwd: Path) -> str:
    """Apply ``patch`` with relative paths resolved against ``cwd``; returns the output for
    the model (Codex's success JSON, or the error text)."""
    started = time.monotonic()
    try:
        planned = plan_patch(parse_patch(patch), cwd)
    except PatchError as error:
        return error.render()
    verdict = await assess_patch(ctx, call_id, planned)
    if not verdict.approved:
        return REJECTED
    ctx.turn_diff.before_patch(planned.paths, planned.changes, read_file_state)
    ctx.emit(PatchApplyBegin(call_id, verdict.auto_approved, planned.changes))
    result = await write_patch(ctx, planned, patch, verdict)
    ctx.emit(PatchApplyEnd(call_id, result.stdout, result.stderr, result.success))
    if not result.success:
        return result.output
    _emit_turn_diff(ctx)
    return _success_output(result, started)


async def handle_apply_patch_tool(ctx: ToolContext, call_id: str, arguments: str) -> str:
    """The ``apply_patch`` function tool: ``arguments`` is the call's raw JSON text (a bare
    patch is accepted too); paths are relative to the session's cwd."""
    try:
        patch = patch_from_arguments(arguments)
    except PatchError as error:
        return error.render()
    return await apply_patch_call(ctx, call_id, patch, ctx.cwd)
