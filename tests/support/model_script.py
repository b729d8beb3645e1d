"""The script the scripted model server plays: turns, tool calls, usage and faults.

Plain frozen dataclasses so tests build scripts in Python, plus ``step_from_json`` so a
``script.json`` written by hand (for demos) maps onto the same types. The wire rendering
lives in ``wire_render``; this module knows nothing about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal[
    "http_status",
    "cut",
    "idle",
    "noisy_success",
    "json_error_body",
    "stream_error",
    "empty_body",
    "no_answer",
]


@dataclass(frozen=True)
class Usage:
    """Token usage reported at the end of a response (``total`` defaults to in + out)."""

    input_tokens: int = 0
    cached: int = 0
    output_tokens: int = 0
    reasoning: int = 0
    total: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.total if self.total is not None else self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ToolCall:
    """A function call the model makes. ``arguments`` given as ``str`` are sent verbatim
    (so a test can send invalid JSON); a ``dict`` is JSON-encoded. ``call_id=None`` gets a
    deterministic ``call_<n>`` id from the server's counter."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None


@dataclass(frozen=True)
class Turn:
    """One model response. Items are emitted in the order reasoning, message, tool calls.

    ``usage=None`` makes a deterministic estimate from the request and response sizes.
    ``chunk_size`` is the delta size for text, reasoning and tool arguments; text of two or
    more characters is always sent in at least two deltas. ``event_delay`` (seconds) is
    waited between events, e.g. to give a test time to interrupt a running stream.
    ``reasoning_summary`` may be a list: several summary parts (Responses only), as
    reasoning models send one part per "**Heading**" paragraph.
    """

    text: str = ""
    reasoning_summary: str | tuple[str, ...] | list[str] | None = None
    reasoning_raw: str | None = None
    tool_calls: tuple[ToolCall, ...] | list[ToolCall] = ()
    usage: Usage | None = None
    encrypted_reasoning: str | None = None
    chunk_size: int = 8
    event_delay: float = 0.0
    # Queries of hosted web searches the model ran (Responses wire only: ``web_search_call``
    # items before the message; the Chat wire has no such items and sends none).
    web_searches: tuple[str, ...] | list[str] = ()

    @property
    def summary_parts(self) -> list[str]:
        if self.reasoning_summary is None:
            return []
        if isinstance(self.reasoning_summary, str):
            return [self.reasoning_summary]
        return list(self.reasoning_summary)


@dataclass(frozen=True)
class Fault:
    """A misbehaving response, consumed like a turn. Build with the class methods.

    * ``http_status``: an error status with a JSON body (and ``Retry-After``).
    * ``cut``: ``after_events`` events of ``turn``, then the connection drops (abruptly:
      no terminating chunk; ``graceful=True`` ends the HTTP body cleanly instead, so the
      stream is well-formed but lacks ``response.completed`` / ``[DONE]``).
    * ``idle``: ``after_events`` events, then silence for ``hold_seconds`` (ends early when
      the client disconnects or the server stops), then an abrupt close.
    * ``noisy_success``: keep-alive comments, non-JSON data, unknown event types and blank
      data interleaved with a normal, complete ``turn``: a tolerant client succeeds.
    * ``json_error_body``: ``Content-Type: application/json`` error object, no stream.
    * ``stream_error``: a started stream that reports failure in-band
      (Responses ``response.failed``; Chat a ``{"error": ...}`` data line), then ends.
    * ``empty_body``: HTTP 200, ``text/event-stream``, and a body with nothing in it.
    * ``no_answer``: the request is read and nothing at all is sent (not even a status
      line) for ``hold_seconds`` (ends early as for ``idle``), then the connection closes:
      a server that accepts and never answers.
    ``http_status`` with a ``str`` body sends it as ``text/plain`` (a traceback, say).
    """

    kind: FaultKind
    status: int = 500
    body: dict[str, Any] | str | None = None
    retry_after: str | None = None
    after_events: int = 0
    hold_seconds: float = 10.0
    graceful: bool = False
    turn: Turn | None = None
    message: str = "scripted fault"

    @classmethod
    def http_status(
        cls,
        status: int,
        body: dict[str, Any] | str | None = None,
        retry_after: float | str | None = None,
    ) -> Fault:
        ra = None if retry_after is None else _retry_after_text(retry_after)
        return cls("http_status", status=status, body=body, retry_after=ra)

    @classmethod
    def cut(
        cls, after_events: int = 2, *, graceful: bool = False, turn: Turn | None = None
    ) -> Fault:
        return cls("cut", after_events=after_events, graceful=graceful, turn=turn)

    @classmethod
    def idle(
        cls, after_events: int = 1, hold_seconds: float = 10.0, *, turn: Turn | None = None
    ) -> Fault:
        return cls("idle", after_events=after_events, hold_seconds=hold_seconds, turn=turn)

    @classmethod
    def no_answer(cls, hold_seconds: float = 10.0) -> Fault:
        return cls("no_answer", hold_seconds=hold_seconds)

    @classmethod
    def noisy_success(cls, turn: Turn | None = None) -> Fault:
        return cls("noisy_success", status=200, turn=turn)

    @classmethod
    def json_error_body(
        cls, status: int = 200, body: dict[str, Any] | None = None, message: str = ""
    ) -> Fault:
        return cls("json_error_body", status=status, body=body, message=message or "scripted error")

    @classmethod
    def stream_error(cls, message: str = "scripted stream failure") -> Fault:
        return cls("stream_error", status=200, message=message)

    @classmethod
    def empty_body(cls) -> Fault:
        return cls("empty_body", status=200)

    def error_body(self) -> dict[str, Any]:
        """The JSON error object this fault sends (OpenAI's ``{"error": {...}}`` shape)."""
        if isinstance(self.body, dict):
            return self.body
        if self.kind == "http_status":
            message = f"scripted fault: HTTP {self.status}"
        else:
            message = self.message
        return {
            "error": {
                "message": message,
                "type": _error_type(self.status),
                "param": None,
                "code": None,
            }
        }

    def partial_turn(self) -> Turn:
        """The turn whose events a cut/idle/noisy fault streams."""
        if self.turn is not None:
            return self.turn
        if self.kind == "noisy_success":
            return Turn(text="survived the noise")
        return Turn(text="this answer is cut short by the server")


Step = Turn | Fault


def _retry_after_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _error_type(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "invalid_request_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_exceeded",
    }.get(status, "server_error")


# --- JSON script files -----------------------------------------------------------------

_TURN_KEYS = {
    "text",
    "reasoning_summary",
    "reasoning_raw",
    "tool_calls",
    "usage",
    "encrypted_reasoning",
    "chunk_size",
    "event_delay",
    "web_searches",
}
_FAULT_KEYS = {
    "fault",
    "status",
    "body",
    "retry_after",
    "after_events",
    "hold_seconds",
    "graceful",
    "turn",
    "message",
}
_FAULT_ALIASES = {"malformed": "noisy_success"}


class ScriptError(ValueError):
    """A script.json step that does not describe a turn or a fault."""


def _summary(value: Any) -> str | tuple[str, ...] | None:
    if value is None or isinstance(value, str):
        return value
    return tuple(str(v) for v in value)


def turn_from_json(obj: dict[str, Any]) -> Turn:
    unknown = set(obj) - _TURN_KEYS
    if unknown:
        raise ScriptError(f"unknown turn keys: {sorted(unknown)}")
    calls = tuple(
        ToolCall(
            name=str(c["name"]),
            arguments=c.get("arguments", {}),
            call_id=c.get("call_id"),
        )
        for c in obj.get("tool_calls", [])
    )
    usage = Usage(**obj["usage"]) if obj.get("usage") is not None else None
    return Turn(
        text=str(obj.get("text", "")),
        reasoning_summary=_summary(obj.get("reasoning_summary")),
        reasoning_raw=obj.get("reasoning_raw"),
        tool_calls=calls,
        usage=usage,
        encrypted_reasoning=obj.get("encrypted_reasoning"),
        chunk_size=int(obj.get("chunk_size", 8)),
        event_delay=float(obj.get("event_delay", 0.0)),
        web_searches=tuple(str(q) for q in obj.get("web_searches", ())),
    )


def step_from_json(obj: dict[str, Any]) -> Step:
    """``{"text": ...}`` / ``{"tool_calls": [...]}`` -> Turn; ``{"fault": kind, ...}`` -> Fault."""
    if not isinstance(obj, dict):
        raise ScriptError(f"a step must be a JSON object, got {type(obj).__name__}")
    if "fault" not in obj:
        return turn_from_json(obj)
    unknown = set(obj) - _FAULT_KEYS
    if unknown:
        raise ScriptError(f"unknown fault keys: {sorted(unknown)}")
    kind = _FAULT_ALIASES.get(obj["fault"], obj["fault"])
    turn = turn_from_json(obj["turn"]) if obj.get("turn") is not None else None
    if kind == "http_status":
        return Fault.http_status(
            int(obj.get("status", 500)), obj.get("body"), obj.get("retry_after")
        )
    if kind == "cut":
        return Fault.cut(
            int(obj.get("after_events", 2)), graceful=bool(obj.get("graceful")), turn=turn
        )
    if kind == "idle":
        return Fault.idle(
            int(obj.get("after_events", 1)), float(obj.get("hold_seconds", 10.0)), turn=turn
        )
    if kind == "noisy_success":
        return Fault.noisy_success(turn)
    if kind == "json_error_body":
        return Fault.json_error_body(
            int(obj.get("status", 200)), obj.get("body"), str(obj.get("message", ""))
        )
    if kind == "stream_error":
        return Fault.stream_error(str(obj.get("message", "scripted stream failure")))
    if kind == "empty_body":
        return Fault.empty_body()
    if kind == "no_answer":
        return Fault.no_answer(float(obj.get("hold_seconds", 10.0)))
    raise ScriptError(f"unknown fault kind: {obj['fault']!r}")


def script_from_json(data: Any) -> list[Step]:
    if not isinstance(data, list):
        raise ScriptError("a script is a JSON list of steps")
    return [step_from_json(s) for s in data]
