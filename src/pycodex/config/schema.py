"""Typed, validated settings: what every other layer reads.

Field names are the config.toml key names (reference §2.3–2.5), so ``config.model`` is
``model = ...``. Produced only by ``pycodex.config.loader.load_config``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pycodex.protocol.policy import (
    AskForApproval,
    ReasoningEffort,
    ReasoningSummary,
    SandboxMode,
    WireApi,
)

DEFAULT_MODEL = "gpt-5"
DEFAULT_OSS_MODEL = "gpt-oss:20b"
DEFAULT_LMSTUDIO_MODEL = "openai/gpt-oss-20b"
# `--local-provider NAME` -> the built-in provider id it selects, and its default model.
LOCAL_PROVIDERS = {"ollama": "oss", "lmstudio": "lmstudio"}
LOCAL_DEFAULT_MODELS = {"oss": DEFAULT_OSS_MODEL, "lmstudio": DEFAULT_LMSTUDIO_MODEL}
TOOL_CHOICES = ("auto", "required", "none", "omit")
INSTRUCTIONS_PROFILES = ("auto", "full", "compact")
DEFAULT_PROJECT_DOC_MAX_BYTES = 32 * 1024
# The longest a model-run command may run, whatever `timeout_ms` the model asks for.
DEFAULT_MAX_TOOL_TIMEOUT_SEC = 600.0


@dataclass(frozen=True, slots=True)
class ModelProviderInfo:
    """One ``[model_providers.ID]`` table, merged over the built-in of the same id."""

    id: str
    name: str
    base_url: str | None = None
    env_key: str | None = None
    env_key_instructions: str | None = None
    wire_api: WireApi = WireApi.CHAT
    query_params: dict[str, str] = field(default_factory=dict)
    http_headers: dict[str, str] = field(default_factory=dict)
    env_http_headers: dict[str, str] = field(default_factory=dict)  # header -> env var
    request_max_retries: int = 4
    stream_max_retries: int = 10
    stream_idle_timeout_ms: int = 300_000
    requires_openai_auth: bool = False
    # Local-server tolerance (models/chat_api.py, models/client.py). ``tool_choice``: what
    # to send; None = the wire's default (Responses "auto", Chat omitted); "omit" = never.
    tool_choice: str | None = None
    text_tool_calls: bool = False  # recognise calls written as text (models/text_tool_calls)
    probe_context_window: bool = False  # ask Ollama's /api/show for the context length


@dataclass(frozen=True, slots=True)
class SandboxWorkspaceWrite:
    writable_roots: tuple[Path, ...] = ()
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False
    # unix sockets a sandboxed command may connect to: "all", or these paths (default none)
    allow_unix_sockets: tuple[Path, ...] | Literal["all"] = ()


@dataclass(frozen=True, slots=True)
class ShellEnvironmentPolicy:
    inherit: Literal["all", "core", "none"] = "all"
    ignore_default_excludes: bool = False
    exclude: tuple[str, ...] = ()
    set: dict[str, str] = field(default_factory=dict)
    include_only: tuple[str, ...] = ()
    experimental_use_profile: bool = False


@dataclass(frozen=True, slots=True)
class History:
    persistence: Literal["save-all", "none"] = "save-all"
    max_bytes: int | None = None


# Per-tool approval of MCP calls, as current Codex spells it: "auto" follows the approval
# policy, "prompt" asks before every call, "approve" skips the question (never under `never`'s
# refusal; see core/tools/mcp.py for how each combines with the policy).
MCP_APPROVAL_MODES = ("auto", "prompt", "approve")


@dataclass(frozen=True, slots=True)
class McpToolConfig:
    """``[mcp_servers.NAME.tools.TOOL]``."""

    approval_mode: str | None = None


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """``[mcp_servers.NAME]``: stdio (``command``) or streamable HTTP (``url``)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    env_vars: tuple[str, ...] = ()  # more of our variables the stdio server may see, by name
    url: str | None = None
    bearer_token_env_var: str | None = None
    http_headers: dict[str, str] = field(default_factory=dict)  # sent as they are
    env_http_headers: dict[str, str] = field(default_factory=dict)  # header -> env var name
    cwd: Path | None = None  # the stdio server's working directory (relative: to the session's)
    startup_timeout_sec: float = 10.0
    tool_timeout_sec: float = 60.0
    enabled: bool = True  # False: never started, its tools never offered
    required: bool = False  # True: the session does not start without this server
    enabled_tools: tuple[str, ...] | None = None  # allow-list (None: every tool)
    disabled_tools: tuple[str, ...] = ()  # deny-list, applied after ``enabled_tools``
    default_tools_approval_mode: str = "auto"  # see MCP_APPROVAL_MODES
    tools: dict[str, McpToolConfig] = field(default_factory=dict)

    def offers(self, tool: str) -> bool:
        """Whether ``tool`` of this server may be offered to (and called by) the model."""
        allowed = self.enabled_tools is None or tool in self.enabled_tools
        return allowed and tool not in self.disabled_tools

    def approval_mode(self, tool: str) -> str:
        """The tool's own ``approval_mode``, else the server's default."""
        own = self.tools.get(tool)
        if own is not None and own.approval_mode is not None:
            return own.approval_mode
        return self.default_tools_approval_mode


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    trust_level: str | None = None


@dataclass(frozen=True)
class ToolsConfig:
    """``[tools]``: tools the provider runs itself (current Codex's table)."""

    web_search: bool = False  # ``--search``: offer the Responses API's hosted web_search


@dataclass(frozen=True, slots=True)
class Config:
    """The effective configuration of one run, after every layer was merged."""

    codex_home: Path
    cwd: Path
    model: str = DEFAULT_MODEL
    model_provider_id: str = "openai"
    model_provider: ModelProviderInfo = field(
        default_factory=lambda: ModelProviderInfo(id="openai", name="OpenAI")
    )
    model_providers: dict[str, ModelProviderInfo] = field(default_factory=dict)
    profile: str | None = None
    approval_policy: AskForApproval = AskForApproval.UNTRUSTED
    sandbox_mode: SandboxMode = SandboxMode.READ_ONLY
    sandbox_workspace_write: SandboxWorkspaceWrite = field(default_factory=SandboxWorkspaceWrite)
    shell_environment_policy: ShellEnvironmentPolicy = field(default_factory=ShellEnvironmentPolicy)
    disable_response_storage: bool = False
    # A value newer than pycodex knows stays a plain str and is sent as written (issue 13).
    model_reasoning_effort: ReasoningEffort | str = ReasoningEffort.MEDIUM
    model_reasoning_summary: ReasoningSummary | str = ReasoningSummary.AUTO
    model_supports_reasoning_summaries: bool = False
    model_context_window: int | None = None
    model_max_output_tokens: int | None = None
    model_auto_compact_token_limit: int | None = None
    model_instructions_profile: str = "auto"  # "full" | "compact" | "auto" (by window size)
    project_doc_max_bytes: int = DEFAULT_PROJECT_DOC_MAX_BYTES
    model_verbosity: str | None = None  # Responses text.verbosity for GPT-5 models
    project_doc_fallback_filenames: tuple[str, ...] = ()  # tried when a folder has no AGENTS.md
    openai_base_url: str | None = None  # the built-in `openai` provider's base_url (current Codex)
    max_tool_timeout_sec: float = DEFAULT_MAX_TOOL_TIMEOUT_SEC  # clamps a shell call's timeout
    notify: tuple[str, ...] | None = None
    instructions: str | None = None
    experimental_instructions_file: Path | None = None
    base_instructions: str | None = None  # the text of experimental_instructions_file
    history: History = field(default_factory=History)
    file_opener: str = "vscode"
    hide_agent_reasoning: bool = False
    include_plan_tool: bool = True  # offer `update_plan` (later Codex's key)
    include_apply_patch_tool: bool = True  # offer `apply_patch` as a tool (always parsed in shell)
    tools: ToolsConfig = field(default_factory=ToolsConfig)
    show_raw_agent_reasoning: bool = False
    mcp_servers: dict[str, McpServerConfig] = field(default_factory=dict)
    projects: dict[str, ProjectConfig] = field(default_factory=dict)
    chatgpt_base_url: str = "https://chatgpt.com/backend-api/"
    preferred_auth_method: str = "chatgpt"  # "apikey": an API key wins over a ChatGPT sign-in
    experimental_resume: Path | None = None
    internal_originator: str = "codex_cli_rs"
