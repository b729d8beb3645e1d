"""A scripted ``ModelClient``: the in-package fake beside the model seam.

Each call to ``stream`` plays the next ``Step`` of the script and records the prompt it
was given, so tests (and demos without a network) can drive core through real turns and
then assert on exactly what the model would have been sent.

    model = ScriptedModelClient([
        shell_call(["echo", "hi"]),   # first response: a tool call
        reply("done"),                # second response: the final answer
    ])
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from pycodex.models.base import (
    Completed,
    Created,
    ModelEvent,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningSummaryDelta,
    Retrying,
)
from pycodex.protocol.errors import ModelError
from pycodex.protocol.items import (
    FunctionCallItem,
    ReasoningItem,
    TokenUsage,
    assistant_message,
)

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Step:
    """One response: ``events`` are yielded in order, then ``error`` is raised if set, or the
    stream waits forever if ``hang`` (until cancelled). A ``Completed`` is appended when
    neither applies and the events do not already end with one."""

    events: tuple[ModelEvent, ...] = ()
    error: ModelError | None = None
    hang: bool = False


def usage(input_tokens: int = 10, output_tokens: int = 5, cached: int = 0) -> TokenUsage:
    return TokenUsage(
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )


def _message_events(text: str) -> list[ModelEvent]:
    if not text:
        return []
    half = max(len(text) // 2, 1)
    deltas = [OutputTextDelta(text[:half])] + ([OutputTextDelta(text[half:])] * (half < len(text)))
    return [*deltas, OutputItemDone(assistant_message(text, f"msg_{next(_ids)}"))]


def _reasoning_events(summary: str | None, encrypted: str | None) -> list[ModelEvent]:
    if summary is None:
        return []
    item = ReasoningItem(id=f"rs_{next(_ids)}", summary=(summary,), encrypted_content=encrypted)
    return [ReasoningSummaryDelta(summary), OutputItemDone(item)]


def reply(
    text: str,
    *,
    reasoning: str | None = None,
    encrypted_reasoning: str | None = None,
    token_usage: TokenUsage | None = None,
    retries: int = 0,
) -> Step:
    """A final answer (no tool calls), optionally preceded by reasoning and retry notices."""
    events: list[ModelEvent] = [
        Retrying("scripted retry", n + 1, retries + 1, 0.0) for n in range(retries)
    ]
    events.append(Created(f"resp_{next(_ids)}"))
    events += _reasoning_events(reasoning, encrypted_reasoning)
    events += _message_events(text)
    events.append(Completed(f"resp_{next(_ids)}", token_usage or usage()))
    return Step(tuple(events))


def function_call(
    name: str,
    arguments: str | dict[str, Any],
    *,
    call_id: str | None = None,
    text: str = "",
    token_usage: TokenUsage | None = None,
) -> Step:
    """A response with one function call (``arguments`` given as JSON text is sent verbatim)."""
    return tool_calls([(name, arguments, call_id)], text=text, token_usage=token_usage)


def tool_calls(
    calls: Sequence[tuple[str, str | dict[str, Any], str | None]],
    *,
    text: str = "",
    token_usage: TokenUsage | None = None,
) -> Step:
    events: list[ModelEvent] = [Created(f"resp_{next(_ids)}"), *_message_events(text)]
    for name, arguments, call_id in calls:
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        item = FunctionCallItem(call_id=call_id or f"call_{next(_ids)}", name=name, arguments=args)
        events.append(OutputItemDone(item))
    events.append(Completed(f"resp_{next(_ids)}", token_usage or usage()))
    return Step(tuple(events))


def shell_call(
    command: Sequence[str],
    *,
    timeout_ms: int | None = None,
    workdir: str | None = None,
    call_id: str | None = None,
    token_usage: TokenUsage | None = None,
) -> Step:
    args: dict[str, Any] = {"command": list(command)}
    if timeout_ms is not None:
        args["timeout"] = timeout_ms
    if workdir is not None:
        args["workdir"] = workdir
    return function_call("shell", args, call_id=call_id, token_usage=token_usage)


def fail(error: ModelError, *events: ModelEvent) -> Step:
    """A response that raises ``error`` (after ``events``)."""
    return Step(tuple(events), error=error)


def hang(*events: ModelEvent) -> Step:
    """A response that yields ``events`` then never completes (for interrupt tests)."""
    return Step(tuple(events), hang=True)


class ScriptedModelClient:
    """Plays ``steps`` in order, one per ``stream`` call; records every ``Prompt``.

    When the script is exhausted, ``stream`` raises ``ModelError`` (a test that asks for
    more responses than it scripted fails loudly instead of hanging).
    """

    def __init__(self, steps: Sequence[Step]) -> None:
        self._steps = list(steps)
        self.prompts: list[Prompt] = []
        self.started = asyncio.Event()  # set when a stream starts (loop-bound on first use)

    @property
    def remaining(self) -> int:
        return len(self._steps)

    def add(self, *steps: Step) -> None:
        self._steps.extend(steps)

    async def stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]:
        self.prompts.append(prompt)
        self.started.set()
        if not self._steps:
            raise ModelError("scripted model: no more responses in the script")
        step = self._steps.pop(0)
        for event in step.events:
            await asyncio.sleep(0)  # let the consumer run between events, as over a socket
            yield event
        if step.error is not None:
            raise step.error
        if step.hang:
            await asyncio.Event().wait()
        if not step.events or not isinstance(step.events[-1], Completed):
            yield Completed(None, None)
