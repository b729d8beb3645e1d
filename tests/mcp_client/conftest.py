"""The demo MCP server, as a stdio command or a running streamable HTTP server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "support" / "mcp_demo_server.py"
TOKEN = "demo-token-123"


def demo_command(*args: str) -> tuple[str, tuple[str, ...]]:
    """(command, args) of the stdio demo server."""
    return sys.executable, (str(DEMO), *args)


@pytest.fixture
def http_demo() -> Iterator[str]:
    """A running streamable HTTP demo server requiring ``TOKEN``; yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), "--http", "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # bounded: the process prints READY or exits
        assert line.startswith("READY "), line
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
