"""The two tools `codex mcp` offers, and the checking of their arguments.

The input schemas keep the v0.20 property names and types (reference §7.3) so clients
written for Codex keep working; ``approval-policy`` also accepts ``on-request``. The
descriptions are ours. Argument problems are ``ToolArgumentError``s: the server turns them
into an ``isError`` result, never a JSON-RPC error (the call itself was well-formed).
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycodex.config.overrides import CliOverrides
from pycodex.protocol.policy import AskForApproval, SandboxMode

CODEX_TOOL = "codex"
REPLY_TOOL = "codex-reply"


_NO_VALUE = object()


class ToolArgumentError(Exception):
    """A tool call's arguments do not fit the tool's schema (one line, shown to the user)."""


_APPROVALS = [p.value for p in AskForApproval]
_SANDBOXES = [m.value for m in SandboxMode]

CODEX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {
            "type": "string",
            "description": "What to ask Codex: the first user message of a new session.",
        },
        "model": {
            "type": "string",
            "description": "Model to use instead of the configured one (for example `o3`).",
        },
        "profile": {
            "type": "string",
            "description": "A `[profiles.NAME]` table of config.toml to start from.",
        },
        "cwd": {
            "type": "string",
            "description": (
                "Directory the session works in; a relative path is taken from the "
                "server's own working directory."
            ),
        },
        "approval-policy": {
            "type": "string",
            "enum": _APPROVALS,
            "description": (
                "When Codex asks before running a command: `untrusted` (anything not known "
                "to be safe), `on-failure` (when a sandboxed run fails), `on-request` (when "
                "the model asks to leave the sandbox), `never`. Questions arrive as "
                "elicitation requests."
            ),
        },
        "sandbox": {
            "type": "string",
            "enum": _SANDBOXES,
            "description": "What commands may touch: `read-only`, `workspace-write`, "
            "or `danger-full-access`.",
        },
        "config": {
            "type": "object",
            "additionalProperties": True,
            "description": (
                "Settings that override CODEX_HOME/config.toml, like `-c key=value` on the "
                "command line: each key is a dotted path (`sandbox_workspace_write."
                "network_access`), each value a JSON value."
            ),
        },
        "base-instructions": {
            "type": "string",
            "description": "A system prompt to use instead of the built-in one.",
        },
        "include-plan-tool": {
            "type": "boolean",
            "description": "Offer the model the `update_plan` tool (pycodex always does).",
        },
    },
}

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["prompt", "sessionId"],
    "properties": {
        "prompt": {
            "type": "string",
            "description": "The next user message of the session.",
        },
        "sessionId": {
            "type": "string",
            "description": (
                "The session to continue: `session_id` of the `session_configured` event, "
                "also returned as `structuredContent.sessionId` by the `codex` tool."
            ),
        },
    },
}

TOOL_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {
        "name": CODEX_TOOL,
        "title": "Codex",
        "description": (
            "Start a Codex session: the agent works on the prompt in a directory (running "
            "commands, editing files) and returns its final message. Settings may override "
            "the user's Codex configuration."
        ),
        "inputSchema": CODEX_SCHEMA,
    },
    {
        "name": REPLY_TOOL,
        "title": "Codex Reply",
        "description": "Send the next prompt to a Codex session started by the `codex` tool.",
        "inputSchema": REPLY_SCHEMA,
    },
)


@dataclass(frozen=True)
class CodexArgs:
    """A checked ``codex`` call: the prompt and what it changes in the configuration."""

    prompt: str
    overrides: CliOverrides
    base_instructions: str | None = None
    include_plan_tool: bool | None = None


@dataclass(frozen=True)
class ReplyArgs:
    session_id: str
    prompt: str


def _check_names(arguments: dict[str, Any], schema: dict[str, Any]) -> None:
    known = schema["properties"]
    for name in arguments:
        if name not in known:
            raise ToolArgumentError(
                f"unknown argument `{name}` (expected one of: {', '.join(known)})"
            )
    for name in schema["required"]:
        if name not in arguments:
            raise ToolArgumentError(f"missing required argument `{name}`")


def _string(arguments: dict[str, Any], name: str) -> str | None:
    value = arguments.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ToolArgumentError(f"argument `{name}` must be a string, got {_json_type(value)}")
    return value


def _choice(arguments: dict[str, Any], name: str, choices: list[str]) -> str | None:
    value = _string(arguments, name)
    if value is not None and value not in choices:
        raise ToolArgumentError(
            f"argument `{name}` must be one of {', '.join(choices)}, got {json.dumps(value)}"
        )
    return value


def _prompt(arguments: dict[str, Any]) -> str:
    """The ``prompt`` of either tool: a string with something in it."""
    prompt = _string(arguments, "prompt") or ""
    if not prompt.strip():
        raise ToolArgumentError("argument `prompt` must not be empty")
    return prompt


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_codex_args(arguments: dict[str, Any] | None) -> CodexArgs:
    """Check a ``codex`` call against ``CODEX_SCHEMA`` and turn it into overrides."""
    args = dict(arguments or {})
    _check_names(args, CODEX_SCHEMA)
    prompt = _prompt(args)
    approval = _choice(args, "approval-policy", _APPROVALS)
    sandbox = _choice(args, "sandbox", _SANDBOXES)
    cwd = _string(args, "cwd")
    plan = args.get("include-plan-tool")
    if plan is not None and not isinstance(plan, bool):
        raise ToolArgumentError(
            f"argument `include-plan-tool` must be a boolean, got {_json_type(plan)}"
        )
    config = args.get("config")
    if config is not None and not isinstance(config, dict):
        raise ToolArgumentError(f"argument `config` must be an object, got {_json_type(config)}")
    overrides = CliOverrides(
        config_overrides=config_to_overrides(config or {}),
        profile=_string(args, "profile"),
        model=_string(args, "model"),
        sandbox_mode=SandboxMode(sandbox) if sandbox else None,
        approval_policy=AskForApproval(approval) if approval else None,
        cwd=Path(cwd) if cwd else None,
    )
    return CodexArgs(
        prompt=prompt,
        overrides=overrides,
        base_instructions=_string(args, "base-instructions"),
        include_plan_tool=plan,
    )


def parse_reply_args(arguments: dict[str, Any] | None) -> ReplyArgs:
    args = dict(arguments or {})
    _check_names(args, REPLY_SCHEMA)
    prompt = _prompt(args)
    return ReplyArgs(session_id=_string(args, "sessionId") or "", prompt=prompt)


# --- the `config` object as `-c key=value` strings ---------------------------------------


def config_to_overrides(config: dict[str, Any]) -> tuple[str, ...]:
    """Each ``key: value`` as the ``-c`` text ``key=<TOML value>``, in the object's order.

    The key is used as typed (a dotted path; parts may be quoted like TOML keys). The value
    is rendered as TOML from its JSON type, so the string ``"true"`` stays a string and
    ``true`` is a boolean, unlike a bare ``-c`` where text that parses as TOML is taken as
    TOML. ``null`` has no TOML form and is refused.
    """
    overrides = []
    for key, value in config.items():
        if not key.strip():
            raise ToolArgumentError("argument `config` has an empty key")
        try:
            rendered = toml_value(value)
        except ValueError as exc:
            raise ToolArgumentError(f"argument `config`: `{key}`: {exc}") from None
        if _parse_toml_value(rendered) != value:  # never let -c fall back to literal text
            raise ToolArgumentError(f"argument `config`: `{key}`: value has no TOML form")
        overrides.append(f"{key}={rendered}")
    return tuple(overrides)


def _parse_toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}").get("v", _NO_VALUE)
    except tomllib.TOMLDecodeError:
        return _NO_VALUE


def toml_value(value: Any) -> str:
    """``value`` (anything JSON can carry) as a TOML value literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_toml_string(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if value is None:
        raise ValueError("null has no TOML form (leave the key out instead)")
    raise ValueError(f"unsupported value {value!r}")


def _toml_string(text: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's, except that TOML forbids escaped
    surrogates, so non-ASCII text is kept literal (``ensure_ascii=False``); control
    characters still come out as ``\\uXXXX``/``\\n``, which TOML accepts."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
