"""`codex mcp`: run pycodex as an MCP server on stdin/stdout (tools `codex`, `codex-reply`).

The global options that shape a session (``-c``, ``-p``, ``-m``, ``-s``, ``-a``, ``-C``) are
not read here: each ``codex`` tool call carries its own, over CODEX_HOME's config.toml.
Logs and warnings go to stderr; stdout is the protocol. The exit status is 0 once stdin
closes (or on SIGTERM), 130 after SIGINT; either way every session is shut down first.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


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
