"""The built-in model providers, as the lowest layer under ``[model_providers]``.

Built-ins (SPEC §2):

- ``openai``: Responses API; ``base_url`` from ``OPENAI_BASE_URL``, else the public API;
  key ``OPENAI_API_KEY`` (or auth.json: ``requires_openai_auth``; with a ChatGPT sign-in the
  default URL becomes ``chatgpt_base_url`` + ``codex``, see ``models.client``); headers
  ``OpenAI-Organization`` / ``OpenAI-Project`` from ``OPENAI_ORGANIZATION`` / ``OPENAI_PROJECT``.
- ``oss``: Chat Completions on a local Ollama; ``CODEX_OSS_BASE_URL``, else
  ``http://localhost:${CODEX_OSS_PORT:-11434}/v1``; no auth. Tool calls written as text
  are recognised (``text_tool_calls``) and the model's context length is read from
  ``/api/show`` (``probe_context_window``).
- ``lmstudio``: Chat Completions on LM Studio's server, ``http://localhost:1234/v1``; no
  auth; ``text_tool_calls`` on. (``--oss --local-provider lmstudio`` selects it.)

``tool_choice`` is left unset on the local built-ins: nothing is sent, which every server
accepts (vLLM answers 400 to ``"auto"`` unless started with ``--enable-auto-tool-choice``);
servers that call tools only when it is set get ``tool_choice = "auto"`` in config.

They are a layer like any other, so a user's ``[model_providers.openai]`` overrides them
field by field (v0.20 demanded the whole table, ``name`` included). The environment feeds the
built-ins only: a ``base_url`` written in config.toml beats ``OPENAI_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pycodex.config.layers import Layer, Origin, layer_from_values
from pycodex.config.schema import ModelProviderInfo
from pycodex.config.toml_lines import KeyPath, dotted
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import WireApi

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_OSS_PORT = "11434"
LMSTUDIO_BASE_URL = "http://localhost:1234/v1"
BUILT_IN = "built-in"


def _env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def builtin_layer(env: Mapping[str, str]) -> Layer:
    """``model_providers.openai`` and ``.oss`` with the environment already applied."""
    openai_url = _env(env, "OPENAI_BASE_URL")
    oss_url = _env(env, "CODEX_OSS_BASE_URL")
    port = _env(env, "CODEX_OSS_PORT")
    openai: dict[str, Any] = {
        "name": "OpenAI",
        "base_url": openai_url or OPENAI_BASE_URL,
        "env_key": "OPENAI_API_KEY",
        "env_key_instructions": (
            "Set it, sign in with ChatGPT (`codex login`), "
            "or store a key with `codex login --api-key KEY`."
        ),
        "wire_api": WireApi.RESPONSES.value,
        "env_http_headers": {
            "OpenAI-Organization": "OPENAI_ORGANIZATION",
            "OpenAI-Project": "OPENAI_PROJECT",
        },
        "requires_openai_auth": True,
    }
    oss: dict[str, Any] = {
        "name": "gpt-oss",
        "base_url": oss_url or f"http://localhost:{port or DEFAULT_OSS_PORT}/v1",
        "wire_api": WireApi.CHAT.value,
        "text_tool_calls": True,
        "probe_context_window": True,
    }
    lmstudio: dict[str, Any] = {
        "name": "LM Studio",
        "base_url": LMSTUDIO_BASE_URL,
        "wire_api": WireApi.CHAT.value,
        "text_tool_calls": True,
    }
    values = {"model_providers": {"openai": openai, "oss": oss, "lmstudio": lmstudio}}
    special: dict[KeyPath, str] = {}
    if openai_url:
        special[("model_providers", "openai", "base_url")] = "OPENAI_BASE_URL"
    if oss_url:
        special[("model_providers", "oss", "base_url")] = "CODEX_OSS_BASE_URL"
    elif port:
        special[("model_providers", "oss", "base_url")] = "CODEX_OSS_PORT"

    def origin(path: KeyPath) -> Origin:
        var = special.get(path)
        if var is None:
            return Origin(BUILT_IN, key=dotted(path))
        return Origin(f"env {var}", file=f"env {var}", key=var)

    return layer_from_values(values, origin)


def check_oss_port(env: Mapping[str, str]) -> None:
    """``CODEX_OSS_PORT`` must be a port number when it is what builds the oss URL."""
    raw = _env(env, "CODEX_OSS_PORT") or DEFAULT_OSS_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(
            "environment variable is not a port number",
            file="env CODEX_OSS_PORT",
            key="CODEX_OSS_PORT",
            expected="an integer from 1 to 65535",
            found=f'"{raw}"',
        )


def provider_info(provider_id: str, table: Mapping[str, Any]) -> ModelProviderInfo:
    """A checked ``[model_providers.ID]`` table as typed data (fields missing: defaults)."""
    fields: dict[str, Any] = {k: v for k, v in table.items() if k != "wire_api"}
    fields.setdefault("name", provider_id)
    if "wire_api" in table:
        fields["wire_api"] = WireApi(table["wire_api"])
    return ModelProviderInfo(id=provider_id, **fields)
