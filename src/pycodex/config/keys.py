"""Every config key pycodex knows, its type, and the one checker that enforces them.

The tree mirrors config.toml: the 29 top-level keys of Codex v0.20 (reference §2.3) plus
``model_auto_compact_token_limit``; the sub-tables; providers with every field of SPEC §2;
MCP servers with stdio and HTTP fields. A profile may set any top-level setting (v0.20 only
knew 8 and silently dropped ``sandbox_mode``). ``tui`` accepts any table.

Forward compatibility (issue 13): a value of a non-security enum that pycodex does not know
(``model_reasoning_effort = "xhigh"``) is an ``open_enum``: warned about and passed through as
written, because the server decides. Keys of newer Codex versions (:data:`NEWER_CODEX_KEYS`)
are dropped with a warning that says so; other unknown keys are dropped with a "did you mean"
only when a known key is really close (:func:`suggest`). Security tables are ``strict``: an
unknown key there is an error, since it may be a protection the user believes is on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

from pycodex.config.schema import INSTRUCTIONS_PROFILES, MCP_APPROVAL_MODES, TOOL_CHOICES
from pycodex.config.toml_lines import KeyPath, dotted
from pycodex.config.typos import nearest
from pycodex.protocol.policy import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    WireApi,
)


@dataclass(frozen=True)
class Leaf:
    """A value: str, count (int >= 0), seconds (number > 0), bool, path, enum, list, map.

    ``open_enum``: ``choices`` are the known values; any other string is kept with a warning.
    """

    kind: str
    choices: tuple[str, ...] = ()
    unknown_effect: str = "sent as written, the server decides"  # open_enum: what happens


@dataclass(frozen=True)
class Table:
    fields: Mapping[str, Spec]
    open: bool = False  # any key allowed, values kept as they are (``tui``)
    strict: bool = False  # an unknown key is an error, not a warning (security tables)
    newer: bool = False  # an unknown key is a newer Codex key (``[tools]``: only web_search)


@dataclass(frozen=True)
class MapOf:
    """A table of user-named entries (``[model_providers.ID]``), each checked as ``item``."""

    item: Spec


Spec = Leaf | Table | MapOf

STR = Leaf("str")
COUNT = Leaf("count")
SECONDS = Leaf("seconds")
BOOL = Leaf("bool")
PATH = Leaf("path")
STR_LIST = Leaf("str_list")
STR_MAP = Leaf("str_map")


def enum(kind: type[StrEnum]) -> Leaf:
    return Leaf("enum", tuple(member.value for member in kind))


def open_enum(kind: type[StrEnum]) -> Leaf:
    """A non-security enum: newer values warn and pass through (the server decides)."""
    return Leaf("open_enum", tuple(member.value for member in kind))


VERBOSITIES = ("low", "medium", "high")  # current Codex's model_verbosity (GPT-5 models)
FILE_OPENERS = ("vscode", "vscode-insiders", "windsurf", "cursor", "none")

PROVIDER = Table(
    {
        "name": STR,
        "base_url": STR,
        "env_key": STR,
        "env_key_instructions": STR,
        "wire_api": enum(WireApi),
        "query_params": STR_MAP,
        "http_headers": STR_MAP,
        "env_http_headers": STR_MAP,
        "request_max_retries": COUNT,
        "stream_max_retries": COUNT,
        "stream_idle_timeout_ms": COUNT,
        "requires_openai_auth": BOOL,
        "tool_choice": Leaf("enum", TOOL_CHOICES),
        "text_tool_calls": BOOL,
        "probe_context_window": BOOL,
    }
)

MCP_SERVER = Table(
    {
        "command": STR,
        "args": STR_LIST,
        "env": STR_MAP,
        "env_vars": STR_LIST,
        "url": STR,
        "bearer_token_env_var": STR,
        "http_headers": STR_MAP,
        "env_http_headers": STR_MAP,
        "cwd": PATH,
        "startup_timeout_sec": SECONDS,
        "startup_timeout_ms": COUNT,  # current Codex's older spelling; `_sec` wins
        "tool_timeout_sec": SECONDS,
        "enabled": BOOL,
        "required": BOOL,
        "enabled_tools": STR_LIST,
        "disabled_tools": STR_LIST,
        "default_tools_approval_mode": Leaf("enum", MCP_APPROVAL_MODES),
        "tools": MapOf(Table({"approval_mode": Leaf("enum", MCP_APPROVAL_MODES)})),
    }
)

SETTINGS: dict[str, Spec] = {
    "model": STR,
    "model_provider": STR,
    "model_providers": MapOf(PROVIDER),
    "model_context_window": COUNT,
    "model_max_output_tokens": COUNT,
    "model_auto_compact_token_limit": COUNT,
    "model_instructions_profile": Leaf("enum", INSTRUCTIONS_PROFILES),
    "model_reasoning_effort": open_enum(ReasoningEffort),
    "model_reasoning_summary": open_enum(ReasoningSummary),
    "model_verbosity": Leaf("open_enum", VERBOSITIES),
    "model_supports_reasoning_summaries": BOOL,
    "approval_policy": enum(AskForApproval),
    "sandbox_mode": enum(SandboxMode),
    "sandbox_workspace_write": Table(
        {
            "writable_roots": Leaf("path_list"),
            "network_access": BOOL,
            "exclude_tmpdir_env_var": BOOL,
            "exclude_slash_tmp": BOOL,
            "allow_unix_sockets": Leaf("unix_sockets"),
        },
        strict=True,
    ),
    "shell_environment_policy": Table(
        {
            "inherit": Leaf("enum", ("all", "core", "none")),
            "ignore_default_excludes": BOOL,
            "exclude": STR_LIST,
            "set": STR_MAP,
            "include_only": STR_LIST,
            "experimental_use_profile": BOOL,
        },
        strict=True,
    ),
    "disable_response_storage": BOOL,
    "notify": STR_LIST,
    "instructions": STR,
    "experimental_instructions_file": PATH,
    "model_instructions_file": PATH,  # current Codex's name for the same file; it wins
    "project_doc_max_bytes": COUNT,
    "project_doc_fallback_filenames": STR_LIST,
    "openai_base_url": STR,
    "max_tool_timeout_sec": SECONDS,
    "history": Table({"persistence": Leaf("enum", ("save-all", "none")), "max_bytes": COUNT}),
    "file_opener": Leaf("open_enum", FILE_OPENERS, "file citations are not linked"),
    "tui": Table({}, open=True),
    "hide_agent_reasoning": BOOL,
    "show_raw_agent_reasoning": BOOL,
    "include_plan_tool": BOOL,
    "include_apply_patch_tool": BOOL,
    "tools": Table({"web_search": BOOL}, newer=True),  # `--search`; other keys: newer Codex
    "mcp_servers": MapOf(MCP_SERVER),
    "projects": MapOf(Table({"trust_level": Leaf("enum", ("trusted", "untrusted"))})),
    "chatgpt_base_url": STR,
    "preferred_auth_method": Leaf("enum", ("chatgpt", "apikey")),
    "experimental_resume": PATH,
    "internal_originator": STR,
}

ROOT = Table({**SETTINGS, "profile": STR, "profiles": MapOf(Table(SETTINGS))})


# Settings (top level or in a profile) of Codex versions after v0.20 that pycodex does not
# act on: they load with a "newer Codex key, ignored" warning instead of a suggestion.
NEWER_CODEX_KEYS = frozenset(
    {
        "features",
        "notice",
        "skills",
        "otel",
        "model_reasoning_summary_format",
        "review_model",
        "forced_login_method",
        "forced_chatgpt_workspace_id",
        "cli_auth_credentials_store",
        "mcp_oauth_credentials_store",
        "windows_wsl_setup_acknowledged",
        "experimental_use_exec_command_tool",
        "experimental_use_unified_exec_tool",
        "experimental_use_rmcp_client",
        "experimental_use_freeform_apply_patch",
        "experimental_sandbox_command_assessment",
        "use_experimental_streamable_shell_tool",
        "use_experimental_reasoning_summary",
        "use_experimental_unified_exec_tool",
        "responses_originator_header_internal_override",
        "check_for_update_on_startup",
        "disable_paste_burst",
        "web_search",
        "personality",
        "allow_login_shell",
        "project_root_markers",
        "tool_output_token_limit",
        "developer_instructions",
        "compact_prompt",
        "experimental_compact_prompt_file",
        "oss_provider",
        "service_tier",
        "plan_mode_reasoning_effort",
        "model_auto_compact_token_limit_scope",
        "model_catalog_json",
        "hooks",
        "permissions",
        "default_permissions",
        "approvals_reviewer",
        "auto_review",
        "agents",
        "memories",
        "plugins",
        "marketplaces",
        "apps",
        "apps_mcp_product_sku",
        "tool_suggest",
        "include_apps_instructions",
        "include_collaboration_mode_instructions",
        "include_environment_context",
        "include_permissions_instructions",
        "analytics",
        "feedback",
        "log_dir",
        "sqlite_home",
        "debug",
        "desktop",
        "windows",
        "ghost_snapshot",
        "suppress_unstable_features_warning",
        "background_terminal_max_timeout",
        "mcp_oauth_callback_port",
        "mcp_oauth_callback_url",
        "realtime",
        "audio",
        "experimental_realtime_start_instructions",
        "experimental_realtime_ws_backend_prompt",
        "experimental_realtime_ws_base_url",
        "experimental_realtime_ws_model",
        "experimental_realtime_ws_startup_context",
        "experimental_thread_config_endpoint",
        "experimental_thread_store",
    }
)


@dataclass(frozen=True)
class UnknownKey:
    path: KeyPath
    suggestion: KeyPath | None
    newer: bool = False  # a key of a newer Codex version
    strict: bool = False  # in a security table: an error (see STRICT_KEY_HINT)
    known: tuple[str, ...] = ()  # the keys of the table it is in


STRICT_KEY_HINT = (
    "an unknown key in this table may be a protection you believe is on; remove or correct it"
)


def drop_unknown(values: dict[str, Any], spec: Spec = ROOT) -> list[UnknownKey]:
    """Remove keys the spec does not know from ``values`` (in place); return them."""
    found: list[UnknownKey] = []
    _drop(values, spec, (), found)
    return found


def suggest(key: str, known: Iterable[str]) -> str | None:
    """The known key closest to ``key``, only when it is a likely typo of it.

    Close means an optimal-string-alignment (Damerau-Levenshtein) distance of at most one
    edit per eight characters (at least one, at most three): ``approval_polcy`` ->
    ``approval_policy``, but ``notice`` is not a typo of ``notify``.
    """
    bound = max(1, min(3, len(key) // 8))
    return nearest(key, known, lambda _: bound, fold_case=True)


def _drop(values: Any, spec: Spec, path: KeyPath, found: list[UnknownKey]) -> None:
    if not isinstance(values, dict):
        return
    if isinstance(spec, MapOf):
        for key, value in values.items():
            _drop(value, spec.item, (*path, key), found)
    elif isinstance(spec, Table) and not spec.open:
        for key in list(values):
            sub = spec.fields.get(key)
            if sub is None:
                # settings tables (top level, a profile) are the ones that have model_provider
                newer = spec.newer or (key in NEWER_CODEX_KEYS and "model_provider" in spec.fields)
                match = None if newer else suggest(key, spec.fields)
                found.append(
                    UnknownKey(
                        (*path, key),
                        (*path, match) if match is not None else None,
                        newer=newer,
                        strict=spec.strict,
                        known=tuple(spec.fields),
                    )
                )
                del values[key]
            else:
                _drop(values[key], sub, (*path, key), found)


Fail = Callable[[KeyPath, str, str, str], NoReturn]  # (path, message, expected, found)
Warn: TypeAlias = Callable[[KeyPath, str], None]  # (path, message)


def _ignore(path: KeyPath, message: str) -> None:
    del path, message


def check(value: Any, spec: Spec, path: KeyPath, fail: Fail, warn: Warn = _ignore) -> Any:
    """Validate ``value`` against ``spec``; return it normalised (enums, Paths, tuples)."""
    if isinstance(spec, Table | MapOf):
        if not isinstance(value, dict):
            fail(path, "wrong type", "a table", describe(value))
        if isinstance(spec, MapOf):
            return {k: check(v, spec.item, (*path, k), fail, warn) for k, v in value.items()}
        if spec.open:
            return dict(value)
        return {
            k: check(v, spec.fields[k], (*path, k), fail, warn)
            for k, v in value.items()
            if k in spec.fields
        }
    return _check_leaf(value, spec, path, fail, warn)


def _check_leaf(value: Any, spec: Leaf, path: KeyPath, fail: Fail, warn: Warn) -> Any:
    kind = spec.kind
    if kind == "open_enum":
        if not isinstance(value, str):
            fail(path, "wrong type", "a string", describe(value))
        if value not in spec.choices:
            warn(
                path,
                f"`{dotted(path)}` = {describe(value)} is not a value pycodex knows "
                f"({', '.join(spec.choices)}); {spec.unknown_effect}",
            )
        return value
    if kind == "enum":
        if not isinstance(value, str) or value not in spec.choices:
            fail(path, "invalid value", "one of " + ", ".join(spec.choices), describe(value))
        return value
    if kind in ("str", "path"):
        if not isinstance(value, str):
            fail(path, "wrong type", "a string", describe(value))
        return Path(value).expanduser() if kind == "path" else value
    if kind == "bool":
        if not isinstance(value, bool):
            fail(path, "wrong type", "a boolean (true or false)", describe(value))
        return value
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail(path, "wrong type", "a non-negative integer", describe(value))
        return value
    if kind == "seconds":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            fail(path, "wrong type", "a positive number of seconds", describe(value))
        return float(value)
    if kind in ("str_list", "path_list"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(path, "wrong type", "an array of strings", describe(value))
        if kind == "path_list":
            return tuple(Path(v).expanduser() for v in value)
        return tuple(value)
    if kind == "unix_sockets":
        return _unix_sockets(value, path, fail)
    if kind == "str_map":
        if not isinstance(value, dict):
            fail(path, "wrong type", "a table of strings", describe(value))
        out: dict[str, str] = {}
        for k, v in value.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, int | float):
                v = str(v)
            elif not isinstance(v, str):
                fail((*path, k), "wrong type", "a string", describe(v))
            out[k] = v
        return out
    raise AssertionError(f"unknown leaf kind {kind}")


UNIX_SOCKETS_ALL = "all"


def _unix_sockets(value: Any, path: KeyPath, fail: Fail) -> tuple[Path, ...] | str:
    """``"all"``, or absolute paths of the sockets a sandboxed command may connect to."""
    if value == UNIX_SOCKETS_ALL:
        return UNIX_SOCKETS_ALL
    expected = f'"{UNIX_SOCKETS_ALL}" or an array of absolute socket paths'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(path, "invalid value", expected, describe(value))
    paths = tuple(Path(v).expanduser() for v in value)
    for raw, p in zip(value, paths, strict=True):
        if not p.is_absolute():
            fail(path, "invalid value", expected, describe(raw))
    return paths


def describe(value: Any) -> str:
    """A found value for an error message: its TOML type and (short) text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        kind = "an integer" if isinstance(value, int) else "a float"
        return f"{kind} {value}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return f"a date/time {value.isoformat()}"
    return type(value).__name__


def unknown_key_message(unknown: UnknownKey) -> str:
    if unknown.newer:
        return f"`{dotted(unknown.path)}` is a newer Codex key, ignored by pycodex"
    text = f"unknown key `{dotted(unknown.path)}` ignored"
    if unknown.suggestion is not None:
        text += f" (did you mean `{dotted(unknown.suggestion)}`?)"
    return text
