"""inputSchema -> function ``parameters``: faithful (integers kept), repaired where needed."""

from __future__ import annotations

import copy
from typing import Any

from pycodex.mcp_client.schema import convert_schema, tool_parameters
from tests.support.mcp_demo_server import ORDER_SCHEMA


def test_integer_types_are_kept() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "minimum": 0}},
        "required": ["a", "b"],
    }
    assert tool_parameters(schema) == schema


def test_nested_objects_arrays_enums_anyof_and_refs_are_kept() -> None:
    original = copy.deepcopy(ORDER_SCHEMA)
    params = tool_parameters(ORDER_SCHEMA)
    assert original == ORDER_SCHEMA  # the input is not modified
    props = params["properties"]
    assert props["customer"]["properties"]["tier"] == {
        "enum": ["free", "pro", "enterprise"],
        "type": "string",  # inferred from the values
    }
    assert props["items"] == {"type": "array", "items": {"$ref": "#/$defs/item"}}
    assert params["$defs"]["item"]["properties"]["quantity"] == {"type": "integer", "minimum": 1}
    assert props["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert props["tags"] == {"type": "array", "items": {}}  # the API refuses items-less arrays
    assert params["required"] == ["customer", "items"]


def test_missing_type_and_properties_are_filled_in() -> None:
    assert tool_parameters({}) == {"type": "object", "properties": {}}
    assert tool_parameters({"type": "object"}) == {"type": "object", "properties": {}}
    assert tool_parameters(None) == {"type": "object", "properties": {}}
    nested = tool_parameters({"properties": {"opts": {"properties": {"x": {"type": "number"}}}}})
    assert nested["type"] == "object"
    assert nested["properties"]["opts"]["type"] == "object"


def test_root_combinators_and_bad_required_are_dropped() -> None:
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "anyOf": [{"required": ["q"]}],
        "required": "q",
    }
    assert tool_parameters(schema) == {"type": "object", "properties": {"q": {"type": "string"}}}


def test_type_inference_and_boolean_schemas() -> None:
    assert convert_schema({"enum": [1, 2.5]})["type"] == "number"
    assert convert_schema({"enum": ["a", 1]})["type"] == ["integer", "string"]
    assert convert_schema({"const": True})["type"] == "boolean"
    assert convert_schema({"items": {"type": "integer"}})["type"] == "array"
    assert convert_schema({"description": "anything"}) == {"description": "anything"}
    assert convert_schema(True) == {}
    assert convert_schema(False) == {"not": {}}
    # additionalProperties: false stays a switch; a schema there is converted
    assert (
        convert_schema({"type": "object", "additionalProperties": False})["additionalProperties"]
        is False
    )
    assert convert_schema({"type": "object", "additionalProperties": {"type": "array"}})[
        "additionalProperties"
    ] == {"type": "array", "items": {}}
    # a typed union keeps its list
    assert convert_schema({"type": ["array", "null"]}) == {"type": ["array", "null"], "items": {}}
