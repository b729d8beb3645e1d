"""The approval decision matrix (reference §5.1) as pure functions: ask, run, or refuse.

Nothing here does I/O: the inputs are the policy, the sandbox mode, the command or the paths a
patch touches, and what the user already approved; the output says what to do next. That
makes the matrix a table the tests walk row by row.

Integration guide (for ``core/tools/shell.py`` and the apply_patch handler)
---------------------------------------------------------------------------
Session state: ``approved: frozenset[tuple[str, ...]]`` (commands) and
``approved_patch_paths: frozenset[Path]``, both empty at session start.

Shell call (``params`` from ``parse_shell_args``; ``escalated`` from the model's
``with_escalated_permissions``, offered by the tool schema under on-request)::

    known_safe = is_known_safe(params.command)            # core.command_safety
    a = assess_command(policy, sandbox.mode, params.command,
                       approved_for_session=approved,
                       with_escalated_permissions=escalated,
                       justification=params.justification, known_safe=known_safe)
    if isinstance(a, Reject):        return a.message      # to the model
    if isinstance(a, AskUser):
        decision = await broker.request(call_id,
            ExecApprovalRequest(call_id, command, cwd, a.reason), emit)
        r = resolve_decision(decision, "exec")
        if isinstance(r, Refused):   return r.model_output # "exec command rejected by user"
        if isinstance(r, Abort):     end the turn (as on Op.Interrupt: TurnAborted)
        if r.remember:               approved = remember_command(approved, command)
        run unsandboxed                                    # user approval implies trust
    elif isinstance(a, RunUnsandboxed): run with sandbox=FULL_ACCESS (sandbox.policy)
    else:                               run under the configured sandbox   # RunSandboxed
    # after a sandboxed run that failed:
    retry = on_failure_retry(policy, ran_sandboxed=True, exit_code=..., timed_out=...,
                             known_safe=known_safe, output=aggregated_output)
    if retry: emit BackgroundEvent(failure_notice(output)); ask as above with retry.reason;
              if approved: emit BackgroundEvent(RETRY_NOTICE) and rerun unsandboxed;
              denied -> the model gets EXEC_REJECTED (as v0.20); abort -> the turn ends.

apply_patch: ``paths`` = where every path the patch adds, deletes, updates or moves to really
lands (symlinks resolved: ``PlannedChanges.locations``), ``roots`` = the real paths of
``writable_roots_for(mode, cwd, config.sandbox_workspace_write, env)``, ``named`` = resolved ->
the path the patch named, where a symlink makes them differ;
``a = assess_patch(policy, mode, paths, roots, cwd, approved_for_session=approved_patch_paths,
named=named)``. The file system resolution is the caller's (``core/tools/apply_patch.py``).
RunSandboxed applies the patch inside the sandbox (``PatchApplyBegin.auto_approved=True``);
AskUser sends ``ApplyPatchApprovalRequest(call_id, changes, a.reason)`` and maps the decision
with ``resolve_decision(decision, "patch")`` (remember: ``approved_patch_paths | paths``);
Reject returns ``a.message`` to the model. A user-approved patch is applied unsandboxed.

Decisions made here (vs v0.20)
------------------------------
- Known-safe commands run without asking but *inside* the sandbox (v0.20: unsandboxed): the
  shell tool runs them under its read-only form, also under danger-full-access with
  untrusted (``core/tools/shell.py``), and their failures are not offered a retry unless
  the output shows a permission error: ``grep`` exiting 1 is an answer, not a sandbox
  denial.
- A command the user approved (once or for the session) runs outside the sandbox: approval
  implies trust (the seed's rule, as in v0.20).
- ``with_escalated_permissions`` asks under on-request and untrusted, even for known-safe
  commands: the model explicitly wants to leave the sandbox, which only the user may grant.
  Under on-failure and never it is ignored (the command runs sandboxed).
- Patches are judged up front under every policy: on-failure asks before writing outside the
  roots (v0.20 let the sandbox fail, then offered a retry). A path in a ``.git`` or ``.codex``
  directory of a writable root counts as outside (the sandbox keeps them read-only).
  "Approved for the session" remembers the patch's paths, so later patches to the same
  files are applied without asking. untrusted asks even under
  danger-full-access.
- The roots check is on real paths, resolved by the caller: ``link/x.txt`` with ``link`` ->
  ``/elsewhere`` is judged (and shown in the request, with a plain "outside the writable
  roots") as ``/elsewhere/x.txt``; session approval remembers real paths, so re-pointing a
  symlink later asks again. Auto-approved patches are still written inside the sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pycodex.config.schema import SandboxWorkspaceWrite
from pycodex.protocol.policy import AskForApproval, ReviewDecision, SandboxMode

EXEC_REJECTED = "exec command rejected by user"
PATCH_REJECTED = "patch rejected by user"
PATCH_REJECTED_PREFIX = "patch rejected"  # every refusal of a patch starts so (front ends)
PATCH_OUTSIDE_REJECTED = (
    "patch rejected: it writes outside the writable roots (and under `never` nobody is asked)"
)
PATCH_READ_ONLY_REJECTED = (
    "patch rejected: the sandbox is read-only, so no file may be written "
    "(and under `never` nobody is asked)"
)
EMPTY_COMMAND = "empty command"
EMPTY_PATCH = "patch rejected: it changes no files"
RETRY_REASON = "command failed; retry without sandbox?"
RETRY_NOTICE = "retrying command without sandbox"
NOT_FOUND_EXIT = 127
DENIAL_MARKERS = ("Permission denied", "Operation not permitted", "Read-only file system")

PROTECTED_NAMES = frozenset({".git", ".codex"})  # read-only inside writable roots

Subject = Literal["exec", "patch"]
UnsandboxedWhy = Literal["full-access", "session-approved", "user-approved"]


@dataclass(frozen=True, slots=True)
class RunSandboxed:
    """Run the command (apply the patch) under the configured sandbox, without asking."""


@dataclass(frozen=True, slots=True)
class RunUnsandboxed:
    """Run without a sandbox: there is none (danger-full-access) or the user approved."""

    why: UnsandboxedWhy


@dataclass(frozen=True, slots=True)
class AskUser:
    """Ask first; if approved, run unsandboxed. ``reason`` is shown under the request."""

    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """Do not run; ``message`` goes to the model as the tool's output."""

    message: str


CommandAssessment = RunSandboxed | RunUnsandboxed | AskUser | Reject
PatchAssessment = RunSandboxed | RunUnsandboxed | AskUser | Reject


@dataclass(frozen=True, slots=True)
class Proceed:
    """The user approved: run unsandboxed; ``remember`` for the rest of the session."""

    remember: bool


@dataclass(frozen=True, slots=True)
class Refused:
    """The user denied: the model gets ``model_output`` and the turn goes on."""

    model_output: str


@dataclass(frozen=True, slots=True)
class Abort:
    """The user aborted: the turn ends."""


Resolution = Proceed | Refused | Abort


def assess_command(
    policy: AskForApproval,
    sandbox: SandboxMode,
    argv: Sequence[str],
    *,
    approved_for_session: frozenset[tuple[str, ...]],
    with_escalated_permissions: bool,
    known_safe: bool,
    justification: str | None = None,
) -> CommandAssessment:
    """What to do with a shell command before running it (reference §5.1, issue 5)."""
    if not argv:
        return Reject(EMPTY_COMMAND)
    if tuple(argv) in approved_for_session:
        return RunUnsandboxed("session-approved")
    escalated = with_escalated_permissions and policy in (
        AskForApproval.UNTRUSTED,
        AskForApproval.ON_REQUEST,
    )
    reason = (justification or None) if escalated else None
    if sandbox is SandboxMode.DANGER_FULL_ACCESS:
        if policy is AskForApproval.UNTRUSTED and not known_safe:
            return AskUser(reason)
        return RunUnsandboxed("full-access")
    if escalated:
        return AskUser(reason)
    if policy is AskForApproval.UNTRUSTED and not known_safe:
        return AskUser()
    return RunSandboxed()


def on_failure_retry(
    policy: AskForApproval,
    *,
    ran_sandboxed: bool,
    exit_code: int,
    timed_out: bool = False,
    known_safe: bool = False,
    output: str = "",
) -> AskUser | None:
    """Under on-failure, offer a failed sandboxed command a rerun without the sandbox.

    None means the failure goes to the model as it is: another policy, no sandbox involved,
    success, a timeout, "command not found" (127), or a known-safe command whose output shows
    no permission error (it can read everything in the sandbox, so it failed on its own).
    """
    if policy is not AskForApproval.ON_FAILURE or not ran_sandboxed:
        return None
    if exit_code == 0 or timed_out or exit_code == NOT_FOUND_EXIT:
        return None
    if known_safe and not any(marker in output for marker in DENIAL_MARKERS):
        return None
    return AskUser(RETRY_REASON)


def failure_notice(output: str) -> str:
    """The background event shown before the retry question."""
    return f"Execution failed: {output}"


def assess_patch(
    policy: AskForApproval,
    sandbox: SandboxMode,
    changed_paths: Iterable[Path],
    writable_roots: Sequence[Path],
    cwd: Path,
    *,
    approved_for_session: frozenset[Path],
    named: Mapping[Path, Path] | None = None,
) -> PatchAssessment:
    """What to do with a patch that writes ``changed_paths`` (relative ones are under cwd).

    The caller passes real paths (symlinks resolved) for both ``changed_paths`` and
    ``writable_roots``; ``named`` maps a real path to the path the patch named, where they
    differ, so the reason shown to the user says where the patch really writes."""
    paths = patch_paths(changed_paths, cwd)
    if not paths:
        return Reject(EMPTY_PATCH)
    if paths <= approved_for_session:
        return RunUnsandboxed("session-approved")
    roots = tuple(_absolute(root, cwd) for root in writable_roots)
    full_access = sandbox is SandboxMode.DANGER_FULL_ACCESS
    outside = () if full_access else tuple(p for p in sorted(paths) if not is_writable(p, roots))
    reason = patch_reason(outside, named or {}, read_only=sandbox is SandboxMode.READ_ONLY)
    if policy is AskForApproval.UNTRUSTED:
        return AskUser(reason)
    if full_access:
        return RunUnsandboxed("full-access")
    if not outside:
        return RunSandboxed()
    if policy is AskForApproval.NEVER:
        read_only = sandbox is SandboxMode.READ_ONLY
        return Reject(PATCH_READ_ONLY_REJECTED if read_only else PATCH_OUTSIDE_REJECTED)
    return AskUser(reason)


def patch_reason(
    outside: Sequence[Path], named: Mapping[Path, Path], *, read_only: bool = False
) -> str | None:
    """What the user reads under a patch request: the real paths outside the writable roots
    (under read-only there are none, and saying "outside" of a file in the project would
    mislead: it says the sandbox is read-only), and every path a symlink sends elsewhere
    (None when there is nothing to say)."""
    parts: list[str] = []
    if outside:
        shown = [
            f"{p} (the patch names {named[p]}; a symlink leads there)" if p in named else str(p)
            for p in outside
        ]
        label = (
            "the sandbox is read-only; the patch writes "
            if read_only
            else ("writes outside the writable roots: ")
        )
        parts.append(label + ", ".join(shown))
    inside = [(named[p], p) for p in sorted(named) if p not in outside]
    if inside:
        parts.append(
            "writes through symlinks: " + ", ".join(f"{name} -> {real}" for name, real in inside)
        )
    return "; ".join(parts) or None


def workdir_note(cwd: Path, real: Path, real_roots: Sequence[Path] | None) -> str | None:
    """What an exec request adds about its working directory ``cwd`` (real path ``real``):
    where a symlink sends it, and whether it is outside the writable roots (``real_roots``,
    real paths; None when the sandbox has none to judge against). None: nothing to add."""
    outside = real_roots is not None and not is_writable(real, real_roots)
    moved = real != Path(os.path.normpath(cwd))
    if outside and moved:
        return f"workdir {cwd} resolves to {real}, outside the writable roots"
    if outside:
        return f"workdir {real} is outside the writable roots"
    if moved:
        return f"workdir {cwd} resolves to {real}"
    return None


def join_reasons(*reasons: str | None) -> str | None:
    """The non-empty reasons in order, as one line (None if there are none)."""
    return "; ".join(r for r in reasons if r) or None


def writable_roots_for(
    sandbox: SandboxMode,
    cwd: Path,
    sandbox_workspace_write: SandboxWorkspaceWrite,
    env: Mapping[str, str],
) -> tuple[Path, ...]:
    """The directories a sandboxed command may write: none (read-only), ``/`` (full access),
    or cwd, ``writable_roots``, ``$TMPDIR`` and ``/tmp`` unless excluded (workspace-write).
    """
    if sandbox is SandboxMode.READ_ONLY:
        return ()
    if sandbox is SandboxMode.DANGER_FULL_ACCESS:
        return (Path("/"),)
    ws = sandbox_workspace_write
    roots = [cwd, *ws.writable_roots]
    tmpdir = env.get("TMPDIR", "")
    if tmpdir and not ws.exclude_tmpdir_env_var:
        roots.append(Path(tmpdir))
    if not ws.exclude_slash_tmp:
        roots.append(Path("/tmp"))
    unique = dict.fromkeys(_absolute(root, cwd) for root in roots)
    return tuple(unique)


def is_writable(path: Path, roots: Sequence[Path]) -> bool:
    """Whether absolute ``path`` lies under a root and not in a ``.git`` or ``.codex`` below
    that root (the sandbox keeps those read-only: ``sandbox.protected``)."""
    for root in roots:
        inside = path == root or root in path.parents
        if inside and not PROTECTED_NAMES.intersection(path.relative_to(root).parts):
            return True
    return False


def patch_paths(paths: Iterable[Path | str], cwd: Path) -> frozenset[Path]:
    """Absolute, normalised paths: the form ``assess_patch`` compares and sessions remember."""
    return frozenset(_absolute(Path(p), cwd) for p in paths)


def remember_command(
    approved: frozenset[tuple[str, ...]], argv: Sequence[str]
) -> frozenset[tuple[str, ...]]:
    """The session's approved commands after "approve for session" of ``argv`` (exact argv)."""
    return approved | {tuple(argv)}


def rejection_text(subject: Subject) -> str:
    """What the model is told when the user denies."""
    return EXEC_REJECTED if subject == "exec" else PATCH_REJECTED


def resolve_decision(decision: ReviewDecision, subject: Subject) -> Resolution:
    """Map the user's answer to the next step."""
    if decision is ReviewDecision.APPROVED:
        return Proceed(remember=False)
    if decision is ReviewDecision.APPROVED_FOR_SESSION:
        return Proceed(remember=True)
    if decision is ReviewDecision.ABORT:
        return Abort()
    return Refused(rejection_text(subject))


def _absolute(path: Path, cwd: Path) -> Path:
    """Lexically absolute and normalised (``..`` folded), without touching the file system."""
    return Path(os.path.normpath(cwd / path))
