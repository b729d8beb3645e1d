"""What the TUI needs from the outside, as plain data and callables (no Textual here).

The CLI builds a ``TuiOptions``: the loaded config, the environment, the first prompt, and
``TuiServices`` (prompt history, session files, trust) from core's services
(``pycodex.core.services.sessions``; front ends import only protocol, config and core).
Tests build one directly, with their own core spawner.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycodex.config.schema import Config
from pycodex.protocol.handle import CoreHandle

SpawnCore = Callable[[Config, Path | None], Awaitable[CoreHandle]]
"""Start a core for ``config``, resuming the rollout file when a path is given."""


def _no_history() -> Sequence[str]:
    return ()


def _discard(session_id: str, text: str) -> None:
    del session_id, text


def _no_replay(path: Path) -> Sequence[tuple[str, str]]:
    del path
    return ()


def _no_sessions() -> Sequence[Any]:
    return ()


def _no_trust(cwd: Path, trusted: bool) -> None:
    del cwd, trusted


async def _no_models() -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class TuiServices:
    """Saved data through callables: ``load_history`` gives earlier prompts (oldest
    first), ``append_history`` records a submitted one, ``replay`` gives a saved session's
    ``(role, text)`` messages to show when it is resumed, ``list_sessions`` the saved
    sessions for the picker (rows as ``resume_picker.SessionRow``; called in a thread),
    ``set_trust`` persists the onboarding answer for a directory, ``list_models`` the
    models the provider's server offers (local servers; empty when unknown)."""

    load_history: Callable[[], Sequence[str]] = _no_history
    append_history: Callable[[str, str], None] = _discard
    replay: Callable[[Path], Sequence[tuple[str, str]]] = _no_replay
    list_sessions: Callable[[], Sequence[Any]] = _no_sessions
    set_trust: Callable[[Path, bool], None] = _no_trust
    list_models: Callable[[], Awaitable[Sequence[str]]] = _no_models


def default_spawn(env: Mapping[str, str]) -> SpawnCore:
    """The real core (imported when the first session starts, after the first frame)."""

    async def spawn(config: Config, resume_path: Path | None) -> CoreHandle:
        from pycodex.core.codex import Codex

        core: CoreHandle = await Codex.spawn(config, env=env, resume_path=resume_path)
        return core

    return spawn


@dataclass(frozen=True)
class TuiOptions:
    config: Config
    env: Mapping[str, str]
    prompt: str | None = None
    images: tuple[str, ...] = ()  # data: URLs for the first prompt
    resume_path: Path | None = None
    pick_session: bool = False  # `codex resume` without ID or --last: open the picker
    ask_trust: bool = False  # first run in this directory: the trust onboarding screen
    services: TuiServices = field(default_factory=TuiServices)
    spawn: SpawnCore | None = None  # None: ``default_spawn(env)``
    clock: Callable[[], float] = time.monotonic  # elapsed time in the status line
    version: str = ""
