"""`-c key=value`: dotted (quoted) key paths and TOML values with the literal-string fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pycodex.config.overrides import parse_override, parse_value
from pycodex.protocol.errors import ConfigError

from ._support import flags, load


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"o3"', "o3"),
        ("o3", "o3"),  # not TOML: the literal string
        ("gpt-4.1-mini", "gpt-4.1-mini"),
        ("42", 42),
        ("-1", -1),
        ("1.5", 1.5),
        ("true", True),
        ("false", False),
        ('["say", "done"]', ["say", "done"]),
        ("[1, 2]", [1, 2]),
        ('{FOO = "toml", n = 1}', {"FOO": "toml", "n": 1}),
        ("{}", {}),
        ("", ""),
        ("  spaced out  ", "spaced out"),
        ('{"FOO":"json"}', '{"FOO":"json"}'),  # JSON is not TOML: kept as text
        ("1\nmodel = 2", "1\nmodel = 2"),  # cannot smuggle a second key in
        ("http://localhost:1234/v1", "http://localhost:1234/v1"),
    ],
)
def test_values_are_toml_with_literal_fallback(text: str, value: Any) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("raw", "path", "value"),
    [
        ("model=o3", ("model",), "o3"),
        ("model = o3", ("model",), "o3"),
        (
            "sandbox_workspace_write.network_access=true",
            ("sandbox_workspace_write", "network_access"),
            True,
        ),
        (
            'projects."/srv/app.v2".trust_level=trusted',
            ("projects", "/srv/app.v2", "trust_level"),
            "trusted",
        ),
        ("a.'b.c'.d=x=y", ("a", "b.c", "d"), "x=y"),  # only the first `=` splits
    ],
)
def test_key_paths(raw: str, path: tuple[str, ...], value: Any) -> None:
    override = parse_override(raw)
    assert (override.path, override.value, override.raw) == (path, value, raw)


@pytest.mark.parametrize("raw", ["model", "=o3", ".model=o3", "a b=1", 'a."b=1'])
def test_malformed_overrides_name_the_override(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_override(raw)
    assert f"-c {raw}" in str(info.value)
    assert "expected" in str(info.value)


def test_as_table_nests_the_path() -> None:
    assert parse_override("a.b.c=1").as_table() == {"a": {"b": {"c": 1}}}


def test_overrides_reach_the_config(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        overrides=flags(
            "model=o3",
            "model_context_window=1000",
            "disable_response_storage=true",
            'notify=["notify-send", "done"]',
            'shell_environment_policy.set={FOO="toml"}',
            "sandbox_workspace_write.writable_roots=['/data']",
            'mcp_servers.docs={command="npx", args=["-y","docs"], env={TOKEN="t"}}',
        ),
    )
    config = loaded.config
    assert config.model == "o3"
    assert config.model_context_window == 1000
    assert config.disable_response_storage is True
    assert config.notify == ("notify-send", "done")
    assert config.shell_environment_policy.set == {"FOO": "toml"}
    assert config.sandbox_workspace_write.writable_roots == (Path("/data"),)
    assert config.mcp_servers["docs"].args == ("-y", "docs")
    assert loaded.origins["model"] == "-c model=o3"
    assert loaded.origins["mcp_servers.docs.command"].startswith("-c mcp_servers.docs")


def test_later_override_wins_and_tables_merge(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        "[sandbox_workspace_write]\nnetwork_access = true\n",
        overrides=flags("model=a", "model=b", "sandbox_workspace_write.exclude_slash_tmp=true"),
    )
    sww = loaded.config.sandbox_workspace_write
    assert loaded.config.model == "b"
    assert (sww.network_access, sww.exclude_slash_tmp) == (True, True)
    assert loaded.origins["sandbox_workspace_write.network_access"] == "config.toml:2"


def test_override_of_a_secret_is_not_echoed_in_origins(tmp_path: Path) -> None:
    loaded = load(
        tmp_path, overrides=flags('model_providers.openai.http_headers={X-Key="sk-secret-1234567"}')
    )
    origin = loaded.origins["model_providers.openai.http_headers"]
    assert origin == "-c model_providers.openai.http_headers=…"
