"""Approvals beyond one call: what "for the session" remembers, interrupts and stale answers
while a question is open, the sandboxed patch writer, MCP tool calls under ``untrusted``
(the real demo server), and a real front end (exec's loop) answering a core that asks.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.schema import Config, McpServerConfig, SandboxWorkspaceWrite
from pycodex.core.approval_policy import (
    DENIAL_MARKERS,
    EXEC_REJECTED,
    PATCH_REJECTED,
    RETRY_NOTICE,
    RETRY_REASON,
)
from pycodex.core.codex import Codex
from pycodex.core.tools.mcp import REJECTED as MCP_REJECTED
from pycodex.frontends.headless.run import ExecRequest, run_exec
from pycodex.models.scripted import ScriptedModelClient, function_call, reply, shell_call
from pycodex.protocol.events import (
    ApplyPatchApprovalRequest,
    BackgroundEvent,
    EventMsg,
    ExecApprovalRequest,
    McpToolCallBegin,
    PatchApplyBegin,
    ShutdownComplete,
    TaskComplete,
    TurnAborted,
)
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import ExecApproval, Interrupt, PatchApproval, Shutdown, UserInput
from pycodex.protocol.policy import AskForApproval, ReviewDecision, SandboxMode
from tests.core.harness import (
    ENV,
    calls_all_answered,
    make_config,
    next_msg,
    outputs,
    run,
    start,
    until,
)
from tests.core.test_approvals_e2e import needs_sandbox
from tests.mcp_client.conftest import demo_command

APPROVE, SESSION = ReviewDecision.APPROVED, ReviewDecision.APPROVED_FOR_SESSION
DENY = ReviewDecision.DENIED


def _config(tmp_path: Path, policy: AskForApproval, sandbox: SandboxMode) -> Config:
    (tmp_path / "outside").mkdir(exist_ok=True)
    roots = SandboxWorkspaceWrite(exclude_tmpdir_env_var=True, exclude_slash_tmp=True)
    return make_config(
        tmp_path, approval_policy=policy, sandbox_mode=sandbox, sandbox_workspace_write=roots
    )


async def answer(
    codex: Codex, text: str, decisions: Mapping[str, ReviewDecision]
) -> list[EventMsg]:
    """A front end answering by call id; a question for any other call fails the test."""
    await codex.submit(UserInput(text))
    seen: list[EventMsg] = []
    while True:
        msg = await next_msg(codex)
        seen.append(msg)
        if isinstance(msg, ExecApprovalRequest | ApplyPatchApprovalRequest):
            assert msg.call_id in decisions, f"unexpected question: {msg}"
            op = ExecApproval if isinstance(msg, ExecApprovalRequest) else PatchApproval
            await codex.submit(op(id=msg.call_id, decision=decisions[msg.call_id]))
        if isinstance(msg, TaskComplete | TurnAborted):
            return seen


def _asked(events: list[EventMsg]) -> list[str]:
    return [
        m.call_id for m in events if isinstance(m, ExecApprovalRequest | ApplyPatchApprovalRequest)
    ]


def _exit(output: str) -> int:
    code: int = json.loads(output)["metadata"]["exit_code"]
    return code


def _patch(body: str) -> dict[str, Any]:
    return {"input": f"*** Begin Patch\n{body}*** End Patch\n"}


def test_approved_for_session_remembers_that_exact_command_and_runs_it_unsandboxed(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, AskForApproval.UNTRUSTED, SandboxMode.READ_ONLY)
    steps = [
        shell_call(["touch", "a"], call_id="c1"),
        shell_call(["touch", "a"], call_id="c2"),  # same argv: not asked again
        shell_call(["touch", "b"], call_id="c3"),  # another argv: asked
        reply("done"),
    ]

    async def scenario() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        return await answer(codex, "go", {"c1": SESSION, "c3": DENY}), model

    events, model = run(scenario)
    assert _asked(events) == ["c1", "c3"]
    seen = outputs(model.prompts[-1])
    assert _exit(seen["c1"]) == 0 and _exit(seen["c2"]) == 0  # read-only: only unsandboxed
    assert seen["c3"] == EXEC_REJECTED
    assert (config.cwd / "a").exists() and not (config.cwd / "b").exists()


def test_patch_approved_for_session_covers_later_patches_to_the_same_paths(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, AskForApproval.UNTRUSTED, SandboxMode.WORKSPACE_WRITE)
    steps = [
        function_call("apply_patch", _patch("*** Add File: f.txt\n+one\n"), call_id="p1"),
        function_call(
            "apply_patch", _patch("*** Update File: f.txt\n@@\n-one\n+two\n"), call_id="p2"
        ),
        function_call("apply_patch", _patch("*** Add File: g.txt\n+g\n"), call_id="p3"),
        reply("done"),
    ]

    async def scenario() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        return await answer(codex, "go", {"p1": SESSION, "p3": DENY}), model

    events, model = run(scenario)
    assert _asked(events) == ["p1", "p3"]
    begins = [(m.call_id, m.auto_approved) for m in events if isinstance(m, PatchApplyBegin)]
    assert begins == [("p1", False), ("p2", True)]
    assert (config.cwd / "f.txt").read_text() == "two\n"
    assert not (config.cwd / "g.txt").exists()
    assert outputs(model.prompts[-1])["p3"] == PATCH_REJECTED


def _symlinked(tmp_path: Path, policy: AskForApproval) -> tuple[Config, list[Any]]:
    """A link inside the workspace to a directory outside: lexically inside, really not."""
    config = _config(tmp_path, policy, SandboxMode.WORKSPACE_WRITE)
    (config.cwd / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    patch = _patch("*** Add File: link/escaped.txt\n+x\n")
    return config, [function_call("apply_patch", patch, call_id="p1"), reply("done")]


def test_a_patch_through_a_symlink_out_of_the_roots_asks_naming_the_real_path(
    tmp_path: Path,
) -> None:
    """Lexically inside, really outside: judged on the real path, so on-request asks, and
    the request says where the patch really writes and that it is outside (issue 12)."""
    config, steps = _symlinked(tmp_path, AskForApproval.ON_REQUEST)

    async def scenario() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        return await answer(codex, "go", {"p1": DENY}), model

    events, model = run(scenario)
    assert not (tmp_path / "outside" / "escaped.txt").exists()
    (request,) = [m for m in events if isinstance(m, ApplyPatchApprovalRequest)]
    assert request.reason is not None
    assert request.reason.startswith("writes outside the writable roots: ")
    assert str(tmp_path / "outside" / "escaped.txt") in request.reason
    assert str(config.cwd / "link" / "escaped.txt") in request.reason
    assert outputs(model.prompts[-1])["p1"] == PATCH_REJECTED
    assert not [m for m in events if isinstance(m, PatchApplyBegin)]


def test_on_failure_asks_before_a_patch_writes_through_a_symlink_out_of_the_roots(
    tmp_path: Path,
) -> None:
    """on-failure no longer lets the sandbox fail first: the real path is outside, so it
    asks up front; approved, the patch is written (unsandboxed) exactly there."""
    config, steps = _symlinked(tmp_path, AskForApproval.ON_FAILURE)

    async def scenario() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        return await answer(codex, "go", {"p1": APPROVE}), model

    events, model = run(scenario)
    assert (tmp_path / "outside" / "escaped.txt").read_text() == "x\n"
    (request,) = [m for m in events if isinstance(m, ApplyPatchApprovalRequest)]
    assert request.reason is not None and str(tmp_path / "outside") in request.reason
    assert request.reason != RETRY_REASON
    assert not [m for m in events if isinstance(m, BackgroundEvent)]
    begins = [m.auto_approved for m in events if isinstance(m, PatchApplyBegin)]
    assert begins == [False]
    assert json.loads(outputs(model.prompts[-1])["p1"])["output"].startswith("Success.")


@needs_sandbox
def test_on_failure_offers_a_patch_the_sandbox_refused_a_retry_without_it(
    tmp_path: Path,
) -> None:
    """A directory laid out as a bare repository is kept read-only by the sandbox, which the
    (pure) roots check cannot know: the sandboxed writer fails, on-failure offers a retry."""
    config = _config(tmp_path, AskForApproval.ON_FAILURE, SandboxMode.WORKSPACE_WRITE)
    docs = config.cwd / "docs"
    (docs / "objects").mkdir(parents=True)
    (docs / "refs").mkdir()
    (docs / "HEAD").write_text("ref: refs/heads/main\n")
    patch = _patch("*** Add File: docs/objects/note.txt\n+x\n")
    steps = [function_call("apply_patch", patch, call_id="p1"), reply("done")]

    async def scenario() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        return await answer(codex, "go", {"p1": APPROVE}), model

    events, model = run(scenario)
    assert (docs / "objects" / "note.txt").read_text() == "x\n"
    (request,) = [m for m in events if isinstance(m, ApplyPatchApprovalRequest)]
    assert request.reason == RETRY_REASON
    notices = [m.message for m in events if isinstance(m, BackgroundEvent)]
    assert notices[0].startswith("Execution failed: ") and notices[-1] == RETRY_NOTICE
    assert any(marker in notices[0] for marker in DENIAL_MARKERS)
    begins = [m.auto_approved for m in events if isinstance(m, PatchApplyBegin)]
    assert begins == [True, False]
    assert json.loads(outputs(model.prompts[-1])["p1"])["output"].startswith("Success.")


def test_interrupt_while_a_question_is_open_ends_the_turn_and_a_late_answer_is_ignored(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, AskForApproval.UNTRUSTED, SandboxMode.WORKSPACE_WRITE)
    steps = [shell_call(["touch", "marker"], call_id="c1"), reply("next turn")]

    async def scenario() -> tuple[list[EventMsg], list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        await codex.submit(UserInput("go"))
        first: list[EventMsg] = []
        while not isinstance(msg := await next_msg(codex), TurnAborted):
            first.append(msg)
            if isinstance(msg, ExecApprovalRequest):
                await codex.submit(Interrupt())
        await codex.submit(ExecApproval(id="c1", decision=APPROVE))  # too late: no one waits
        second = await answer(codex, "again", {})
        return first, second, model

    first, second, model = run(scenario)
    assert _asked(first) == ["c1"]
    assert not (config.cwd / "marker").exists()
    assert [m.type for m in second if m.type == "exec_command_begin"] == []
    assert outputs(model.prompts[-1])["c1"] == "aborted by user"
    assert calls_all_answered(model.prompts[-1].input)


@pytest.mark.parametrize(
    ("policy", "decisions", "expected"),
    [
        (AskForApproval.NEVER, {}, "net=1"),  # sandboxed: told the network is off
        (AskForApproval.UNTRUSTED, {"c1": APPROVE}, "net=open"),  # the user lifted it
    ],
)
def test_a_user_approved_command_is_not_told_the_network_is_disabled(
    tmp_path: Path, policy: AskForApproval, decisions: dict[str, ReviewDecision], expected: str
) -> None:
    config = _config(tmp_path, policy, SandboxMode.READ_ONLY)
    script = 'echo "net=${CODEX_SANDBOX_NETWORK_DISABLED:-open}"'
    steps = [shell_call(["bash", "-c", script], call_id="c1"), reply("done")]

    async def scenario() -> ScriptedModelClient:
        codex, model = await start(config, steps)
        await answer(codex, "go", decisions)
        return model

    model = run(scenario)
    assert json.loads(outputs(model.prompts[-1])["c1"])["output"] == expected + "\n"


def test_exec_front_end_denies_every_question_of_a_real_core_instead_of_hanging(
    tmp_path: Path,
) -> None:
    """exec forces ``never``; should a core ask anyway, its loop answers "denied"."""
    config = _config(tmp_path, AskForApproval.UNTRUSTED, SandboxMode.WORKSPACE_WRITE)
    patch = _patch("*** Add File: p.txt\n+p\n")
    model = ScriptedModelClient(
        [
            shell_call(["touch", "marker"], call_id="c1"),
            function_call("apply_patch", patch, call_id="p1"),
            reply("done"),
        ]
    )

    async def spawn() -> CoreHandle:
        core: CoreHandle = await Codex.spawn(config, env=ENV, model_client=model, ephemeral=True)
        return core

    async def main() -> int:
        request = ExecRequest(config=config, env=ENV, prompt="go", json_mode=True)
        out, err = io.StringIO(), io.StringIO()
        return await run_exec(request, out=out, err=err, spawn=spawn, install_sigint=False)

    assert run(main) == 0
    seen = outputs(model.prompts[-1])
    assert seen == {"c1": EXEC_REJECTED, "p1": PATCH_REJECTED}
    assert not (config.cwd / "marker").exists() and not (config.cwd / "p.txt").exists()


@pytest.mark.parametrize("policy", [AskForApproval.UNTRUSTED, AskForApproval.ON_REQUEST])
def test_untrusted_asks_before_an_mcp_tool_call(tmp_path: Path, policy: AskForApproval) -> None:
    command, args = demo_command()
    servers = {"demo": McpServerConfig(name="demo", command=command, args=args)}
    config = replace(_config(tmp_path, policy, SandboxMode.READ_ONLY), mcp_servers=servers)
    add = '{"a": 1, "b": 2}'
    steps = [
        function_call("demo__add", add, call_id="m1"),  # denied
        function_call("demo__add", add, call_id="m2"),  # approved for the session
        function_call("demo__add", add, call_id="m3"),  # that exact call: not asked again
        reply("done"),
    ]
    asks = policy is AskForApproval.UNTRUSTED
    decisions = {"m1": DENY, "m2": SESSION} if asks else {}

    async def scenario() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        events = await answer(codex, "add", decisions)
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        return events, model

    events, model = run(scenario)
    requests = [m for m in events if isinstance(m, ExecApprovalRequest)]
    assert [r.call_id for r in requests] == (["m1", "m2"] if asks else [])
    for request in requests:
        assert request.command == ("mcp", "demo", "add", '{"a": 1, "b": 2}')
        assert request.reason == "MCP tool call: `add` of the server `demo`"
    seen = outputs(model.prompts[-1])
    assert seen["m1"] == (MCP_REJECTED if asks else seen["m3"])
    assert seen["m2"] == seen["m3"] and seen["m3"].startswith("3")
    called = [m.call_id for m in events if isinstance(m, McpToolCallBegin)]
    assert called == (["m2", "m3"] if asks else ["m1", "m2", "m3"])
