"""Run the TUI under Textual's Pilot with the real core talking HTTP to the scripted server.

``tui_options`` writes a CODEX_HOME config.toml pointing provider ``mock`` at the server
and loads it like the CLI does; ``drive`` runs an async scenario against a fresh app in
``asyncio.run`` (no pytest-asyncio); ``wait_until`` is the bounded wait every test uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from textual.pilot import Pilot

from pycodex.config.loader import load_config
from pycodex.config.overrides import CliOverrides
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.options import TuiOptions, TuiServices
from tests.e2e.harness import base_env, write_config

SIZE = (100, 32)
WAIT_S = 30.0
T = TypeVar("T")


def tui_options(
    home: Path,
    cwd: Path,
    base_url: str,
    *,
    top: str = "",
    history: Sequence[str] = (),
    recorded: list[tuple[str, str]] | None = None,
    prompt: str | None = None,
    **changes: Any,
) -> TuiOptions:
    """Options for a TUI on ``cwd``; ``changes`` are ``CliOverrides`` fields; submitted
    prompts are appended to ``recorded`` as (session_id, text)."""
    write_config(home, base_url, top=top)
    env = base_env(home)
    config = load_config(
        codex_home=home, cwd=cwd, env=env, overrides=CliOverrides(**changes)
    ).config

    def append(session_id: str, text: str) -> None:
        if recorded is not None:
            recorded.append((session_id, text))

    services = TuiServices(load_history=lambda: list(history), append_history=append)
    return TuiOptions(config=config, env=env, services=services, prompt=prompt)


async def wait_until(pilot: Pilot[Any], cond: Callable[[], object], what: str = "") -> None:
    """Let the app run until ``cond()`` is true; fails after ``WAIT_S`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.02)


def drive(app: CodexApp, scenario: Callable[[Pilot[int]], Awaitable[T]]) -> T:
    async def main() -> T:
        async with app.run_test(size=SIZE) as pilot:
            return await scenario(pilot)

    return asyncio.run(asyncio.wait_for(main(), 60))


def transcript(app: CodexApp) -> str:
    return app.transcript_text()


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type like a user: one key per character (spaces and newlines by name)."""
    keys = ["space" if c == " " else c for c in text]
    await pilot.press(*keys)


async def ready(pilot: Pilot[Any], app: CodexApp) -> None:
    await wait_until(
        pilot, lambda: app.link is not None and app.link.ready.is_set(), "session start"
    )


async def idle(pilot: Pilot[Any], app: CodexApp) -> None:
    await wait_until(pilot, lambda: not app.working, "turn end")
