"""`codex mcp`: run pycodex as an MCP server on stdin/stdout (tools `codex`, `codex-reply`),
or manage the MCP servers pycodex itself uses (`list`, `get`, `add`, `remove`).

With no subcommand (and as `codex mcp-server`, current Codex's name for it) this is the
server. The global options that shape a session (``-c``, ``-p``, ``-m``, ``-s``, ``-a``,
``-C``) are not read there: each ``codex`` tool call carries its own, over CODEX_HOME's
config.toml. Logs and warnings go to stderr; stdout is the protocol. The exit status is 0 once
stdin closes (or on SIGTERM), 130 after SIGINT; either way every session is shut down first.

`list`/`get` show the effective ``mcp_servers`` (config.toml plus ``-c``/``-p``) with every
``env`` value masked: the values are often API tokens and terminals get logged. `add`/`remove`
edit ``$CODEX_HOME/config.toml`` through the storage layer, keeping the rest of the file
byte for byte. `add` of an existing name replaces it, as current Codex does; `get`/`remove`
of an unknown name is a one-line error with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pycodex.protocol.errors import CodexError, UsageError

_VALUE_FLAGS = ("--env", "--url", "--bearer-token-env-var")


def run_mcp(args: argparse.Namespace) -> int:
    import anyio

    from pycodex import __version__
    from pycodex.config.loader import codex_home_from_env
    from pycodex.frontends.mcp_server.server import serve
    from pycodex.frontends.mcp_server.sessions import ServerContext

    del args
    env = dict(os.environ)
    context = ServerContext(codex_home=codex_home_from_env(env), cwd=Path.cwd(), env=env)
    status: int = anyio.run(serve, context, __version__)
    return status


# --- list / get -----------------------------------------------------------------------------


def _servers(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Name -> plain, masked entry of every effective MCP server, sorted by name."""
    from pycodex.cli.common import load_from_args
    from pycodex.config.render import config_as_dict
    from pycodex.storage.auth import mask_secret

    loaded = load_from_args(args)
    data = config_as_dict(loaded.config, mask_secret)
    servers: dict[str, dict[str, Any]] = data.get("mcp_servers", {})
    return dict(sorted(servers.items()))


def _json_entry(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    if entry.get("url") is not None:
        transport: dict[str, Any] = {
            "type": "streamable_http",
            "url": entry["url"],
            "bearer_token_env_var": entry.get("bearer_token_env_var"),
        }
    else:
        transport = {
            "type": "stdio",
            "command": entry.get("command"),
            "args": entry.get("args", []),
            "env": entry.get("env") or None,
        }
    out: dict[str, Any] = {"name": name, "enabled": entry.get("enabled", True)}
    out["transport"] = transport
    for key in ("startup_timeout_sec", "tool_timeout_sec"):
        if key in entry:
            out[key] = entry[key]
    return out


def _env_text(entry: dict[str, Any]) -> str:
    env: dict[str, str] = entry.get("env") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "-"


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [list(header), *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [list(header), *rows]
    ]


def run_mcp_list(args: argparse.Namespace) -> int:
    servers = _servers(args)
    if args.json:
        document = [_json_entry(name, entry) for name, entry in servers.items()]
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not servers:
        sys.stdout.write(
            "No MCP servers configured. Add one with `codex mcp add NAME -- COMMAND [ARGS...]`.\n"
        )
        return 0
    stdio = [
        [
            name,
            str(e.get("command")),
            " ".join(e.get("args") or []) or "-",
            _env_text(e),
            _status(e),
        ]
        for name, e in servers.items()
        if e.get("url") is None
    ]
    http = [
        [name, str(e["url"]), e.get("bearer_token_env_var") or "-", _status(e)]
        for name, e in servers.items()
        if e.get("url") is not None
    ]
    lines: list[str] = []
    if stdio:
        lines += _table(("Name", "Command", "Args", "Env", "Status"), stdio)
    if http:
        lines += [""] if lines else []
        lines += _table(("Name", "Url", "Bearer Token Env Var", "Status"), http)
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def _status(entry: dict[str, Any]) -> str:
    """``enabled`` or ``disabled`` (``enabled = false``: never started, as current Codex)."""
    return "disabled" if entry.get("enabled") is False else "enabled"


def run_mcp_get(args: argparse.Namespace) -> int:
    servers = _servers(args)
    entry = servers.get(args.name)
    if entry is None:
        raise CodexError(f"no MCP server named '{args.name}' is configured")
    if args.json:
        sys.stdout.write(json.dumps(_json_entry(args.name, entry), indent=2) + "\n")
        return 0
    lines = [args.name, f"  enabled: {str(entry.get('enabled', True)).lower()}"]
    if entry.get("url") is not None:
        lines += ["  transport: streamable_http", f"  url: {entry['url']}"]
        lines.append(f"  bearer_token_env_var: {entry.get('bearer_token_env_var') or '-'}")
    else:
        lines += ["  transport: stdio", f"  command: {entry.get('command')}"]
        lines.append(f"  args: {' '.join(entry.get('args') or []) or '-'}")
        lines.append(f"  env: {_env_text(entry)}")
    for key in ("startup_timeout_sec", "tool_timeout_sec"):
        if key in entry:
            lines.append(f"  {key}: {entry[key]:g}")
    lines.append(f"  remove: codex mcp remove {args.name}")
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


# --- add / remove ---------------------------------------------------------------------------


def _split_add_tail(args: argparse.Namespace) -> list[str]:
    """Options written after NAME land in the command tail: take them out, return COMMAND."""
    args.env = list(args.env or [])  # a copy: never append to the parser's default list
    tail: list[str] = list(args.server_command or [])
    i = 0
    while i < len(tail):
        token = tail[i]
        if token == "--":
            return tail[i + 1 :]
        flag, eq, inline = token.partition("=")
        if flag in _VALUE_FLAGS:
            if eq:
                value = inline
                i += 1
            elif i + 1 < len(tail):
                value = tail[i + 1]
                i += 2
            else:
                raise UsageError(f"{flag} needs a value")
            if flag == "--env":
                args.env.append(value)
            else:
                setattr(args, flag[2:].replace("-", "_"), value)
            continue
        if token.startswith("-") and token != "-":
            raise UsageError(f"codex mcp add: unknown option {token} (put the command after --)")
        return tail[i:]
    return []


def _env_pairs(raw: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in raw:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"--env {item!r}: expected KEY=VALUE")
        env[key.strip()] = value
    return env


def run_mcp_add(args: argparse.Namespace) -> int:
    from pycodex.config.loader import codex_home_from_env
    from pycodex.storage.mcp_servers_edit import McpServerEntry, add_mcp_server

    command = _split_add_tail(args)
    env = _env_pairs(args.env)
    if args.url is not None and command:
        raise UsageError("codex mcp add: give either --url URL or -- COMMAND, not both")
    if args.url is None and not command:
        raise UsageError("codex mcp add: missing the server: -- COMMAND [ARGS...] or --url URL")
    if args.url is None and args.bearer_token_env_var is not None:
        raise UsageError("codex mcp add: --bearer-token-env-var is for --url servers")
    if args.url is not None and env:
        raise UsageError("codex mcp add: --env is for command (stdio) servers")
    if args.url is not None:
        entry = McpServerEntry(url=args.url, bearer_token_env_var=args.bearer_token_env_var)
    else:
        entry = McpServerEntry(command=command[0], args=tuple(command[1:]), env=env)
    path, replaced = add_mcp_server(codex_home_from_env(os.environ), args.name, entry)
    verb = "Replaced" if replaced else "Added"
    sys.stdout.write(f"{verb} MCP server '{args.name}' in {path}.\n")
    return 0


def run_mcp_remove(args: argparse.Namespace) -> int:
    from pycodex.config.loader import codex_home_from_env
    from pycodex.storage.mcp_servers_edit import remove_mcp_server

    home = codex_home_from_env(os.environ)
    path = remove_mcp_server(home, args.name)
    if path is None:
        raise CodexError(f"no MCP server named '{args.name}' in {home / 'config.toml'}")
    sys.stdout.write(f"Removed MCP server '{args.name}' from {path}.\n")
    return 0
