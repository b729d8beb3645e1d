"""Add or remove one ``[mcp_servers.NAME]`` entry of the user's ``config.toml``.

Same contract as :mod:`pycodex.storage.config_edit`: the file is the user's, so the edit is
textual and minimal (comments, key order and every other byte survive), the result is parsed
again and must equal the old data plus exactly the one change (otherwise nothing is written
and a ``ConfigError`` says to edit by hand), and the write is atomic, keeps the file's mode and
follows a symlinked config.toml.

Adding a name that exists replaces its entry (as current Codex does): the old entry's lines
are removed, then the new table is appended at the end of the file. Removing takes out the
table headers of the entry (``[mcp_servers.NAME]``, ``[mcp_servers.NAME.env]``) with the lines
under them, or the one ``NAME = {...}`` line under ``[mcp_servers]``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycodex.config.toml_lines import dotted, key_lines
from pycodex.protocol.errors import ConfigError
from pycodex.storage.files import PRIVATE_FILE_MODE, write_atomic

__all__ = ["McpServerEntry", "add_mcp_server", "remove_mcp_server", "valid_server_name"]

_NAME = re.compile(r"[A-Za-z0-9_-]+")


def valid_server_name(name: str) -> bool:
    """Names are ASCII letters, digits, ``-`` and ``_`` (bare TOML keys, tool-name safe)."""
    return _NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class McpServerEntry:
    """What ``codex mcp add`` writes: a stdio ``command`` or a streamable HTTP ``url``."""

    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    bearer_token_env_var: str | None = None

    def as_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        if self.command is not None:
            table["command"] = self.command
            if self.args:
                table["args"] = list(self.args)
        if self.url is not None:
            table["url"] = self.url
        if self.bearer_token_env_var is not None:
            table["bearer_token_env_var"] = self.bearer_token_env_var
        if self.env:
            table["env"] = dict(self.env)
        return table


@dataclass(frozen=True)
class _File:
    config: Path
    target: Path
    text: str
    data: dict[str, Any]
    existed: bool


def add_mcp_server(codex_home: Path, name: str, entry: McpServerEntry) -> tuple[Path, bool]:
    """Write ``[mcp_servers.NAME]``; return the file and whether an old entry was replaced."""
    _check_name(name)
    f = _read(codex_home)
    servers = _servers(f)
    replaced = name in servers
    text = _without(f.text, name) if replaced else f.text
    text = _append(text, name, entry)
    expected = dict(f.data)
    expected["mcp_servers"] = {**servers, name: entry.as_table()}
    _verify_and_write(f, text, expected, f"add [{dotted(('mcp_servers', name))}]")
    return f.target, replaced


def remove_mcp_server(codex_home: Path, name: str) -> Path | None:
    """Delete the entry; None (nothing written) when there is no server of that name."""
    _check_name(name)
    f = _read(codex_home)
    servers = _servers(f)
    if name not in servers:
        return None
    expected = dict(f.data)
    expected["mcp_servers"] = {k: v for k, v in servers.items() if k != name}
    text = _without(f.text, name)
    _verify_and_write(f, text, expected, f"remove [{dotted(('mcp_servers', name))}]")
    return f.target


def _check_name(name: str) -> None:
    if not valid_server_name(name):
        raise ConfigError(
            f"invalid MCP server name {name!r}: use ASCII letters, digits, '-' and '_'"
        )


def _read(codex_home: Path) -> _File:
    config = Path(codex_home) / "config.toml"
    target = config.resolve() if config.is_symlink() else config
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        raw = None
    text = (raw or b"").decode("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: not valid TOML, not changed ({exc})") from exc
    return _File(config, target, text, data, raw is not None)


def _servers(f: _File) -> dict[str, Any]:
    servers = f.data.get("mcp_servers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{f.config}: `mcp_servers` is not a table, not changed")
    return servers


def _verify_and_write(f: _File, text: str, expected: dict[str, Any], what: str) -> None:
    new = _parsed(text, None)
    if isinstance(new, dict) and "mcp_servers" not in new and not expected["mcp_servers"]:
        expected = {k: v for k, v in expected.items() if k != "mcp_servers"}  # last one gone
    if new != expected:
        raise ConfigError(f"{f.config}: cannot safely {what}; edit the file by hand")
    mode = f.target.stat().st_mode & 0o7777 if f.existed else PRIVATE_FILE_MODE
    f.target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(f.target, text.encode("utf-8"), mode=mode)


def _parsed(text: str, default: Any) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return default


# --- text edits -----------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are all valid TOML; DEL must be escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_string(str(v)) for v in value) + "]"
    raise TypeError(type(value).__name__)


def _append(text: str, name: str, entry: McpServerEntry) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    table = entry.as_table()
    env = table.pop("env", None)
    out = [f"[{dotted(('mcp_servers', name))}]"]
    out += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    if env:
        out += ["", f"[{dotted(('mcp_servers', name, 'env'))}]"]
        out += [f"{dotted((k,))} = {_toml_string(v)}" for k, v in env.items()]
    if text and not text.endswith("\n"):
        text += newline
    lead = newline if text.strip() else ""
    return text + lead + newline.join(out) + newline


def _is_header(line: str) -> bool:
    return line.lstrip().startswith("[")


def _blank(line: str) -> bool:
    return not line.strip()


def _without(text: str, name: str) -> str:
    """``text`` minus the lines of ``mcp_servers.NAME`` (the caller verifies the result)."""
    lines = text.splitlines(keepends=True)
    owned = ("mcp_servers", name)
    drop: set[int] = set()
    for i, line in enumerate(lines):
        if not _is_header(line) or line.lstrip().startswith("[["):
            continue
        found = key_lines(line.lstrip())
        path = max(found, key=len) if found else ()
        if path[:2] != owned:
            continue
        end = i + 1
        while end < len(lines) and not _is_header(lines[end]):
            end += 1
        # Comments and blank lines just above the next header describe that next table.
        while end > i + 1 and (_blank(lines[end - 1]) or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        drop.update(range(i, end))
    if not drop:  # `NAME = {...}` under [mcp_servers], or `mcp_servers.NAME...` dotted keys
        at = key_lines(text).get(owned)
        if at is not None:
            drop.add(at - 1)
    kept = _tidy_blanks(lines, drop)
    return "".join(kept)


def _tidy_blanks(lines: Sequence[str], drop: set[int]) -> list[str]:
    """Drop the lines, and a blank line left doubled (or trailing) where a block was."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i not in drop:
            out.append(lines[i])
            i += 1
            continue
        while i < len(lines) and i in drop:
            i += 1
        after_blank = i >= len(lines) or _blank(lines[i])
        if out and _blank(out[-1]) and after_blank:
            out.pop()
    return out
