"""The exec JSONL schema, loaded once, and a validator for whole runs."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev deps

SCHEMA_RESOURCE = "exec-events.schema.json"


@cache
def validator() -> Any:
    text = resources.files("pycodex.frontends.headless").joinpath(SCHEMA_RESOURCE).read_text()
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def errors(line: Any) -> list[str]:
    return [e.message for e in validator().iter_errors(line)]


def validate_stream(lines: list[dict[str, Any]]) -> None:
    """Every line valid; the first is ``thread.started``; item ids keep their type."""
    assert lines, "no JSONL output"
    assert lines[0]["type"] == "thread.started"
    kinds: dict[str, str] = {}
    for line in lines:
        problems = errors(line)
        assert not problems, f"{line}: {problems}"
        if "item" in line:
            item = line["item"]
            assert kinds.setdefault(item["id"], item["type"]) == item["type"]


def parse_jsonl(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(raw) for raw in text.splitlines() if raw.strip()]
    validate_stream(lines)
    return lines
