"""Waiting for the model, said out loud: a ``ModelWaiting`` event when it goes quiet.

A server that accepts the request and never answers used to leave the screen blank for the
whole idle timeout (300 s by default) of every attempt. ``WaitingWatch`` wraps the model
client for one turn: while core awaits the model's next event, a watcher task reports the
silence once it passes ``threshold`` seconds, then at doubling intervals (``T``, ``2T``,
``4T``, …, so a 300 s timeout gives at most four lines per attempt), each report naming the
retry plan: the attempt, how many retries are left and the per-attempt timeout. Any event
from the model resets the clock; a ``Retrying`` starts the next attempt's clock after its
backoff delay.

The retry plan is what ``models.client`` will do: before the first retry, a request that got
nothing yet is on ``request_max_retries`` (no response head in time is a connection
failure) and a stream that went quiet on ``stream_max_retries``; after a retry, the budget
that retry named. The total wait is therefore bounded by ``(retries + 1) × timeout`` plus
the backoff delays, and every line says so in its parts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from pycodex.config.schema import ModelProviderInfo
from pycodex.models.base import (
    Completed,
    Created,
    ModelClient,
    ModelEvent,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    Retrying,
)
from pycodex.protocol.events import EventMsg, ModelWaiting

WAITING_THRESHOLD_SECONDS = 30.0
"""The first report, unless the idle timeout is short (then a tenth of it)."""

_ANSWERING = (
    Created,
    OutputTextDelta,
    ReasoningSummaryDelta,
    ReasoningContentDelta,
    OutputItemDone,
    Completed,
)


def waiting_threshold(timeout_seconds: float) -> float:
    """When silence is first reported: 30 s, or a tenth of a shorter idle timeout (so a
    timeout of 300 ms reports at 30 ms: tests see the event without long waits)."""
    return min(WAITING_THRESHOLD_SECONDS, timeout_seconds / 10)


def seconds_text(seconds: float) -> str:
    """``30s``, ``1.5s``, ``0.03s``: whole seconds from 10 s up, else two significant digits."""
    if seconds >= 10:
        return f"{seconds:.0f}s"
    return f"{seconds:.2g}s"


def waiting_message(
    elapsed: float, *, responded: bool, retries_left: int, timeout_seconds: float
) -> str:
    """``waiting for the model… 30s (no response yet; will retry 4 more times, timeout
    300s)``: the elapsed silence, what is missing, and the rest of the retry plan."""
    what = "the answer paused" if responded else "no response yet"
    if retries_left <= 0:
        plan = "no retries left"
    elif retries_left == 1:
        plan = "will retry 1 more time"
    else:
        plan = f"will retry {retries_left} more times"
    return (
        f"waiting for the model… {seconds_text(elapsed)} "
        f"({what}; {plan}, timeout {seconds_text(timeout_seconds)})"
    )


@dataclass(slots=True)
class _Silence:
    """What the watcher reads: since when the model is quiet and the current attempt."""

    since: float
    awaiting: bool = False  # core is waiting on the model (not handling an event)
    reports: int = 0  # reports since ``since``
    attempt: int = 1
    responded: bool = False  # this attempt has sent something
    retries_left: int | None = None  # known after the first ``Retrying``


class WaitingWatch:
    """A ``ModelClient`` that is ``model`` plus ``ModelWaiting`` reports through ``emit``."""

    def __init__(
        self,
        model: ModelClient,
        provider: ModelProviderInfo,
        emit: Callable[[EventMsg], None],
        *,
        threshold: float | None = None,
    ) -> None:
        self.model = model
        self.provider = provider
        self.emit = emit
        self.timeout = provider.stream_idle_timeout_ms / 1000.0
        self.threshold = threshold if threshold is not None else waiting_threshold(self.timeout)

    def stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]:
        return self._stream(prompt)

    async def _stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]:
        loop = asyncio.get_running_loop()
        state = _Silence(since=loop.time())
        watcher = loop.create_task(self._watch(state))
        events = aiter(self.model.stream(prompt))
        try:
            while True:
                state.awaiting = True
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    return
                finally:
                    state.awaiting = False
                self._seen(state, event, loop.time())
                yield event
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    def _seen(self, state: _Silence, event: ModelEvent, now: float) -> None:
        state.since = now
        state.reports = 0
        if isinstance(event, Retrying):
            state.since = now + event.delay_seconds
            state.attempt += 1
            state.responded = False
            state.retries_left = max(event.max_attempts - event.attempt, 0)
        elif isinstance(event, _ANSWERING):
            state.responded = True

    def _retries_left(self, state: _Silence) -> int:
        if state.retries_left is not None:
            return state.retries_left
        if state.responded:
            return self.provider.stream_max_retries
        return self.provider.request_max_retries

    async def _watch(self, state: _Silence) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = state.since + self.threshold * (2**state.reports)
            now = loop.time()
            if now < due:
                await asyncio.sleep(due - now)
                continue  # the state may have moved on meanwhile: look again
            if not state.awaiting:  # core holds an event: not the model's silence
                await asyncio.sleep(self.threshold)
                continue
            elapsed = now - state.since
            left = self._retries_left(state)
            self.emit(
                ModelWaiting(
                    message=waiting_message(
                        elapsed,
                        responded=state.responded,
                        retries_left=left,
                        timeout_seconds=self.timeout,
                    ),
                    elapsed_seconds=round(elapsed, 3),
                    attempt=state.attempt,
                    retries_left=left,
                    timeout_seconds=self.timeout,
                    responded=state.responded,
                )
            )
            state.reports += 1
