"""The recogniser of tool calls written as text: every form, and prose that must not misfire."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pycodex.models.text_tool_calls import (
    TextToolCallFilter,
    extract_text_tool_calls,
    find_text_tool_calls,
)

SHELL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {"type": "array", "items": {"type": "string"}},
        "workdir": {"type": "string"},
        "timeout": {"type": "number"},
    },
}
TOOLS: dict[str, Any] = {"shell": SHELL_SCHEMA, "update_plan": None}
LS = {"command": ["ls", "-la"]}


def calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, json.loads(c.arguments)) for c in find_text_tool_calls(text, TOOLS)]


def test_tool_call_tag_with_json() -> None:
    text = (
        "Listing.\n<tool_call>\n"
        '{"name": "shell", "arguments": {"command": ["ls", "-la"]}}\n</tool_call>'
    )
    assert calls(text) == [("shell", LS)]
    shown, found = extract_text_tool_calls(text, TOOLS)
    assert shown == "Listing."
    assert len(found) == 1


def test_tag_with_arguments_as_json_string_and_parameters_alias() -> None:
    a = (
        '<tool_call>{"name": "shell", '
        '"arguments": "{\\"command\\": [\\"ls\\", \\"-la\\"]}"}</tool_call>'
    )
    b = '<tool_call>{"name": "shell", "parameters": {"command": ["ls", "-la"]}}</tool_call>'
    assert calls(a) == [("shell", LS)]
    assert calls(b) == [("shell", LS)]


def test_several_calls_in_one_tag_and_in_several_tags() -> None:
    one = (
        '<tool_call>[{"name":"shell","arguments":{"command":["ls","-la"]}},'
        '{"name":"shell","arguments":{"command":["pwd"]}}]</tool_call>'
    )
    two = (
        '<tool_call>{"name":"shell","arguments":{"command":["ls","-la"]}}</tool_call>\n'
        '<tool_call>{"name":"shell","arguments":{"command":["pwd"]}}</tool_call>'
    )
    expected = [("shell", LS), ("shell", {"command": ["pwd"]})]
    assert calls(one) == expected
    assert calls(two) == expected


def test_unclosed_tag_only_at_the_end() -> None:
    assert calls('<tool_call>{"name":"shell","arguments":{"command":["ls","-la"]}}') == [
        ("shell", LS)
    ]
    text = '<tool_call>{"name":"shell","arguments":{"command":["ls"]}} and then more prose'
    assert calls(text) == []


def test_function_tag_with_parameters_qwen_coder_style() -> None:
    text = (
        "I will look.\n<tool_call>\n<function=shell>\n<parameter=command>\n"
        '["ls", "-la"]\n</parameter>\n<parameter=workdir>\n/tmp\n</parameter>\n'
        "<parameter=timeout>\n5000\n</parameter>\n</function>\n</tool_call>"
    )
    assert calls(text) == [
        ("shell", {"command": ["ls", "-la"], "workdir": "/tmp", "timeout": 5000})
    ]
    assert extract_text_tool_calls(text, TOOLS)[0] == "I will look."


def test_function_tag_string_parameter_is_not_json_parsed() -> None:
    text = (
        "<function=shell><parameter=workdir>123</parameter>"
        '<parameter=command>["pwd"]</parameter></function>'
    )
    assert calls(text) == [("shell", {"workdir": "123", "command": ["pwd"]})]


def test_function_tag_with_json_body_llama_style() -> None:
    text = '<function=shell>{"command": ["ls", "-la"]}</function>'
    assert calls(text) == [("shell", LS)]


def test_fenced_json_block() -> None:
    text = 'Running it:\n```json\n{"name": "shell", "arguments": {"command": ["ls", "-la"]}}\n```\n'
    assert calls(text) == [("shell", LS)]
    assert extract_text_tool_calls(text, TOOLS)[0] == "Running it:"


def test_bare_json_message() -> None:
    assert calls('  {"name": "shell", "parameters": {"command": ["ls", "-la"]}}\n') == [
        ("shell", LS)
    ]


def test_odd_whitespace_and_compact_output() -> None:
    text = (
        '<tool_call>\n\n   {  "name" :  "shell" ,\n'
        ' "arguments" : { "command" : [ "ls" , "-la" ] } }  \n</tool_call>'
    )
    (call,) = find_text_tool_calls(text, TOOLS)
    assert call.arguments == '{"command":["ls","-la"]}'


@pytest.mark.parametrize(
    "text",
    [
        # prose that mentions the syntax
        "Models sometimes write <tool_call> tags instead of real calls.",
        'Use `<tool_call>{"name": "shell", "arguments": {}}</tool_call>` to call a tool.',
        # an example inside a fenced block of another language
        "```xml\n<tool_call>"
        '{"name": "shell", "arguments": {"command": ["rm", "-rf", "/"]}}</tool_call>\n```',
        '```python\n{"name": "shell", "arguments": {"command": ["ls"]}}\n```',
        # a tool that was not offered
        '<tool_call>{"name": "delete_everything", "arguments": {}}</tool_call>',
        '<function=delete_everything>{"x": 1}</function>',
        # JSON that does not parse
        '<tool_call>{"name": "shell", "arguments": {"command": ["ls"</tool_call>',
        # JSON with other keys: data, not a call
        '```json\n{"name": "shell", "arguments": {}, "description": "a tool"}\n```',
        '{"name": "shell", "version": "1.0"}',
        # arguments that are not an object
        '<tool_call>{"name": "shell", "arguments": "ls -la"}</tool_call>',
        # a JSON object in prose that is not the whole message
        'The config is {"name": "shell", "arguments": {}} as you see.',
        # unclosed fence (still being written)
        '```json\n{"name": "shell", "arguments": {"command": ["ls"]}}',
    ],
)
def test_no_misfire(text: str) -> None:
    assert find_text_tool_calls(text, TOOLS) == []
    assert extract_text_tool_calls(text, TOOLS) == (text, [])


def test_no_tools_offered_means_no_calls() -> None:
    assert find_text_tool_calls('<tool_call>{"name":"shell","arguments":{}}</tool_call>', {}) == []


def _stream(text: str, size: int) -> tuple[str, list[str]]:
    f = TextToolCallFilter(TOOLS)
    shown = [f.feed(text[i : i + size]) for i in range(0, len(text), size)]
    rest, found = f.finish()
    return "".join(shown) + rest, [c.name for c in found]


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_filter_never_shows_markup(size: int) -> None:
    text = (
        "Let me check.\n<tool_call>\n"
        '{"name": "shell", "arguments": {"command": ["ls"]}}\n</tool_call>'
    )
    shown, names = _stream(text, size)
    assert "<tool" not in shown and "shell" not in shown
    assert shown.strip() == "Let me check."
    assert names == ["shell"]


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_filter_releases_text_that_is_not_a_call(size: int) -> None:
    text = "Here is code:\n```python\nprint('<tool_call>')\n```\nDone. a < b and `x`."
    shown, names = _stream(text, size)
    assert shown == text
    assert names == []


def test_filter_holds_a_bare_json_message_until_the_end() -> None:
    f = TextToolCallFilter(TOOLS)
    assert f.feed('{"name": "shell", ') == ""
    assert f.feed('"arguments": {"command": ["ls"]}}') == ""
    rest, found = f.finish()
    assert rest == "" and [c.name for c in found] == ["shell"]


MIXED = [
    "Plan:\n1. look\n2. fix\n<tool_call>\n"
    '{"name": "shell", "arguments": {"command": ["ls"]}}\n</tool_call>\nThen I will report.',
    'A `<tool_call>` mention.\n```json\n{"name": "shell", "arguments": {"command": ["pwd"]}}\n'
    "```\nand\n```python\nx = '<function=shell>'\n```\nend",
    '<function=shell>\n<parameter=command>\n["ls"]\n</parameter>\n</function>\ntrailing words',
    "no calls at all, just < and > and `code` and ~~~ tildes ~~~\nline two",
]


@pytest.mark.parametrize("text", MIXED)
@pytest.mark.parametrize("size", [1, 2, 5, 13])
def test_streamed_text_matches_the_final_text(text: str, size: int) -> None:
    shown, names = _stream(text, size)
    final, calls = extract_text_tool_calls(text, TOOLS)
    assert " ".join(shown.split()) == " ".join(final.split())
    assert names == [c.name for c in calls]


def test_a_long_message_streams_through_unchanged() -> None:
    # 22 KB in 4-character deltas: the filter scans only the undecided tail (rescanning the
    # whole text per delta took ~20 s; the speed itself is not asserted: tests never time).
    text = ("Code `x = 1` and <b> tags, a < b.\n```python\nprint(1)\n```\n") * 400
    shown, names = _stream(text, 4)
    assert shown == text and names == []
