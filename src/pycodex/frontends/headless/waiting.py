"""`codex exec` while the model is silent: ``ModelWaiting`` for people and for ``--json``.

Core reports a silent model when the silence passes a threshold (30 s by default), then at
doubling intervals, so these are a few lines per attempt, never a spinner:

- human output: one line on **stderr** (stdout stays the run's transcript), e.g.
  ``waiting for the model… 30s (no response yet; will retry 4 more times, timeout 300s)``;
- ``--json``: a top-level ``model.waiting`` line (news, like a retry's ``error`` line; no
  item, no effect on the turn's outcome) with the numbers a tool needs to show progress:
  ``{"type": "model.waiting", "message", "elapsed_seconds", "attempt", "retries_left",
  "timeout_seconds", "responded"}``.
"""

from __future__ import annotations

from typing import TextIO

from pycodex.core.terminal_text import sanitize
from pycodex.protocol.events import ModelWaiting
from pycodex.protocol.items import JsonObject

JSON_TYPE = "model.waiting"


def waiting_json(msg: ModelWaiting) -> JsonObject:
    """The ``--json`` line for one report."""
    return {
        "type": JSON_TYPE,
        "message": msg.message,
        "elapsed_seconds": msg.elapsed_seconds,
        "attempt": msg.attempt,
        "retries_left": msg.retries_left,
        "timeout_seconds": msg.timeout_seconds,
        "responded": msg.responded,
    }


def write_waiting(err: TextIO, msg: ModelWaiting) -> None:
    """The human line, on ``err``."""
    err.write(sanitize(msg.message) + "\n")
    err.flush()
