"""The layer rules import contracts cannot see: who may start processes, open connections, wait.

``.importlinter`` forbids modules (``subprocess``, ``socket``…) but ``os.fork``,
``asyncio.create_subprocess_exec`` or ``asyncio.open_connection`` need no such import, and
``loop.create_connection`` is a method on an object. Ruff's banned-api (TID251, in
``pyproject.toml``) catches the named calls, but it is one code for every ban, so a
per-file-ignore lifts them all at once. This file checks the whole matrix over the source:
each rule with the packages AGENTS.md allows it in, and that ruff's configuration still
flags each ban where the rules say it must.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
ROOT = SRC.parent

PROCESS_CALLS = frozenset(
    {
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.subprocess",
        "os.fork",
        "os.forkpty",
        *(f"os.exec{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
        "os.posix_spawn",
        "os.posix_spawnp",
        *(f"os.spawn{s}" for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")),
        "os.system",
        "os.popen",
        "pty.spawn",
        "pty.fork",
        "anyio.open_process",
        "anyio.run_process",
    }
)
NETWORK_CALLS = frozenset(
    {
        "asyncio.open_connection",
        "asyncio.open_unix_connection",
        "asyncio.start_server",
        "asyncio.start_unix_server",
        "anyio.connect_tcp",
        "anyio.connect_unix",
        "anyio.create_tcp_listener",
        "anyio.create_unix_listener",
        "anyio.create_udp_socket",
        "anyio.create_connected_udp_socket",
        "urllib.request",
    }
)
# Event-loop methods, called on a loop object ruff cannot type: matched by name on any object.
PROCESS_METHODS = frozenset({"subprocess_exec", "subprocess_shell"})
NETWORK_METHODS = frozenset(
    {
        "create_connection",
        "create_server",
        "create_unix_connection",
        "create_unix_server",
        "create_datagram_endpoint",
        "connect_accepted_socket",
        "sock_connect",
    }
)
MCP_TRANSPORTS = frozenset(
    {
        "mcp.stdio_client",
        "mcp.client.stdio.stdio_client",
        "mcp.client.streamable_http.streamable_http_client",
        "mcp.client.sse.sse_client",
        "mcp.client.websocket.websocket_client",
    }
)


@dataclass(frozen=True)
class Rule:
    name: str
    allowed: tuple[str, ...]  # package prefixes where the rule's calls may appear
    calls: frozenset[str]
    methods: frozenset[str] = frozenset()


RULES = (
    Rule("processes", ("pycodex.sandbox",), PROCESS_CALLS, PROCESS_METHODS),
    Rule("network", ("pycodex.models",), NETWORK_CALLS, NETWORK_METHODS),
    # The MCP SDK's client transports start stdio servers and open HTTP connections: that
    # exemption is mcp_client's alone (.importlinter keeps the SDK out of everything else
    # but the stdio server side in frontends.mcp_server).
    Rule("MCP client transports", ("pycodex.mcp_client",), MCP_TRANSPORTS),
    # ruff bans it too, but the sandbox and models per-file-ignores lift every TID251 ban.
    Rule("asyncio.wait_for", (), frozenset({"asyncio.wait_for"})),
)


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, from the module's imports (any depth, as ruff does)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def uses(source: str) -> list[tuple[int, str, str]]:
    """(line, rule name, what) for every banned name or method the source touches."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if isinstance(node, ast.ImportFrom) and (node.level or module is None):
                continue  # a relative import never reaches the standard library
            names = {f"{module}.{a.name}" if module else a.name for a in node.names}
            found += [(node.lineno, r.name, q) for r in RULES for q in sorted(names & r.calls)]
            continue
        if isinstance(node, ast.Attribute | ast.Name):
            name = _dotted(node, aliases)
            if name is not None:
                for rule in RULES:
                    if name in rule.calls and not isinstance(node, ast.Name):
                        found.append((node.lineno, rule.name, name))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            for rule in RULES:
                if node.func.attr in rule.methods:
                    found.append((node.lineno, rule.name, f".{node.func.attr}()"))
    return sorted(set(found))


def violations(module: str, source: str) -> list[str]:
    by_name = {r.name: r for r in RULES}
    return [
        f"{module}:{line}: {what} ({rule}: allowed only in {by_name[rule].allowed or 'nothing'})"
        for line, rule, what in uses(source)
        if not module.startswith(by_name[rule].allowed or ("\0",))
    ]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_source_keeps_processes_network_and_wait_for_where_agents_md_says() -> None:
    files = sorted((SRC / "pycodex").rglob("*.py"))
    assert len(files) > 100  # the scan saw the package
    found = [v for f in files for v in violations(_module_name(f), f.read_text())]
    assert found == []


def test_the_scan_sees_the_exempt_uses_it_allows() -> None:
    """The allowed places really use what they are allowed (else the scan would be blind)."""
    seen = {
        (_module_name(f), rule)
        for f in (SRC / "pycodex").rglob("*.py")
        for _, rule, _ in uses(f.read_text())
    }
    assert ("pycodex.sandbox.spawn", "processes") in seen  # loop.subprocess_exec
    assert ("pycodex.sandbox.pidns", "processes") in seen  # os.fork
    assert ("pycodex.models.http", "network") in seen  # asyncio.open_connection
    assert ("pycodex.models.chatgpt_login", "network") in seen  # the callback listener
    assert ("pycodex.mcp_client.connection", "MCP client transports") in seen


VIOLATIONS = """\
import asyncio
import os as system_os
from asyncio import create_subprocess_shell
from mcp import stdio_client


async def bad(loop: asyncio.AbstractEventLoop) -> None:
    system_os.execvp("x", ["x"])
    await create_subprocess_shell("x")
    await asyncio.wait_for(asyncio.sleep(0), 1)
    await loop.create_connection(asyncio.Protocol, "h", 1)
    await loop.subprocess_exec(asyncio.SubprocessProtocol, "x")
    await asyncio.open_unix_connection("/s")
"""


def test_the_scan_flags_each_rule_outside_its_package() -> None:
    assert violations("pycodex.core.bad", VIOLATIONS) == [
        "pycodex.core.bad:3: asyncio.create_subprocess_shell (processes: allowed only in "
        "('pycodex.sandbox',))",
        "pycodex.core.bad:4: mcp.stdio_client (MCP client transports: allowed only in "
        "('pycodex.mcp_client',))",
        "pycodex.core.bad:8: os.execvp (processes: allowed only in ('pycodex.sandbox',))",
        "pycodex.core.bad:10: asyncio.wait_for (asyncio.wait_for: allowed only in nothing)",
        "pycodex.core.bad:11: .create_connection() (network: allowed only in ('pycodex.models',))",
        "pycodex.core.bad:12: .subprocess_exec() (processes: allowed only in ('pycodex.sandbox',))",
        "pycodex.core.bad:13: asyncio.open_unix_connection (network: allowed only in "
        "('pycodex.models',))",
    ]
    sandbox = violations("pycodex.sandbox.bad", VIOLATIONS)
    assert [v.split(": ", 1)[1] for v in sandbox] == [
        "mcp.stdio_client (MCP client transports: allowed only in ('pycodex.mcp_client',))",
        "asyncio.wait_for (asyncio.wait_for: allowed only in nothing)",
        ".create_connection() (network: allowed only in ('pycodex.models',))",
        "asyncio.open_unix_connection (network: allowed only in ('pycodex.models',))",
    ]


# --- ruff's side: the configuration flags each ban where AGENTS.md forbids it -------------


def _ruff() -> str:
    found = Path(sys.executable).with_name("ruff")
    path = str(found) if found.exists() else shutil.which("ruff")
    if path is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    return path


def _stdin(filename: str) -> list[str]:
    return [f"--stdin-filename={filename}", "-"]


def _flagged(filename: str, source: str) -> set[str]:
    """Names ruff's TID251 flags in ``source`` checked as if it were ``filename``."""
    result = subprocess.run(
        [
            _ruff(),
            "check",
            "--no-cache",
            "--select=TID251",
            "--output-format=concise",
            *_stdin(filename),
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return {
        line.split("`")[1]
        for line in result.stdout.splitlines()
        if "TID251" in line and "`" in line
    }


def _every_ban() -> str:
    lines = [f"import {m}" for m in ("anyio", "asyncio", "os", "pty", "urllib.request")]
    lines += [f"{name}" for name in sorted(PROCESS_CALLS | NETWORK_CALLS | {"asyncio.wait_for"})]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("filename", "allowed"),
    [
        ("src/pycodex/core/x.py", set()),
        ("src/pycodex/frontends/tui/x.py", set()),
        ("src/pycodex/mcp_client/x.py", set()),  # no exemption: it goes through the SDK
        ("src/pycodex/cli/x.py", set()),
        ("src/pycodex/storage/x.py", set()),
        ("src/pycodex/sandbox/x.py", PROCESS_CALLS | NETWORK_CALLS | {"asyncio.wait_for"}),
        ("src/pycodex/models/x.py", PROCESS_CALLS | NETWORK_CALLS | {"asyncio.wait_for"}),
    ],
)
def test_ruff_bans_each_call_outside_its_package(filename: str, allowed: set[str]) -> None:
    # sandbox and models lift every TID251 ban (one code); the scan above narrows them again.
    everything = PROCESS_CALLS | NETWORK_CALLS | {"asyncio.wait_for"}
    assert _flagged(filename, _every_ban()) == everything - allowed
