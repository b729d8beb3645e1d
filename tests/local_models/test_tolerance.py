"""Pure helpers: error bodies of Python servers, token estimates, compact tool descriptions."""

from __future__ import annotations

import json

import pytest

from pycodex.models.base import FunctionTool
from pycodex.models.chat_api import normalize_arguments
from pycodex.models.compact_tools import compact_tool, first_sentence
from pycodex.models.tolerance import (
    estimate_request_tokens,
    estimated_usage,
    is_traceback,
    looks_like_request_error,
    shorten_error,
)

PLAIN_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app.py", line 12, in handler\n'
    "    return render(template, messages)\n"
    '  File "/srv/jinja2/environment.py", line 1301, in render\n'
    "    self.environment.handle_exception()\n"
    "jinja2.exceptions.TemplateError: Conversation roles must alternate user/assistant\n"
)


def test_traceback_is_shortened_to_its_exception() -> None:
    assert is_traceback(PLAIN_TRACEBACK)
    assert shorten_error(PLAIN_TRACEBACK) == (
        "jinja2.exceptions.TemplateError: Conversation roles must alternate user/assistant"
    )
    assert looks_like_request_error(PLAIN_TRACEBACK)


def test_json_wrapped_traceback_and_detail() -> None:
    body = json.dumps({"detail": PLAIN_TRACEBACK})
    assert shorten_error(body).startswith("jinja2.exceptions.TemplateError")


def test_long_messages_are_capped_and_folded() -> None:
    text = "x " * 1000
    short = shorten_error(text)
    assert len(short) == 300 and short.endswith("…") and "\n" not in short


@pytest.mark.parametrize(
    ("body", "blames_request"),
    [
        ("1 validation error for ChatCompletionRequest", True),
        ('"auto" tool choice requires --enable-auto-tool-choice', False),
        ("RuntimeError: CUDA out of memory", False),
        ("Internal Server Error", False),
        ("KeyError: 'content'", True),
    ],
)
def test_which_bodies_blame_the_request(body: str, blames_request: bool) -> None:
    assert looks_like_request_error(body) is blames_request


def test_request_token_estimate_counts_instructions_tools_and_history() -> None:
    small = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    big = {
        "model": "m",
        "messages": [{"role": "system", "content": "x" * 4000}, {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "t", "description": "d" * 400}}],
    }
    assert estimate_request_tokens(small) < 20
    assert 1100 <= estimate_request_tokens(big) <= 1200
    usage = estimated_usage(1000, 41)
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (1000, 11, 1011)
    assert usage.estimated


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        (' {"a": [1, 2]}\n', '{"a":[1,2]}'),
        ("", "{}"),
        ("not json", "{}"),
        ('"a string"', "{}"),
        ('{"ü": "ß"}', '{"ü":"ß"}'),
    ],
)
def test_history_arguments_are_normalised(raw: str, sent: str) -> None:
    assert normalize_arguments(raw) == sent


def test_compact_tool_keeps_the_schema_and_shortens_text() -> None:
    tool = FunctionTool(
        "mcp__srv__search",
        "Search the index. Supports boolean operators, phrases and many more things.",
        {
            "type": "object",
            "properties": {"q": {"type": "string", "description": "The query. Long detail."}},
            "required": ["q"],
        },
    )
    small = compact_tool(tool)
    assert small.description == "Search the index."
    assert small.parameters["required"] == ["q"]
    assert small.parameters["properties"]["q"] == {"type": "string", "description": "The query."}
    assert first_sentence("no full stop at all " * 20).endswith("…")
