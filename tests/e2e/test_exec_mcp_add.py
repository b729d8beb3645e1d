"""`codex mcp add` writes a server `codex exec` really uses; `codex mcp remove` takes it away.

The real CLI end to end: `codex mcp add` (with an ``--env`` value) edits config.toml, then
`codex exec --json` against the scripted model server starts the project's demo MCP server
from that entry and the model's calls reach it; after `codex mcp remove` the next run offers
the model no such tool, and a call to it does not reach any server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.e2e.harness import codex, function_outputs, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

DEMO = Path(__file__).resolve().parents[1] / "support" / "mcp_demo_server.py"
TIMEOUT = 90.0


def test_added_server_is_used_and_removed_server_is_gone(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    config = write_config(codex_home, model_server.base_url)
    before = config.read_text()
    add = codex(
        ["mcp", "add", "demo", "--env", "DEMO_MARK=mark-1234", "--", sys.executable, str(DEMO)],
        cwd=repo,
        env=env,
    )
    assert add.rc == 0, add.err
    assert config.read_text().startswith(before)

    model_server.push(
        Turn(tool_calls=[ToolCall("demo__add", {"a": 2, "b": 40}, "c1")]),
        Turn(tool_calls=[ToolCall("demo__environment", {}, "c2")]),
        Turn(text="done"),
    )
    res = codex(["exec", "--json", "use the tools"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    first = model_server.model_requests[0].body
    assert first is not None and "demo__add" in {t["name"] for t in first["tools"]}
    last = model_server.model_requests[-1].body
    assert last is not None
    outs = function_outputs(last)
    assert "42" in outs[0]
    assert json.loads(outs[1])["DEMO_MARK"] == "mark-1234"  # the --env value reached the server

    rm = codex(["mcp", "remove", "demo"], cwd=repo, env=env)
    assert rm.rc == 0, rm.err
    assert config.read_text() == before  # the file is back to what it was

    start = len(model_server.model_requests)
    model_server.push(
        Turn(tool_calls=[ToolCall("demo__add", {"a": 1, "b": 1}, "c3")]), Turn(text="done")
    )
    res = codex(["exec", "--json", "again"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    offered = model_server.model_requests[start].body
    assert offered is not None
    assert not any(t["name"].startswith("demo__") for t in offered["tools"])
    final = model_server.model_requests[-1].body
    assert final is not None
    assert function_outputs(final) == ["unsupported call: demo__add"]  # no server answered
