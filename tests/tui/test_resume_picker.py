"""The session picker under Pilot: newest first, type to filter, Enter picks, Esc cancels."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from pycodex.frontends.tui.resume_picker import ResumePicker, Session, SessionRow, format_row
from pycodex.storage.rollout import RolloutWriter, list_sessions

NOW = 1_800_000_000.0
ROWS = [
    Session(
        "aaaa-1111", Path("/s/old.jsonl"), "2026-11-01T10:00:00Z", "fix the parser", NOW - 3 * 86400
    ),
    Session("bbbb-2222", Path("/s/new.jsonl"), "2026-11-25T10:00:00Z", "write docs", NOW - 120),
    Session("cccc-3333", Path("/s/mid.jsonl"), "", None, NOW - 7200),
]


class Host(App[None]):
    def __init__(self, picker: ResumePicker) -> None:
        super().__init__()
        self.picker = picker
        self.results: list[Path | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self.picker, self.results.append)


def run(picker: ResumePicker, scenario: Callable[[Pilot[None], Host], Awaitable[None]]) -> Host:
    host = Host(picker)

    async def main() -> None:
        async with host.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            await scenario(pilot, host)

    asyncio.run(asyncio.wait_for(main(), 30))
    return host


async def until(pilot: Pilot[Any], cond: Callable[[], object]) -> None:
    for _ in range(300):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


def _lines(picker: ResumePicker) -> list[str]:
    ol = picker.query_one(OptionList)
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


def test_newest_first_and_enter_returns_path() -> None:
    picker = ResumePicker(ROWS, now=lambda: NOW)

    async def scenario(pilot: Pilot[None], host: Host) -> None:
        assert [r.session_id for r in picker.shown] == ["bbbb-2222", "cccc-3333", "aaaa-1111"]
        lines = _lines(picker)
        assert "write docs" in lines[0] and "bbbb-2222" in lines[0] and "2m ago" in lines[0]
        assert "(no message)" in lines[1] and "2h ago" in lines[1]
        assert "3d ago" in lines[2]
        await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: host.results)

    host = run(picker, scenario)
    assert host.results == [Path("/s/mid.jsonl")]


def test_type_to_filter_then_enter() -> None:
    picker = ResumePicker(ROWS, now=lambda: NOW)

    async def scenario(pilot: Pilot[None], host: Host) -> None:
        await pilot.press(*"PARSER")
        assert [r.session_id for r in picker.shown] == ["aaaa-1111"]
        await pilot.press("backspace", *" nothing")
        assert picker.shown == []
        assert _lines(picker) == ["No session matches"]
        await pilot.press("enter")  # nothing to choose: stays open
        await pilot.pause()
        assert host.results == [] and host.screen is picker
        for _ in " nothing" + "PARSE":
            await pilot.press("backspace")
        await pilot.press(*"cccc")
        await pilot.press("enter")
        await until(pilot, lambda: host.results)

    host = run(picker, scenario)
    assert host.results == [Path("/s/mid.jsonl")]


def test_escape_cancels_and_empty_list() -> None:
    picker = ResumePicker([], now=lambda: NOW)

    async def scenario(pilot: Pilot[None], host: Host) -> None:
        assert _lines(picker) == ["No saved sessions"]
        await pilot.press("escape")
        await until(pilot, lambda: host.results)

    host = run(picker, scenario)
    assert host.results == [None]


def test_loader_runs_in_a_thread_with_real_rollouts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for n, text in enumerate(("first prompt", "second prompt")):
        sid = f"0000000{n}-0000-4000-8000-000000000000"
        with RolloutWriter.create(home, sid, instructions=None, cwd=tmp_path) as writer:
            writer.record_json(
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                }
            )
    threads: list[str] = []

    def load() -> Sequence[SessionRow]:
        threads.append(threading.current_thread().name)
        return list_sessions(home)

    picker = ResumePicker(load)

    async def scenario(pilot: Pilot[None], host: Host) -> None:
        await until(pilot, lambda: picker.loaded)
        assert sorted(r.preview or "" for r in picker.shown) == ["first prompt", "second prompt"]
        await pilot.press("enter")
        await until(pilot, lambda: host.results)

    host = run(picker, scenario)
    assert threads and threads[0] != threading.main_thread().name
    (chosen,) = host.results
    assert chosen is not None and chosen.exists() and chosen.suffix == ".jsonl"


def test_format_row_without_timestamp_uses_mtime() -> None:
    text = str(format_row(Session("id-1", Path("/x"), "", "hello", NOW), NOW + 30))
    assert text.endswith("just now  hello  id-1")
    assert text[:4].isdigit()
