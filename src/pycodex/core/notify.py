"""The ``notify`` hook: run the user's program after each turn with a JSON argument.

Fire-and-forget through the sandbox spawner; a missing or failing program is ignored (the
turn is already over). v0.20 sent ``"input-messages": []`` from exec; we send the texts the
user actually gave in the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pycodex.sandbox.spawn import run_command

NOTIFY_TIMEOUT_MS = 30_000


def notify_payload(turn_id: str, input_messages: Sequence[str], last_message: str | None) -> str:
    return json.dumps(
        {
            "type": "agent-turn-complete",
            "turn-id": turn_id,
            "input-messages": list(input_messages),
            "last-assistant-message": last_message,
        },
        ensure_ascii=False,
    )


class Notifier:
    """Starts notify programs in the background; ``drain`` waits for them (at shutdown)."""

    def __init__(self, argv: Sequence[str] | None, *, cwd: Path, env: Mapping[str, str]) -> None:
        self._argv = tuple(argv or ())
        self._cwd = cwd
        self._env = dict(env)
        self._tasks: set[asyncio.Task[object]] = set()

    def turn_complete(
        self, turn_id: str, input_messages: Sequence[str], last_message: str | None
    ) -> None:
        if not self._argv:
            return
        argv = (*self._argv, notify_payload(turn_id, input_messages, last_message))
        task: asyncio.Task[object] = asyncio.create_task(
            run_command(argv, cwd=self._cwd, env=self._env, timeout_ms=NOTIFY_TIMEOUT_MS)
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a failing notifier is ignored, not logged

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for running notifiers, then kill the rest."""
        if not self._tasks:
            return
        tasks = set(self._tasks)
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
