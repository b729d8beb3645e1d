"""Configuration of local providers: built-ins, --local-provider, the new keys, small windows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pycodex.config.loader import load_config
from pycodex.config.overrides import CliOverrides
from pycodex.config.schema import Config
from pycodex.core.model_info import auto_compact_limit, request_options, use_compact_prompt
from pycodex.core.prompt import base_instructions, default_base_instructions
from pycodex.models.local import context_from_show, list_models, ollama_context_window
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import WireApi
from tests.support.model_server import ScriptedModelServer, ServerProfile


def load(tmp_path: Path, text: str = "", **overrides: Any) -> Config:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(text)
    return load_config(
        codex_home=home, cwd=tmp_path, env={}, overrides=CliOverrides(**overrides)
    ).config


def test_builtin_local_providers(tmp_path: Path) -> None:
    config = load(tmp_path)
    lm = config.model_providers["lmstudio"]
    assert (lm.name, lm.base_url, lm.wire_api) == (
        "LM Studio",
        "http://localhost:1234/v1",
        WireApi.CHAT,
    )
    assert lm.env_key is None and lm.text_tool_calls and lm.tool_choice is None
    oss = config.model_providers["oss"]
    assert oss.text_tool_calls and oss.probe_context_window and oss.tool_choice is None
    openai = config.model_providers["openai"]
    assert not openai.text_tool_calls and not openai.probe_context_window


@pytest.mark.parametrize(
    ("overrides", "provider", "model"),
    [
        ({"oss": True}, "oss", "gpt-oss:20b"),
        ({"oss": True, "local_provider": "ollama"}, "oss", "gpt-oss:20b"),
        ({"oss": True, "local_provider": "lmstudio"}, "lmstudio", "openai/gpt-oss-20b"),
        ({"local_provider": "lmstudio"}, "lmstudio", "openai/gpt-oss-20b"),
        ({"local_provider": "lmstudio", "model": "qwen3-8b"}, "lmstudio", "qwen3-8b"),
    ],
)
def test_local_provider_flag(
    tmp_path: Path, overrides: dict[str, Any], provider: str, model: str
) -> None:
    config = load(tmp_path, 'model = "gpt-5"\n', **overrides)
    assert (config.model_provider_id, config.model) == (provider, model)


def test_provider_keys_are_checked_and_merge_over_builtins(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        'model_provider = "lmstudio"\n[model_providers.lmstudio]\ntool_choice = "auto"\n'
        "text_tool_calls = false\n",
    )
    lm = config.model_provider
    assert lm.base_url == "http://localhost:1234/v1"  # kept from the built-in
    assert lm.tool_choice == "auto" and not lm.text_tool_calls
    with pytest.raises(ConfigError, match=r"tool_choice.*one of auto, required, none, omit"):
        load(tmp_path, '[model_providers.oss]\ntool_choice = "sometimes"\n')
    with pytest.raises(ConfigError, match="model_instructions_profile"):
        load(tmp_path, 'model_instructions_profile = "tiny"\n')


@pytest.mark.parametrize(
    ("window", "profile", "compact"),
    [
        (None, "auto", False),
        (8192, "auto", True),
        (16_384, "auto", True),
        (32_768, "auto", False),
        (8192, "full", False),
        (200_000, "compact", True),
    ],
)
def test_compact_prompt_profile(
    tmp_path: Path, window: int | None, profile: str, compact: bool
) -> None:
    text = f'model = "local-thing"\nmodel_instructions_profile = "{profile}"\n'
    if window is not None:
        text += f"model_context_window = {window}\n"
    config = load(tmp_path, text)
    assert use_compact_prompt(config) is compact
    assert request_options(config).compact_tools is compact
    assert request_options(config).context_window == window
    instructions = base_instructions(config)
    assert (instructions != default_base_instructions()) is compact
    if compact:
        assert len(instructions) < len(default_base_instructions()) / 4


def test_instructions_file_beats_the_compact_profile(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "mine.md").write_text("my own prompt")
    config = load(
        tmp_path,
        'experimental_instructions_file = "mine.md"\nmodel_instructions_profile = "compact"\n',
    )
    assert base_instructions(config) == "my own prompt"


@pytest.mark.parametrize(
    ("window", "limit"),
    [(4096, 2867), (32_768, 22_937), (131_072, 117_964), (272_000, 244_800)],
)
def test_small_windows_compact_earlier(tmp_path: Path, window: int, limit: int) -> None:
    config = load(tmp_path, f"model_context_window = {window}\n")
    assert auto_compact_limit(config) == limit


def test_context_from_api_show() -> None:
    info = {"model_info": {"qwen2.context_length": 32768}, "parameters": ""}
    assert context_from_show(info) == 32768
    assert context_from_show({**info, "parameters": 'num_ctx 4096\nstop "x"'}) == 4096
    capped = context_from_show(info, {"OLLAMA_CONTEXT_LENGTH": "8192"})
    assert capped == 8192
    assert context_from_show({"model_info": {}}) is None
    assert context_from_show("nonsense") is None


def test_ollama_context_window_over_http() -> None:
    profile = ServerProfile(context_length=16_384)
    with ScriptedModelServer(profile=profile, ollama_models=["qwen3:4b"]) as srv:
        found = asyncio.run(ollama_context_window(srv.base_url, "qwen3:4b"))
        missing = asyncio.run(ollama_context_window(srv.base_url, "nope:1b"))
        models = asyncio.run(list_models(srv.base_url))
    assert (found, missing) == (16_384, None)
    assert models == ["qwen3:4b"]
