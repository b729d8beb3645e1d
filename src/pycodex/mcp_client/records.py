"""Plain data the MCP client hands to core: tools as offered, outcomes of calls.

No SDK types cross this line: core sees JSON objects (camelCase, as on the wire) and
strings, so it can be imported and tested without the ~0.5 s ``mcp`` import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycodex.mcp_client.results import format_failure, format_result
from pycodex.mcp_client.schema import tool_parameters

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class McpTool:
    """One tool of one server, with the name the model calls it by."""

    server: str
    name: str  # the server's own name for it
    model_name: str  # ``server__tool``, sanitized / shortened (naming.py)
    description: str = ""
    input_schema: JsonObject = field(default_factory=dict)
    approval_mode: str = "auto"  # "auto", "prompt" or "approve" (config.schema)

    def parameters(self) -> JsonObject:
        return tool_parameters(self.input_schema)


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What a call gave: a result (possibly ``is_error``), or ``error`` when there was none
    (server down, timeout, protocol error)."""

    content: tuple[JsonObject, ...] = ()
    structured_content: Any = None
    is_error: bool = False
    error: str | None = None

    def model_output(self, server: str, tool: str) -> str:
        """The ``function_call_output`` text for the model."""
        if self.error is not None:
            return format_failure(server, tool, self.error)
        return format_result(self.content, self.structured_content, is_error=self.is_error)
