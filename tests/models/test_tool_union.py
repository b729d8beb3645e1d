"""The tool union (function | hosted | freeform): what each wire adapter renders or drops,
and the hosted web search's output items parsed on the Responses wire."""

from __future__ import annotations

import asyncio
import json

from pycodex.config.schema import ModelProviderInfo
from pycodex.models import chat_api, responses_api
from pycodex.models.base import (
    FreeformTool,
    FunctionTool,
    HostedTool,
    ModelEvent,
    ModelRequestOptions,
    Notice,
    OutputItemDone,
    Prompt,
)
from pycodex.models.client import create_model_client
from pycodex.models.sse import SseEvent
from pycodex.protocol.items import WebSearchCallItem, item_from_json, to_json, user_message
from pycodex.protocol.policy import WireApi
from tests.support.fake_transport import Answer, FakeTransport

SHELL = FunctionTool("shell", "run", {"type": "object"})
SEARCH = HostedTool("web_search", {"external_web_access": True})
GRAMMAR = FreeformTool("patch", "edit", {"type": "grammar", "syntax": "lark", "definition": "s"})
TOOLS = (SHELL, SEARCH, GRAMMAR)


def test_responses_renders_every_kind() -> None:
    assert responses_api.render_tools(TOOLS) == [
        {
            "type": "function",
            "name": "shell",
            "description": "run",
            "strict": False,
            "parameters": {"type": "object"},
        },
        {"type": "web_search", "external_web_access": True},
        {
            "type": "custom",
            "name": "patch",
            "description": "edit",
            "format": {"type": "grammar", "syntax": "lark", "definition": "s"},
        },
    ]


def test_chat_renders_functions_and_names_what_it_drops() -> None:
    rendered, dropped = chat_api.render_tools(TOOLS)
    assert rendered == [
        {
            "type": "function",
            "function": {"name": "shell", "description": "run", "parameters": {"type": "object"}},
        }
    ]
    assert dropped == ["web_search", "patch"]


def test_a_chat_client_says_once_which_tools_it_left_out() -> None:
    chat_done = [
        b'data: {"choices":[{"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    fake = FakeTransport(Answer(chunks=chat_done), Answer(chunks=chat_done))
    prov = ModelProviderInfo(id="c", name="C", base_url="http://x.test/v1", wire_api=WireApi.CHAT)
    client = create_model_client(prov, ModelRequestOptions("m"), env={}, transport=fake)
    prompt = Prompt("", (user_message("hi"),), TOOLS)

    async def main() -> list[list[ModelEvent]]:
        return [[e async for e in client.stream(prompt)] for _ in range(2)]

    first, second = asyncio.run(main())
    notices = [e for e in first if isinstance(e, Notice)]
    assert notices == [
        Notice("web_search, patch: not offered, the Chat Completions API has no such tools")
    ]
    assert not [e for e in second if isinstance(e, Notice)]
    assert [t["function"]["name"] for t in fake.json_bodies()[0]["tools"]] == ["shell"]


def test_web_search_call_items_are_parsed_and_round_trip() -> None:
    raw = {
        "type": "web_search_call",
        "id": "ws_1",
        "status": "completed",
        "action": {"type": "search", "query": "python 3.11 release"},
    }
    parser = responses_api.ResponsesParser()
    done = {"type": "response.output_item.done", "item": raw}
    events = parser.feed(SseEvent("message", json.dumps(done)))
    item = WebSearchCallItem(
        "ws_1", "completed", {"type": "search", "query": "python 3.11 release"}
    )
    assert events == [OutputItemDone(item)]
    assert item.query == "python 3.11 release"
    assert item_from_json(raw) == item
    sent = {k: v for k, v in raw.items() if k != "id"}  # no id on the way back, as Codex
    assert to_json(item) == sent
    assert WebSearchCallItem("ws_2", action={"type": "open_page"}).query == ""


def test_chat_history_leaves_web_search_calls_out() -> None:
    item = WebSearchCallItem("ws_1", action={"type": "search", "query": "q"})
    prompt = Prompt("sys", (user_message("hi"), item))
    assert chat_api.build_messages(prompt) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
    ]
