"""The approval matrix (reference §5.1, issue 5) end to end, through the real Codex handle.

Each row: a policy, a tool call the scripted model makes, and the decision a test front end
answers every approval request with. The row says what ran (a marker file on disk), what the
model saw in the next request (``function_call_output``), which approval-related events
were emitted in order, and the reason shown with the request. Commands are real (``touch``)
and run under the real sandbox: under ``read-only`` a ``touch`` in the workspace fails, which
is the on-failure row; a ``touch`` that succeeds there proves it ran outside the sandbox.
Without an OS sandbox, the rows that run something inside it are skipped; the others (asked
first, then run unsandboxed, denied, aborted or rejected) still run.

``/tmp`` and ``$TMPDIR`` are excluded from the writable roots: pytest's tmp_path lives under
``/tmp``, and the "outside" directory must really be outside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.schema import SandboxWorkspaceWrite
from pycodex.core.approval_policy import (
    EXEC_REJECTED,
    PATCH_OUTSIDE_REJECTED,
    PATCH_REJECTED,
    RETRY_NOTICE,
    RETRY_REASON,
)
from pycodex.core.codex import Codex
from pycodex.models.scripted import ScriptedModelClient, function_call, reply
from pycodex.protocol.errors import SandboxError
from pycodex.protocol.events import (
    ApplyPatchApprovalRequest,
    BackgroundEvent,
    EventMsg,
    ExecApprovalRequest,
    PatchApplyBegin,
    TaskComplete,
    TurnAborted,
)
from pycodex.protocol.ops import ExecApproval, PatchApproval, UserInput
from pycodex.protocol.policy import AskForApproval, ReviewDecision, SandboxMode
from pycodex.sandbox.policy import check_supported
from tests.core.harness import calls_all_answered, make_config, next_msg, outputs, run, start

UNTRUSTED, ON_FAILURE = AskForApproval.UNTRUSTED, AskForApproval.ON_FAILURE
ON_REQUEST, NEVER = AskForApproval.ON_REQUEST, AskForApproval.NEVER
APPROVE, SESSION = ReviewDecision.APPROVED, ReviewDecision.APPROVED_FOR_SESSION
DENY, ABORT = ReviewDecision.DENIED, ReviewDecision.ABORT
RO, WW = SandboxMode.READ_ONLY, SandboxMode.WORKSPACE_WRITE

ASK, PASK = "exec_approval_request", "apply_patch_approval_request"
BEGIN, PBEGIN = "exec_command_begin", "patch_apply_begin"
BG, DONE, ABORTED = "background_event", "task_complete", "turn_aborted"
SHOWN = (ASK, PASK, BEGIN, PBEGIN, BG, DONE, ABORTED)
JUSTIFICATION = "it writes the marker outside the sandbox"
OUTSIDE_REASON = "writes outside the writable roots: "
ABORTED_OUTPUT = "aborted by user"
EXIT0, FAILED = "exit 0", "exit != 0"  # the model saw a command (or patch) result


def _sandbox_available() -> bool:
    try:
        check_supported()
    except SandboxError:
        return False
    return True


SANDBOX = _sandbox_available()
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason="no OS sandbox here")


@dataclass(frozen=True)
class Case:
    """A tool call and the sandbox it meets; ``marker`` (relative to tmp_path) shows it ran."""

    sandbox: SandboxMode
    marker: str
    args: dict[str, Any]
    tool: str = "shell"


TOUCH = ["touch", "marker"]
CASES = {
    "known-safe": Case(RO, "", {"command": ["grep", "NoNewPrivs:", "/proc/self/status"]}),
    "other": Case(WW, "work/marker", {"command": TOUCH}),
    "escalated": Case(
        RO,
        "work/marker",
        {"command": TOUCH, "with_escalated_permissions": True, "justification": JUSTIFICATION},
    ),
    "failing": Case(RO, "work/marker", {"command": TOUCH}),
    "patch-inside": Case(
        WW,
        "work/inside.txt",
        {"input": "*** Begin Patch\n*** Add File: inside.txt\n+in\n*** End Patch\n"},
        "apply_patch",
    ),
    "patch-outside": Case(
        WW,
        "outside/out.txt",
        {"input": "*** Begin Patch\n*** Add File: ../outside/out.txt\n+out\n*** End Patch\n"},
        "apply_patch",
    ),
}


@dataclass(frozen=True)
class Row:
    policy: AskForApproval
    case: str
    decision: ReviewDecision | None  # None: nothing may be asked
    ran: bool
    model_saw: str  # EXIT0 / FAILED, or the exact text
    events: tuple[str, ...]
    reason: str | None = None  # of every approval request (OUTSIDE_REASON: its prefix)


def _asked(
    policy: AskForApproval, case: str, reason: str | None, ask: str = ASK, run: str = BEGIN
) -> list[Row]:
    """The four answers to a question asked before anything runs."""
    return [
        Row(policy, case, APPROVE, True, EXIT0, (ask, run, DONE), reason),
        Row(policy, case, SESSION, True, EXIT0, (ask, run, DONE), reason),
        Row(
            policy,
            case,
            DENY,
            False,
            PATCH_REJECTED if ask == PASK else EXEC_REJECTED,
            (ask, DONE),
            reason,
        ),
        Row(policy, case, ABORT, False, ABORTED_OUTPUT, (ask, ABORTED), reason),
    ]


def _retried(policy: AskForApproval, case: str) -> list[Row]:
    """on-failure: the sandboxed run fails, then the retry question."""
    first = (BEGIN, BG, ASK)
    return [
        Row(policy, case, APPROVE, True, EXIT0, (*first, BG, BEGIN, DONE), RETRY_REASON),
        Row(policy, case, SESSION, True, EXIT0, (*first, BG, BEGIN, DONE), RETRY_REASON),
        Row(policy, case, DENY, False, EXEC_REJECTED, (*first, DONE), RETRY_REASON),
        Row(policy, case, ABORT, False, ABORTED_OUTPUT, (*first, ABORTED), RETRY_REASON),
    ]


def _runs(policy: AskForApproval, case: str, ran: bool, saw: str, run: str = BEGIN) -> Row:
    return Row(policy, case, None, ran, saw, (run, DONE) if run else (DONE,))


ROWS: list[Row] = [
    # known-safe: never asked, always inside the sandbox
    *(_runs(p, "known-safe", False, EXIT0) for p in (UNTRUSTED, ON_FAILURE, ON_REQUEST, NEVER)),
    # other command (workspace-write): untrusted asks; the rest run sandboxed
    *_asked(UNTRUSTED, "other", None),
    *(_runs(p, "other", True, EXIT0) for p in (ON_FAILURE, ON_REQUEST, NEVER)),
    # escalated (read-only): asks with the justification where offered; else it is ignored
    *_asked(UNTRUSTED, "escalated", JUSTIFICATION),
    *_asked(ON_REQUEST, "escalated", JUSTIFICATION),
    *_retried(ON_FAILURE, "escalated"),
    _runs(NEVER, "escalated", False, FAILED),
    # failing in the sandbox (read-only touch)
    *_asked(UNTRUSTED, "failing", None),
    *_retried(ON_FAILURE, "failing"),
    _runs(ON_REQUEST, "failing", False, FAILED),
    _runs(NEVER, "failing", False, FAILED),
    # patch inside the workspace
    *_asked(UNTRUSTED, "patch-inside", None, PASK, PBEGIN),
    *(_runs(p, "patch-inside", True, EXIT0, PBEGIN) for p in (ON_FAILURE, ON_REQUEST, NEVER)),
    # patch outside the writable roots
    *_asked(UNTRUSTED, "patch-outside", OUTSIDE_REASON, PASK, PBEGIN),
    *_asked(ON_FAILURE, "patch-outside", OUTSIDE_REASON, PASK, PBEGIN),
    *_asked(ON_REQUEST, "patch-outside", OUTSIDE_REASON, PASK, PBEGIN),
    _runs(NEVER, "patch-outside", False, PATCH_OUTSIDE_REJECTED, ""),
]


def _config(tmp_path: Path, policy: AskForApproval, sandbox: SandboxMode) -> Any:
    (tmp_path / "outside").mkdir(exist_ok=True)
    roots = SandboxWorkspaceWrite(exclude_tmpdir_env_var=True, exclude_slash_tmp=True)
    return make_config(
        tmp_path, approval_policy=policy, sandbox_mode=sandbox, sandbox_workspace_write=roots
    )


async def answer_turn(codex: Codex, text: str, decision: ReviewDecision | None) -> list[EventMsg]:
    """A front end that answers every approval request with ``decision``."""
    await codex.submit(UserInput(text))
    seen: list[EventMsg] = []
    while True:
        msg = await next_msg(codex)
        seen.append(msg)
        if isinstance(msg, ExecApprovalRequest | ApplyPatchApprovalRequest):
            assert decision is not None, f"asked, but this row expects no question: {msg}"
            op = ExecApproval if isinstance(msg, ExecApprovalRequest) else PatchApproval
            await codex.submit(op(id=msg.call_id, decision=decision))
        if isinstance(msg, TaskComplete | TurnAborted):
            return seen


def _model_saw(output: str) -> str:
    try:
        value = json.loads(output)
    except json.JSONDecodeError:
        return output
    return EXIT0 if value["metadata"]["exit_code"] == 0 else FAILED


def _row_id(row: Row) -> str:
    return f"{row.policy}-{row.case}-{row.decision or 'no-ask'}"


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_approval_matrix(tmp_path: Path, row: Row) -> None:
    if row.events[0] in (BEGIN, PBEGIN) and not SANDBOX:  # asked rows need no kernel
        pytest.skip("this row runs something inside the OS sandbox, unavailable here")
    case = CASES[row.case]
    config = _config(tmp_path, row.policy, case.sandbox)
    steps = [function_call(case.tool, case.args, call_id="c1"), reply("done"), reply("next")]

    async def scenario() -> tuple[list[EventMsg], list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        first = await answer_turn(codex, "go", row.decision)
        second = await answer_turn(codex, "and now?", None)  # history must still be valid
        return first, second, model

    events, second, model = run(scenario)

    assert (tmp_path / case.marker).exists() == row.ran if case.marker else True
    assert [m.type for m in events if m.type in SHOWN] == list(row.events)
    seen = outputs(model.prompts[1])["c1"]
    assert _model_saw(seen) == row.model_saw, seen
    if row.case == "known-safe":  # it ran inside the sandbox: no_new_privs is set there
        assert "NoNewPrivs:\t1" in json.loads(seen)["output"]
    requests = [m for m in events if isinstance(m, ExecApprovalRequest | ApplyPatchApprovalRequest)]
    for request in requests:
        assert request.call_id == "c1"
        if row.reason == OUTSIDE_REASON:
            assert request.reason is not None and request.reason.startswith(OUTSIDE_REASON)
            assert str(tmp_path / "outside" / "out.txt") in request.reason
        else:
            assert request.reason == row.reason
        if isinstance(request, ExecApprovalRequest):
            assert request.command == tuple(case.args["command"])
            assert request.cwd == str(config.cwd)
        else:
            assert list(request.changes) == [str(tmp_path / case.marker)]
    notices = [m.message for m in events if isinstance(m, BackgroundEvent)]
    if BG in row.events:
        assert notices[0].startswith("Execution failed: ") and "touch" in notices[0]
        assert notices[1:] == ([RETRY_NOTICE] if row.ran else [])
    begins = [m for m in events if isinstance(m, PatchApplyBegin)]
    assert all(b.auto_approved == (not requests) for b in begins)
    assert [m.type for m in second if m.type in SHOWN] == [DONE]
    assert calls_all_answered(model.prompts[-1].input)


def test_the_matrix_covers_every_policy_and_case() -> None:
    combos = {(r.policy, r.case) for r in ROWS}
    assert combos == {(p, c) for p in AskForApproval for c in CASES}
    assert len(ROWS) == 54
