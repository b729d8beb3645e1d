"""Every config example of the seed documentation loads unchanged, alone and together."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pycodex.config.overrides import CliOverrides
from pycodex.protocol.policy import WireApi

from ._support import load

FIXTURE = Path(__file__).with_name("seed_examples.toml")
MARK = "# --- snippet: "


def snippets() -> dict[str, str]:
    out: dict[str, str] = {}
    name = None
    for line in FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(MARK):
            name = line[len(MARK) :].strip()
            out[name] = ""
        elif name is not None:
            out[name] += line
    return out


SNIPPETS = snippets()


def test_fixture_has_every_seed_snippet() -> None:
    assert list(SNIPPETS) == [
        "oss-override",
        "ollama",
        "openrouter",
        "azure",
        "default-provider",
        "profiles",
        "mcp",
        "zdr",
    ]


@pytest.mark.parametrize("name", [n for n in SNIPPETS if n != "default-provider"])
def test_each_snippet_loads_alone_without_warnings(tmp_path: Path, name: str) -> None:
    loaded = load(tmp_path, SNIPPETS[name])
    assert loaded.warnings == ()
    assert loaded.config_file == tmp_path / "config.toml"


def _combined() -> str:
    """Top-level keys first (a key after a table header would belong to that table)."""
    top = [SNIPPETS["default-provider"], SNIPPETS["zdr"]]
    tables = [text for name, text in SNIPPETS.items() if name not in ("default-provider", "zdr")]
    return "".join(top + tables)


def test_all_snippets_together(tmp_path: Path) -> None:
    text = _combined()
    tomllib.loads(text)
    loaded = load(tmp_path, text)
    config = loaded.config
    assert loaded.warnings == ()
    assert config.model_provider_id == "azure"
    azure = config.model_provider
    assert azure.wire_api is WireApi.RESPONSES
    assert azure.query_params == {"api-version": "2025-04-01-preview"}
    assert azure.env_key == "AZURE_OPENAI_API_KEY"
    assert config.disable_response_storage is True
    assert config.mcp_servers["server-name"].env == {"API_KEY": "value"}
    assert config.model_providers["openrouter"].env_key == "OPENROUTER_API_KEY"
    # the user's `oss` table overrides the built-in field by field: wire_api stays `chat`
    oss = config.model_providers["oss"]
    assert (oss.name, oss.base_url, oss.wire_api) == (
        "Open Source",
        "http://my-ollama.example.com:11434/v1",
        WireApi.CHAT,
    )


@pytest.mark.parametrize(
    ("profile", "provider", "model", "base_url"),
    [
        ("o3", "azure", "o3", "https://YOUR_PROJECT_NAME.openai.azure.com/openai"),
        ("mistral", "ollama", "mistral", "http://localhost:11434/v1"),
    ],
)
def test_seed_profiles_select_their_provider(
    tmp_path: Path, profile: str, provider: str, model: str, base_url: str
) -> None:
    loaded = load(tmp_path, _combined(), overrides=CliOverrides(profile=profile))
    config = loaded.config
    assert (config.model_provider_id, config.model, config.model_provider.base_url) == (
        provider,
        model,
        base_url,
    )
    assert loaded.origins["model"].startswith(f"profile {profile} (config.toml:")


def test_oss_flag_uses_the_overridden_oss_table(tmp_path: Path) -> None:
    loaded = load(tmp_path, SNIPPETS["oss-override"], overrides=CliOverrides(oss=True))
    assert loaded.config.model == "gpt-oss:20b"
    assert loaded.config.model_provider.base_url == "http://my-ollama.example.com:11434/v1"
    assert loaded.origins["model_providers.oss.base_url"] == "config.toml:3"
