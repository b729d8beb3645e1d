"""Prompt in, streamed answer and command cell out, over real HTTP to the scripted server."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.cells import AssistantCell, ExecCell
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn, Usage
from tests.tui.support import drive, ready, tui_options, type_text, wait_until


def test_prompt_streams_answer_and_footer_counts_tokens(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(
        Turn(
            text="Hello **there**, here is `code`.", usage=Usage(input_tokens=90, output_tokens=10)
        )
    )
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url))

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "say hi")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Hello **there**" in app.transcript_text(), "answer")
        await wait_until(pilot, lambda: not app.working, "turn end")
        cells = [c for c in app.transcript.cells if isinstance(c, AssistantCell)]
        assert cells and cells[-1].done
        assert "100 tokens used" in str(app.footer_bar.render())
        assert app.composer.text == ""

    drive(app, scenario)
    body = model_server.model_requests[0].body
    assert body is not None and body["input"][-1]["content"][0]["text"] == "say hi"
    assert "user\nsay hi" in app.transcript_text()


def test_command_cell_shows_command_exit_and_output(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["echo", "from-the-shell"]})]),
        Turn(text="ran it"),
    )
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url, prompt="run echo"))

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "ran it" in app.transcript_text(), "final answer")
        execs = [c for c in app.transcript.cells if isinstance(c, ExecCell)]
        assert len(execs) == 1
        assert execs[0].exit_code == 0
        assert "from-the-shell" in execs[0].text

    drive(app, scenario)
    assert "$ echo from-the-shell  (exit 0)" in app.transcript_text()
