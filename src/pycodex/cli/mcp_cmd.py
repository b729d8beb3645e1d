"""`codex mcp`: run as an MCP server (the MCP issue fills this)."""

from __future__ import annotations

import argparse

from pycodex.protocol.errors import CodexError


def run_mcp(args: argparse.Namespace) -> int:
    raise CodexError("`codex mcp` is not available yet in this build")
