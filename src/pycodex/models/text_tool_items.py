"""Tool calls written as text -> real ``FunctionCallItem``s in a finished response.

The client streams text through ``TextToolCallFilter`` (nothing of the markup is shown) and,
when the response is complete, hands its held items here: the assistant message loses the
markup and the calls follow it as function calls, so approval, sandbox and tool routing treat
them like any other call, and the model gets their output as tool results.
"""

from __future__ import annotations

import os

from pycodex.models.base import Completed, ModelEvent, OutputItemDone
from pycodex.models.text_tool_calls import TextToolCallFilter, extract_text_tool_calls
from pycodex.protocol.items import FunctionCallItem, MessageItem, ResponseItem, assistant_message


def convert_text_calls(
    text_calls: TextToolCallFilter, held: list[ModelEvent]
) -> tuple[str, list[ModelEvent]]:
    """Replace the assistant message by its text without calls, plus the calls as items;
    only when the response has no real tool call (a model that did both is not doubled)."""
    items: list[ResponseItem] = [e.item for e in held if isinstance(e, OutputItemDone)]
    if any(isinstance(i, FunctionCallItem) for i in items):
        return text_calls.flush_raw(), held
    rest, calls = text_calls.finish()
    if not calls:
        return rest, held
    found: list[ModelEvent] = [
        OutputItemDone(FunctionCallItem(f"call_text_{os.urandom(8).hex()}", c.name, c.arguments))
        for c in calls
    ]
    out: list[ModelEvent] = []
    for event in held:
        item = event.item if isinstance(event, OutputItemDone) else None
        if isinstance(item, MessageItem) and item.role == "assistant":
            shown = _shown_text(item.text, text_calls)
            if shown:
                out.append(OutputItemDone(assistant_message(shown, item.id)))
            out.extend(found)  # once, after the (first) message that carried them
            found = []
            continue
        if isinstance(event, Completed):
            out.extend(found)
            found = []
        out.append(event)
    return rest, out


def _shown_text(text: str, text_calls: TextToolCallFilter) -> str:
    return extract_text_tool_calls(text, text_calls.tools)[0]
