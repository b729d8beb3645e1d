"""``--output-schema``: loading the file and checking the final message (in process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pycodex.frontends.headless.output_schema import (
    MAX_DETAIL_CHARS,
    OutputSchema,
    check_final_message,
    load_output_schema,
    report,
)
from pycodex.protocol.errors import UsageError
from tests.support.model_server import ScriptedModelServer

OBJ = OutputSchema(
    "s.json",
    {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
)


def test_a_fenced_answer_is_not_json_and_the_line_says_why() -> None:
    problem = check_final_message(OBJ, '```json\n{"a": 1}\n```')
    assert problem is not None
    assert "not JSON (it is in a Markdown code block)" in problem


def test_no_message_is_a_problem_too() -> None:
    problem = check_final_message(OBJ, None)
    assert problem == "no final message to check against the output schema (s.json)"


def test_the_first_error_names_its_json_path() -> None:
    schema = OutputSchema(
        "s.json", {"type": "array", "items": {"type": "object", "required": ["id"]}}
    )
    problem = check_final_message(schema, '[{"id": 1}, {"name": "x"}]')
    assert problem == (
        "the final message does not match the output schema (s.json): "
        "at $[1]: 'id' is a required property"
    )


def test_a_large_value_keeps_the_problem_on_one_short_line() -> None:
    schema = OutputSchema("s.json", {"type": "array"})
    answer = json.dumps({f"key{i}": "v\nw" * 20 for i in range(200)})
    problem = check_final_message(schema, answer)
    assert problem is not None and "\n" not in problem
    detail = problem.split("): ", 1)[1]
    assert len(detail) <= MAX_DETAIL_CHARS and detail.endswith("…")


def test_a_remote_ref_is_never_fetched(model_server: ScriptedModelServer, tmp_path: Path) -> None:
    ref = f"{model_server.base_url}/schema.json"
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"type": "object", "properties": {"a": {"$ref": ref}}}))
    schema = load_output_schema(str(path))
    problem = check_final_message(schema, '{"a": 1}')
    assert problem is not None and "is not in the file (schemas are never downloaded)" in problem
    assert model_server.requests == []


def test_the_draft_named_by_dollar_schema_is_used(tmp_path: Path) -> None:
    # draft-07 `dependencies` (gone in 2020-12): enforced only if draft-07 is chosen
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "dependencies": {"a": ["b"]},
            }
        )
    )
    schema = load_output_schema(str(path))
    assert check_final_message(schema, '{"a": 1, "b": 2}') is None
    assert "'b' is a dependency of 'a'" in (check_final_message(schema, '{"a": 1}') or "")


def test_a_utf8_bom_is_accepted_and_other_bytes_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(b'\xef\xbb\xbf{"type": "object"}')
    assert load_output_schema(str(path)).schema == {"type": "object"}
    path.write_bytes(b'{"type": "\xff"}')
    with pytest.raises(UsageError, match=r"--output-schema .*s\.json: not UTF-8 text"):
        load_output_schema(str(path))


def test_report_writes_a_sanitised_line_in_human_mode_and_json_in_json_mode() -> None:
    err = io.StringIO()
    ints = OutputSchema("s.json", {"type": "object", "additionalProperties": {"type": "integer"}})
    assert report(ints, '{"\\u001b]0;x\\u0007": "s"}', json_out=None, err=err) == 1
    line = err.getvalue()
    assert line.startswith("Error: the final message does not match") and "\x1b" not in line
    assert "␛]0;x␇" in line  # the key the model wrote, shown, not obeyed
    out = io.StringIO()
    assert report(OBJ, "nope", json_out=out, err=err) == 1
    event = json.loads(out.getvalue())
    assert event["type"] == "error" and event["message"].startswith("the final message is not")
    assert report(OBJ, '{"a": 3}', json_out=out, err=err) == 0
