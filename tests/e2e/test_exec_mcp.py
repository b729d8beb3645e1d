"""MCP servers as tools, end to end: the real `codex exec --json` against the scripted model
server, with real MCP servers — the project's demo server (stdio and streamable HTTP) and the
reference servers `@modelcontextprotocol/server-everything` (npm) and `mcp-server-time`
(PyPI). Each test checks what the model was offered (first request), what it got back (the
next request's ``function_call_output``) and the JSONL ``mcp_tool_call`` items
(schema-validated by the harness).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import codex, function_outputs, write_config
from tests.support.mcp_demo_server import LONG_TOOL, running_http_server
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "support" / "mcp_demo_server.py"
EVERYTHING = ROOT / "tests" / "npm" / "node_modules" / ".bin" / "mcp-server-everything"
TIME_SERVER = Path(sys.executable).parent / "mcp-server-time"
TIMEOUT = 90.0
PNG_PREFIX = "iVBOR"  # the start of any base64 PNG


def toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def server_table(name: str, command: str, *args: str, **fields: Any) -> str:
    lines = [f"[mcp_servers.{name}]", f"command = {toml_str(command)}"]
    lines.append("args = [" + ", ".join(toml_str(a) for a in args) + "]")
    for key, value in fields.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} = {toml_str(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        elif isinstance(value, str):
            lines.append(f"{key} = {toml_str(value)}")
        else:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def demo_table(name: str = "demo", *args: str, **fields: Any) -> str:
    return server_table(name, sys.executable, str(DEMO), *args, **fields)


def configure(home: Path, server: ScriptedModelServer, *tables: str) -> None:
    path = write_config(home, server.base_url)
    path.write_text(path.read_text() + "\n" + "\n".join(tables))


def tools_offered(server: ScriptedModelServer) -> dict[str, dict[str, Any]]:
    body = server.model_requests[0].body
    assert body is not None
    return {t["name"]: t for t in body["tools"]}


def outputs(server: ScriptedModelServer) -> list[str]:
    """Every function_call_output the model got, in order (from the last request)."""
    body = server.model_requests[-1].body
    assert body is not None
    return function_outputs(body)


def test_demo_server_tools_are_offered_called_and_reported(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    configure(codex_home, model_server, demo_table())
    order = {"customer": {"name": "Ada", "tier": "pro"}, "items": [{"sku": "x1", "quantity": 2}]}
    model_server.push(
        Turn(tool_calls=[ToolCall("demo__add", {"a": 2, "b": 40}, "c1")]),
        Turn(tool_calls=[ToolCall("demo__describe_order", order, "c2")]),
        Turn(tool_calls=[ToolCall("demo__fail", {}, "c3")]),
        Turn(tool_calls=[ToolCall("demo__picture", {}, "c4")]),
        Turn(text="done"),
    )
    res = codex(["exec", "--json", "use the tools"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err

    tools = tools_offered(model_server)
    assert list(tools)[:3] == ["shell", "update_plan", "apply_patch"]
    add = tools["demo__add"]
    assert add["parameters"]["properties"] == {"a": {"type": "integer"}, "b": {"type": "integer"}}
    assert add["description"] == "Adds two integers." and add["strict"] is False
    nested = tools["demo__describe_order"]["parameters"]
    assert nested["$defs"]["item"]["properties"]["quantity"]["type"] == "integer"
    assert nested["properties"]["tags"] == {"type": "array", "items": {}}
    long = [n for n in tools if n.startswith("demo__summarize")]
    assert len(long) == 1 and len(long[0]) == 64 and long[0] != f"demo__{LONG_TOOL}"

    out = outputs(model_server)
    assert out[0] == '42\nstructured content: {"sum": 42}'
    assert out[1] == "order: " + json.dumps(order, sort_keys=True)
    assert out[2] == "MCP tool error: it failed on purpose"
    assert out[3].startswith("a picture of nothing\n[image: image/png, 68 bytes")
    assert "iVBOR" not in out[3]

    calls = res.items("mcp_tool_call")
    assert [(c["tool"], c["status"]) for c in calls] == [
        ("add", "completed"),
        ("describe_order", "completed"),
        ("fail", "failed"),
        ("picture", "completed"),
    ]
    assert calls[0]["server"] == "demo" and calls[0]["arguments"] == {"a": 2, "b": 40}
    assert calls[0]["result"] == {
        "content": [{"type": "text", "text": "42"}],
        "structured_content": {"sum": 42},
    }
    assert calls[2]["error"] == {"message": "it failed on purpose"}
    assert calls[3]["result"]["content"][1]["type"] == "image"
    started = [e["item"] for e in res.events if e["type"] == "item.started"]
    assert [s["status"] for s in started] == ["in_progress"] * 4
    assert res.types()[-1] == "turn.completed"


def test_failed_servers_are_reported_once_and_the_session_goes_on(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    configure(
        codex_home,
        model_server,
        demo_table("ok"),
        server_table("missing", "/nonexistent/mcp-server"),
        demo_table("slow", "--startup-delay", "60", startup_timeout_sec=1),
    )
    model_server.push(
        Turn(tool_calls=[ToolCall("ok__pid", {}, "c1")]),
        Turn(tool_calls=[ToolCall("missing__anything", {}, "c2")]),
        Turn(text="done"),
    )
    res = codex(["exec", "--json", "go"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    errors = [e["message"] for e in res.events if e["type"] == "error"]
    assert len(errors) == 2
    assert errors[0].startswith("MCP server `missing` failed to start: No such file")
    assert errors[1] == (
        "MCP server `slow` failed to start: did not start within 1s (startup_timeout_sec). "
        "Continuing without its tools."
    )
    assert {n.split("__")[0] for n in tools_offered(model_server) if "__" in n} == {"ok"}
    out = outputs(model_server)
    assert out[0].isdigit()
    assert out[1] == "unsupported call: missing__anything"
    assert res.types()[-1] == "turn.completed"


def test_hung_and_crashed_servers_give_errors_then_are_restarted(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    configure(codex_home, model_server, demo_table(tool_timeout_sec=1))
    model_server.push(
        Turn(tool_calls=[ToolCall("demo__pid", {}, "c1")]),
        Turn(tool_calls=[ToolCall("demo__sleep", {"seconds": 60}, "c2")]),
        Turn(tool_calls=[ToolCall("demo__pid", {}, "c3")]),
        Turn(tool_calls=[ToolCall("demo__crash", {}, "c4")]),
        Turn(tool_calls=[ToolCall("demo__pid", {}, "c5")]),
        Turn(text="done"),
    )
    res = codex(["exec", "--json", "go"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    pid1, hung, pid2, crashed, pid3 = outputs(model_server)
    assert hung == (
        "MCP tool error: calling `sleep` on MCP server `demo` failed: no result within 1s "
        "(tool_timeout_sec); the server will be restarted on the next call"
    )
    assert crashed.startswith("MCP tool error: calling `crash` on MCP server `demo` failed: ")
    assert "closed the connection" in crashed and "crashing on purpose" in crashed
    assert len({pid1, pid2, pid3}) == 3 and all(p.isdigit() for p in (pid1, pid2, pid3))
    calls = res.items("mcp_tool_call")
    assert [c["status"] for c in calls] == [
        "completed",
        "failed",
        "completed",
        "failed",
        "completed",
    ]
    assert calls[1]["result"] is None and "tool_timeout_sec" in calls[1]["error"]["message"]


def test_secrets_in_the_environment_do_not_reach_servers(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    configure(codex_home, model_server, demo_table(env={"DEMO_SETTING": "on"}))
    model_server.push(Turn(tool_calls=[ToolCall("demo__environment", {}, "c1")]), Turn(text="ok"))
    env = {**env, "GITHUB_TOKEN": "ghp_leak", "AWS_SECRET_ACCESS_KEY": "leak"}
    res = codex(["exec", "--json", "go"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    server_env: dict[str, str] = json.loads(outputs(model_server)[0])
    assert server_env["DEMO_SETTING"] == "on"
    assert server_env["PATH"] == env["PATH"]
    for secret in ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "MOCK_KEY", "CODEX_HOME"):
        assert secret not in server_env


def test_streamable_http_server_with_a_bearer_token(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    with running_http_server("e2e-token") as url:
        configure(
            codex_home,
            model_server,
            f'[mcp_servers.web]\nurl = "{url}"\nbearer_token_env_var = "WEB_TOKEN"\n',
            f'[mcp_servers.denied]\nurl = "{url}"\nbearer_token_env_var = "BAD_TOKEN"\n',
        )
        model_server.push(
            Turn(tool_calls=[ToolCall("web__add", {"a": 1, "b": 2}, "c1")]), Turn(text="3")
        )
        env = {**env, "WEB_TOKEN": "e2e-token", "BAD_TOKEN": "wrong"}
        res = codex(["exec", "--json", "add"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    assert outputs(model_server)[0] == '3\nstructured content: {"sum": 3}'
    errors = [e["message"] for e in res.events if e["type"] == "error"]
    assert len(errors) == 1 and "`denied` failed to start" in errors[0] and "401" in errors[0]
    assert res.items("mcp_tool_call")[0]["server"] == "web"


@pytest.mark.skipif(not EVERYTHING.exists(), reason="run scripts/check to install tests/npm")
@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_reference_servers_everything_and_time(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    configure(
        codex_home,
        model_server,
        server_table("everything", str(EVERYTHING)),
        server_table("time", str(TIME_SERVER)),
    )
    model_server.push(
        Turn(
            tool_calls=[
                ToolCall("everything__echo", {"message": "hello mcp"}, "c1"),
                ToolCall("everything__get-sum", {"a": 2, "b": 3}, "c2"),
                ToolCall("everything__get-tiny-image", {}, "c3"),
                ToolCall("time__get_current_time", {"timezone": "UTC"}, "c4"),
                ToolCall(
                    "time__convert_time",
                    {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
                    "c5",
                ),
            ]
        ),
        Turn(text="done"),
    )
    res = codex(["exec", "--json", "go"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    tools = tools_offered(model_server)
    assert tools["everything__echo"]["parameters"]["required"] == ["message"]
    assert "time__get_current_time" in tools and "time__convert_time" in tools
    echo, total, image, now, converted = outputs(model_server)
    assert echo == "Echo: hello mcp"
    assert "5" in total
    assert "[image: image/png" in image
    assert json.loads(now.split("\nstructured content:")[0])["timezone"] == "UTC"
    assert "Asia/Tokyo" in converted
    calls = res.items("mcp_tool_call")
    assert [c["status"] for c in calls] == ["completed"] * 5
    assert calls[3]["result"]["structured_content"]["timezone"] == "UTC"


def test_human_transcript_shows_calls_and_notices_without_sdk_noise(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    configure(
        codex_home,
        model_server,
        demo_table("demo", "--garbage"),  # a non-JSON stdout line: the SDK logs a traceback
        server_table("missing", "/nonexistent/mcp-server"),
    )
    model_server.push(
        Turn(tool_calls=[ToolCall("demo__add", {"a": 2, "b": 40}, "c1")]),
        Turn(tool_calls=[ToolCall("demo__picture", {}, "c2")]),
        Turn(tool_calls=[ToolCall("demo__fail", {}, "c3")]),
        Turn(text="done"),
    )
    res = codex(["exec", "--color", "never", "go"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    assert "Traceback" not in res.err and "JSONRPC" not in res.err
    out = res.out
    assert out.count("MCP server `missing` failed to start: No such file") == 1
    assert 'tool demo.add({"a": 2, "b": 40})' in out
    assert "demo.add succeeded in " in out
    assert "[image image/png]" in out and PNG_PREFIX not in out
    assert "demo.fail failed in " in out and "it failed on purpose" in out
