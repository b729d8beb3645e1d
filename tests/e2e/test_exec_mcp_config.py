"""``[mcp_servers.NAME]`` settings of current Codex through the real `codex exec` (issue 13,
finding 3): a server with ``enabled = false`` is never started, a tool in
``disabled_tools`` is neither offered nor runs, and a tool whose ``approval_mode`` is
``prompt`` is refused under exec's ``never`` policy (it cannot ask).

Host-side witnesses: every server is started through a shell that writes a marker file
first, so the disabled server's marker must not exist; the demo server's ``crash`` tool
ends its process, so the server's process id being the same before and after the refused
``crash`` calls proves neither ran.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.e2e.harness import codex, write_config
from tests.e2e.test_exec_mcp import DEMO, TIMEOUT, outputs, tools_offered
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

MARKING = 'pwd > "$0"; exec "$1" "$2"'  # writes the marker, then becomes the demo server


def marked_server(name: str, marker: Path, extra: str) -> str:
    args = ["-c", MARKING, str(marker), sys.executable, str(DEMO)]
    return f'[mcp_servers.{name}]\ncommand = "/bin/sh"\nargs = {json.dumps(args)}\n{extra}\n'


def test_disabled_servers_tools_and_prompt_tools_never_run(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    markers = {name: tmp_path / f"{name}.started" for name in ("off", "demo", "gated")}
    path = write_config(codex_home, model_server.base_url)
    path.write_text(
        path.read_text()
        + "\n"
        + marked_server("off", markers["off"], "enabled = false")
        + marked_server("demo", markers["demo"], 'disabled_tools = ["crash"]')
        + marked_server("gated", markers["gated"], "")
        + '[mcp_servers.gated.tools.crash]\napproval_mode = "prompt"\n'
    )
    model_server.push(
        Turn(tool_calls=[ToolCall("demo__pid", {}, "p1"), ToolCall("gated__pid", {}, "p2")]),
        Turn(
            tool_calls=[
                ToolCall("demo__crash", {}, "x1"),  # disabled tool
                ToolCall("gated__crash", {}, "x2"),  # approval_mode = "prompt" under never
                ToolCall("off__add", {"a": 1, "b": 2}, "x3"),  # tool of a disabled server
            ]
        ),
        Turn(tool_calls=[ToolCall("demo__pid", {}, "p3"), ToolCall("gated__pid", {}, "p4")]),
        Turn(text="done"),
    )
    res = codex(["exec", "--json", "use the tools"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err

    assert markers["demo"].exists() and markers["gated"].exists()  # the mechanism works
    assert not markers["off"].exists()  # the disabled server was never started

    offered = tools_offered(model_server)
    assert "demo__pid" in offered and "gated__crash" in offered
    assert "demo__crash" not in offered
    assert not [name for name in offered if name.startswith("off__")]

    out = outputs(model_server)
    pids = dict(zip(["p1", "p2", "x1", "x2", "x3", "p3", "p4"], out, strict=True))
    assert pids["x1"] == "unsupported call: demo__crash"
    assert pids["x3"] == "unsupported call: off__add"
    assert pids["x2"].startswith("MCP tool call refused: `crash` of the server `gated`")
    assert pids["p1"] == pids["p3"] and pids["p2"] == pids["p4"]  # no crash, no restart
    assert pids["p1"] != pids["p2"]

    calls = res.items("mcp_tool_call")
    assert [(c["server"], c["tool"]) for c in calls] == [
        ("demo", "pid"),
        ("gated", "pid"),
        ("demo", "pid"),
        ("gated", "pid"),
    ]


ENV_DUMP = 'printenv FORWARDED_TOKEN > "$0"; printenv OTHER_TOKEN >> "$0"; exec "$1" "$2"'


def test_env_vars_forwards_only_the_named_variables(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    dump = tmp_path / "server-env.txt"
    args = ["-c", ENV_DUMP, str(dump), sys.executable, str(DEMO)]
    path = write_config(codex_home, model_server.base_url)
    path.write_text(
        path.read_text()
        + f'\n[mcp_servers.demo]\ncommand = "/bin/sh"\nargs = {json.dumps(args)}\n'
        + 'env_vars = ["FORWARDED_TOKEN"]\n'
    )
    model_server.push(Turn(text="done"))
    env = {**env, "FORWARDED_TOKEN": "named-by-the-user", "OTHER_TOKEN": "never-forwarded"}
    res = codex(["exec", "hi"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    assert dump.read_text() == "named-by-the-user\n"  # OTHER_TOKEN stayed with us


def test_a_required_server_that_fails_stops_the_run_before_any_request(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    path = write_config(codex_home, model_server.base_url)
    missing = tmp_path / "no-such-server"
    path.write_text(
        path.read_text()
        + f'\n[mcp_servers.vital]\ncommand = "{missing}"\nrequired = true\n'
        + f'\n[mcp_servers.optional]\ncommand = "{missing}"\n'
    )
    model_server.push(Turn(text="done"))
    res = codex(["exec", "hi"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 1, res.err
    lines = [line for line in res.err.splitlines() if "vital" in line]
    assert len(lines) == 1 and "required" in lines[0], res.err
    assert "Traceback" not in res.err
    assert model_server.model_requests == []


def test_an_optional_server_that_fails_is_reported_and_the_run_goes_on(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    path = write_config(codex_home, model_server.base_url)
    missing = tmp_path / "no-such-server"
    path.write_text(path.read_text() + f'\n[mcp_servers.optional]\ncommand = "{missing}"\n')
    model_server.push(Turn(text="done"))
    res = codex(["exec", "hi"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    assert "MCP server `optional` failed to start" in res.out
    assert len(model_server.model_requests) == 1
