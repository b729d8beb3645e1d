"""Virtualised transcript, streaming cells, and resuming a saved session in the TUI."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Markdown

from pycodex.cli.tui_cmd import _services
from pycodex.config.schema import Config
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.cells import AssistantCell, notice_cell, user_cell
from pycodex.frontends.tui.options import TuiOptions
from pycodex.frontends.tui.pager import PagerView, TranscriptPager
from pycodex.frontends.tui.resume_picker import ResumePicker
from pycodex.frontends.tui.transcript import MAX_MOUNTED
from pycodex.protocol.events import AgentMessage, AgentMessageDelta, EventMsg
from pycodex.protocol.scripted_core import ScriptedCore, turn
from tests.support.model_server import ScriptedModelServer, Turn
from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until


def _scripted(tmp_path: Path, turns: list[list[EventMsg]]) -> CodexApp:
    config = Config(codex_home=tmp_path / "home", cwd=tmp_path)
    return CodexApp(
        TuiOptions(config=config, env={}, spawn=ScriptedCore([turn(*t) for t in turns]).spawner())
    )


def _screen_text(app: CodexApp) -> str:
    """The characters on screen now, a line each (what the terminal would show)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_only_the_newest_cells_stay_mounted(tmp_path: Path) -> None:
    app = _scripted(tmp_path, [])
    total = MAX_MOUNTED + 60

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        for i in range(total):
            await app.transcript.add(notice_cell(f"cell {i}"))
        await pilot.pause()
        assert len(app.transcript.cells) == MAX_MOUNTED
        # the marker line plus the mounted cells: nothing else is a widget any more
        assert len(app.transcript.children) == MAX_MOUNTED + 1
        marker = str(app.transcript.query_one("#evicted").render())
        assert f"{total + 1 - MAX_MOUNTED} earlier cells" in marker  # + the welcome cell
        assert "Ctrl+T" in marker

    drive(app, scenario)
    text = app.transcript_text()
    assert "cell 0\n" in text and f"cell {total - 1}" in text
    assert text.index("cell 0\n") < text.index(f"cell {total - 1}")


def test_ctrl_t_pages_through_the_whole_transcript(tmp_path: Path) -> None:
    """Evicted cells are drawn from the history lines: the pager opens at the end, Home
    shows the very first prompt, styled as it was; q closes it."""
    app = _scripted(tmp_path, [])
    total = MAX_MOUNTED + 40

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await app.transcript.add(user_cell("the very first prompt"))
        for i in range(total):
            await app.transcript.add(notice_cell(f"note number {i}"))
        await pilot.pause()
        assert "note number 0\n" not in _screen_text(app) + "\n"
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptPager), "pager")
        await pilot.pause()
        assert f"note number {total - 1}" in _screen_text(app)  # opens at the end
        await pilot.press("home")
        await pilot.pause()
        top = _screen_text(app)
        assert "the very first prompt" in top and f"note number {total - 1}" not in top
        view = app.screen.query_one(PagerView)
        header = [seg for seg in view.render_line(_row_of(top, "user")) if seg.text.strip()]
        assert [seg.text.strip() for seg in header] == ["user"]
        assert header[0].style is not None and header[0].style.bold  # styled as it was
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, TranscriptPager), "closed")
        assert app.composer.has_focus

    drive(app, scenario)


def _row_of(screen: str, text: str) -> int:
    """The pager row (screen row minus its one-line title) whose text is ``text``."""
    rows = screen.splitlines()
    return next(i for i, row in enumerate(rows) if row.strip() == text) - 1


def test_evicted_cells_are_freed(tmp_path: Path) -> None:
    """Nothing keeps an evicted cell's widgets (or their rendered lines) alive: memory does
    not grow with history."""
    app = _scripted(tmp_path, [])
    refs: list[weakref.ref[object]] = []

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        for i in range(MAX_MOUNTED):
            cell = await app.transcript.add(notice_cell(f"cell {i}"))
            for widget in (cell, *cell.query("*")):
                # a widget's line cache, which Textual's lru_caches can outlive it by
                refs.extend([weakref.ref(widget), weakref.ref(widget._styles_cache)])
        del cell, widget  # the test's own last reference
        await pilot.pause()
        for i in range(MAX_MOUNTED + 1):  # pushes every cell above out
            await app.transcript.add(notice_cell(f"later {i}"))
        await pilot.pause()
        gc.collect()
        alive = [r() for r in refs if r() is not None]
        assert not alive, f"{len(alive)} evicted widgets or line caches still referenced"

    drive(app, scenario)


def test_new_empties_the_pager_but_keeps_the_exit_transcript(tmp_path: Path) -> None:
    app = _scripted(tmp_path, [])

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        for i in range(MAX_MOUNTED + 5):
            await app.transcript.add(notice_cell(f"old {i}"))
        await app.transcript.clear_cells()
        await app.transcript.add(notice_cell("fresh start"))
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptPager), "pager")
        await pilot.press("home")
        await pilot.pause()
        screen = _screen_text(app)
        assert "fresh start" in screen and "old " not in screen
        await pilot.press("ctrl+t")  # closes it too
        await wait_until(pilot, lambda: not isinstance(app.screen, TranscriptPager), "closed")

    drive(app, scenario)
    text = app.transcript_text()
    assert text.index("old 0\n") < text.index(f"old {MAX_MOUNTED + 4}") < text.index("fresh")


def test_a_thousand_deltas_stream_into_one_markdown_answer(tmp_path: Path) -> None:
    words = [f"w{i} " for i in range(1000)]
    turn: list[EventMsg] = [AgentMessageDelta(w) for w in words]
    turn.append(AgentMessage("".join(words)))
    app = _scripted(tmp_path, [turn])

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "go")
        await pilot.press("enter")
        await idle(pilot, app)
        await wait_until(pilot, lambda: not app.working)
        cells = [c for c in app.transcript.cells if isinstance(c, AssistantCell)]
        assert len(cells) == 1 and cells[0].done
        assert cells[0].source == "".join(words)
        assert not cells[0].query(Markdown)  # finished: one Static, no block widgets

    drive(app, scenario)


def test_resume_shows_the_saved_conversation_and_continues_it(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="first answer"), Turn(text="second answer"))
    first = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url, prompt="first q"))
    paths: list[Path] = []
    ids: list[str | None] = []

    async def run_first(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "first answer" in first.transcript_text(), "answer")
        await idle(pilot, first)
        assert first.link is not None and first.link.rollout_path is not None
        paths.append(first.link.rollout_path)
        ids.append(first.link.session_id)
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: first.return_code is not None, "exit")

    drive(first, run_first)
    base = tui_options(codex_home, tmp_path, model_server.base_url)
    options = dataclasses.replace(
        base, resume_path=paths[0], services=_services(base.config), prompt="second q"
    )
    second = CodexApp(options)

    async def run_second(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "second answer" in second.transcript_text(), "answer")
        assert second.link is not None and second.link.session_id == ids[0]

    drive(second, run_second)
    text = second.transcript_text()
    assert text.index("first q") < text.index("first answer") < text.index("Resumed session")
    assert text.index("Resumed session") < text.index("second q")
    body = model_server.model_requests[1].body
    assert body is not None and "first answer" in str(body["input"])


def test_resume_picker_continues_the_chosen_session(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="picked answer"), Turn(text="after the pick"))
    first = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url, prompt="pick me"))

    async def run_first(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "picked answer" in first.transcript_text(), "answer")
        await idle(pilot, first)
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: first.return_code is not None, "exit")

    drive(first, run_first)
    base = tui_options(codex_home, tmp_path, model_server.base_url)
    second = CodexApp(dataclasses.replace(base, pick_session=True, services=_services(base.config)))

    async def run_second(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: isinstance(second.screen, ResumePicker), "picker")
        assert second.link is None
        await wait_until(pilot, lambda: second.screen.loaded, "sessions listed")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await ready(pilot, second)
        assert "pick me" in second.transcript_text()
        await type_text(pilot, "more")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "after the pick" in second.transcript_text(), "answer")

    drive(second, run_second)
    body = model_server.model_requests[1].body
    assert body is not None and "picked answer" in str(body["input"])


def test_citations_in_answers_become_editor_links(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("a\nb\nc\n")
    answer = "The bug is in app.py:2 and 【F:app.py†L1-L3】."
    app = _scripted(tmp_path, [[AgentMessage(answer)]])

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "where")
        await pilot.press("enter")
        await idle(pilot, app)
        await wait_until(pilot, lambda: not app.working)
        cell = next(c for c in app.transcript.cells if isinstance(c, AssistantCell))
        source = cell.source
        assert f"vscode://file{tmp_path.resolve()}/app.py:2" in source
        assert f"vscode://file{tmp_path.resolve()}/app.py:1" in source

    drive(app, scenario)


def test_cells_evicted_while_the_pager_is_open_do_not_shift_it(tmp_path: Path) -> None:
    """The pager is a snapshot: an answer still streaming when it opened, finished and
    evicted (rendered longer) while it is open, must not shift or duplicate its lines."""
    app = _scripted(tmp_path, [])

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        for i in range(MAX_MOUNTED - 3):
            await app.transcript.add(notice_cell(f"before {i}"))
        answer = await app.transcript.add(AssistantCell())
        assert isinstance(answer, AssistantCell)
        answer.add("partial")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptPager), "pager")
        view = app.screen.query_one(PagerView)
        shown = [view.line(i) for i in range(view.virtual_size.height)]
        await answer.finish("# Title\n\n- one\n- two\n- three\n\nthe end")
        for i in range(MAX_MOUNTED):  # a running turn keeps adding (and evicting) cells
            await app.transcript.add(notice_cell(f"after {i}"))
        await pilot.pause()
        assert app.transcript.history.blocks >= MAX_MOUNTED - 1  # the answer too
        assert [view.line(i) for i in range(view.virtual_size.height)] == shown

    drive(app, scenario)
