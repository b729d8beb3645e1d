"""The apply_patch function tool: definition and argument decoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycodex.apply_patch import ParseError, apply_patch_text, parse_patch, plan_patch
from pycodex.apply_patch.tool import DESCRIPTION, patch_from_arguments, tool_definition
from pycodex.protocol.events import PatchApplyBegin, msg_to_json
from tests.apply_patch.support import patch, write_tree


def test_definition_is_a_function_tool_with_one_string_input() -> None:
    tool = tool_definition()
    assert tool["name"] == "apply_patch"
    assert tool["type"] == "function"
    assert tool["parameters"]["required"] == ["input"]
    assert tool["parameters"]["properties"]["input"]["type"] == "string"
    json.dumps(tool)  # serialisable as sent


def test_the_example_in_the_description_is_valid_grammar() -> None:
    example = DESCRIPTION[DESCRIPTION.index("*** Begin Patch") : DESCRIPTION.index("Notes:")]
    parsed = parse_patch(example)
    assert [h.kind for h in parsed.hunks] == ["add", "delete", "update"]


@pytest.mark.parametrize(
    "arguments",
    [
        json.dumps({"input": "PATCH"}),
        json.dumps({"patch": "PATCH"}),
    ],
)
def test_arguments_decoding(arguments: str) -> None:
    assert patch_from_arguments(arguments) == "PATCH"


def test_bare_patch_is_accepted_as_arguments() -> None:
    text = patch("*** Delete File: a")
    assert patch_from_arguments(text) == text


@pytest.mark.parametrize("arguments", ["{not json", json.dumps({"cmd": "x"}), json.dumps([1])])
def test_bad_arguments_are_a_parse_error(arguments: str) -> None:
    with pytest.raises(ParseError) as caught:
        patch_from_arguments(arguments)
    assert 'JSON {"input": "<patch>"}' in caught.value.message


def test_changes_fit_the_patch_apply_begin_event(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "x\n"})
    text = patch("*** Update File: a.txt", "-x", "+y", "*** Add File: b.txt", "+b")
    planned = plan_patch(parse_patch(text), tmp_path)
    wire = msg_to_json(PatchApplyBegin(call_id="c1", auto_approved=True, changes=planned.changes))
    assert wire["type"] == "patch_apply_begin"
    assert wire["changes"][str(tmp_path / "a.txt")]["unified_diff"] == "@@ -1 +1 @@\n-x\n+y\n"
    assert wire["changes"][str(tmp_path / "b.txt")]["content"] == "b\n"
    assert apply_patch_text(text, tmp_path).success
