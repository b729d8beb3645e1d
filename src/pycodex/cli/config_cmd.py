"""`codex config show [--json] [--models]`: the effective configuration and where each value
came from.

Imports only the config loader (tomllib, difflib, json): no HTTP, TLS or asyncio, so it starts
as fast as ``--version`` plus reading one file. ``--models`` is the one opt-in exception: it
asks the selected provider (a local one: no ``env_key``) for ``GET {base_url}/models`` and
lists what it has, importing the network stack only then.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from pycodex.cli.common import load_from_args
from pycodex.config.loader import LoadedConfig
from pycodex.config.render import config_as_dict
from pycodex.config.toml_lines import dotted
from pycodex.storage.auth import mask_secret

_SECTIONS = ("sandbox_workspace_write", "shell_environment_policy", "history")
_MAPS = ("mcp_servers", "projects")


def run_config_show(args: argparse.Namespace) -> int:
    loaded = load_from_args(args)
    data = config_as_dict(loaded.config, mask_secret)
    models = _available_models(loaded) if getattr(args, "models", False) else None
    if getattr(args, "json", False):
        document: dict[str, Any] = {
            "config": data,
            "origins": loaded.origins,
            "codex_home": str(loaded.config.codex_home),
            "config_file": str(loaded.config_file) if loaded.config_file else None,
        }
        if models is not None:
            document["available_models"], document["available_models_error"] = models
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        lines = render_text(loaded, data)
        if models is not None:
            found, error = models
            where = loaded.config.model_provider.base_url
            lines += ["", f"# available models at {where}:"]
            lines += [f"#   {m}" for m in found or []] or [f"#   ({error or 'none'})"]
        sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def _available_models(loaded: LoadedConfig) -> tuple[list[str] | None, str | None]:
    """The selected provider's models, or None and why not (the network only here)."""
    provider = loaded.config.model_provider
    if provider.env_key or provider.requires_openai_auth:
        return None, "listing models is for local providers (no env_key)"
    import asyncio
    import os

    from pycodex.models.local import list_models
    from pycodex.protocol.errors import ModelError

    try:
        return asyncio.run(list_models(provider.base_url or "", env=os.environ)), None
    except ModelError as exc:
        return None, f"not reachable: {exc}"


def run_config_help(args: argparse.Namespace) -> int:
    from pycodex.cli.parser import build_parser

    root = build_parser()
    for action in root._actions:
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and "config" in choices:
            choices["config"].print_help(sys.stdout)
            return 0
    return 0  # pragma: no cover - the parser always has `config`


def render_text(loaded: LoadedConfig, data: Mapping[str, Any]) -> list[str]:
    """TOML-ish lines: ``key = value  # origin``, tables grouped after the plain keys."""
    origins = loaded.origins
    config_file = str(loaded.config_file) if loaded.config_file else "none (defaults used)"
    lines = [
        f"# codex_home = {_toml(str(loaded.config.codex_home))}  # {origins['codex_home']}",
        f"# config_file = {_toml(config_file)}",
        f"# cwd = {_toml(str(loaded.config.cwd))}  # {origins['cwd']}",
        "",
    ]
    for key, value in data.items():
        if not isinstance(value, dict):
            lines.append(_line(key, value, origins.get(key, "default")))
    provider = loaded.config.model_provider_id
    lines += ["", f"[model_providers.{dotted((provider,))}]  # the selected provider"]
    lines += _table_lines(("model_providers", provider), data["model_providers"][provider], origins)
    others = [pid for pid in data["model_providers"] if pid != provider]
    if others:
        lines.append(f"# other providers: {', '.join(others)} (`--json` shows them)")
    for section in _SECTIONS:
        lines += ["", f"[{section}]", *_table_lines((section,), data[section], origins)]
    for section in _MAPS:
        for name, table in data[section].items():
            lines += ["", f"[{dotted((section, name))}]"]
            lines += _table_lines((section, name), table, origins)
    return lines


def _table_lines(
    prefix: tuple[str, ...], table: Mapping[str, Any], origins: Mapping[str, str]
) -> list[str]:
    return [
        _line(dotted((key,)), value, origins.get(dotted((*prefix, key)), "default"))
        for key, value in table.items()
    ]


def _line(key: str, value: Any, origin: str) -> str:
    return f"{key} = {_toml(value)}  # {origin}"


def _toml(value: Any) -> str:
    """A value in TOML syntax (``(unset)`` for None, which TOML cannot write)."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ", ".join(f"{dotted((str(k),))} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    return str(value)
