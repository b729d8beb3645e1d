"""The approval matrix (reference §5.1 with issue 5's changes) as tables."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pycodex.config.schema import SandboxWorkspaceWrite
from pycodex.core.approval_policy import (
    EMPTY_COMMAND,
    EMPTY_PATCH,
    EXEC_REJECTED,
    PATCH_OUTSIDE_REJECTED,
    PATCH_READ_ONLY_REJECTED,
    PATCH_REJECTED,
    RETRY_REASON,
    Abort,
    AskUser,
    CommandAssessment,
    PatchAssessment,
    Proceed,
    Refused,
    Reject,
    Resolution,
    RunSandboxed,
    RunUnsandboxed,
    Subject,
    assess_command,
    assess_patch,
    failure_notice,
    is_writable,
    join_reasons,
    on_failure_retry,
    patch_paths,
    rejection_text,
    remember_command,
    resolve_decision,
    workdir_note,
    writable_roots_for,
)
from pycodex.core.approvals import ApprovalBroker
from pycodex.core.command_safety import is_known_safe
from pycodex.protocol.events import EventMsg, ExecApprovalRequest
from pycodex.protocol.policy import AskForApproval, ReviewDecision, SandboxMode

UNTRUSTED = AskForApproval.UNTRUSTED
ON_FAILURE = AskForApproval.ON_FAILURE
ON_REQUEST = AskForApproval.ON_REQUEST
NEVER = AskForApproval.NEVER
RO = SandboxMode.READ_ONLY
WW = SandboxMode.WORKSPACE_WRITE
DFA = SandboxMode.DANGER_FULL_ACCESS

WHY = "needs the network to install deps"
SAFE_CMD = ("git", "status")
OTHER_CMD = ("npm", "install")
SESSION_CMD = ("make", "test")

# outcomes
S = RunSandboxed()
F = RunUnsandboxed("full-access")
U = RunUnsandboxed("session-approved")
A = AskUser()
J = AskUser(WHY)  # the model's justification, shown to the user

KINDS = ("known-safe", "other", "escalated", "escalated-safe", "session-approved")

# policy, sandbox -> outcome per KINDS column
COMMAND_MATRIX: list[tuple[AskForApproval, SandboxMode, tuple[CommandAssessment, ...]]] = [
    (UNTRUSTED, RO, (S, A, J, J, U)),
    (UNTRUSTED, WW, (S, A, J, J, U)),
    (UNTRUSTED, DFA, (F, A, J, F, U)),
    (ON_FAILURE, RO, (S, S, S, S, U)),
    (ON_FAILURE, WW, (S, S, S, S, U)),
    (ON_FAILURE, DFA, (F, F, F, F, U)),
    (ON_REQUEST, RO, (S, S, J, J, U)),
    (ON_REQUEST, WW, (S, S, J, J, U)),
    (ON_REQUEST, DFA, (F, F, F, F, U)),
    (NEVER, RO, (S, S, S, S, U)),
    (NEVER, WW, (S, S, S, S, U)),
    (NEVER, DFA, (F, F, F, F, U)),
]

COMMAND_ROWS = [
    pytest.param(policy, sandbox, kind, expected, id=f"{policy}-{sandbox}-{kind}")
    for policy, sandbox, outcomes in COMMAND_MATRIX
    for kind, expected in zip(KINDS, outcomes, strict=True)
]


def _assess(policy: AskForApproval, sandbox: SandboxMode, kind: str) -> CommandAssessment:
    argv = {"known-safe": SAFE_CMD, "escalated-safe": SAFE_CMD, "session-approved": SESSION_CMD}
    command = argv.get(kind, OTHER_CMD)
    return assess_command(
        policy,
        sandbox,
        command,
        approved_for_session=frozenset({SESSION_CMD}),
        with_escalated_permissions=kind.startswith("escalated"),
        justification=WHY,
        known_safe=is_known_safe(command),
    )


def test_the_matrix_covers_every_policy_and_sandbox() -> None:
    assert {(p, s) for p, s, _ in COMMAND_MATRIX} == {
        (p, s) for p in AskForApproval for s in SandboxMode
    }


@pytest.mark.parametrize(("policy", "sandbox", "kind", "expected"), COMMAND_ROWS)
def test_command_matrix(
    policy: AskForApproval, sandbox: SandboxMode, kind: str, expected: CommandAssessment
) -> None:
    assert _assess(policy, sandbox, kind) == expected


def test_escalation_without_justification_still_asks() -> None:
    got = assess_command(
        ON_REQUEST,
        WW,
        OTHER_CMD,
        approved_for_session=frozenset(),
        with_escalated_permissions=True,
        known_safe=False,
        justification="",
    )
    assert got == AskUser(None)


def test_session_approval_is_for_that_exact_argv() -> None:
    approved = remember_command(frozenset(), ["make", "test"])
    assert approved == frozenset({("make", "test")})

    def check(argv: tuple[str, ...]) -> CommandAssessment:
        return assess_command(
            UNTRUSTED,
            WW,
            argv,
            approved_for_session=approved,
            with_escalated_permissions=False,
            known_safe=False,
        )

    assert check(("make", "test")) == U
    assert check(("make", "test", "-j8")) == A
    assert check(("make",)) == A


def test_an_empty_command_is_rejected() -> None:
    got = assess_command(
        NEVER, DFA, [], approved_for_session=frozenset(), with_escalated_permissions=False,
        known_safe=False,
    )  # fmt: skip
    assert got == Reject(EMPTY_COMMAND)


def test_known_safe_scripts_run_sandboxed_under_untrusted() -> None:
    argv = ("bash", "-lc", "ls && git status | wc -l")
    got = assess_command(
        UNTRUSTED,
        RO,
        argv,
        approved_for_session=frozenset(),
        with_escalated_permissions=False,
        known_safe=is_known_safe(argv),
    )
    assert got == S
    unsafe = ("bash", "-lc", "ls > out")
    got = assess_command(
        UNTRUSTED,
        RO,
        unsafe,
        approved_for_session=frozenset(),
        with_escalated_permissions=False,
        known_safe=is_known_safe(unsafe),
    )
    assert got == A


RETRY = AskUser(RETRY_REASON)
RetryRow = tuple[AskForApproval, bool, int, bool, bool, str, AskUser | None]
# policy, ran_sandboxed, exit_code, timed_out, known_safe, output -> offer
RETRY_ROWS: list[RetryRow] = [
    (ON_FAILURE, True, 1, False, False, "touch: cannot touch 'x': Permission denied", RETRY),
    (ON_FAILURE, True, 2, False, False, "", RETRY),  # any failure of an ordinary command
    (ON_FAILURE, True, 0, False, False, "", None),
    (ON_FAILURE, True, -1, True, False, "", None),  # timeouts are not sandbox denials
    (ON_FAILURE, True, 127, False, False, "npm: command not found", None),
    (ON_FAILURE, False, 1, False, False, "Permission denied", None),  # nothing to lift
    (ON_FAILURE, True, 1, False, True, "", None),  # grep found nothing
    (ON_FAILURE, True, 101, False, True, "error: Read-only file system (os error 30)", RETRY),
    (ON_FAILURE, True, 1, False, True, "Operation not permitted", RETRY),
    (UNTRUSTED, True, 1, False, False, "Permission denied", None),
    (ON_REQUEST, True, 1, False, False, "Permission denied", None),
    (NEVER, True, 1, False, False, "Permission denied", None),
]


@pytest.mark.parametrize("row", RETRY_ROWS, ids=repr)
def test_on_failure_retry(row: RetryRow) -> None:
    policy, ran_sandboxed, exit_code, timed_out, known_safe, output, expected = row
    got = on_failure_retry(
        policy,
        ran_sandboxed=ran_sandboxed,
        exit_code=exit_code,
        timed_out=timed_out,
        known_safe=known_safe,
        output=output,
    )
    assert got == expected


def test_failure_notice() -> None:
    assert failure_notice("boom") == "Execution failed: boom"


# ---------------------------------------------------------------- patches

CWD = Path("/ws")
ENV = {"TMPDIR": "/var/tmpdir"}
PATCH_PLACES: dict[str, tuple[str, ...]] = {
    "inside": ("a.py", "/ws/sub/b.py"),
    "tmp": ("/tmp/scratch.txt", "/var/tmpdir/x"),
    "outside": ("/etc/hosts",),
    "dotdot": ("../elsewhere/x",),
    "git": (".git/config",),
    "mixed": ("a.py", "/etc/hosts"),
    "session": ("notes.md",),
}
PLACES = tuple(PATCH_PLACES)


def out(*paths: str) -> AskUser:
    return AskUser("writes outside the writable roots: " + ", ".join(paths))


N = Reject(PATCH_OUTSIDE_REJECTED)
R = Reject(PATCH_READ_ONLY_REJECTED)  # read-only: no root at all, "outside" would mislead


def ro(*paths: str) -> AskUser:
    return AskUser("the sandbox is read-only; the patch writes " + ", ".join(paths))


RO_ASK = (
    ro("/ws/a.py", "/ws/sub/b.py"),
    ro("/tmp/scratch.txt", "/var/tmpdir/x"),
    ro("/etc/hosts"),
    ro("/elsewhere/x"),
    ro("/ws/.git/config"),
    ro("/etc/hosts", "/ws/a.py"),
)
WW_ASK = (S, S, out("/etc/hosts"), out("/elsewhere/x"), out("/ws/.git/config"), out("/etc/hosts"))

# policy, sandbox -> outcome per PLACES column (the last one: approved for the session)
PATCH_MATRIX: list[tuple[AskForApproval, SandboxMode, tuple[PatchAssessment, ...]]] = [
    (UNTRUSTED, RO, (*RO_ASK, U)),
    (UNTRUSTED, WW, (A, A, *WW_ASK[2:], U)),
    (UNTRUSTED, DFA, (A, A, A, A, A, A, U)),
    (ON_FAILURE, RO, (*RO_ASK, U)),
    (ON_FAILURE, WW, (*WW_ASK, U)),
    (ON_FAILURE, DFA, (F, F, F, F, F, F, U)),
    (ON_REQUEST, RO, (*RO_ASK, U)),
    (ON_REQUEST, WW, (*WW_ASK, U)),
    (ON_REQUEST, DFA, (F, F, F, F, F, F, U)),
    (NEVER, RO, (R, R, R, R, R, R, U)),
    (NEVER, WW, (S, S, N, N, N, N, U)),
    (NEVER, DFA, (F, F, F, F, F, F, U)),
]

PATCH_ROWS = [
    pytest.param(policy, sandbox, place, expected, id=f"{policy}-{sandbox}-{place}")
    for policy, sandbox, outcomes in PATCH_MATRIX
    for place, expected in zip(PLACES, outcomes, strict=True)
]


def test_the_patch_matrix_covers_every_policy_and_sandbox() -> None:
    assert {(p, s) for p, s, _ in PATCH_MATRIX} == {
        (p, s) for p in AskForApproval for s in SandboxMode
    }


@pytest.mark.parametrize(("policy", "sandbox", "place", "expected"), PATCH_ROWS)
def test_patch_matrix(
    policy: AskForApproval, sandbox: SandboxMode, place: str, expected: PatchAssessment
) -> None:
    roots = writable_roots_for(sandbox, CWD, SandboxWorkspaceWrite(), ENV)
    got = assess_patch(
        policy,
        sandbox,
        [Path(p) for p in PATCH_PLACES[place]],
        roots,
        CWD,
        approved_for_session=patch_paths(["notes.md"], CWD),
    )
    assert got == expected


def test_an_empty_patch_is_rejected() -> None:
    got = assess_patch(NEVER, DFA, [], (), CWD, approved_for_session=frozenset())
    assert got == Reject(EMPTY_PATCH)


def test_a_patch_only_partly_approved_for_the_session_is_judged_again() -> None:
    got = assess_patch(
        ON_REQUEST,
        RO,
        [Path("notes.md"), Path("other.md")],
        (),
        CWD,
        approved_for_session=patch_paths(["notes.md"], CWD),
    )
    assert got == ro("/ws/notes.md", "/ws/other.md")


@pytest.mark.parametrize(
    ("sandbox", "settings", "env", "expected"),
    [
        (RO, SandboxWorkspaceWrite(), ENV, ()),
        (DFA, SandboxWorkspaceWrite(), ENV, ("/",)),
        (WW, SandboxWorkspaceWrite(), ENV, ("/ws", "/var/tmpdir", "/tmp")),
        (WW, SandboxWorkspaceWrite(), {}, ("/ws", "/tmp")),
        (WW, SandboxWorkspaceWrite(), {"TMPDIR": ""}, ("/ws", "/tmp")),
        (WW, SandboxWorkspaceWrite(exclude_slash_tmp=True), ENV, ("/ws", "/var/tmpdir")),
        (WW, SandboxWorkspaceWrite(exclude_tmpdir_env_var=True), ENV, ("/ws", "/tmp")),
        (
            WW,
            SandboxWorkspaceWrite(exclude_tmpdir_env_var=True, exclude_slash_tmp=True),
            ENV,
            ("/ws",),
        ),
        (WW, SandboxWorkspaceWrite(), {"TMPDIR": "/tmp/"}, ("/ws", "/tmp")),  # no duplicates
        (
            WW,
            SandboxWorkspaceWrite(writable_roots=(Path("/srv/extra"), Path("../sibling"))),
            ENV,
            ("/ws", "/srv/extra", "/sibling", "/var/tmpdir", "/tmp"),
        ),
    ],
)
def test_writable_roots(
    sandbox: SandboxMode,
    settings: SandboxWorkspaceWrite,
    env: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    assert writable_roots_for(sandbox, CWD, settings, env) == tuple(Path(p) for p in expected)


@pytest.mark.parametrize(
    ("path", "writable"),
    [
        ("/ws", True),
        ("/ws/a.py", True),
        ("/ws/deep/er/a.py", True),
        ("/ws/.gitignore", True),
        ("/ws/.github/workflows/ci.yml", True),
        ("/ws/.git", False),
        ("/ws/.git/hooks/pre-commit", False),
        ("/ws/sub/.git/config", False),  # a nested repository's .git too
        ("/wsx/a.py", False),  # a shared prefix is not containment
        ("/w", False),
        ("/etc/passwd", False),
        ("/tmp/x", True),
    ],
)
def test_is_writable(path: str, writable: bool) -> None:
    assert is_writable(Path(path), (Path("/ws"), Path("/tmp"))) is writable


def test_patch_paths_are_absolute_and_normalised() -> None:
    got = patch_paths(["a.py", "sub/../b.py", "/x/./y", Path("/ws/a.py")], CWD)
    assert got == frozenset({Path("/ws/a.py"), Path("/ws/b.py"), Path("/x/y")})


# ---------------------------------------------------------------- decisions


@pytest.mark.parametrize(
    ("decision", "subject", "expected"),
    [
        (ReviewDecision.APPROVED, "exec", Proceed(remember=False)),
        (ReviewDecision.APPROVED_FOR_SESSION, "exec", Proceed(remember=True)),
        (ReviewDecision.DENIED, "exec", Refused("exec command rejected by user")),
        (ReviewDecision.ABORT, "exec", Abort()),
        (ReviewDecision.APPROVED, "patch", Proceed(remember=False)),
        (ReviewDecision.APPROVED_FOR_SESSION, "patch", Proceed(remember=True)),
        (ReviewDecision.DENIED, "patch", Refused("patch rejected by user")),
        (ReviewDecision.ABORT, "patch", Abort()),
    ],
)
def test_resolve_decision(decision: ReviewDecision, subject: Subject, expected: Resolution) -> None:
    assert resolve_decision(decision, subject) == expected


def test_rejection_texts() -> None:
    assert rejection_text("exec") == EXEC_REJECTED == "exec command rejected by user"
    assert rejection_text("patch") == PATCH_REJECTED == "patch rejected by user"


def test_the_integration_flow_through_the_broker() -> None:
    """The guide's steps with the real ApprovalBroker: ask, approve for the session, remember."""

    async def scenario() -> tuple[list[EventMsg], list[CommandAssessment]]:
        broker = ApprovalBroker()
        emitted: list[EventMsg] = []

        def emit(event: EventMsg) -> None:  # the front end answers "Always"
            emitted.append(event)
            assert isinstance(event, ExecApprovalRequest)
            asyncio.get_running_loop().call_soon(
                broker.resolve, event.call_id, ReviewDecision.APPROVED_FOR_SESSION
            )

        approved: frozenset[tuple[str, ...]] = frozenset()
        outcomes: list[CommandAssessment] = []
        for call_id in ("c1", "c2"):
            a = assess_command(
                ON_REQUEST,
                WW,
                OTHER_CMD,
                approved_for_session=approved,
                with_escalated_permissions=True,
                justification=WHY,
                known_safe=False,
            )
            outcomes.append(a)
            if isinstance(a, AskUser):
                request = ExecApprovalRequest(call_id, OTHER_CMD, str(CWD), a.reason)
                decision = await asyncio.wait_for(broker.request(call_id, request, emit), 5)
                resolution = resolve_decision(decision, "exec")
                assert resolution == Proceed(remember=True)
                approved = remember_command(approved, OTHER_CMD)
        return emitted, outcomes

    emitted, outcomes = asyncio.run(scenario())
    assert outcomes == [J, U]  # asked once, then run unsandboxed without asking
    assert emitted == [ExecApprovalRequest("c1", OTHER_CMD, "/ws", WHY)]


# ------------------------------------------------- real paths in the reason (issue 12)


def test_a_patch_through_a_symlink_is_judged_and_shown_at_its_real_path() -> None:
    """The caller resolves: ``/ws/link/x`` really writes ``/elsewhere/x``; the request says
    so, and that it is outside the writable roots."""
    roots = writable_roots_for(WW, CWD, SandboxWorkspaceWrite(), ENV)
    named = {Path("/elsewhere/x"): Path("/ws/link/x"), Path("/ws/real/y"): Path("/ws/ln/y")}
    got = assess_patch(
        ON_REQUEST,
        WW,
        [Path("/elsewhere/x"), Path("/ws/real/y")],
        roots,
        CWD,
        approved_for_session=frozenset(),
        named=named,
    )
    assert got == AskUser(
        "writes outside the writable roots: /elsewhere/x (the patch names /ws/link/x; a "
        "symlink leads there); writes through symlinks: /ws/ln/y -> /ws/real/y"
    )
    inside = assess_patch(
        UNTRUSTED,
        WW,
        [Path("/ws/real/y")],
        roots,
        CWD,
        approved_for_session=frozenset(),
        named={Path("/ws/real/y"): Path("/ws/ln/y")},
    )
    assert inside == AskUser("writes through symlinks: /ws/ln/y -> /ws/real/y")


def test_session_approval_of_a_real_path_does_not_cover_another() -> None:
    roots = writable_roots_for(WW, CWD, SandboxWorkspaceWrite(), ENV)
    approved = frozenset({Path("/first/x")})
    same = assess_patch(
        ON_REQUEST, WW, [Path("/first/x")], roots, CWD, approved_for_session=approved
    )
    assert same == RunUnsandboxed("session-approved")
    moved = assess_patch(
        ON_REQUEST,
        WW,
        [Path("/second/x")],
        roots,
        CWD,
        approved_for_session=approved,
        named={Path("/second/x"): Path("/ws/link/x")},
    )
    assert isinstance(moved, AskUser) and moved.reason is not None
    assert "/second/x" in moved.reason and "outside the writable roots" in moved.reason


@pytest.mark.parametrize(
    ("cwd", "real", "roots", "note"),
    [
        ("/ws/sub", "/ws/sub", (Path("/ws"),), None),
        ("/ws/sub", "/ws/sub", None, None),
        ("/etc", "/etc", (Path("/ws"),), "workdir /etc is outside the writable roots"),
        (
            "/ws/link",
            "/etc",
            (Path("/ws"),),
            "workdir /ws/link resolves to /etc, outside the writable roots",
        ),
        ("/ws/link", "/ws/real", (Path("/ws"),), "workdir /ws/link resolves to /ws/real"),
        ("/ws/link", "/etc", None, "workdir /ws/link resolves to /etc"),
        ("/ws/.git", "/ws/.git", (Path("/ws"),), "workdir /ws/.git is outside the writable roots"),
    ],
)
def test_workdir_note(
    cwd: str, real: str, roots: tuple[Path, ...] | None, note: str | None
) -> None:
    assert workdir_note(Path(cwd), Path(real), roots) == note
    assert join_reasons("asked", workdir_note(Path(cwd), Path(real), roots)) == (
        "asked" if note is None else f"asked; {note}"
    )


def test_codex_directories_count_as_outside_like_git() -> None:
    """The sandbox keeps every .git and .codex inside a root read-only: asked up front."""
    roots = (Path("/ws"),)
    assert not is_writable(Path("/ws/.codex/config.toml"), roots)
    assert not is_writable(Path("/ws/vendor/lib/.git/hooks/x"), roots)
    assert is_writable(Path("/ws/codex/x"), roots) and is_writable(Path("/ws/.codexrc"), roots)
    got = assess_patch(
        ON_REQUEST,
        WW,
        [Path(".codex/config.toml")],
        roots,
        CWD,
        approved_for_session=frozenset(),
    )
    assert got == out("/ws/.codex/config.toml")
