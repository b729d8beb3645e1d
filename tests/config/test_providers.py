"""Built-in providers, their environment variables, and user tables over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.overrides import CliOverrides
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import WireApi

from ._support import flags, load


def test_builtin_openai(tmp_path: Path) -> None:
    loaded = load(tmp_path)
    p = loaded.config.model_provider
    assert (p.id, p.name, p.base_url, p.wire_api, p.env_key, p.requires_openai_auth) == (
        "openai",
        "OpenAI",
        "https://api.openai.com/v1",
        WireApi.RESPONSES,
        "OPENAI_API_KEY",
        True,
    )
    assert p.env_http_headers == {
        "OpenAI-Organization": "OPENAI_ORGANIZATION",
        "OpenAI-Project": "OPENAI_PROJECT",
    }
    assert loaded.origins["model_providers.openai.base_url"] == "built-in"
    assert p.env_key_instructions is not None
    assert "codex login --api-key" in p.env_key_instructions


def test_builtin_oss(tmp_path: Path) -> None:
    loaded = load(tmp_path, overrides=CliOverrides(oss=True))
    p = loaded.config.model_provider
    assert (p.id, p.name, p.base_url, p.wire_api, p.env_key, p.requires_openai_auth) == (
        "oss",
        "gpt-oss",
        "http://localhost:11434/v1",
        WireApi.CHAT,
        None,
        False,
    )
    assert loaded.config.model == "gpt-oss:20b"


@pytest.mark.parametrize(
    ("env", "provider", "url", "origin"),
    [
        ({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, "openai", "http://127.0.0.1:1/v1",
         "env OPENAI_BASE_URL"),
        ({"OPENAI_BASE_URL": ""}, "openai", "https://api.openai.com/v1", "built-in"),
        ({"CODEX_OSS_BASE_URL": "http://ollama.lan:11434/v1"}, "oss",
         "http://ollama.lan:11434/v1", "env CODEX_OSS_BASE_URL"),
        ({"CODEX_OSS_PORT": "8123"}, "oss", "http://localhost:8123/v1", "env CODEX_OSS_PORT"),
        ({"CODEX_OSS_PORT": "8123", "CODEX_OSS_BASE_URL": "http://h:1/v1"}, "oss",
         "http://h:1/v1", "env CODEX_OSS_BASE_URL"),
        # the port only matters when it builds the URL: a bad one is ignored then
        ({"CODEX_OSS_PORT": "abc", "CODEX_OSS_BASE_URL": "http://h:1/v1"}, "oss",
         "http://h:1/v1", "env CODEX_OSS_BASE_URL"),
    ],
)  # fmt: skip
def test_environment_feeds_the_builtins(
    tmp_path: Path, env: dict[str, str], provider: str, url: str, origin: str
) -> None:
    loaded = load(tmp_path, overrides=CliOverrides(oss=provider == "oss"), env=env)
    assert loaded.config.model_provider.base_url == url
    assert loaded.origins[f"model_providers.{provider}.base_url"] == origin


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1", "11434x"])
def test_bad_oss_port_is_an_error(tmp_path: Path, port: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env={"CODEX_OSS_PORT": port})
    assert str(info.value) == (
        "env CODEX_OSS_PORT: `CODEX_OSS_PORT`: environment variable is not a port number: "
        f'expected an integer from 1 to 65535, found "{port}"'
    )


def test_user_table_overrides_a_builtin_field_by_field(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        '[model_providers.openai]\nrequest_max_retries = 9\nhttp_headers = { X-A = "1" }\n',
        env={"OPENAI_BASE_URL": "http://127.0.0.1:2/v1"},
    )
    p = loaded.config.model_provider
    assert (p.name, p.wire_api, p.env_key, p.requires_openai_auth) == (
        "OpenAI",
        WireApi.RESPONSES,
        "OPENAI_API_KEY",
        True,
    )
    assert (p.request_max_retries, p.http_headers, p.base_url) == (
        9,
        {"X-A": "1"},
        "http://127.0.0.1:2/v1",
    )
    assert loaded.origins["model_providers.openai.request_max_retries"] == "config.toml:2"
    assert loaded.origins["model_providers.openai.name"] == "built-in"


def test_a_base_url_in_the_file_beats_the_environment(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        '[model_providers.openai]\nbase_url = "http://proxy:1/v1"\n',
        env={"OPENAI_BASE_URL": "http://env:1/v1"},
    )
    assert loaded.config.model_provider.base_url == "http://proxy:1/v1"


def test_one_field_of_a_builtin_from_the_command_line(tmp_path: Path) -> None:
    loaded = load(
        tmp_path, overrides=flags("model_providers.openai.base_url=http://127.0.0.1:3/v1")
    )
    p = loaded.config.model_provider
    assert (p.name, p.base_url) == ("OpenAI", "http://127.0.0.1:3/v1")


def test_user_provider_defaults(tmp_path: Path) -> None:
    loaded = load(
        tmp_path, 'model_provider = "mine"\n[model_providers.mine]\nbase_url = "http://m/v1"\n'
    )
    p = loaded.config.model_provider
    assert (p.name, p.wire_api, p.request_max_retries, p.stream_max_retries) == (
        "mine",
        WireApi.CHAT,
        4,
        10,
    )
    assert (p.stream_idle_timeout_ms, p.requires_openai_auth, p.env_key) == (300000, False, None)


def test_unused_provider_without_base_url_is_fine(tmp_path: Path) -> None:
    loaded = load(tmp_path, '[model_providers.later]\nname = "Later"\n')
    assert loaded.config.model_providers["later"].base_url is None


def test_selected_provider_without_base_url_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(
            tmp_path,
            '[model_providers.later]\nname = "Later"\n',
            overrides=flags("model_provider=later"),
        )
    assert str(info.value).startswith(
        "config.toml:1: `model_providers.later.base_url`: the selected provider has no base_url"
    )


def test_oss_provider_without_oss_flag_defaults_to_the_oss_model(tmp_path: Path) -> None:
    loaded = load(tmp_path, 'model_provider = "oss"\n')
    assert loaded.config.model == "gpt-oss:20b"
    assert loaded.origins["model"] == "default (oss provider)"


def test_unknown_provider(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, 'model_provider = "azur"\n[model_providers.azure]\nbase_url = "u"\n')
    assert str(info.value) == (
        "config.toml:1: `model_provider`: unknown model provider: expected one of azure, "
        'lmstudio, openai, oss (or a [model_providers.ID] table), found "azur"'
    )
