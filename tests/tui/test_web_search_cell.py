"""A hosted web search (`[tools] web_search`) shows in the TUI as its own small cell, over
real HTTP to the scripted server."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from pycodex.frontends.tui.app import CodexApp
from tests.support.model_server import ScriptedModelServer, Turn
from tests.tui.support import drive, tui_options, wait_until


def test_a_web_search_gets_a_cell(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(web_searches=["textual pilot docs"], text="read them"))
    options = tui_options(
        codex_home,
        tmp_path,
        model_server.base_url,
        top="[tools]\nweb_search = true\n",
        prompt="find the docs",
    )
    app = CodexApp(options)

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "read them" in app.transcript_text(), "answer")

    drive(app, scenario)
    text = app.transcript_text()
    assert "🌐 Searched the web: textual pilot docs" in text
    assert text.count("Searched the web") == 1
    body = model_server.model_requests[0].body
    assert body is not None and {"type": "web_search", "external_web_access": True} in body["tools"]
