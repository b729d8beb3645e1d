"""One model response: stream events out to the user, collect the completed items.

Deltas are forwarded live. Items are collected from ``OutputItemDone`` only (never rebuilt
from deltas, which duplicated messages in v0.20). On ``Retrying`` the attempt so far is void
(models/client.py holds items back until an attempt completes; a client that does not is
handled the same way): collected items are dropped and a ``StreamError`` is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pycodex.models.base import (
    Completed,
    Created,
    ModelClient,
    Notice,
    OutputItemDone,
    OutputTextDelta,
    Prompt,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    Retrying,
)
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    AgentReasoningDelta,
    AgentReasoningRawContent,
    AgentReasoningRawContentDelta,
    BackgroundEvent,
    EventMsg,
    StreamError,
    WebSearchEnd,
)
from pycodex.protocol.items import (
    MessageItem,
    ReasoningItem,
    ResponseItem,
    TokenUsage,
    WebSearchCallItem,
)


@dataclass(slots=True)
class ResponseResult:
    items: list[ResponseItem] = field(default_factory=list)
    usage: TokenUsage | None = None

    @property
    def assistant_text(self) -> str | None:
        texts = [i.text for i in self.items if isinstance(i, MessageItem) and i.role == "assistant"]
        return texts[-1] if texts else None


def _item_events(item: ResponseItem) -> list[EventMsg]:
    if isinstance(item, MessageItem) and item.role == "assistant":
        return [AgentMessage(item.text)]
    if isinstance(item, ReasoningItem):
        events: list[EventMsg] = []
        if item.summary:
            events.append(AgentReasoning("\n\n".join(item.summary)))
        if item.content:
            events.append(AgentReasoningRawContent("\n\n".join(item.content)))
        return events
    if isinstance(item, WebSearchCallItem):
        return [WebSearchEnd(item.id, item.query, item.action)]
    return []


async def stream_response(
    model: ModelClient, prompt: Prompt, emit: Callable[[EventMsg], None]
) -> ResponseResult:
    """Play one response; raises ``ModelError`` when the model cannot give one."""
    result = ResponseResult()
    async for event in model.stream(prompt):
        match event:
            case OutputTextDelta(delta=delta):
                emit(AgentMessageDelta(delta))
            case ReasoningSummaryDelta(delta=delta):
                emit(AgentReasoningDelta(delta))
            case ReasoningContentDelta(delta=delta):
                emit(AgentReasoningRawContentDelta(delta))
            case OutputItemDone(item=item):
                result.items.append(item)
                for msg in _item_events(item):
                    emit(msg)
            case Completed(usage=usage):
                result.usage = usage
            case Retrying():
                result.items.clear()
                emit(
                    StreamError(
                        message=f"{event.reason}; retrying {event.attempt}/"
                        f"{event.max_attempts} in {event.delay_seconds:.1f}s…",
                        attempt=event.attempt,
                        max_attempts=event.max_attempts,
                        delay_seconds=event.delay_seconds,
                    )
                )
            case Notice(message=message):
                emit(BackgroundEvent(message))
            case Created():
                pass
    return result
