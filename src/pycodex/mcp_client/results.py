"""An MCP ``CallToolResult`` as the text the model reads in ``function_call_output``.

v0.20 sent the JSON of the ``content`` array (reference §3.6): faithful, but an image became
a wall of base64 the model cannot see, and ``structuredContent`` was lost. Here:

- text blocks are given as they are, one after another;
- an image or audio block becomes a one-line note (kind, MIME type, size): the output of a
  function call is text on both wire APIs, so the bytes would only cost tokens;
- a resource link is a line with its name, URI, MIME type and description; an embedded
  text resource is its URI and text; an embedded binary resource a note;
- ``structuredContent`` is appended as JSON, unless a text block already holds the same
  JSON (servers are asked to send both, so most do);
- ``isError`` puts ``MCP tool error:`` in front, so the model knows the call failed and
  can read why;
- more than ``MAX_OUTPUT_BYTES`` is cut, with a marker saying how much was left out.

Input is the result as plain JSON (camelCase keys, as on the wire), so this module needs
no SDK import.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

JsonObject = dict[str, Any]

MAX_OUTPUT_BYTES = 32 * 1024
ERROR_PREFIX = "MCP tool error:"
EMPTY_RESULT = "(the tool returned no content)"


def _decoded_size(data: Any) -> str:
    if not isinstance(data, str):
        return "unknown size"
    try:
        return f"{len(base64.b64decode(data, validate=False))} bytes"
    except (binascii.Error, ValueError):
        return f"{len(data)} base64 characters"


def _resource_line(block: JsonObject) -> str:
    name = block.get("title") or block.get("name")
    line = (
        f"[resource link] {name} <{block.get('uri', '')}>"
        if name
        else (f"[resource link] <{block.get('uri', '')}>")
    )
    if block.get("mimeType"):
        line += f" ({block['mimeType']})"
    if block.get("description"):
        line += f": {block['description']}"
    return line


def _embedded(block: JsonObject) -> str:
    res = block.get("resource")
    if not isinstance(res, dict):
        return "[resource] (empty)"
    uri = res.get("uri", "")
    mime = f" ({res['mimeType']})" if res.get("mimeType") else ""
    if isinstance(res.get("text"), str):
        return f"[resource {uri}{mime}]\n{res['text']}"
    return f"[resource {uri}{mime}: binary, {_decoded_size(res.get('blob'))}, not shown]"


def block_text(block: JsonObject) -> str:
    """One content block as text."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind in ("image", "audio"):
        mime = block.get("mimeType", "unknown type")
        return f"[{kind}: {mime}, {_decoded_size(block.get('data'))}, not shown to the model]"
    if kind == "resource_link":
        return _resource_line(block)
    if kind == "resource":
        return _embedded(block)
    return json.dumps(block, ensure_ascii=False)


def _same_json(text: str, value: Any) -> bool:
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    head = data[:limit].decode("utf-8", "ignore")
    return f"{head}\n[… {len(data) - len(head.encode('utf-8'))} more bytes not shown]"


def format_result(
    content: Sequence[JsonObject],
    structured_content: Any = None,
    *,
    is_error: bool = False,
    limit: int = MAX_OUTPUT_BYTES,
) -> str:
    """The model-visible text of a tool result."""
    pieces = [block_text(b) for b in content]
    texts = [str(b.get("text", "")) for b in content if b.get("type") == "text"]
    if structured_content is not None and not any(_same_json(t, structured_content) for t in texts):
        pieces.append("structured content: " + json.dumps(structured_content, ensure_ascii=False))
    body = "\n".join(pieces) if pieces else EMPTY_RESULT
    if is_error:
        body = f"{ERROR_PREFIX} {body}"
    return _cut(body, limit)


def format_failure(server: str, tool: str, message: str) -> str:
    """The call itself failed (server down, timeout, protocol error): no result at all."""
    return f"{ERROR_PREFIX} calling `{tool}` on MCP server `{server}` failed: {message}"
