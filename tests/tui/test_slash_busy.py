"""The one busy rule, in the running app: during a turn, commands that would start another
request or restart the core are refused with the same notice; the others run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from pycodex.frontends.tui.app import CodexApp
from tests.support.model_server import ScriptedModelServer, Turn
from tests.tui.support import drive, tui_options, type_text, wait_until


async def _command(pilot: Pilot[int], text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("escape")  # close the popup: Enter then sends the text as typed
    await pilot.press("enter")


def _shown(app: CodexApp, text: str) -> Callable[[], bool]:
    return lambda: text in app.transcript_text()


def test_commands_during_a_turn(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="word " * 2000, chunk_size=5, event_delay=0.05))
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url, prompt="talk"))
    model = app.config.model

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: app.router.assistant is not None, "streaming")
        for text in ("/compact", "/init", "/model o3", "/approvals never"):
            await _command(pilot, text)
            refused = f"{text.split()[0]}: wait for the turn to finish"
            await wait_until(pilot, _shown(app, refused), refused)
        await _command(pilot, "/status")  # available during a turn
        await wait_until(pilot, lambda: "📂 Workspace" in app.transcript_text(), "status")
        assert app.working  # all of it happened during the turn
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.working, "turn end")

    drive(app, scenario)
    assert len(model_server.model_requests) == 1  # neither /compact nor /init was sent
    assert app.config.model == model and "asking Codex" not in app.transcript_text()
