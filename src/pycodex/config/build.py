"""Checked plain values -> the typed ``Config``, plus the origin of every effective value.

Runs after every layer was merged and type-checked (``keys.check``); here live the rules
that span keys: the selected provider must exist and have a ``base_url``, an MCP server needs
``command`` or ``url``, relative paths are anchored, the instructions file is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pycodex.config.keys import ROOT, Fail, Leaf, MapOf, Table, describe
from pycodex.config.layers import Origin
from pycodex.config.providers import BUILT_IN, check_oss_port, provider_info
from pycodex.config.schema import (
    DEFAULT_MODEL,
    LOCAL_DEFAULT_MODELS,
    Config,
    History,
    McpServerConfig,
    McpToolConfig,
    ProjectConfig,
    SandboxWorkspaceWrite,
    ShellEnvironmentPolicy,
    ToolsConfig,
)
from pycodex.config.toml_lines import KeyPath, dotted
from pycodex.protocol.policy import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    WireApi,
)

DEFAULT = "default"
_E = TypeVar("_E", bound=StrEnum)
# Settings copied to Config as they are (after the type check).
_PLAIN = (
    "disable_response_storage",
    "model_supports_reasoning_summaries",
    "model_context_window",
    "model_max_output_tokens",
    "model_auto_compact_token_limit",
    "model_instructions_profile",
    "project_doc_max_bytes",
    "openai_base_url",
    "model_verbosity",
    "max_tool_timeout_sec",
    "notify",
    "instructions",
    "file_opener",
    "hide_agent_reasoning",
    "show_raw_agent_reasoning",
    "include_plan_tool",
    "include_apply_patch_tool",
    "chatgpt_base_url",
    "preferred_auth_method",
    "internal_originator",
)


def build_config(
    checked: Mapping[str, Any],
    origins: Mapping[KeyPath, Origin],
    *,
    codex_home: Path,
    cwd: Path,
    env: Mapping[str, str],
    fail: Fail,
) -> Config:
    providers = checked.get("model_providers", {})
    provider_id: str = checked.get("model_provider", "openai")
    if provider_id not in providers:
        fail(
            ("model_provider",),
            "unknown model provider",
            "one of " + ", ".join(sorted(providers)) + " (or a [model_providers.ID] table)",
            describe(provider_id),
        )
    if "base_url" not in providers[provider_id]:
        fail(
            ("model_providers", provider_id, "base_url"),
            "the selected provider has no base_url",
            'a URL such as "http://localhost:11434/v1"',
            "no base_url",
        )
    oss_url = origins.get(("model_providers", "oss", "base_url"))
    if oss_url is not None and oss_url.label == "env CODEX_OSS_PORT":
        check_oss_port(env)
    providers = _with_openai_base_url(providers, checked.get("openai_base_url"), origins)
    infos = {pid: provider_info(pid, table) for pid, table in providers.items()}
    default_model = LOCAL_DEFAULT_MODELS.get(provider_id, DEFAULT_MODEL)
    plain = {key: checked[key] for key in _PLAIN if key in checked}
    if "project_doc_fallback_filenames" in checked:
        plain["project_doc_fallback_filenames"] = tuple(checked["project_doc_fallback_filenames"])
    instructions_key = (
        "model_instructions_file"
        if "model_instructions_file" in checked
        else "experimental_instructions_file"
    )
    instructions_file = checked.get(instructions_key)
    base_instructions = None
    if instructions_file is not None:
        instructions_file = codex_home / instructions_file
        base_instructions = _read_instructions(instructions_file, instructions_key, fail)
    web_search = bool(checked.get("tools", {}).get("web_search", False))
    if web_search and infos[provider_id].wire_api != WireApi.RESPONSES:
        fail(
            ("tools", "web_search"),
            f"web search is a Responses API tool; provider `{provider_id}` uses the "
            f"{infos[provider_id].wire_api} wire",
            'a provider with wire_api = "responses", or no --search',
            "web_search = true",
        )
    resume = checked.get("experimental_resume")
    sww = dict(checked.get("sandbox_workspace_write", {}))
    if "writable_roots" in sww:
        sww["writable_roots"] = tuple(cwd / p for p in sww["writable_roots"])
    return Config(
        codex_home=codex_home,
        cwd=cwd,
        model=checked.get("model", default_model),
        model_provider_id=provider_id,
        model_provider=infos[provider_id],
        model_providers=infos,
        profile=checked.get("profile"),
        approval_policy=AskForApproval(checked.get("approval_policy", AskForApproval.UNTRUSTED)),
        sandbox_mode=SandboxMode(checked.get("sandbox_mode", SandboxMode.READ_ONLY)),
        sandbox_workspace_write=SandboxWorkspaceWrite(**sww),
        shell_environment_policy=ShellEnvironmentPolicy(
            **checked.get("shell_environment_policy", {})
        ),
        model_reasoning_effort=_known_or_str(
            ReasoningEffort, checked.get("model_reasoning_effort", ReasoningEffort.MEDIUM)
        ),
        model_reasoning_summary=_known_or_str(
            ReasoningSummary, checked.get("model_reasoning_summary", ReasoningSummary.AUTO)
        ),
        experimental_instructions_file=instructions_file,
        base_instructions=base_instructions,
        history=History(**checked.get("history", {})),
        mcp_servers=_mcp_servers(checked.get("mcp_servers", {}), fail),
        projects={p: ProjectConfig(**t) for p, t in checked.get("projects", {}).items()},
        experimental_resume=cwd / resume if resume is not None else None,
        tools=ToolsConfig(web_search=web_search),
        **plain,
    )


def _with_openai_base_url(
    providers: Mapping[str, Any], url: str | None, origins: Mapping[KeyPath, Origin]
) -> Mapping[str, Any]:
    """``openai_base_url`` (current Codex) moves the built-in `openai` provider, as
    ``OPENAI_BASE_URL`` does and over it; a ``base_url`` written in its table still wins."""
    written = origins.get(("model_providers", "openai", "base_url"))
    if url is None or "openai" not in providers:
        return providers
    if written is not None and written.label not in (BUILT_IN, "env OPENAI_BASE_URL"):
        return providers
    return {**providers, "openai": {**providers["openai"], "base_url": url}}


def _known_or_str(kind: type[_E], value: str) -> _E | str:
    """The enum member for a known value; a newer value stays the string the user wrote."""
    try:
        return kind(value)
    except ValueError:
        return value


def _mcp_servers(tables: Mapping[str, Any], fail: Fail) -> dict[str, McpServerConfig]:
    servers: dict[str, McpServerConfig] = {}
    for name, table in tables.items():
        if ("command" in table) == ("url" in table):
            found = "both" if "command" in table else "neither"
            fail(
                ("mcp_servers", name),
                "an MCP server needs one transport",
                "`command` (stdio) or `url` (streamable HTTP)",
                found,
            )
        servers[name] = _mcp_server(name, table, fail)
    return servers


# Keys of one transport only: set on the other, they would be silently useless.
_STDIO_ONLY = ("args", "env", "env_vars", "cwd")
_HTTP_ONLY = ("bearer_token_env_var", "http_headers", "env_http_headers")


def _mcp_server(name: str, table: Mapping[str, Any], fail: Fail) -> McpServerConfig:
    stdio = "command" in table
    for key in _HTTP_ONLY if stdio else _STDIO_ONLY:
        if key in table:
            fail(
                ("mcp_servers", name, key),
                "not supported on this transport",
                "a streamable HTTP (`url`) server" if stdio else "a stdio (`command`) server",
                "a stdio (`command`) server" if stdio else "a streamable HTTP (`url`) server",
            )
    fields = dict(table)
    millis = fields.pop("startup_timeout_ms", None)
    if millis is not None and "startup_timeout_sec" not in fields:
        fields["startup_timeout_sec"] = millis / 1000
    for key in ("args", "env_vars", "enabled_tools", "disabled_tools"):
        if key in fields:
            fields[key] = tuple(fields[key])
    fields["tools"] = {
        tool: McpToolConfig(**entry) for tool, entry in fields.get("tools", {}).items()
    }
    return McpServerConfig(name=name, **fields)


def _read_instructions(path: Path, key: str, fail: Fail) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        fail(
            (key,),
            "cannot read the instructions file",
            "a readable UTF-8 file",
            f"{reason.lower()} ({path})",
        )


def effective_origins(
    checked: Mapping[str, Any], origins: Mapping[KeyPath, Origin], config: Config
) -> dict[str, str]:
    """``dotted key -> origin label`` for every effective setting (unset ones: "default")."""

    def label(path: KeyPath) -> str:
        origin = origins.get(path)
        return origin.label if origin is not None else DEFAULT

    out: dict[str, str] = {}
    for key, spec in ROOT.fields.items():
        if key == "profiles":
            continue
        if isinstance(spec, Leaf):
            out[key] = label((key,))
        elif isinstance(spec, Table):
            names = spec.fields if not spec.open else checked.get(key, {})
            for field in names:
                out[dotted((key, field))] = label((key, field))
        elif isinstance(spec, MapOf) and isinstance(spec.item, Table):
            for name in checked.get(key, {}):
                for field in spec.item.fields:
                    out[dotted((key, name, field))] = label((key, name, field))
    if "model" not in checked and config.model_provider_id in LOCAL_DEFAULT_MODELS:
        out["model"] = f"default ({config.model_provider_id} provider)"
    return out
