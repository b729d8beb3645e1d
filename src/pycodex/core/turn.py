"""The turn loop: request → stream → run tool calls → repeat until no tool calls.

A turn's items are recorded when its response completes (so a failed or interrupted
response leaves nothing half-recorded); each tool output is recorded as soon as the call
finishes. Turn-ending conditions (``ModelError``, an aborted approval) propagate to the one
place that catches them, ``Codex._turn_task``, which reports them and ends the turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycodex.core.compact import (
    compact_history,
    drop_history,
    is_context_overflow,
    needs_compaction,
)
from pycodex.core.model_info import auto_compact_limit, context_window
from pycodex.core.prompt import base_instructions
from pycodex.core.response import stream_response
from pycodex.core.session import Session
from pycodex.core.tools.context import ToolContext
from pycodex.core.tools.router import dispatch
from pycodex.core.waiting import WaitingWatch
from pycodex.models.base import ModelClient, Prompt, ToolSpec
from pycodex.protocol.errors import ModelError
from pycodex.protocol.events import BackgroundEvent, EventMsg, TokenCount
from pycodex.protocol.items import FunctionCallItem, LocalShellCallItem, MessageItem

AUTO_COMPACT_NOTICE = "Context window nearly full: the conversation was compacted."
AUTO_COMPACT_DROPPED = (
    "Context window full and the conversation too long to summarise: older messages were "
    "dropped; the request, plan and changed files were kept."
)


@dataclass(slots=True)
class TurnContext:
    session: Session
    model: ModelClient
    tools: tuple[ToolSpec, ...]
    tool_ctx: ToolContext
    emit: Callable[[EventMsg], None]
    pending_input: list[MessageItem] = field(default_factory=list)
    input_texts: list[str] = field(default_factory=list)  # for notify
    # The final answer's JSON Schema (``UserInput.output_schema``): on every request of this
    # turn, never on a compaction request (which asks for a free-text summary).
    output_schema: dict[str, Any] | None = None

    def inject(self, item: MessageItem) -> None:
        """User input that arrived while the turn runs: sent with the next request."""
        self.pending_input.append(item)
        if item.text:
            self.input_texts.append(item.text)

    def take_pending(self) -> None:
        pending, self.pending_input = self.pending_input, []
        for item in pending:
            self.session.record_user(item)


def emit_token_count(tc: TurnContext) -> None:
    session = tc.session
    if session.last_usage is None:
        return
    tc.emit(
        TokenCount(
            last=session.last_usage,
            total=session.total_usage,
            model_context_window=context_window(session.config),
        )
    )


async def maybe_auto_compact(tc: TurnContext) -> None:
    if needs_compaction(tc.session, auto_compact_limit(tc.session.config)):
        await compact_now(tc)


async def compact_now(tc: TurnContext) -> None:
    """Summarise the history; if even that overflows the context, drop it (keeping the
    request, plan and files)."""
    try:
        await compact_history(tc.session, tc.model)
        notice = AUTO_COMPACT_NOTICE
    except ModelError as exc:
        if not is_context_overflow(exc):
            raise
        drop_history(tc.session)
        notice = AUTO_COMPACT_DROPPED
    tc.emit(BackgroundEvent(notice))


def _prompt(tc: TurnContext, instructions: str) -> Prompt:
    return Prompt(
        instructions=instructions,
        input=tc.session.prompt_input(),
        tools=tc.tools,
        session_id=tc.session.session_id,
        output_schema=tc.output_schema,
    )


async def run_turn(tc: TurnContext) -> str | None:
    """Run requests until a response has no tool calls; returns the last agent message."""
    session = tc.session
    instructions = base_instructions(session.config)
    last_message: str | None = None
    # a model that goes quiet is reported with the retry plan (ModelWaiting)
    model = WaitingWatch(tc.model, session.config.model_provider, tc.emit)
    while True:
        await maybe_auto_compact(tc)
        tc.take_pending()
        try:
            result = await stream_response(model, _prompt(tc, instructions), tc.emit)
        except ModelError as exc:
            # The window was unknown or the estimate was wrong: compact once and retry.
            if not is_context_overflow(exc) or len(session.history) < 2:
                raise
            await compact_now(tc)
            result = await stream_response(model, _prompt(tc, instructions), tc.emit)
        session.record(result.items)
        if result.usage is not None:
            session.add_usage(result.usage)
            emit_token_count(tc)
        if result.assistant_text is not None:
            last_message = result.assistant_text
        calls = [i for i in result.items if isinstance(i, FunctionCallItem | LocalShellCallItem)]
        for call in calls:
            session.record([await dispatch(tc.tool_ctx, call)])
        if not calls and not tc.pending_input:
            return last_message
