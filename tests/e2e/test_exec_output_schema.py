"""`codex exec --output-schema FILE` through the real CLI (issue 13, finding 4).

The schema goes on every request of the turn, as given, on both wire APIs (Responses
``text.format``, Chat ``response_format``), never on a compaction request; the final message
is checked against it; a bad schema file is one line and exit 2 before any request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import codex, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn, Usage

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "files": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["answer", "files"],
    "additionalProperties": False,
}
GOOD = '{"answer": "42", "files": ["a.py"]}'


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SCHEMA, indent=2))
    return path


def _format_sent(body: dict[str, Any] | None) -> dict[str, Any]:
    assert body is not None
    fmt: dict[str, Any] = body["text"]["format"]
    return fmt


def test_responses_every_request_of_the_turn_carries_the_schema_and_a_match_passes(  # noqa: PLR0917 (pytest parameters)
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    schema_file: Path,
    tmp_path: Path,
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["echo", "hi"]})]),
        Turn(text=GOOD),
    )
    last = tmp_path / "last.txt"
    res = codex(
        ["exec", "--output-schema", str(schema_file), "-o", str(last), "answer"],
        cwd=repo,
        env=env,
    )
    assert res.rc == 0, res.err
    reqs = model_server.model_requests
    assert len(reqs) == 2
    for req in reqs:
        assert _format_sent(req.body) == {
            "type": "json_schema",
            "name": "codex_output_schema",
            "schema": SCHEMA,
            "strict": True,
        }
    assert "schema" not in res.err
    assert last.read_text() == GOOD
    assert GOOD in res.out


def test_chat_wire_sends_response_format_and_a_mismatch_is_one_line_and_exit_1(  # noqa: PLR0917 (pytest parameters)
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    schema_file: Path,
    tmp_path: Path,
) -> None:
    write_config(codex_home, model_server.base_url, wire="chat")
    wrong = '{"answer": 42, "files": []}'
    model_server.push(Turn(text=wrong))
    last = tmp_path / "last.txt"
    res = codex(
        ["exec", "--output-schema", str(schema_file), "-o", str(last), "answer"],
        cwd=repo,
        env=env,
    )
    assert res.rc == 1, res.err
    (req,) = model_server.model_requests
    assert req.path == "/v1/chat/completions"
    assert req.body is not None and req.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "codex_output_schema", "schema": SCHEMA, "strict": True},
    }
    lines = res.err.strip().splitlines()
    assert lines == [
        f"Error: the final message does not match the output schema ({schema_file}): "
        "at $.answer: 42 is not of type 'string'"
    ]
    assert last.read_text() == wrong  # written unchanged all the same
    assert wrong in res.out


def test_json_mode_reports_a_non_json_answer_as_an_error_line_after_the_turn(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    schema_file: Path,
) -> None:
    write_config(codex_home, model_server.base_url)
    text = "Sure! The answer is 42."
    model_server.push(Turn(text=text))
    res = codex(
        ["exec", "--json", "--output-schema", str(schema_file), "answer"], cwd=repo, env=env
    )
    assert res.rc == 1, res.err
    events = res.events  # every line valid against the exec events schema
    assert [e["type"] for e in events][-2:] == ["turn.completed", "error"]
    assert events[-1]["message"] == (
        f"the final message is not JSON, as the output schema ({schema_file}) requires: "
        "Expecting value (line 1, column 1)"
    )
    assert [i["text"] for i in res.items("agent_message")] == [text]
    assert res.err == ""


def test_json_mode_a_matching_answer_adds_no_line(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    schema_file: Path,
) -> None:
    write_config(codex_home, model_server.base_url, wire="chat")
    model_server.push(Turn(text=GOOD))
    res = codex(
        ["exec", "--json", "--output-schema", str(schema_file), "answer"], cwd=repo, env=env
    )
    assert res.rc == 0, res.err
    assert res.types()[-1] == "turn.completed"
    assert [i["text"] for i in res.items("agent_message")] == [GOOD]


def test_without_the_flag_no_format_is_sent(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="free text"))
    res = codex(["exec", "hello"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    (req,) = model_server.model_requests
    assert req.body is not None and "text" not in req.body


def test_a_compaction_request_inside_the_turn_carries_no_schema(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    schema_file: Path,
) -> None:
    write_config(codex_home, model_server.base_url, top="model_auto_compact_token_limit = 1000")
    model_server.push(
        Turn(
            tool_calls=[ToolCall("shell", {"command": ["echo", "hi"]})],
            usage=Usage(input_tokens=5000, output_tokens=10),
        ),
        Turn(text="summary of the work so far"),  # the compaction request
        Turn(text=GOOD, usage=Usage(input_tokens=100, output_tokens=10)),
    )
    res = codex(["exec", "--output-schema", str(schema_file), "answer"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    bodies = [r.body for r in model_server.model_requests]
    assert len(bodies) == 3
    assert [b is not None and "text" in b for b in bodies] == [True, False, True]


def test_exec_resume_takes_the_flag_before_resume(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    schema_file: Path,
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="first"), Turn(text=GOOD))
    assert codex(["exec", "first"], cwd=repo, env=env).rc == 0
    res = codex(
        ["exec", "--output-schema", str(schema_file), "resume", "--last", "now as JSON"],
        cwd=repo,
        env=env,
    )
    assert res.rc == 0, res.err
    first, second = (r.body for r in model_server.model_requests)
    assert first is not None and "text" not in first
    assert _format_sent(second)["schema"] == SCHEMA


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read it: No such file or directory"),
        ('{"type": "object",', "not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "a JSON Schema object is expected, found list"),
        ('{"type": "strin"}', "not a valid JSON Schema: 'strin' is not valid under any of"),
        ('{"required": "answer"}', "not a valid JSON Schema: 'answer' is not of type 'array'"),
    ],
)
def test_a_bad_schema_file_is_one_line_and_exit_2_before_any_request(  # noqa: PLR0917 (pytest parameters)
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
    content: str | None,
    problem: str,
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text=GOOD))
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    res = codex(["exec", "--output-schema", str(path), "answer"], cwd=repo, env=env)
    assert res.rc == 2
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    assert lines[0].startswith(f"Error: --output-schema {path}: {problem}")
    assert model_server.requests == []
    assert not (codex_home / "sessions").exists()


def test_exec_help_lists_the_flag(codex_home: Path, repo: Path, env: dict[str, str]) -> None:
    res = codex(["exec", "--help"], cwd=repo, env=env)
    assert res.rc == 0
    assert "--output-schema FILE" in res.out
    assert "additionalProperties" in res.out  # says the schema is sent as written
