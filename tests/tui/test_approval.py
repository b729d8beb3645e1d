"""The approval modal: y / a / n / Esc become ExecApproval / PatchApproval decisions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.pilot import Pilot

from pycodex.config.schema import Config
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.approval import ApprovalScreen
from pycodex.frontends.tui.options import TuiOptions
from pycodex.protocol.events import (
    AgentMessage,
    ApplyPatchApprovalRequest,
    ExecApprovalRequest,
    FileChange,
)
from pycodex.protocol.ops import ExecApproval, PatchApproval
from pycodex.protocol.policy import ReviewDecision
from pycodex.protocol.scripted_core import ScriptedCore, turn
from tests.tui.support import drive, ready, type_text, wait_until


def _app(tmp_path: Path, core: ScriptedCore) -> CodexApp:
    config = Config(codex_home=tmp_path / "home", cwd=tmp_path)
    return CodexApp(TuiOptions(config=config, env={}, spawn=core.spawner()))


EXEC = ExecApprovalRequest("call_1", ("rm", "-rf", "build"), "/w", "clean the build")
PATCH = ApplyPatchApprovalRequest(
    "call_2", {"a.txt": FileChange("update", unified_diff="@@ -1 +1 @@\n-old\n+new\n")}
)


@pytest.mark.parametrize(
    ("key", "decision", "line"),
    [
        ("y", ReviewDecision.APPROVED, "✓ You approved codex to run rm -rf build this time"),
        ("a", ReviewDecision.APPROVED_FOR_SESSION, "every time this session"),
        ("n", ReviewDecision.DENIED, "✗ You did not approve codex to run rm -rf build"),
        ("escape", ReviewDecision.ABORT, "✗ You canceled the request to run rm -rf build"),
    ],
)
def test_exec_modal_keys(tmp_path: Path, key: str, decision: ReviewDecision, line: str) -> None:
    core = ScriptedCore([turn(EXEC, AgentMessage("after the command"))])
    app = _app(tmp_path, core)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "clean")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), "modal")
        shown = str(app.screen.query_one("#approval-subject").render())
        assert "rm -rf build" in shown
        assert "clean the build" in str(app.screen.query_one("#approval-reason").render())
        await pilot.press(key)
        await wait_until(pilot, lambda: not app.working, "turn end")
        assert not isinstance(app.screen, ApprovalScreen)

    drive(app, scenario)
    answers = [op for op in core.ops if isinstance(op, ExecApproval)]
    assert answers == [ExecApproval("call_1", decision)]
    text = app.transcript_text()
    assert line in text
    if decision == ReviewDecision.ABORT:
        assert "Turn interrupted" in text
        assert "after the command" not in text
    else:
        assert "after the command" in text


def test_patch_modal_shows_diff_and_answers(tmp_path: Path) -> None:
    core = ScriptedCore([turn(PATCH, AgentMessage("patched"))])
    app = _app(tmp_path, core)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "edit")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), "modal")
        shown = app.screen.query_one("#approval-subject").render()
        assert "a.txt" in str(shown) and "+new" in str(shown) and "-old" in str(shown)
        await pilot.press("y")
        await wait_until(pilot, lambda: "patched" in app.transcript_text(), "answer")

    drive(app, scenario)
    assert [op for op in core.ops if isinstance(op, PatchApproval)] == [
        PatchApproval("call_2", ReviewDecision.APPROVED)
    ]
    assert "✓ You approved codex to apply the patch this time" in app.transcript_text()


def test_two_requests_are_asked_one_after_the_other(tmp_path: Path) -> None:
    second = dataclasses.replace(EXEC, call_id="call_3", command=("make",), reason=None)
    core = ScriptedCore([turn(EXEC, second, AgentMessage("both done"))])
    app = _app(tmp_path, core)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "go")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), "modal 1")
        await pilot.press("n")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ApprovalScreen) and app.screen.view.call_id == "call_3",
            "modal 2",
        )
        await pilot.press("a")
        await wait_until(pilot, lambda: "both done" in app.transcript_text(), "answer")

    drive(app, scenario)
    assert [op for op in core.ops if isinstance(op, ExecApproval)] == [
        ExecApproval("call_1", ReviewDecision.DENIED),
        ExecApproval("call_3", ReviewDecision.APPROVED_FOR_SESSION),
    ]
