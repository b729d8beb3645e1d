"""apply_patch inside the agent: every way a model sends a patch ends in ``apply_patch_call``.

Forms (reference §3.4): the ``apply_patch`` function tool (``{"input": PATCH}``), and a
``shell`` / ``local_shell`` call whose argv is an apply_patch invocation (``["apply_patch",
PATCH]``, ``applypatch``, the lenient ``["apply_patch", "<<'EOF'\\n…"]``, ``bash -lc
"[cd DIR &&] apply_patch <<'EOF' …"``; recognised by the library, no program is run).

The steps of one call, in order:

1. plan (writes nothing): parse and verify every hunk of every file, reading only through
   ``ModelFiles`` (``sandbox.model_files``): the agent reads for the model only what a
   sandboxed command could read, never ``/proc``, ``/sys``, ``/dev`` or ``$CODEX_HOME``, judged
   on real paths. A failure goes back to the model as the library's text (file, hunk, nearest
   lines); nothing written, and a ``PatchApplyEnd`` without a begin (``success=False``,
   the text as ``stderr``) so front ends show the failure. The plan records where each path
   really lands.
2. ``assess_patch``: the one approval call point (``approval_policy.assess_patch``, reference
   §5.1, real paths against the real ``writable_roots_for`` the configured sandbox; a request
   names the real path and says when it is outside the roots): apply inside the sandbox,
   apply without it (no sandbox configured, approved for the session), ask the user (an
   ``ApplyPatchApprovalRequest`` through the broker; approved patches are applied without
   the sandbox), or refuse with a text for the model (and the same begin-less failed
   ``PatchApplyEnd``: a refusal is news for the user too). Abort ends the turn.
3. baseline the touched files for the turn diff, emit ``PatchApplyBegin``.
4. ``write_patch``: the one place where patch bytes reach the disk. A patch applied inside
   the sandbox is written by a child process started under it (``python -I -c`` running the
   library with the same ``ModelFiles`` rule, as Codex re-executes itself), so the kernel
   has the last word; under on-failure a write the sandbox denied is offered a retry without
   it. Other patches (approved, or danger-full-access) are written in-process to exactly the
   real paths judged in step 2: if a path resolves elsewhere by then (a symlink re-pointed
   while the question was open), nothing is written and the model is told.
5. emit ``PatchApplyEnd`` and, if the turn's diff changed, ``TurnDiff``.

An interrupt cannot separate a patch being written from its ``PatchApplyEnd``: the write and
the event run shielded, and the cancellation is honoured once both are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pycodex.apply_patch as patch_lib
from pycodex.apply_patch import (
    ApplyResult,
    PatchError,
    PlannedChanges,
    apply_planned,
    parse_patch,
    patch_from_arguments,
    plan_patch,
)
from pycodex.config.schema import SandboxWorkspaceWrite
from pycodex.core import approval_policy as matrix
from pycodex.core.approval_policy import RETRY_NOTICE, AskUser, Refused, Reject, RunSandboxed
from pycodex.core.project_doc import find_git_root
from pycodex.core.tools.context import ToolContext
from pycodex.core.turn_diff import file_state_reader
from pycodex.protocol.events import (
    ApplyPatchApprovalRequest,
    BackgroundEvent,
    PatchApplyBegin,
    PatchApplyEnd,
    TurnDiff,
)
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.model_files import ModelFiles
from pycodex.sandbox.policy import SandboxPolicy
from pycodex.sandbox.spawn import run_command

REJECTED = matrix.PATCH_REJECTED
SANDBOXED_WRITE_TIMEOUT_MS = 60_000
# The child that writes a patch inside the sandbox: argv = [patch file, cwd, import root,
# codex home or ""]. ``-I`` keeps the workspace (cwd, PYTHON* variables) out of its import
# path. It reads under the same rule as the agent (its output goes to the model).
_WRITER = (
    "import sys\n"
    "sys.path.insert(0, sys.argv[3])\n"
    "from pycodex.apply_patch.apply import apply_patch_text\n"
    "from pycodex.sandbox.model_files import ModelFiles, refused_roots\n"
    "files = ModelFiles(refused_roots(sys.argv[4] or None))\n"
    "with open(sys.argv[1], encoding='utf-8', newline='') as f:\n"
    "    text = f.read()\n"
    "result = apply_patch_text(text, sys.argv[2], files)\n"
    "sys.stdout.buffer.write(result.output.encode('utf-8'))\n"
    "raise SystemExit(result.exit_code)\n"
)


@dataclass(frozen=True, slots=True)
class PatchVerdict:
    """What ``assess_patch`` decided: apply or not (``message`` for the model), whether the
    user was asked, and whether the write happens inside the sandbox."""

    approved: bool
    auto_approved: bool
    sandboxed: bool = False
    message: str = REJECTED


def _workspace_write(policy: SandboxPolicy) -> SandboxWorkspaceWrite:
    return SandboxWorkspaceWrite(
        writable_roots=policy.writable_roots,
        network_access=policy.network_access,
        exclude_tmpdir_env_var=policy.exclude_tmpdir_env_var,
        exclude_slash_tmp=policy.exclude_slash_tmp,
    )


def real_paths(planned: PlannedChanges) -> tuple[frozenset[Path], dict[Path, Path]]:
    """Where the patch really writes (what is judged and remembered), and real path -> the
    path the patch named, for those a symlink sends elsewhere (a symlinked cwd alone does not
    count: the shell sees the same)."""
    real_cwd = Path(os.path.realpath(planned.cwd))
    named: dict[Path, Path] = {}
    for path, real in planned.locations.items():
        plain = (
            real_cwd / path.relative_to(planned.cwd) if path.is_relative_to(planned.cwd) else path
        )
        if real not in (path, plain):
            named[real] = path
    return frozenset(planned.locations.values()), named


def real_roots(roots: tuple[Path, ...]) -> tuple[Path, ...]:
    """The writable roots with symlinks resolved (compared with real paths)."""
    return tuple(dict.fromkeys(Path(os.path.realpath(root)) for root in roots))


def real_writable_roots(ctx: ToolContext) -> tuple[Path, ...]:
    """The real paths of the directories a sandboxed command may write under ``ctx``."""
    policy = ctx.sandbox
    roots = matrix.writable_roots_for(
        policy.mode, policy.workspace or ctx.cwd, _workspace_write(policy), ctx.env
    )
    return real_roots(roots)


def workdir_reason(ctx: ToolContext, cwd: Path) -> str | None:
    """For an exec approval request: where ``cwd`` really is, when a symlink moves it or it
    lies outside the writable roots (judged only under workspace-write: read-only has none,
    danger-full-access everything)."""
    roots = real_writable_roots(ctx) if ctx.sandbox.mode is SandboxMode.WORKSPACE_WRITE else None
    real = Path(os.path.realpath(cwd))
    base = Path(os.path.abspath(ctx.cwd))  # noqa: PTH100 - keep symlinks
    lexical = Path(os.path.normpath(cwd))
    inside = lexical.is_relative_to(base)
    if inside and Path(os.path.realpath(base)) / lexical.relative_to(base) == real:
        lexical = real  # a symlinked session cwd alone is not news
    return matrix.workdir_note(lexical, real, roots)


async def assess_patch(ctx: ToolContext, call_id: str, planned: PlannedChanges) -> PatchVerdict:
    """The approval call point for patches: judge, maybe ask, and say how to write."""
    policy = ctx.sandbox
    paths, named = real_paths(planned)
    assessment = matrix.assess_patch(
        ctx.approval_policy,
        policy.mode,
        paths,
        real_writable_roots(ctx),
        planned.cwd,
        approved_for_session=ctx.approvals.approved_patch_paths,
        named=named,
    )
    if isinstance(assessment, Reject):
        return PatchVerdict(approved=False, auto_approved=False, message=assessment.message)
    if isinstance(assessment, AskUser):
        request = ApplyPatchApprovalRequest(call_id, planned.changes, assessment.reason)
        answer = await ctx.approvals.ask(call_id, request, ctx.emit, "patch")
        if isinstance(answer, Refused):
            return PatchVerdict(approved=False, auto_approved=False, message=answer.model_output)
        if answer.remember:
            ctx.approvals.remember_patch_paths(paths)  # real paths: a re-pointed link asks
        return PatchVerdict(approved=True, auto_approved=False)
    sandboxed = isinstance(assessment, RunSandboxed)  # never under danger-full-access
    return PatchVerdict(approved=True, auto_approved=True, sandboxed=sandboxed)


async def write_patch(
    ctx: ToolContext, planned: PlannedChanges, patch: str, verdict: PatchVerdict
) -> ApplyResult:
    """The single place where a patch is written to disk (atomically, by the library):
    in-process, or by a child under ``ctx.sandbox`` when the verdict says sandboxed."""
    if not verdict.sandboxed:
        return apply_planned(planned, ModelFiles.for_policy(ctx.sandbox))
    return await _write_sandboxed(ctx, planned, patch)


async def _write_sandboxed(ctx: ToolContext, planned: PlannedChanges, patch: str) -> ApplyResult:
    """Re-plan and write in a child under the sandbox; its exit status and text are the
    library's (``changes`` are the parent's plan, which is what ``PatchApplyBegin`` showed)."""
    import_root = str(Path(patch_lib.__file__).resolve().parents[2])
    fd, name = tempfile.mkstemp(prefix="pycodex-patch-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            file.write(patch)
        home = str(ctx.sandbox.codex_home or "")
        argv = (sys.executable, "-I", "-c", _WRITER, name, str(planned.cwd), import_root, home)
        result = await run_command(
            argv,
            cwd=ctx.cwd,
            env=ctx.env,
            timeout_ms=SANDBOXED_WRITE_TIMEOUT_MS,
            sandbox=ctx.sandbox,
        )
    finally:
        with contextlib.suppress(OSError):
            Path(name).unlink()
    if result.exit_code == 0:
        return ApplyResult(True, result.stdout, planned.changes)
    return ApplyResult(False, result.stdout or result.aggregated)


def _not_applied(ctx: ToolContext, call_id: str, text: str) -> str:
    """A patch that was never written (invalid, or refused): a failed ``PatchApplyEnd``
    with no ``PatchApplyBegin`` tells the user why; ``text`` also goes to the model."""
    ctx.emit(PatchApplyEnd(call_id, "", text, False))
    return text


def _success_output(result: ApplyResult, started: float) -> str:
    metadata = {"exit_code": 0, "duration_seconds": round(time.monotonic() - started, 1)}
    return json.dumps({"output": result.output, "metadata": metadata}, ensure_ascii=False)


def _emit_turn_diff(ctx: ToolContext) -> None:
    tracker = ctx.turn_diff
    if tracker.root is None:
        cwd = Path(os.path.abspath(ctx.cwd))  # noqa: PTH100 - keep symlinks, as plan_patch does
        tracker.root = find_git_root(cwd) or cwd
    diff = tracker.unified_diff(file_state_reader(ModelFiles.for_policy(ctx.sandbox)))
    if diff != tracker.emitted:
        tracker.emitted = diff
        ctx.emit(TurnDiff(diff))


async def apply_patch_call(ctx: ToolContext, call_id: str, patch: str, cwd: Path) -> str:
    """Apply ``patch`` with relative paths resolved against ``cwd``; returns the output for
    the model (Codex's success JSON, or the error text)."""
    started = time.monotonic()
    files = ModelFiles.for_policy(ctx.sandbox)
    try:
        planned = plan_patch(parse_patch(patch), cwd, files)
    except PatchError as error:
        return _not_applied(ctx, call_id, error.render())
    verdict = await assess_patch(ctx, call_id, planned)
    if not verdict.approved:
        return _not_applied(ctx, call_id, verdict.message)
    ctx.turn_diff.before_patch(planned.paths, planned.changes, file_state_reader(files))
    result = await _apply(ctx, call_id, planned, patch, verdict)
    if not result.success and verdict.sandboxed:
        # Only a permission error is the sandbox's doing (a symlink out of the roots).
        retry = matrix.on_failure_retry(
            ctx.approval_policy,
            ran_sandboxed=True,
            exit_code=1,
            known_safe=True,
            output=result.output,
        )
        if retry is not None:
            ctx.emit(BackgroundEvent(matrix.failure_notice(result.output)))
            request = ApplyPatchApprovalRequest(call_id, planned.changes, retry.reason)
            answer = await ctx.approvals.ask(call_id, request, ctx.emit, "patch")
            if isinstance(answer, Refused):  # its failure was reported by `_apply`
                return answer.model_output
            if answer.remember:
                ctx.approvals.remember_patch_paths(real_paths(planned)[0])
            ctx.emit(BackgroundEvent(RETRY_NOTICE))
            unsandboxed = PatchVerdict(approved=True, auto_approved=False)
            result = await _apply(ctx, call_id, planned, patch, unsandboxed)
    if not result.success:
        return result.output
    _emit_turn_diff(ctx)
    return _success_output(result, started)


async def _apply(
    ctx: ToolContext, call_id: str, planned: PlannedChanges, patch: str, verdict: PatchVerdict
) -> ApplyResult:
    """``PatchApplyBegin``, the write, ``PatchApplyEnd``: the last two shielded together."""
    ctx.emit(PatchApplyBegin(call_id, verdict.auto_approved, planned.changes))

    async def write_and_report() -> ApplyResult:
        result = await write_patch(ctx, planned, patch, verdict)
        ctx.emit(PatchApplyEnd(call_id, result.stdout, result.stderr, result.success))
        return result

    task = asyncio.ensure_future(write_and_report())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})  # the patch is written and reported, then we stop
        raise


async def handle_apply_patch_tool(ctx: ToolContext, call_id: str, arguments: str) -> str:
    """The ``apply_patch`` function tool: ``arguments`` is the call's raw JSON text (a bare
    patch is accepted too); paths are relative to the session's cwd."""
    try:
        patch = patch_from_arguments(arguments)
    except PatchError as error:
        return _not_applied(ctx, call_id, error.render())
    return await apply_patch_call(ctx, call_id, patch, ctx.cwd)
