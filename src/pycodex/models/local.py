"""Local servers: which models they have, and how large a model's context is.

- ``list_models``: ``GET {base_url}/models`` (the OpenAI-style list every local server has:
  Ollama, LM Studio, llama.cpp, vLLM) -> model ids.
- ``ollama_context_window``: ``POST {root}/api/show`` -> the context the server will use:
  ``num_ctx`` from the model's parameters when its Modelfile sets one, else the model's
  trained ``<arch>.context_length``, capped by ``OLLAMA_CONTEXT_LENGTH`` when that is set in
  our environment (the usual way to raise Ollama's default, which it applies to ``/v1``).
- ``ensure_lmstudio_model``: the ``--oss --local-provider lmstudio`` bootstrap: the server is
  up and lists the model (LM Studio loads a listed model on first use; it cannot download).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from pycodex.config.schema import Config
from pycodex.models.ollama import PROBE_TIMEOUT_SECONDS, host_root, json_request
from pycodex.protocol.errors import ModelError, OssSetupError

LMSTUDIO_NOT_RUNNING = (
    "No running LM Studio server detected. Start it with: `lms server start` "
    "(or the Developer tab of LM Studio). Install instructions: https://lmstudio.ai"
)


async def _json(
    method: str, url: str, body: dict[str, Any] | None, env: Mapping[str, str] | None
) -> Any:
    """The JSON answer of one request; ``ModelError`` for anything but a JSON 200."""
    resp = await json_request(method, url, body, env, PROBE_TIMEOUT_SECONDS)
    try:
        raw = await resp.read()
        if resp.status != 200:
            raise ModelError(f"{url} answered HTTP {resp.status}")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ModelError(f"{url} did not return JSON") from exc
    finally:
        resp.close()


async def list_models(base_url: str, *, env: Mapping[str, str] | None = None) -> list[str]:
    """Model ids from ``{base_url}/models``; raises ``ModelError`` when unreachable."""
    data = await _json("GET", base_url.rstrip("/") + "/models", None, env)
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ModelError(f"{base_url}/models did not return a model list")
    return [str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id")]


def _num_ctx(parameters: Any) -> int | None:
    """``num_ctx 8192`` in the Modelfile parameters text of ``/api/show``."""
    if not isinstance(parameters, str):
        return None
    for line in parameters.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "num_ctx" and parts[1].isdigit():
            return int(parts[1])
    return None


def context_from_show(data: Any, env: Mapping[str, str] | None = None) -> int | None:
    """The context window from an ``/api/show`` answer (see the module docstring)."""
    if not isinstance(data, dict):
        return None
    window = _num_ctx(data.get("parameters"))
    if window is None:
        info = data.get("model_info")
        lengths = [
            int(v)
            for k, v in (info.items() if isinstance(info, dict) else ())
            if k.endswith(".context_length") and isinstance(v, int | float) and v > 0
        ]
        window = lengths[0] if lengths else None
    cap = (env or {}).get("OLLAMA_CONTEXT_LENGTH", "").strip()
    if (
        window is not None
        and cap.isdigit()
        and int(cap) > 0
        and _num_ctx(data.get("parameters")) is None
    ):
        window = min(window, int(cap))
    return window


async def ollama_context_window(
    base_url: str, model: str, *, env: Mapping[str, str] | None = None
) -> int | None:
    """The model's context window from Ollama, or None (not Ollama, unknown model, down)."""
    try:
        data = await _json("POST", host_root(base_url) + "/api/show", {"model": model}, env)
    except ModelError:
        return None
    return context_from_show(data, env)


async def ensure_lmstudio_model(
    base_url: str, model: str, *, env: Mapping[str, str] | None = None
) -> None:
    """Raises ``OssSetupError`` when LM Studio is down or does not have ``model``."""
    try:
        models = await list_models(base_url, env=env)
    except ModelError as exc:
        raise OssSetupError(LMSTUDIO_NOT_RUNNING) from exc
    if model not in models:
        have = ", ".join(models) if models else "none"
        raise OssSetupError(
            f"LM Studio at {base_url} has no model `{model}` (available: {have}); "
            "download it in LM Studio (or `lms get`), or pick one with -m"
        )


async def with_probed_context_window(config: Config, env: Mapping[str, str]) -> Config:
    """``config`` with ``model_context_window`` from Ollama's ``/api/show`` when the provider
    asks for it (``probe_context_window``) and the config sets none; else unchanged. Every
    front end calls this once before the session, so compaction, the compact prompt and the
    context warning use the window the server really has."""
    provider = config.model_provider
    if config.model_context_window is not None or not provider.probe_context_window:
        return config
    window = await ollama_context_window(provider.base_url or "", config.model, env=env)
    return dataclasses.replace(config, model_context_window=window) if window else config
