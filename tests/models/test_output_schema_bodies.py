"""A final-answer schema (``Prompt.output_schema``) in both request bodies: strict, as given."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from pycodex.models import chat_api, responses_api
from pycodex.models.base import FunctionTool, ModelRequestOptions, Prompt
from pycodex.protocol.items import user_message

# Deliberately not strict-mode shaped (no additionalProperties, "b" optional): sent unchanged.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
    "required": ["a"],
}
SHELL = FunctionTool("shell", "Runs a command", {"type": "object", "properties": {}})
PROMPT = Prompt("be brief", (user_message("hi"),), (SHELL,), output_schema=SCHEMA)
OPTIONS = ModelRequestOptions(model="gpt-test", max_output_tokens=100)


def test_responses_body_sends_a_strict_text_format_with_the_schema_unchanged() -> None:
    before = copy.deepcopy(SCHEMA)
    body = responses_api.build_body(PROMPT, OPTIONS)
    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "codex_output_schema",
            "schema": before,
            "strict": True,
        }
    }
    assert before == SCHEMA  # not modified in place
    # tools stay offered: the format constrains only the text of an answer
    assert [t["name"] for t in body["tools"]] == ["shell"]


def test_chat_body_sends_response_format_with_the_schema_unchanged() -> None:
    body = chat_api.build_body(PROMPT, OPTIONS)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "codex_output_schema", "schema": SCHEMA, "strict": True},
    }
    assert [t["function"]["name"] for t in body["tools"]] == ["shell"]


def test_no_schema_no_format_on_either_wire() -> None:
    plain = dataclasses.replace(PROMPT, output_schema=None)
    assert "text" not in responses_api.build_body(plain, OPTIONS)
    assert "response_format" not in chat_api.build_body(plain, OPTIONS)


def test_the_format_helper_names_and_marks_it_strict() -> None:
    fmt = responses_api.json_schema_format({"type": "object"})
    assert fmt == {
        "type": "json_schema",
        "name": responses_api.OUTPUT_SCHEMA_NAME,
        "schema": {"type": "object"},
        "strict": True,
    }


def test_verbosity_shares_the_text_object_with_the_format() -> None:
    verbose = dataclasses.replace(OPTIONS, verbosity="low")
    body = responses_api.build_body(PROMPT, verbose)
    assert body["text"]["verbosity"] == "low"
    assert body["text"]["format"]["name"] == "codex_output_schema"
    plain = responses_api.build_body(dataclasses.replace(PROMPT, output_schema=None), verbose)
    assert plain["text"] == {"verbosity": "low"}
    assert "text" not in responses_api.build_body(
        dataclasses.replace(PROMPT, output_schema=None), OPTIONS
    )
