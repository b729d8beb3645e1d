"""The effective Config as plain TOML-shaped data (what ``codex config show`` prints).

Keys are config.toml key names; ``model_provider`` is the provider id and
``model_providers`` holds every provider after merging. Values that may hold a secret
(HTTP header values, MCP server env values, ``*KEY*``/``*TOKEN*``-like entries) go through the
caller's ``mask`` so they are never printed in full.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from pycodex.config.keys import SETTINGS
from pycodex.config.schema import Config

_SECRET_NAME = re.compile(r"key|secret|token|passw|auth|cookie", re.IGNORECASE)


def config_as_dict(config: Config, mask: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in (*SETTINGS, "profile"):
        if key in ("tui", "model_instructions_file"):  # the file is experimental_instructions_file
            continue
        if key == "model_provider":
            out[key] = config.model_provider_id
        elif key == "model_providers":
            out[key] = {
                pid: _plain(info, drop=("id",)) for pid, info in config.model_providers.items()
            }
        elif key in ("mcp_servers", "projects"):
            table = getattr(config, key)
            out[key] = {name: _plain(entry, drop=("name",)) for name, entry in table.items()}
        else:
            out[key] = _plain(getattr(config, key))
    masked: dict[str, Any] = _masked(out, (), mask)
    return masked


def _plain(value: Any, drop: tuple[str, ...] = ()) -> Any:
    """JSON-able data: dataclasses -> dicts, enums -> values, Paths -> str, tuples -> lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in drop
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def is_secret(path: tuple[str, ...]) -> bool:
    """Whether the string at ``path`` may be a credential."""
    if len(path) < 2:
        return False
    parent, name = path[-2], path[-1]
    if parent == "http_headers" or (path[0] == "mcp_servers" and parent == "env"):
        return True
    return parent in ("set", "query_params") and bool(_SECRET_NAME.search(name))


def _masked(value: Any, path: tuple[str, ...], mask: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v, (*path, k), mask) for k, v in value.items()}
    if isinstance(value, str) and is_secret(path):
        return mask(value)
    return value
