"""CallToolResult -> the text the model reads."""

from __future__ import annotations

import json
from typing import Any

from pycodex.mcp_client.records import CallOutcome
from pycodex.mcp_client.results import ERROR_PREFIX, format_result
from tests.support.mcp_demo_server import PNG_1X1


def test_text_blocks_are_given_as_they_are() -> None:
    content = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    assert format_result(content) == "one\ntwo"
    assert format_result([]) == "(the tool returned no content)"


def test_images_resources_and_structured_content() -> None:
    content: list[dict[str, Any]] = [
        {"type": "image", "data": PNG_1X1, "mimeType": "image/png"},
        {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
        {"type": "resource_link", "uri": "file:///r.csv", "name": "r.csv", "mimeType": "text/csv"},
        {"type": "resource", "resource": {"uri": "memo://1", "text": "memo"}},
        {"type": "resource", "resource": {"uri": "bin://1", "blob": "AAAA", "mimeType": "x/y"}},
    ]
    text = format_result(content, {"width": 1})
    assert text.splitlines() == [
        "[image: image/png, 68 bytes, not shown to the model]",
        "[audio: audio/wav, 3 bytes, not shown to the model]",
        "[resource link] r.csv <file:///r.csv> (text/csv)",
        "[resource memo://1]",
        "memo",
        "[resource bin://1 (x/y): binary, 3 bytes, not shown]",
        'structured content: {"width": 1}',
    ]
    assert PNG_1X1 not in text


def test_structured_content_already_in_a_text_block_is_not_repeated() -> None:
    value = {"sum": 5}
    assert format_result([{"type": "text", "text": json.dumps(value)}], value) == '{"sum": 5}'


def test_error_results_say_so() -> None:
    text = format_result([{"type": "text", "text": "bad input"}], is_error=True)
    assert text == f"{ERROR_PREFIX} bad input"
    failed = CallOutcome(error="timed out").model_output("demo", "sleep")
    assert failed.startswith(ERROR_PREFIX) and "`sleep`" in failed and "timed out" in failed


def test_long_output_is_cut_with_a_marker() -> None:
    text = format_result([{"type": "text", "text": "é" * 1000}], limit=101)
    assert text.startswith("é" * 50) and "é" * 51 not in text
    assert text.endswith("[… 1900 more bytes not shown]")
