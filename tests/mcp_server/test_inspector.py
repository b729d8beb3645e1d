"""The MCP Inspector CLI (`@modelcontextprotocol/inspector` 0.15.0, installed into tests/npm by
scripts/check) lists and calls the tools of the real `codex mcp`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.model_server import ScriptedModelServer, Turn

ROOT = Path(__file__).resolve().parents[2]
INSPECTOR = ROOT / "tests/npm/node_modules/@modelcontextprotocol/inspector/cli/build/cli.js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not INSPECTOR.exists(),
    reason="needs Node and tests/npm installed (scripts/check runs `npm ci` there)",
)


def inspector(env: dict[str, str], cwd: Path, *method_args: str) -> dict[str, Any]:
    # The Inspector starts the server with a minimal environment: pass what it needs.
    passed = [f"{k}={env[k]}" for k in ("CODEX_HOME", "MOCK_KEY", "HOME")]
    argv = ["node", str(INSPECTOR)]
    for pair in passed:
        argv += ["-e", pair]
    argv += ["--cli", sys.executable, "-m", "pycodex", "mcp", *method_args]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_inspector_lists_the_tools(repo: Path, env: dict[str, str]) -> None:
    listed = inspector(env, repo, "--method", "tools/list")
    tools = {t["name"]: t for t in listed["tools"]}
    assert set(tools) == {"codex", "codex-reply"}
    assert tools["codex"]["inputSchema"]["required"] == ["prompt"]
    assert "on-request" in tools["codex"]["inputSchema"]["properties"]["approval-policy"]["enum"]


def test_inspector_calls_codex(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str]
) -> None:
    model_server.push(Turn(text="Hello from pycodex via the Inspector."))
    result = inspector(
        env,
        repo,
        "--method",
        "tools/call",
        "--tool-name",
        "codex",
        "--tool-arg",
        "prompt=say hello",
        "--tool-arg",
        "approval-policy=never",
    )
    assert result["content"] == [{"type": "text", "text": "Hello from pycodex via the Inspector."}]
    assert result["isError"] is False
    assert result["structuredContent"]["content"] == "Hello from pycodex via the Inspector."
    body = model_server.model_requests[0].body
    assert body is not None
    assert body["input"][-1]["content"][0]["text"] == "say hello"
