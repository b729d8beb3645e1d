"""Token usage objects of both wire APIs, read into one ``TokenUsage``.

The two APIs name the same numbers differently (``input_tokens`` / ``prompt_tokens``, ...);
everything else — missing fields, non-numbers, a missing total — is handled the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycodex.protocol.items import TokenUsage


@dataclass(frozen=True, slots=True)
class UsageNames:
    """Where one wire API keeps each number."""

    input: str
    output: str
    input_details: str
    output_details: str


RESPONSES = UsageNames(
    "input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details"
)
CHAT = UsageNames(
    "prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"
)


def _num(obj: Any, key: str) -> int:
    value = obj.get(key) if isinstance(obj, dict) else None
    return int(value) if isinstance(value, int | float) else 0


def parse_usage(raw: Any, names: UsageNames) -> TokenUsage | None:
    """The usage object ``raw`` (None when the server sent none)."""
    if not isinstance(raw, dict):
        return None
    inp, out = _num(raw, names.input), _num(raw, names.output)
    return TokenUsage(
        input_tokens=inp,
        cached_input_tokens=_num(raw.get(names.input_details), "cached_tokens"),
        output_tokens=out,
        reasoning_output_tokens=_num(raw.get(names.output_details), "reasoning_tokens"),
        total_tokens=_num(raw, "total_tokens") or inp + out,
    )
