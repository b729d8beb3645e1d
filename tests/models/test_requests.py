"""Request building: Responses and Chat bodies, headers, URL, auth resolution."""

from __future__ import annotations

from typing import Any

import pytest

from pycodex import __version__
from pycodex.config.schema import ModelProviderInfo
from pycodex.models import chat_api, responses_api
from pycodex.models.base import FunctionTool, ModelRequestOptions, Prompt
from pycodex.models.client import build_headers, build_url, error_message, resolve_bearer
from pycodex.protocol.errors import AuthError
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    LocalShellCallItem,
    MessageItem,
    OutputText,
    ReasoningItem,
    assistant_message,
    user_message,
)
from pycodex.protocol.policy import WireApi

SHELL = FunctionTool(
    "shell",
    "Runs a shell command",
    {"type": "object", "properties": {"command": {"type": "array"}}},
)
HISTORY = (
    user_message("list files", images=("data:image/png;base64,AAAA",)),
    ReasoningItem(id="rs_1", summary=("thinking",), encrypted_content="gAAAA-secret"),
    assistant_message("I will run ls", "msg_1"),
    FunctionCallItem("call_1", "shell", '{"command":["ls"]}'),
    FunctionCallItem("call_2", "shell", '{"command":["pwd"]}'),
    FunctionCallOutputItem("call_1", "a.txt"),
    FunctionCallOutputItem("call_2", "/tmp"),
    LocalShellCallItem("call_3", ("echo", "hi"), workdir="/w"),
    FunctionCallOutputItem("call_3", "hi"),
)
PROMPT = Prompt("be brief", HISTORY, (SHELL,), session_id="sess-1")


def test_responses_body_matches_the_reference_shape() -> None:
    options = ModelRequestOptions(model="o3", reasoning_effort="high", reasoning_summary="auto")
    body = responses_api.build_body(PROMPT, options)
    assert list(body) == [
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "store",
        "stream",
        "include",
    ]
    assert body["model"] == "o3"
    assert body["instructions"] == "be brief"
    assert body["tools"] == [
        {
            "type": "function",
            "name": "shell",
            "description": "Runs a shell command",
            "strict": False,
            "parameters": SHELL.parameters,
        }
    ]
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert (body["store"], body["stream"], body["include"]) == (True, True, [])
    assert len(body["input"]) == len(HISTORY)
    assert body["input"][0]["content"][1] == {
        "type": "input_image",
        "image_url": "data:image/png;base64,AAAA",
    }
    assert "previous_response_id" not in body


def test_responses_body_zdr_replays_encrypted_reasoning_and_omits_reasoning_param() -> None:
    options = ModelRequestOptions(
        model="gpt-4.1", store=False, include=("reasoning.encrypted_content",)
    )
    body = responses_api.build_body(PROMPT, options)
    assert body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert "reasoning" not in body
    assert body["input"][1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "thinking"}],
        "encrypted_content": "gAAAA-secret",
    }


def test_chat_body_converts_history() -> None:
    options = ModelRequestOptions(model="gpt-oss:20b", reasoning_effort="high")
    body = chat_api.build_body(PROMPT, options)
    assert body["model"] == "gpt-oss:20b"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert "reasoning" not in body
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "shell",
                "description": "Runs a shell command",
                "parameters": SHELL.parameters,
            },
        }
    ]
    expected: list[dict[str, Any]] = [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "list files"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
        {
            "role": "assistant",
            "content": "I will run ls",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "shell", "arguments": '{"command":["ls"]}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "shell", "arguments": '{"command":["pwd"]}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "a.txt"},
        {"role": "tool", "tool_call_id": "call_2", "content": "/tmp"},
        {
            "role": "assistant",
            "content": "",  # never null: llama.cpp and others reject it
            "tool_calls": [
                {
                    "id": "call_3",
                    "type": "function",
                    "function": {
                        "name": "shell",
                        "arguments": '{"command":["echo","hi"],"workdir":"/w"}',
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_3", "content": "hi"},
    ]
    assert body["messages"] == expected


def test_chat_body_without_tools_has_no_tools_key_and_strict_is_sent_when_set() -> None:
    bare = chat_api.build_body(Prompt("", (user_message("hi"),)), ModelRequestOptions("m"))
    assert "tools" not in bare
    assert bare["messages"] == [{"role": "user", "content": "hi"}]
    strict = FunctionTool("t", "d", {}, strict=True)
    body = chat_api.build_body(Prompt("", (), (strict,)), ModelRequestOptions("m"))
    assert body["tools"][0]["function"]["strict"] is True


def test_assistant_message_from_output_text_is_plain_content() -> None:
    msgs = chat_api.build_messages(
        Prompt("", (MessageItem("assistant", (OutputText("a"), OutputText("b"))),))
    )
    assert msgs == [{"role": "assistant", "content": "ab"}]


def provider(**kw: Any) -> ModelProviderInfo:
    base: dict[str, Any] = {"id": "p", "name": "P", "base_url": "https://h.example/v1/"}
    return ModelProviderInfo(**(base | kw))


def test_url_with_query_params() -> None:
    azure = provider(wire_api=WireApi.RESPONSES, query_params={"api-version": "2025-04-01"})
    assert build_url(azure) == "https://h.example/v1/responses?api-version=2025-04-01"
    assert build_url(provider()) == "https://h.example/v1/chat/completions"
    odd = provider(base_url="http://h/v1", query_params={"a b": "c&d"})
    assert build_url(odd) == "http://h/v1/chat/completions?a+b=c%26d"


def test_responses_headers() -> None:
    p = provider(
        wire_api=WireApi.RESPONSES,
        http_headers={"X-Static": "1"},
        env_http_headers={"OpenAI-Organization": "ORG", "OpenAI-Project": "PROJ"},
    )
    env = {"ORG": "org-9", "PROJ": ""}
    headers = build_headers(
        p, env, "sk-1", session_id="s-1", originator="codex_cli_rs", extra={"X-Extra": "e"}
    )
    assert headers == {
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "Authorization": "Bearer sk-1",
        "version": __version__,
        "openai-beta": "responses=experimental",
        "session_id": "s-1",
        "originator": "codex_cli_rs",
        "X-Static": "1",
        "OpenAI-Organization": "org-9",
        "X-Extra": "e",
    }


def test_chat_headers_without_key_have_no_authorization() -> None:
    headers = build_headers(provider(), {}, None)
    assert headers == {"Content-Type": "application/json", "Accept": "text/event-stream"}


def test_bearer_resolution() -> None:
    keyed = provider(env_key="LOCAL_KEY", env_key_instructions="Get one at example.com.")
    assert resolve_bearer(keyed, {"LOCAL_KEY": "k"}, None) == "k"
    with pytest.raises(AuthError) as missing:
        resolve_bearer(keyed, {}, "from-auth-json")
    assert str(missing.value) == (
        "Missing environment variable: `LOCAL_KEY`. Get one at example.com."
    )
    with pytest.raises(AuthError) as empty:
        resolve_bearer(keyed, {"LOCAL_KEY": ""}, None)
    assert str(empty.value) == "Environment variable `LOCAL_KEY` is empty. Get one at example.com."
    openai = provider(env_key="OPENAI_API_KEY", requires_openai_auth=True)
    assert resolve_bearer(openai, {}, "sk-auth") == "sk-auth"
    assert resolve_bearer(openai, {"OPENAI_API_KEY": "sk-env"}, "sk-auth") == "sk-env"
    with pytest.raises(AuthError, match="OPENAI_API_KEY"):
        resolve_bearer(openai, {"OPENAI_API_KEY": ""}, None)
    assert resolve_bearer(provider(), {}, "ignored") is None


def test_error_message_prefers_the_server_message() -> None:
    assert error_message(b'{"error": {"message": "bad key", "code": null}}') == "bad key"
    assert error_message(b'{"error": "plain"}') == "plain"
    assert error_message(b"<html>oops</html>") == "<html>oops</html>"
