"""Loading: every v0.20 key, sub-tables, paths, unknown keys, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.keys import ROOT, SETTINGS
from pycodex.config.loader import codex_home_from_env
from pycodex.config.overrides import CliOverrides
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import AskForApproval, ReasoningEffort, ReasoningSummary, SandboxMode

from ._support import flags, load

ALL_KEYS = """\
model = "o3"
model_provider = "local"
model_context_window = 200000
model_max_output_tokens = 100000
model_auto_compact_token_limit = 150000
model_reasoning_effort = "high"
model_reasoning_summary = "detailed"
model_supports_reasoning_summaries = true
approval_policy = "on-request"
sandbox_mode = "workspace-write"
disable_response_storage = true
notify = ["notify-send", "codex"]
instructions = "be brief"
experimental_instructions_file = "prompt.md"
project_doc_max_bytes = 0
profile = "deep"
file_opener = "cursor"
hide_agent_reasoning = true
show_raw_agent_reasoning = true
chatgpt_base_url = "https://chatgpt.example/backend-api/"
experimental_resume = "/tmp/rollout.jsonl"
internal_originator = "pycodex_test"

[model_providers.local]
name = "Local"
base_url = "http://127.0.0.1:9/v1"
env_key = "LOCAL_KEY"
env_key_instructions = "export LOCAL_KEY=..."
wire_api = "responses"
query_params = { api-version = "1" }
http_headers = { X-Static = "yes" }
env_http_headers = { X-Env = "LOCAL_HEADER" }
request_max_retries = 1
stream_max_retries = 2
stream_idle_timeout_ms = 3000
requires_openai_auth = false

[sandbox_workspace_write]
writable_roots = ["/data", "~/cache"]
network_access = true
exclude_tmpdir_env_var = true
exclude_slash_tmp = true

[shell_environment_policy]
inherit = "core"
ignore_default_excludes = true
exclude = ["AWS_*"]
set = { CI = "1", PORT = 8080 }
include_only = ["PATH", "MY_*"]
experimental_use_profile = false

[history]
persistence = "none"
max_bytes = 1048576

[tui]
anything = "goes"

[mcp_servers.stdio]
command = "npx"
args = ["-y", "server"]
env = { TOKEN = "t" }
startup_timeout_sec = 20
tool_timeout_sec = 120.5

[mcp_servers.remote]
url = "https://mcp.example/mcp"
bearer_token_env_var = "MCP_TOKEN"

[projects."/home/me/app"]
trust_level = "trusted"

[profiles.deep]
model_reasoning_effort = "minimal"
"""


def test_the_29_keys_of_v020_plus_later_ones_are_known() -> None:
    v020 = {
        "model", "model_provider", "model_providers", "model_context_window",
        "model_max_output_tokens", "model_reasoning_effort", "model_reasoning_summary",
        "model_supports_reasoning_summaries", "approval_policy", "sandbox_mode",
        "sandbox_workspace_write", "shell_environment_policy", "disable_response_storage",
        "notify", "instructions", "experimental_instructions_file", "project_doc_max_bytes",
        "profile", "profiles", "history", "file_opener", "tui", "hide_agent_reasoning",
        "show_raw_agent_reasoning", "mcp_servers", "projects", "chatgpt_base_url",
        "experimental_resume", "internal_originator",
    }  # fmt: skip
    assert len(v020) == 29
    assert set(ROOT.fields) == v020 | {
        "model_auto_compact_token_limit",
        "model_instructions_profile",
        "include_plan_tool",
        "include_apply_patch_tool",
        "max_tool_timeout_sec",
        "model_instructions_file",
        "preferred_auth_method",
        "project_doc_fallback_filenames",
        "openai_base_url",
        "model_verbosity",
        "tools",  # [tools] web_search (--search); its other keys warn as newer Codex keys
    }
    assert set(SETTINGS) == set(ROOT.fields) - {"profile", "profiles"}


def test_a_config_using_every_key_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    home = tmp_path / "codex"
    home.mkdir()
    (home / "prompt.md").write_text("You are a test.", encoding="utf-8")
    loaded = load(home, ALL_KEYS, cwd=tmp_path)
    c = loaded.config
    assert loaded.warnings == ()
    assert (c.model, c.model_provider_id, c.profile) == ("o3", "local", "deep")
    assert (c.model_context_window, c.model_max_output_tokens) == (200000, 100000)
    assert c.model_auto_compact_token_limit == 150000
    assert c.model_reasoning_effort is ReasoningEffort.MINIMAL  # from the profile
    assert c.model_reasoning_summary is ReasoningSummary.DETAILED
    assert c.model_supports_reasoning_summaries is True
    assert (c.approval_policy, c.sandbox_mode) == (
        AskForApproval.ON_REQUEST,
        SandboxMode.WORKSPACE_WRITE,
    )
    assert c.disable_response_storage is True
    assert c.notify == ("notify-send", "codex")
    assert c.instructions == "be brief"
    assert c.experimental_instructions_file == home / "prompt.md"
    assert c.base_instructions == "You are a test."
    assert c.project_doc_max_bytes == 0
    assert (c.file_opener, c.hide_agent_reasoning, c.show_raw_agent_reasoning) == (
        "cursor",
        True,
        True,
    )
    assert c.chatgpt_base_url == "https://chatgpt.example/backend-api/"
    assert c.experimental_resume == Path("/tmp/rollout.jsonl")
    assert c.internal_originator == "pycodex_test"
    p = c.model_provider
    assert (p.id, p.name, p.base_url, p.env_key, p.env_key_instructions) == (
        "local",
        "Local",
        "http://127.0.0.1:9/v1",
        "LOCAL_KEY",
        "export LOCAL_KEY=...",
    )
    assert (p.query_params, p.http_headers, p.env_http_headers) == (
        {"api-version": "1"},
        {"X-Static": "yes"},
        {"X-Env": "LOCAL_HEADER"},
    )
    assert (p.request_max_retries, p.stream_max_retries, p.stream_idle_timeout_ms) == (1, 2, 3000)
    assert p.requires_openai_auth is False
    sww = c.sandbox_workspace_write
    assert sww.writable_roots == (Path("/data"), tmp_path / "cache")
    assert (sww.network_access, sww.exclude_tmpdir_env_var, sww.exclude_slash_tmp) == (
        True,
        True,
        True,
    )
    sep = c.shell_environment_policy
    assert (sep.inherit, sep.ignore_default_excludes, sep.exclude) == ("core", True, ("AWS_*",))
    assert (sep.set, sep.include_only) == ({"CI": "1", "PORT": "8080"}, ("PATH", "MY_*"))
    assert (c.history.persistence, c.history.max_bytes) == ("none", 1048576)
    stdio, remote = c.mcp_servers["stdio"], c.mcp_servers["remote"]
    assert (stdio.command, stdio.args, stdio.env) == ("npx", ("-y", "server"), {"TOKEN": "t"})
    assert (stdio.startup_timeout_sec, stdio.tool_timeout_sec) == (20.0, 120.5)
    assert (remote.url, remote.bearer_token_env_var, remote.command) == (
        "https://mcp.example/mcp",
        "MCP_TOKEN",
        None,
    )
    assert c.projects["/home/me/app"].trust_level == "trusted"
    assert loaded.origins['projects."/home/me/app".trust_level'] == "config.toml:71"
    assert loaded.origins["model_reasoning_effort"] == "profile deep (config.toml:74)"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path / "nowhere")
    c = loaded.config
    assert (c.model, c.model_provider_id, c.approval_policy, c.sandbox_mode) == (
        "gpt-5",
        "openai",
        AskForApproval.UNTRUSTED,
        SandboxMode.READ_ONLY,
    )
    assert loaded.config_file is None
    assert set(loaded.origins.values()) >= {"default", "built-in"}
    assert loaded.origins["model"] == "default"


def test_unknown_keys_warn_once_with_the_nearest_key(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        'model = "o3"\n\n\nmodle = "x"\n'
        '[profiles.p]\nsandbox_mod = "read-only"\n[mcpServers.x]\ncommand = "y"\n',
        overrides=flags("modle=again", "zzzqqq=1"),
    )
    assert loaded.warnings == (
        "config.toml:4: unknown key `modle` ignored (did you mean `model`?)",
        "config.toml:6: unknown key `profiles.p.sandbox_mod` ignored"
        " (did you mean `profiles.p.sandbox_mode`?)",
        "config.toml:7: unknown key `mcpServers` ignored (did you mean `mcp_servers`?)",
        "-c zzzqqq=1: unknown key `zzzqqq` ignored",
    )
    assert loaded.config.model == "o3"


def test_tui_accepts_any_table(tmp_path: Path) -> None:
    loaded = load(tmp_path, "[tui]\nwhatever = 1\n[tui.deeper]\nx = true\n")
    assert loaded.warnings == ()
    assert loaded.origins["tui.whatever"] == "config.toml:2"


def test_instructions_file_absolute_and_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "p.md").write_text("from home", encoding="utf-8")
    loaded = load(tmp_path / "h", 'experimental_instructions_file = "~/p.md"\n')
    assert loaded.config.base_instructions == "from home"
    assert loaded.config.experimental_instructions_file == tmp_path / "p.md"


def test_unreadable_instructions_file_is_located(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, '\nexperimental_instructions_file = "missing.md"\n')
    err = info.value
    assert (err.file, err.line, err.key) == (
        "config.toml",
        2,
        "experimental_instructions_file",
    )
    assert "missing.md" in str(err)


@pytest.mark.parametrize(
    ("text", "overrides", "where", "expected", "found"),
    [
        ("model = 5\n", None, "config.toml:1: `model`", "a string", "an integer 5"),
        ("[history]\nmax_bytes = -1\n", None, "config.toml:2: `history.max_bytes`",
         "a non-negative integer", "an integer -1"),
        ("notify = \"say\"\n", None, "config.toml:1: `notify`", "an array of strings", '"say"'),
        ("sandbox_workspace_write = 1\n", None, "config.toml:1: `sandbox_workspace_write`",
         "a table", "an integer 1"),
        ("[mcp_servers.a]\ncommand = \"x\"\nenv = { A = [1] }\n", None,
         "config.toml:3: `mcp_servers.a.env.A`", "a string", "an array"),
        ("[profiles.p]\nsandbox_mode = \"open\"\n", CliOverrides(profile="p"),
         "config.toml:2: `profiles.p.sandbox_mode`",
         "one of read-only, workspace-write, danger-full-access", '"open"'),
        ("", flags("approval_policy=sometimes"), "-c approval_policy=sometimes: `approval_policy`",
         "one of untrusted, on-failure, on-request, never", '"sometimes"'),
        ("[mcp_servers.a]\ncommand = \"x\"\nurl = \"y\"\n", None, "config.toml:1: `mcp_servers.a`",
         "`command` (stdio) or `url`", "both"),
        ("[model_providers.x]\nbase_url = 1\n", None,
         "config.toml:2: `model_providers.x.base_url`", "a string", "an integer 1"),
        ('profile = 3\n', None, "config.toml:1: `profile`", "a string", "an integer 3"),
    ],
)  # fmt: skip
def test_wrong_values_are_located(  # noqa: PLR0917 (pytest parameters)
    tmp_path: Path,
    text: str,
    overrides: CliOverrides | None,
    where: str,
    expected: str,
    found: str,
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, overrides=overrides)
    message = str(info.value)
    assert message.startswith(where + ": "), message
    assert f"expected {expected}" in message
    assert message.endswith(f"found {found}"), message


def test_bad_cd_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="`cwd`: not a directory"):
        load(tmp_path, overrides=CliOverrides(cwd=tmp_path / "missing"))


def test_codex_home_from_env(tmp_path: Path) -> None:
    assert codex_home_from_env({"CODEX_HOME": str(tmp_path)}) == tmp_path
    assert codex_home_from_env({"HOME": str(tmp_path)}) == tmp_path / ".codex"
    assert codex_home_from_env({"CODEX_HOME": "", "HOME": "/h"}) == Path("/h/.codex")


def test_crlf_and_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_bytes(
        b'\xef\xbb\xbfmodel = "o3"\r\n\r\n[history]\r\npersistence = "none"\r\n'
    )
    loaded = load(tmp_path)
    assert (loaded.config.model, loaded.config.history.persistence) == ("o3", "none")
    assert loaded.origins["history.persistence"] == "config.toml:4"


def test_invalid_utf8_is_located(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_bytes(b'model = "o3"\nname = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        load(tmp_path)
    assert str(info.value) == (
        "config.toml:2: invalid TOML: expected UTF-8 text, found the byte 0xff"
    )


def test_model_instructions_file_is_current_codexs_name_for_the_prompt_file(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "new.md").write_text("newer name", encoding="utf-8")
    (home / "old.md").write_text("older name", encoding="utf-8")
    loaded = load(home, 'model_instructions_file = "new.md"\n')
    assert loaded.config.base_instructions == "newer name"
    assert not loaded.warnings
    both = 'experimental_instructions_file = "old.md"\nmodel_instructions_file = "new.md"\n'
    assert load(home, both).config.base_instructions == "newer name"
    with pytest.raises(ConfigError) as info:
        load(home, 'model_instructions_file = "missing.md"\n')
    assert info.value.key == "model_instructions_file"


def test_openai_base_url_moves_the_builtin_provider_unless_its_table_says_otherwise(
    tmp_path: Path,
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    loaded = load(home, 'openai_base_url = "http://127.0.0.1:9/v1"\n')
    assert loaded.config.model_provider.base_url == "http://127.0.0.1:9/v1"
    assert not loaded.warnings
    written = (
        'openai_base_url = "http://127.0.0.1:9/v1"\n'
        '[model_providers.openai]\nbase_url = "http://127.0.0.1:8/v1"\n'
    )
    assert load(home, written).config.model_provider.base_url == "http://127.0.0.1:8/v1"


def test_model_verbosity_is_sent_to_gpt5_models_only(tmp_path: Path) -> None:
    from pycodex.core.model_info import request_options

    home = tmp_path / "h"
    loaded = load(home, 'model = "gpt-5"\nmodel_verbosity = "low"\n')
    assert not loaded.warnings
    assert request_options(loaded.config).verbosity == "low"
    other = load(home, 'model = "o3"\nmodel_verbosity = "low"\n')
    assert request_options(other.config).verbosity is None
    newer = load(home, 'model = "gpt-5"\nmodel_verbosity = "terse"\n')
    assert len(newer.warnings) == 1 and "sent as written" in newer.warnings[0]
    assert request_options(newer.config).verbosity == "terse"
