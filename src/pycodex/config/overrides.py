"""What the command line asks of the configuration: `-c key=value` and the dedicated flags.

``-c`` values are TOML (``-c 'notify=["say","done"]'``, ``-c 'a.b={x=1}'``); anything that is
not a TOML value is taken as the literal string, so ``-c model=o3`` is ``-c model="o3"``.
The key is a dotted path whose parts may be quoted like TOML keys
(``-c 'projects."/srv/app".trust_level=trusted'``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycodex.config.toml_lines import KeyPath, parse_key
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import AskForApproval, SandboxMode


@dataclass(frozen=True)
class CliOverrides:
    """The command line's part of the configuration (see ``load_config`` for precedence)."""

    config_overrides: tuple[str, ...] = ()  # raw "-c key=value" strings, in order
    profile: str | None = None
    model: str | None = None
    oss: bool = False  # --oss: provider "oss", model gpt-oss:20b unless -m
    local_provider: str | None = None  # --local-provider ollama|lmstudio (implies --oss)
    sandbox_mode: SandboxMode | None = None
    approval_policy: AskForApproval | None = None
    full_auto: bool = False
    dangerously_bypass_approvals_and_sandbox: bool = False
    cwd: Path | None = None  # -C
    forced_approval_policy: AskForApproval | None = None  # exec forces NEVER, above everything


@dataclass(frozen=True)
class Override:
    """One parsed ``-c``: the key path, its value, and the text the user typed."""

    path: KeyPath
    value: Any
    raw: str

    def as_table(self) -> dict[str, Any]:
        """The override as a nested table: ``a.b=1`` -> ``{"a": {"b": 1}}``."""
        table: Any = self.value
        for part in reversed(self.path):
            table = {part: table}
        result: dict[str, Any] = table
        return result


def parse_override(raw: str) -> Override:
    """Parse ``key=value``; a ConfigError names the override when it is malformed."""
    key_text, sep, value_text = raw.partition("=")
    if not sep:
        raise ConfigError(f"invalid override `-c {raw}`", expected="key=value", found="no `=`")
    try:
        path, end = parse_key(key_text, 0)
    except ValueError:
        path, end = (), 0
    if not path or key_text[end:].strip():
        raise ConfigError(
            f"invalid override `-c {raw}`",
            expected="a dotted key before `=` (like sandbox_workspace_write.network_access)",
            found=f"`{key_text}`",
        )
    return Override(path=path, value=parse_value(value_text), raw=raw)


def parse_value(text: str) -> Any:
    """A TOML value, or the literal text when it is not one (``o3`` -> ``"o3"``)."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text.strip()
    if set(parsed) != {"v"}:  # "1\nother = 2" must not smuggle in a second key
        return text.strip()
    return parsed["v"]
