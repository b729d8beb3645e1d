"""Short tool descriptions for small-context models (``model_instructions_profile``).

The full ``apply_patch`` description alone is ~300 tokens, the three built-in tools ~900 with
their schemas: a quarter of a 4k context before the conversation starts. Compact form: the
description's first sentence (the built-in tools get a hand-written short text, apply_patch
keeps a minimal grammar because a model cannot guess it), and property descriptions cut
to their first sentence. Schemas themselves (names, types, required) are never changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pycodex.models.base import FunctionTool, ToolSpec

MAX_DESCRIPTION = 160
SHORT_DESCRIPTIONS = {
    "shell": 'Run a command (argv array, e.g. ["bash", "-lc", "ls"]); returns its output.',
    "update_plan": "Record the task plan: steps, each pending, in_progress or completed.",
    "apply_patch": (
        "Edit files. `input` is a patch:\n*** Begin Patch\n*** Update File: path\n"
        "@@ a line above the change\n context line\n-old line\n+new line\n"
        "*** Add File: path\n+new file line\n*** Delete File: path\n*** End Patch"
    ),
}
_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)", re.DOTALL)


def first_sentence(text: str, limit: int = MAX_DESCRIPTION) -> str:
    text = " ".join(text.split())
    m = _SENTENCE.match(text)
    short = m.group(1) if m else text
    return short if len(short) <= limit else short[: limit - 1].rstrip() + "…"


def _schema(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _schema(v) for k, v in value.items()}
        if isinstance(out.get("description"), str):
            out["description"] = first_sentence(out["description"])
        return out
    if isinstance(value, list):
        return [_schema(v) for v in value]
    return value


def compact_tool(tool: FunctionTool) -> FunctionTool:
    description = SHORT_DESCRIPTIONS.get(tool.name) or first_sentence(tool.description)
    parameters: dict[str, Any] = _schema(tool.parameters)
    return FunctionTool(tool.name, description, parameters, tool.strict)


def compact_tools(tools: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
    """Function tools shortened; hosted and freeform tools as they are."""
    return tuple(compact_tool(t) if isinstance(t, FunctionTool) else t for t in tools)
