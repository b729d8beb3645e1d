"""The demo MCP server, as a stdio command or a running streamable HTTP server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp_demo_server import running_http_server

DEMO = Path(__file__).resolve().parents[1] / "support" / "mcp_demo_server.py"
TOKEN = "demo-token-123"


def demo_command(*args: str) -> tuple[str, tuple[str, ...]]:
    """(command, args) of the stdio demo server."""
    return sys.executable, (str(DEMO), *args)


@pytest.fixture
def http_demo() -> Iterator[str]:
    """A running streamable HTTP demo server requiring ``TOKEN``; yields its URL."""
    with running_http_server(TOKEN) as url:
        yield url
