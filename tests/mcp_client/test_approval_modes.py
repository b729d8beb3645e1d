"""Per-tool ``approval_mode`` combined with the approval policy, through a real core and the
real demo server: ``prompt`` adds a question under every policy that can ask and is a
refusal under ``never`` (nothing may wait for a human there); ``approve`` removes the
question ``untrusted`` would ask; ``auto`` is the policy's own behaviour.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pycodex.config.schema import McpServerConfig, McpToolConfig
from pycodex.core.tools.mcp import REJECTED
from pycodex.models.scripted import ScriptedModelClient, function_call, reply
from pycodex.protocol.events import (
    EventMsg,
    ExecApprovalRequest,
    McpToolCallBegin,
    ShutdownComplete,
)
from pycodex.protocol.ops import Shutdown
from pycodex.protocol.policy import AskForApproval, ReviewDecision, SandboxMode
from tests.core.harness import make_config, outputs, run, start, until
from tests.core.test_approvals_flow import answer
from tests.mcp_client.conftest import demo_command

UNTRUSTED, ON_REQUEST, NEVER = (
    AskForApproval.UNTRUSTED,
    AskForApproval.ON_REQUEST,
    AskForApproval.NEVER,
)
# (policy, mode) -> what happens to a call: "ask", "run" or "refuse"
EXPECTED = {
    (UNTRUSTED, "auto"): "ask",
    (UNTRUSTED, "prompt"): "ask",
    (UNTRUSTED, "approve"): "run",
    (ON_REQUEST, "auto"): "run",
    (ON_REQUEST, "prompt"): "ask",
    (ON_REQUEST, "approve"): "run",
    (NEVER, "auto"): "run",
    (NEVER, "prompt"): "refuse",
    (NEVER, "approve"): "run",
}


def scenario(
    tmp_path: Path, policy: AskForApproval, server: McpServerConfig, decision: ReviewDecision
) -> tuple[list[EventMsg], dict[str, str]]:
    config = replace(
        make_config(tmp_path, approval_policy=policy, sandbox_mode=SandboxMode.READ_ONLY),
        mcp_servers={"demo": server},
    )
    steps = [function_call("demo__add", '{"a": 1, "b": 2}', call_id="m1"), reply("done")]

    async def main() -> tuple[list[EventMsg], ScriptedModelClient]:
        codex, model = await start(config, steps)
        events = await answer(codex, "add", {"m1": decision})
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        return events, model

    events, model = run(main)
    return events, outputs(model.prompts[-1])


@pytest.mark.parametrize(("policy", "mode"), list(EXPECTED))
def test_the_tool_mode_combines_with_the_policy(
    tmp_path: Path, policy: AskForApproval, mode: str
) -> None:
    command, args = demo_command()
    server = McpServerConfig(
        name="demo", command=command, args=args, tools={"add": McpToolConfig(mode)}
    )
    events, seen = scenario(tmp_path, policy, server, ReviewDecision.APPROVED)
    asked = [m.call_id for m in events if isinstance(m, ExecApprovalRequest)]
    called = [m.call_id for m in events if isinstance(m, McpToolCallBegin)]
    expected = EXPECTED[(policy, mode)]
    assert asked == (["m1"] if expected == "ask" else [])
    assert called == ([] if expected == "refuse" else ["m1"])
    if expected == "refuse":
        assert seen["m1"].startswith("MCP tool call refused: `add` of the server `demo`")
        assert "approval_mode" in seen["m1"] and "`never`" in seen["m1"]
    else:
        assert seen["m1"].startswith("3")


def test_the_server_default_applies_and_a_denied_prompt_makes_no_call(tmp_path: Path) -> None:
    command, args = demo_command()
    server = McpServerConfig(
        name="demo", command=command, args=args, default_tools_approval_mode="prompt"
    )
    events, seen = scenario(tmp_path, ON_REQUEST, server, ReviewDecision.DENIED)
    assert [m.call_id for m in events if isinstance(m, ExecApprovalRequest)] == ["m1"]
    assert not [m for m in events if isinstance(m, McpToolCallBegin)]
    assert seen["m1"] == REJECTED
