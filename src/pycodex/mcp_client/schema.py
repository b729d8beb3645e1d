"""An MCP tool's ``inputSchema`` as the ``parameters`` of a function tool.

Faithful first: every JSON-Schema keyword the server wrote is kept — ``integer`` too (v0.20
failed on it and silently dropped the whole tool, reference §3.5), nested objects, arrays,
enums, ``anyOf``/``oneOf``/``allOf``, ``$ref`` with ``$defs``. Only what the OpenAI API
rejects or what leaves the model guessing is repaired:

- the root must be ``{"type": "object", "properties": {...}}``: a missing ``type`` or
  ``properties`` is filled in, and root-level combinators (``anyOf`` …, which the API
  refuses at the top) are removed;
- a subschema without ``type`` gets one inferred from its shape (``properties`` -> object,
  ``items`` -> array, ``enum``/``const`` -> the type of the values); one with nothing to
  infer from stays untyped (any JSON value), which non-strict function tools accept;
- an ``object`` without ``properties`` gets ``{}``, an ``array`` without ``items`` gets
  ``{}`` (the API refuses an array schema without ``items``);
- a boolean schema (``true``/``false``, legal JSON Schema) becomes ``{}`` / ``{"not": {}}``.

The input is never modified; the result is a fresh structure.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
_ROOT_DROPPED = ("anyOf", "oneOf", "allOf", "not", "enum", "const", "$schema")


def _json_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return None


def _inferred_type(schema: JsonObject) -> str | list[str] | None:
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    values = schema["enum"] if isinstance(schema.get("enum"), list) else None
    if values is None and "const" in schema:
        values = [schema["const"]]
    if values:
        types = sorted({t for t in map(_json_type, values) if t is not None})
        if types == ["integer", "number"]:
            return "number"
        return types[0] if len(types) == 1 else types
    return None


def _has_type(schema: JsonObject, name: str) -> bool:
    kind = schema.get("type")
    return kind == name or (isinstance(kind, list) and name in kind)


def convert_schema(schema: Any) -> Any:
    """One subschema, recursively (see the module docstring)."""
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, dict):
        return schema
    out: JsonObject = dict(schema)
    if "type" not in out and not any(k in out for k in ("$ref", *_SCHEMA_LISTS[:3])):
        inferred = _inferred_type(out)
        if inferred is not None:
            out["type"] = inferred
    for key in _SCHEMA_MAPS:
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = {name: convert_schema(sub) for name, sub in value.items()}
    for key in _SCHEMA_LISTS:
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [convert_schema(sub) for sub in value]
    for key in _SCHEMA_ONE:
        if key in out and isinstance(out[key], dict | bool):
            if key == "additionalProperties" and isinstance(out[key], bool):
                continue  # true/false here is the usual switch, not a schema to rewrite
            out[key] = convert_schema(out[key])
    items = out.get("items")
    if isinstance(items, list):  # draft-4 tuple form
        out["items"] = [convert_schema(sub) for sub in items]
    elif "items" in out:
        out["items"] = convert_schema(items)
    if _has_type(out, "object") and not isinstance(out.get("properties"), dict):
        out["properties"] = {}
    if _has_type(out, "array") and "items" not in out and "prefixItems" not in out:
        out["items"] = {}
    return out


def tool_parameters(input_schema: Any) -> JsonObject:
    """The ``parameters`` object of the function tool for ``input_schema``."""
    root = convert_schema(input_schema if isinstance(input_schema, dict) else {})
    assert isinstance(root, dict)
    for key in _ROOT_DROPPED:
        root.pop(key, None)
    root["type"] = "object"
    if not isinstance(root.get("properties"), dict):
        root["properties"] = {}
    required = root.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        del root["required"]
    return root
