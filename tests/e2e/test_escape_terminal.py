"""Escape test (issue 12, finding 7): terminal control sequences from the model's commands,
its answers, its reasoning, its plan and an MCP tool's result never reach the user's
terminal as controls.

The model runs ``printf`` with OSC 52 (write the clipboard), OSC 0 (retitle the window)
and ``ESC [ 2 J`` (clear the screen) on stdout and stderr, and puts the same sequences in
its own text. The witness is what the real `codex exec` wrote to the terminal (its stdout
and stderr bytes) and what the real `codex mcp` sent its client: no ESC, BEL, C1 or other
control but newline and tab, except our own colour (SGR) sequences in exec's coloured
output. The payloads are still there as visible text (``␛]52;…␇``), and the model itself
got the raw bytes (it reads the output, it does not display it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio

from tests.e2e.harness import codex, function_outputs, write_config
from tests.mcp_server.harness import call, mcp_client, text_of
from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn

OSC52 = "\x1b]52;c;SGVsbG8=\x07"
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
HOSTILE = OSC52 + TITLE + CLEAR + "\x9b2J\r\b\x9d0;t\x9c"  # + 8-bit CSI, CR, BS, 8-bit OSC
PRINTF = r"printf '\033]52;c;SGVsbG8=\007\033]0;pwned\007\033[2J'"
# stderr: OSC 0, then an 8-bit OSC (U+009D ... U+009C, as UTF-8)
SCRIPT = f"{PRINTF}; echo; printf '\\033]0;err-title\\007\\302\\2352;t\\302\\234\\n' >&2"
SHOWN_OSC52 = "␛]52;c;SGVsbG8=␇"  # how the clipboard write looks once made harmless
SHOWN_TITLE = "␛]0;pwned␇"
SHOWN_HOSTILE = f"{SHOWN_OSC52}{SHOWN_TITLE}␍␈<U+009D>0;t<U+009C>"  # the CSIs are dropped

# Our own styles (headless.human.Styles): the only escape sequences exec may write.
OUR_SGR = re.compile(r"\x1b\[(?:0|1|2|3|31|32|35|36)m")
# Anything a terminal would act on, C1 included (U+0080..U+009F).
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

ECHO_SERVER = """
import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

TOOL = types.Tool(
    name="echo",
    description="Echoes its text.",
    input_schema={"type": "object", "properties": {"text": {"type": "string"}}},
)


async def on_list_tools(ctx, params):
    return types.ListToolsResult(tools=[TOOL])


async def on_call_tool(ctx, params):
    text = str((params.arguments or {}).get("text", ""))
    return types.CallToolResult(content=[types.TextContent(text="echo: " + text)])


async def main():
    server = Server("echo", on_list_tools=on_list_tools, on_call_tool=on_call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


anyio.run(main)
"""


def _script(server: ScriptedModelServer, *, mcp: bool) -> None:
    calls = [
        ToolCall("shell", {"command": ["bash", "-c", SCRIPT]}, "c1"),
        ToolCall(
            "update_plan",
            {
                "explanation": f"plan {TITLE}",
                "plan": [{"step": f"step {OSC52}{CLEAR}", "status": "in_progress"}],
            },
            "c2",
        ),
    ]
    if mcp:
        calls.append(ToolCall("echo__echo", {"text": f"tool {OSC52}{TITLE}"}, "c3"))
    server.push(
        Turn(reasoning_summary=f"thinking {HOSTILE}", tool_calls=calls),
        Turn(text=f"answer {HOSTILE} end"),
    )


def _configure(home: Path, server: ScriptedModelServer, tmp_path: Path) -> None:
    echo = tmp_path / "echo_server.py"
    echo.write_text(ECHO_SERVER)
    path = write_config(home, server.base_url, top="hide_agent_reasoning = false")
    path.write_text(
        path.read_text()
        + f"\n[mcp_servers.echo]\ncommand = {json.dumps(sys.executable)}\n"
        + f"args = [{json.dumps(str(echo))}]\n"
    )


def _model_saw_the_raw_output(server: ScriptedModelServer) -> None:
    """The command really printed the sequences (so the test tests something)."""
    body = server.model_requests[-1].body
    assert body is not None
    outputs = function_outputs(body)
    assert any(OSC52 in json.loads(o)["output"] for o in outputs[:1]), outputs


def _assert_terminal_safe(text: str, where: str) -> None:
    bad = CONTROLS.search(OUR_SGR.sub("", text))
    assert bad is None, f"{where}: control {bad.group()!r} at {bad.start()}: {text!r}"


def test_exec_human_output_shows_escapes_but_never_sends_them(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    _configure(codex_home, model_server, tmp_path)
    _script(model_server, mcp=True)
    res = codex(["exec", "--color", "always", "-s", "danger-full-access", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    _model_saw_the_raw_output(model_server)
    _assert_terminal_safe(res.out, "stdout")
    _assert_terminal_safe(res.err, "stderr")
    assert OUR_SGR.search(res.out), "colour was asked for: our own styles stay"
    plain = OUR_SGR.sub("", res.out)
    assert SHOWN_OSC52 + SHOWN_TITLE in plain  # the command's output, shown harmless
    assert "␛]0;err-title␇<U+009D>2;t<U+009C>" in plain  # its stderr too
    assert f"thinking {SHOWN_HOSTILE}" in plain  # reasoning
    assert f"answer {SHOWN_HOSTILE} end" in plain  # the answer
    assert f"step {SHOWN_OSC52}" in plain and f"plan {SHOWN_TITLE}" in plain  # the plan
    assert f"echo: tool {SHOWN_OSC52}{SHOWN_TITLE}" in plain  # the MCP tool's result


def test_exec_error_message_is_terminal_safe(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    fault = Fault.stream_error(f"bad {OSC52}{TITLE}{CLEAR}")
    model_server.push(fault, fault)  # the first is retried
    res = codex(["exec", "--color", "never", "go"], cwd=repo, env=env)
    assert res.rc == 1
    _assert_terminal_safe(res.out, "stdout")
    _assert_terminal_safe(res.err, "stderr")
    assert f"bad {SHOWN_OSC52}{SHOWN_TITLE}" in res.out + res.err


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    return []


def test_mcp_server_relays_no_controls(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    _configure(codex_home, model_server, tmp_path)
    _script(model_server, mcp=True)
    args = {"prompt": "go", "approval-policy": "never", "sandbox": "danger-full-access"}

    async def main() -> None:
        async with mcp_client(env, repo, stderr=tmp_path / "err") as (session, wire, _):
            result = await call(session, "codex", args)
        assert not result.is_error, text_of(result)
        assert text_of(result) == f"answer {SHOWN_HOSTILE} end"
        events = [e["msg"] for e in wire.events()]
        kinds = {e["type"] for e in events}
        assert {"exec_command_output_delta", "exec_command_end", "plan_update"} <= kinds
        assert {"mcp_tool_call_end", "agent_reasoning", "agent_message"} <= kinds
        for message in wire.messages:  # events, questions, results: everything sent
            for text in _strings(message):
                _assert_terminal_safe(text, "codex mcp")
        chunks = [e for e in events if e["type"] == "exec_command_output_delta"]
        streamed = b"".join(bytes(e["chunk"]) for e in chunks).decode("utf-8")
        _assert_terminal_safe(streamed, "output deltas")
        assert SHOWN_OSC52 in streamed
        end = next(e for e in events if e["type"] == "exec_command_end")
        assert SHOWN_OSC52 + SHOWN_TITLE in end["stdout"]

    anyio.run(main)
    _model_saw_the_raw_output(model_server)


def test_exec_json_is_machine_output_raw_text_escaped_controls(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    """``--json`` keeps the texts as they were (a program may want them) and writes every
    control as a JSON escape: C0 by JSON itself, DEL/C1 by our ``dumps``."""
    _configure(codex_home, model_server, tmp_path)
    _script(model_server, mcp=False)
    res = codex(["exec", "--json", "-s", "danger-full-access", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    _assert_terminal_safe(res.out, "stdout")  # no raw control at all, not even ours
    _assert_terminal_safe(res.err, "stderr")
    (command,) = res.items("command_execution")
    assert OSC52 + TITLE in command["aggregated_output"]  # raw once decoded
    assert "\x9d2;t\x9c" in command["aggregated_output"]
    (answer,) = res.items("agent_message")
    assert answer["text"] == f"answer {HOSTILE} end"
