"""Input that is never lost (issue 14, bugs 1 and 2).

Typed ahead: keys that reach the app before it has mounted (typed while the program
started) belong to the composer, and Enter among them sends the prompt; typed before the
terminal left cooked mode, that Enter arrives as "\\n" (Ctrl+J). A prompt sent before the
session is configured is sent once it is. Interrupts: Ctrl-C mid-stream ends the turn and
the model server sees the stream closed before its last event, turn after turn.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

from textual import events
from textual.pilot import Pilot

from pycodex.config.schema import Config
from pycodex.core.codex import Codex
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.options import SpawnCore
from pycodex.frontends.tui.router import INTERRUPTED
from pycodex.models.base import ModelEvent, OutputTextDelta, Prompt
from pycodex.models.scripted import ScriptedModelClient, reply
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    SessionConfigured,
    TaskComplete,
    TurnAborted,
)
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import Interrupt, UserInput
from pycodex.protocol.scripted_core import ScriptedCore, turn
from tests.core.harness import ENV, make_config, until
from tests.support.model_server import RecordedRequest, ScriptedModelServer, Turn
from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until

LAST_WORD = "FINALWORD"


def _held(core: ScriptedCore, gate: asyncio.Event) -> SpawnCore:
    """A spawner whose core is ready only once ``gate`` is set (a slow session start)."""

    async def spawn(config: Config, resume_path: Path | None) -> CoreHandle:
        del config, resume_path
        await gate.wait()
        return core

    return spawn


def _sent(core: ScriptedCore) -> list[str]:
    return [op.text for op in core.ops if isinstance(op, UserInput)]


def _key(name: str) -> events.Key:
    char = " " if name == "space" else "\n" if name == "ctrl+j" else name
    return events.Key(name, char)


def test_keys_typed_before_mount_reach_the_composer_and_enter_sends(
    codex_home: Path, tmp_path: Path
) -> None:
    """As in a real terminal when one types while `codex` starts: the keys are queued
    before the app mounts, and Enter typed in cooked mode is "\\n"."""
    core = ScriptedCore([turn(AgentMessage("hello back"))])
    options = tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1")
    gate = asyncio.Event()
    app = CodexApp(options)
    app.spawn = _held(core, gate)
    typed = [*"hi", "space", *"there", "ctrl+j"]

    async def main() -> None:
        for name in typed:  # queued before the app runs: before its first frame
            app.post_message(_key(name))
        async with app.run_test() as pilot:
            await wait_until(pilot, lambda: "hi there" in app.transcript_text(), "the prompt")
            assert app.composer.text == ""  # sent, not a newline in the composer
            assert _sent(core) == []  # the session is not configured yet
            gate.set()
            await wait_until(pilot, lambda: _sent(core) == ["hi there"], "the submission")
            await wait_until(pilot, lambda: "hello back" in app.transcript_text(), "answer")

    asyncio.run(asyncio.wait_for(main(), 60))


def test_typed_ahead_enter_never_answers_the_trust_onboarding(
    codex_home: Path, tmp_path: Path
) -> None:
    """Keys typed while `codex` starts in a new directory meet the trust question, not the
    composer: a "\n" among them stays Ctrl+J and does not accept the highlighted choice."""
    from pycodex.frontends.tui.onboarding import TrustOnboarding

    core = ScriptedCore([])
    base = tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1")
    app = CodexApp(dataclasses.replace(base, ask_trust=True))
    app.spawn = core.spawner()

    async def main() -> None:
        for name in [*"ok", "ctrl+j"]:
            app.post_message(_key(name))
        async with app.run_test() as pilot:
            await wait_until(pilot, lambda: not app._typed_ahead, "the typed-ahead keys")
            await pilot.pause()
            assert isinstance(app.screen, TrustOnboarding)  # still asking
            assert app.link is None  # no session was started by that "\n"

    asyncio.run(asyncio.wait_for(main(), 60))


def test_typing_right_away_before_the_session_is_ready_is_sent_once_ready(
    codex_home: Path, tmp_path: Path
) -> None:
    core = ScriptedCore([turn(AgentMessage("ok"))])
    options = tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1")
    gate = asyncio.Event()
    app = CodexApp(options)
    app.spawn = _held(core, gate)

    async def scenario(pilot: Pilot[int]) -> None:
        await type_text(pilot, "first words")  # no wait for anything
        assert app.composer.text == "first words"
        await pilot.press("enter")
        assert app.composer.text == ""
        assert "first words" in app.transcript_text()
        await pilot.press(*"again", "enter")  # a second one, still before the session
        gate.set()
        await wait_until(pilot, lambda: len(_sent(core)) == 2, "both submissions")
        assert _sent(core) == ["first words", "again"]
        assert app.focused is app.composer

    drive(app, scenario)


def test_a_real_ctrl_j_after_mount_still_inserts_a_newline(
    codex_home: Path, tmp_path: Path
) -> None:
    """Only keys queued before mount read "\\n" as Enter; afterwards Ctrl+J is a newline."""
    core = ScriptedCore([])
    options = tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1")
    app = CodexApp(options)
    app.spawn = core.spawner()

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await pilot.press("a", "ctrl+j", "b")
        assert app.composer.text == "a\nb"
        assert _sent(core) == []

    drive(app, scenario)


def _finished(server: ScriptedModelServer, n: int) -> RecordedRequest:
    req = server.model_requests[n]
    assert req.finished_at is not None
    return req


async def _server_done(pilot: Pilot[int], server: ScriptedModelServer, n: int) -> RecordedRequest:
    """Request ``n`` once the server is done with it (answered, or closed by the client)."""

    def done() -> bool:
        reqs = server.model_requests
        return len(reqs) > n and reqs[n].finished_at is not None

    await wait_until(pilot, done, "the server to see the end of the stream")
    return _finished(server, n)


def test_ctrl_c_mid_stream_closes_the_stream_turn_after_turn(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    """Three interrupted turns in a row, then one that completes: each interrupt ends the
    turn and the server sees its stream closed before the last event."""
    long = "word " * 2000 + LAST_WORD
    for _ in range(3):
        model_server.push(Turn(text=long, chunk_size=5, event_delay=0.01))
    model_server.push(Turn(text="calm answer"))
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url))

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        for n in range(3):
            await type_text(pilot, f"talk {n}")
            await pilot.press("enter")
            await wait_until(pilot, lambda: "word word" in app.transcript_text(), "streaming")
            assert app.working
            await pilot.press("ctrl+c")
            await idle(pilot, app)
            req = await _server_done(pilot, model_server, n)
            assert req.closed_early, f"turn {n}: the stream was not closed by the interrupt"
            assert LAST_WORD not in app.transcript_text()
            assert app.transcript_text().count(INTERRUPTED) == n + 1
        await type_text(pilot, "and now")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "calm answer" in app.transcript_text(), "the answer")
        assert not (await _server_done(pilot, model_server, 3)).closed_early

    drive(app, scenario)


class SwallowsOneCancel:
    """A model whose first stream ignores the first cancellation, as ``wait_for`` could on
    Python 3.11 (and as any third-party code might); later streams answer normally."""

    def __init__(self) -> None:
        self.swallowed = 0
        self.calls = 0
        self.then = ScriptedModelClient([reply("second turn fine")])

    async def stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]:
        self.calls += 1
        if self.calls > 1:
            async for event in self.then.stream(prompt):
                yield event
            return
        yield OutputTextDelta("partial ")
        never = asyncio.Event()
        while True:
            try:
                await never.wait()
            except asyncio.CancelledError:
                if self.swallowed:
                    raise
                self.swallowed += 1


def test_an_interrupt_ends_the_turn_even_if_a_cancel_is_swallowed(tmp_path: Path) -> None:
    """The core cancels the running turn again while it keeps running: one swallowed
    cancel does not leave the session stuck (and later Ctrl-C presses queued behind it)."""
    model = SwallowsOneCancel()

    async def main() -> list[str]:
        codex = await Codex.spawn(
            make_config(tmp_path), env=ENV, model_client=model, ephemeral=True
        )
        await until(codex, SessionConfigured)
        await codex.submit(UserInput("go"))
        await until(codex, AgentMessageDelta)
        await codex.submit(Interrupt())
        await until(codex, TurnAborted)
        await codex.submit(UserInput("again"))
        msgs = await until(codex, TaskComplete)
        return [m.message for m in msgs if isinstance(m, AgentMessage)]

    answers = asyncio.run(asyncio.wait_for(main(), 60))
    assert model.swallowed == 1  # the double really did swallow one
    assert answers == ["second turn fine"]
