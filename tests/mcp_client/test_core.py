"""MCP in core: the events of a call, interrupts, shutdown, and the import bill.

Drives the public ``Codex`` handle with the scripted model client and the real demo
server over stdio.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

from pycodex.config.schema import McpServerConfig
from pycodex.models.scripted import function_call, reply
from pycodex.protocol.events import (
    BackgroundEvent,
    McpInvocation,
    McpToolCallBegin,
    McpToolCallEnd,
    ShutdownComplete,
    TurnAborted,
)
from pycodex.protocol.ops import Interrupt, Shutdown, UserInput
from tests.core.harness import make_config, next_msg, outputs, run, start, turn, until
from tests.mcp_client.conftest import demo_command

ROOT = Path(__file__).resolve().parents[2]


def demo_config(tmp_path: Path, **fields: object) -> McpServerConfig:
    command, args = demo_command()
    return McpServerConfig(name="demo", command=command, args=args, **fields)  # type: ignore[arg-type]


def test_a_call_emits_begin_and_end_and_the_model_gets_the_output(tmp_path: Path) -> None:
    config = replace(make_config(tmp_path), mcp_servers={"demo": demo_config(tmp_path)})

    async def main() -> None:
        codex, model = await start(
            config,
            [function_call("demo__add", '{"a": 1, "b": 2}', call_id="c1"), reply("three")],
        )
        msgs = await turn(codex, "add")
        begin = next(m for m in msgs if isinstance(m, McpToolCallBegin))
        end = next(m for m in msgs if isinstance(m, McpToolCallEnd))
        assert begin.invocation == McpInvocation("demo", "add", {"a": 1, "b": 2})
        assert (end.call_id, end.is_error, end.error) == ("c1", False, None)
        assert end.content == ({"type": "text", "text": "3"},)
        assert end.structured_content == {"sum": 3}
        assert 0 < end.duration_seconds < 30
        assert msgs.index(begin) < msgs.index(end)
        assert outputs(model.prompts[1])["c1"] == '3\nstructured content: {"sum": 3}'
        assert "demo__add" in [t.name for t in model.prompts[0].tools]
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)

    run(main)


def test_bad_arguments_and_startup_failures(tmp_path: Path) -> None:
    servers = {
        "demo": demo_config(tmp_path),
        "gone": McpServerConfig(name="gone", command="/nonexistent/server"),
    }
    config = replace(make_config(tmp_path), mcp_servers=servers)

    async def main() -> None:
        codex, model = await start(
            config, [function_call("demo__add", "{not json", call_id="c1"), reply("ok")]
        )
        notice = await next_msg(codex)  # right after SessionConfigured, exactly once
        assert isinstance(notice, BackgroundEvent)
        assert notice.message.startswith("MCP server `gone` failed to start: No such file")
        msgs = await turn(codex, "go")
        assert not any(isinstance(m, BackgroundEvent) for m in msgs)
        assert not any(isinstance(m, McpToolCallBegin) for m in msgs)  # never called
        assert outputs(model.prompts[1])["c1"].startswith("failed to parse function arguments")
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)

    run(main)


def test_interrupt_mid_call_then_the_next_call_works_and_shutdown_ends_the_server(
    tmp_path: Path,
) -> None:
    config = replace(make_config(tmp_path), mcp_servers={"demo": demo_config(tmp_path)})

    async def main() -> None:
        codex, model = await start(
            config,
            [
                function_call("demo__sleep", '{"seconds": 60}', call_id="c1"),
                function_call("demo__pid", "{}", call_id="c2"),
                reply("pid"),
            ],
        )
        await codex.submit(UserInput("sleep"))
        await until(codex, McpToolCallBegin)
        await codex.submit(Interrupt())
        msgs = await until(codex, TurnAborted)
        end = next(m for m in msgs if isinstance(m, McpToolCallEnd))
        assert end.error == "aborted by user"
        msgs = await turn(codex, "pid please")
        pid = int(outputs(model.prompts[-1])["c2"])
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        assert _gone(pid)  # the SDK's stdio shutdown reaps the process before returning

    run(main)


def _gone(pid: int) -> bool:
    """True when ``pid`` no longer exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from dataclasses import replace
    from pycodex.config.schema import Config, McpServerConfig
    from pycodex.core.codex import Codex
    from pycodex.models.scripted import ScriptedModelClient, reply
    from pycodex.protocol.events import TaskComplete
    from pycodex.protocol.ops import UserInput

    async def main(with_mcp: bool) -> None:
        work = Path(sys.argv[1])
        servers = {}
        if with_mcp:
            servers = {"demo": McpServerConfig(name="demo", command=sys.executable,
                                               args=(sys.argv[2],))}
        config = Config(codex_home=work, cwd=work, mcp_servers=servers)
        codex = await Codex.spawn(config, env={}, model_client=ScriptedModelClient([reply("hi")]),
                                  ephemeral=True)
        await codex.submit(UserInput("hello"))
        while not isinstance((await codex.next_event()).msg, TaskComplete):
            pass
        print("mcp" in sys.modules, "pycodex.mcp_client.manager" in sys.modules)

    asyncio.run(main(sys.argv[3] == "yes"))
    """
)


def test_sessions_without_mcp_servers_never_import_the_sdk(tmp_path: Path) -> None:
    demo = str(demo_command()[1][0])

    def probe(with_mcp: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, str(tmp_path), demo, with_mcp],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert probe("no") == "False False"
    assert probe("yes") == "True True"  # the probe sees the import when there is one
