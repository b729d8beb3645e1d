"""The seam between core and the model: a prompt goes in, ``ModelEvent``s come out.

Both wire adapters (``responses_api``, ``chat_api``) produce exactly these events, so core
never knows which API it talks to. ``ModelClient`` is a Protocol: the real client and the
scripted in-package model both satisfy it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pycodex.protocol.items import ResponseItem, TokenUsage


@dataclass(frozen=True, slots=True)
class FunctionTool:
    """A tool offered to the model, in wire-neutral form: pycodex runs it (JSON arguments)."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = False
    kind: Literal["function"] = "function"


@dataclass(frozen=True, slots=True)
class HostedTool:
    """A tool the provider runs itself (the Responses API's ``web_search``): only its
    ``type`` and settings are sent, and its calls come back as their own output items."""

    type: str
    settings: dict[str, Any] = field(default_factory=dict)  # extra fields, sent as given
    kind: Literal["hosted"] = "hosted"

    @property
    def name(self) -> str:
        return self.type


@dataclass(frozen=True, slots=True)
class FreeformTool:
    """A tool whose input is free text in a grammar (the Responses API's ``custom`` tools)."""

    name: str
    description: str
    format: dict[str, Any]  # e.g. {"type": "grammar", "syntax": "lark", "definition": ...}
    kind: Literal["freeform"] = "freeform"


# The tool union: each wire adapter renders the kinds its API has and drops the others
# (``responses_api.render_tools``, ``chat_api.render_tools``).
ToolSpec = FunctionTool | HostedTool | FreeformTool


@dataclass(frozen=True, slots=True)
class Prompt:
    """Everything one request needs besides provider settings."""

    instructions: str
    input: tuple[ResponseItem, ...]
    tools: tuple[ToolSpec, ...] = ()
    parallel_tool_calls: bool = False
    session_id: str = ""
    # A JSON Schema the final answer must follow (``exec --output-schema``), sent as given as
    # the structured-output format of the request (a strict ``json_schema``); None: free text.
    output_schema: dict[str, Any] | None = None


# --- events --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Created:
    response_id: str | None = None
    type: Literal["created"] = "created"


@dataclass(frozen=True, slots=True)
class OutputTextDelta:
    delta: str
    type: Literal["output_text_delta"] = "output_text_delta"


@dataclass(frozen=True, slots=True)
class ReasoningSummaryDelta:
    delta: str
    type: Literal["reasoning_summary_delta"] = "reasoning_summary_delta"


@dataclass(frozen=True, slots=True)
class ReasoningContentDelta:
    """Raw reasoning text (``response.reasoning_text.delta``, Chat ``reasoning``)."""

    delta: str
    type: Literal["reasoning_content_delta"] = "reasoning_content_delta"


@dataclass(frozen=True, slots=True)
class OutputItemDone:
    """A complete item: message, reasoning, function call. Recorded once, in order."""

    item: ResponseItem
    type: Literal["output_item_done"] = "output_item_done"


@dataclass(frozen=True, slots=True)
class Completed:
    response_id: str | None = None
    usage: TokenUsage | None = None
    type: Literal["completed"] = "completed"


@dataclass(frozen=True, slots=True)
class Retrying:
    """A failed attempt that will be retried after ``delay_seconds`` (shown to the user)."""

    reason: str
    attempt: int
    max_attempts: int
    delay_seconds: float
    type: Literal["retrying"] = "retrying"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know before or while the model answers (shown once, not
    an error): e.g. the prompt is larger than the model's context window."""

    message: str
    type: Literal["notice"] = "notice"


ModelEvent = (
    Created
    | OutputTextDelta
    | ReasoningSummaryDelta
    | ReasoningContentDelta
    | OutputItemDone
    | Completed
    | Retrying
    | Notice
)


@dataclass(frozen=True, slots=True)
class ModelRequestOptions:
    """Per-request settings that come from config, not from the conversation."""

    model: str
    reasoning_effort: str | None = None  # None: no ``reasoning`` field is sent
    reasoning_summary: str | None = None
    store: bool = True
    include: tuple[str, ...] = ()
    max_output_tokens: int | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    context_window: int | None = None  # known window: prompts that do not fit are warned of
    compact_tools: bool = False  # short tool descriptions (small-context models)
    verbosity: str | None = None  # Responses ``text.verbosity`` (``model_verbosity``); None: unsent


class ModelClient(Protocol):
    """Streams one model response for a prompt.

    The stream ends with exactly one ``Completed``; retries happen inside and surface as
    ``Retrying`` events. Failures that are not retried (or that exhausted their budget)
    raise a ``pycodex.protocol.errors.ModelError``. Cancelling the iteration closes the
    connection.

    Partial output and retries (the rule core relies on):
    - ``OutputItemDone`` events come only from the attempt that completed: the client holds
      items back until the response is complete and releases them right before
      ``Completed``. Record and execute items as they arrive; they are final.
    - Deltas (``OutputTextDelta``, reasoning deltas) stream live. A ``Retrying`` event voids
      every delta received since the previous ``Retrying`` (or the start): the next attempt
      restarts the response from scratch, so core must drop the partial text it was
      accumulating (front ends may show the retry and start the message over).
    - ``Created`` may therefore appear once per attempt.
    """

    def stream(self, prompt: Prompt) -> AsyncIterator[ModelEvent]: ...
