"""The approval modal with the real core asking (policy ``untrusted``) over real HTTP."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.approval import ApprovalScreen
from pycodex.frontends.tui.router import INTERRUPTED
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn
from tests.tui.support import drive, tui_options, wait_until

PATCH = "*** Begin Patch\n*** Add File: added.txt\n+patched in\n*** End Patch\n"


def _run(server: ScriptedModelServer, home: Path, cwd: Path, key: str) -> CodexApp:
    app = CodexApp(tui_options(home, cwd, server.base_url, prompt="do it"))

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), "modal")
        await pilot.press(key)
        await wait_until(pilot, lambda: not isinstance(app.screen, ApprovalScreen), "closed")
        await wait_until(
            pilot,
            lambda: "finished" in app.transcript_text() or INTERRUPTED in app.transcript_text(),
            "turn end",
        )

    drive(app, scenario)
    return app


def test_approved_command_runs(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["touch", "made.txt"]})]),
        Turn(text="finished"),
    )
    app = _run(model_server, codex_home, tmp_path, "y")
    assert (tmp_path / "made.txt").exists()
    assert "✓ You approved codex to run touch made.txt this time" in app.transcript_text()


def test_denied_command_does_not_run_and_the_model_is_told(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["touch", "made.txt"]})]),
        Turn(text="finished"),
    )
    app = _run(model_server, codex_home, tmp_path, "n")
    assert not (tmp_path / "made.txt").exists()
    assert "✗ You did not approve codex to run touch made.txt" in app.transcript_text()
    body = model_server.model_requests[1].body
    assert body is not None and "rejected" in body["input"][-1]["output"]


def test_escape_aborts_the_turn(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(tool_calls=[ToolCall("shell", {"command": ["touch", "made.txt"]})]))
    app = _run(model_server, codex_home, tmp_path, "escape")
    assert not (tmp_path / "made.txt").exists()
    text = app.transcript_text()
    assert "✗ You canceled the request to run touch made.txt" in text
    assert text.count(INTERRUPTED) == 1
    assert len(model_server.model_requests) == 1


def test_patch_approval_applies_the_patch(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["apply_patch", PATCH]})]),
        Turn(text="finished"),
    )
    app = _run(model_server, codex_home, tmp_path, "y")
    assert (tmp_path / "added.txt").read_text() == "patched in\n"
    text = app.transcript_text()
    assert "✓ You approved codex to apply the patch this time" in text
    assert "added.txt" in text and "+patched in" in text
