"""Keys: interrupt, Ctrl-C / Ctrl-D quitting, history recall, large pastes, newlines."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.pilot import Pilot

from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.router import INTERRUPTED
from tests.support.model_server import ScriptedModelServer, Turn
from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until


def _user_texts(server: ScriptedModelServer) -> list[str]:
    out = []
    for req in server.model_requests:
        assert req.body is not None
        last = req.body["input"][-1]
        out.append("".join(part.get("text", "") for part in last["content"]))
    return out


def test_ctrl_c_interrupts_a_streaming_turn(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="word " * 200, chunk_size=5, event_delay=0.05))
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url, prompt="talk"))

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: app.router.assistant is not None, "streaming")
        assert app.working
        assert "Working" in str(app.status.render())
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: INTERRUPTED in app.transcript_text(), "interrupted")
        assert app.return_code is None  # still running
        assert not app.status.display

    drive(app, scenario)


def test_ctrl_c_twice_on_idle_composer_quits(tmp_path: Path, codex_home: Path) -> None:
    app = CodexApp(tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1"))

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "draft")
        await pilot.press("ctrl+c")  # clears the composer
        assert app.composer.text == "" and app.return_code is None
        await pilot.press("ctrl+c")
        assert "Ctrl+C again to quit" in str(app.footer_bar.render())
        await pilot.press("x")  # any edit disarms
        assert "Ctrl+C again" not in str(app.footer_bar.render())
        await pilot.press("ctrl+c", "ctrl+c", "ctrl+c")
        await wait_until(pilot, lambda: app.return_code is not None, "exit")

    drive(app, scenario)
    assert app.return_code == 0


def test_ctrl_d_deletes_or_quits(tmp_path: Path, codex_home: Path) -> None:
    app = CodexApp(tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1"))

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "ab")
        await pilot.press("left", "ctrl+d")
        assert app.composer.text == "a" and app.return_code is None
        await pilot.press("backspace", "ctrl+d")
        await wait_until(pilot, lambda: app.return_code is not None, "exit")

    drive(app, scenario)
    assert app.return_code == 0


def test_history_recall_across_sessions_and_this_one(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="ok"))
    recorded: list[tuple[str, str]] = []
    options = tui_options(
        codex_home, tmp_path, model_server.base_url, history=["older prompt"], recorded=recorded
    )
    app = CodexApp(options)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "newest")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "ok" in app.transcript_text().split("newest")[-1])
        await idle(pilot, app)
        await pilot.press("up")
        assert app.composer.text == "newest"
        await pilot.press("up")
        assert app.composer.text == "older prompt"
        await pilot.press("up")  # the oldest stays
        assert app.composer.text == "older prompt"
        await pilot.press("down")
        assert app.composer.text == "newest"
        await pilot.press("down")
        assert app.composer.text == ""

    drive(app, scenario)
    assert [text for _, text in recorded] == ["newest"]
    assert recorded[0][0]  # the session id


def test_large_paste_is_a_placeholder_until_sent(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="got it"))
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url))
    pasted = "line of pasted text\n" * 100

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "see ")
        app.composer.post_message(events.Paste(pasted))
        await wait_until(pilot, lambda: "Pasted" in app.composer.text, "placeholder")
        assert app.composer.text == f"see [Pasted Content {len(pasted)} chars]"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "got it" in app.transcript_text(), "answer")

    drive(app, scenario)
    assert _user_texts(model_server) == ["see " + pasted.rstrip("\n")]


def test_ctrl_j_inserts_newline_and_enter_sends_both_lines(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="two lines"))
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url))

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "first")
        await pilot.press("ctrl+j")
        await type_text(pilot, "second")
        assert app.composer.text == "first\nsecond"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "two lines" in app.transcript_text(), "answer")

    drive(app, scenario)
    assert _user_texts(model_server) == ["first\nsecond"]
