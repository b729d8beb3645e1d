"""The transcript printed on quit bounds one long line (issue 14, bug 4).

A command printing 1 MiB without a newline used to put the whole MiB into the terminal's
scrollback when the TUI quit. Driven through the app (Pilot) with a scripted core: the
command's output reaches the exit transcript with its start and end and a
``[… N bytes omitted …]`` marker, both while its cell is mounted and after it was evicted
to the on-disk history.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual.pilot import Pilot

from pycodex.config.schema import Config
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.cells import notice_cell
from pycodex.frontends.tui.options import TuiOptions
from pycodex.frontends.tui.transcript import MAX_MOUNTED
from pycodex.protocol.events import AgentMessage, EventMsg, ExecCommandBegin, ExecCommandEnd
from pycodex.protocol.scripted_core import ScriptedCore, turn
from tests.tui.support import drive, ready, type_text, wait_until

LINE = "<start>" + "x" * (1024 * 1024) + "<end>"
TURN: list[EventMsg] = [
    ExecCommandBegin("c1", ("bash", "-lc", "cat blob.json"), "/w"),
    ExecCommandEnd("c1", LINE + "\n", "", LINE + "\n", 0, 0.2),
    AgentMessage("printed it"),
]


def _app(tmp_path: Path) -> CodexApp:
    config = Config(codex_home=tmp_path / "home", cwd=tmp_path)
    return CodexApp(TuiOptions(config=config, env={}, spawn=ScriptedCore([turn(*TURN)]).spawner()))


def _check_bounded(text: str) -> None:
    assert "printed it" in text
    assert len(text) < 20_000, len(text)  # not the MiB
    assert "<start>" in text and "<end>" in text  # the line's start and end are kept
    (omitted,) = re.findall(r"\[… (\d+) bytes omitted …\]", text)
    assert int(omitted) > 1024 * 1024 - 2000


def _run_turn(app: CodexApp, *, evict: bool) -> None:
    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "show")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "printed it" in app.transcript_text(), "answer")
        await wait_until(pilot, lambda: not app.working, "turn end")
        if evict:  # push the command's cell out to the on-disk history
            for i in range(MAX_MOUNTED + 5):
                await app.transcript.add(notice_cell(f"later {i}"))
            await pilot.pause()

    drive(app, scenario)


def test_quit_transcript_bounds_a_long_line_of_a_mounted_cell(tmp_path: Path) -> None:
    app = _app(tmp_path)
    _run_turn(app, evict=False)
    _check_bounded(app.transcript_text())


def test_quit_transcript_bounds_a_long_line_of_an_evicted_cell(tmp_path: Path) -> None:
    app = _app(tmp_path)
    _run_turn(app, evict=True)
    text = app.transcript_text()
    assert f"later {MAX_MOUNTED + 4}" in text
    _check_bounded(text)
