"""Tool commands as real process trees: huge output, timeouts, interrupts."""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from pathlib import Path

from pycodex.models.base import OutputTextDelta
from pycodex.models.scripted import hang, reply, shell_call
from pycodex.protocol.events import (
    AgentMessageDelta,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    TaskComplete,
    TurnAborted,
)
from pycodex.protocol.items import MessageItem
from pycodex.protocol.ops import Interrupt, UserInput
from tests.core.harness import (
    PY,
    calls_all_answered,
    exec_json,
    kinds,
    make_config,
    next_msg,
    outputs,
    run,
    start,
    turn,
    until,
)
from tests.sandbox.procs import wait_dead

# Prints the pids of a child and a grandchild, then waits (the whole tree sleeps).
TREE = r"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", '''
import subprocess, sys
g = subprocess.Popen(["sleep", "60"])
print(g.pid, flush=True)
g.wait()
'''], stdout=subprocess.PIPE, text=True)
grandchild = child.stdout.readline().strip()
print(child.pid, grandchild, flush=True)
child.wait()
"""


def test_fifty_megabytes_of_output_stay_bounded(tmp_path: Path) -> None:
    lines = 4_000_000  # "line 0000000\n" x 4M = 52 MB
    code = f"import sys\nw=sys.stdout.write\nfor i in range({lines}): w('line %07d\\n' % i)\n"

    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [shell_call([PY, "-c", code], timeout_ms=60_000, call_id="big"), reply("ok")],
        )
        msgs = await turn(codex, "print a lot")
        return msgs, model

    tracemalloc.start()
    try:
        msgs, model = run(scenario, timeout=120)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024, peak
    streamed = sum(len(m.chunk) for m in msgs if isinstance(m, ExecCommandOutputDelta))
    assert streamed == 1024 * 1024  # live output is capped per call
    result = exec_json(model.prompts[1], "big")
    text = result["output"]
    assert len(text.encode()) <= 10 * 1024 + 100
    assert text.startswith("line 0000000\nline 0000001\n")
    assert text.endswith("line 3999998\nline 3999999\n")
    shown = text.count("\n") - 1
    assert f"\n[… {lines - shown} lines omitted …]\n" in text, re.findall("\\[….*…\\]", text)
    assert result["metadata"]["exit_code"] == 0


def test_never_ending_command_is_killed_with_its_children(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [shell_call([PY, "-c", TREE], timeout_ms=500, call_id="t"), reply("ok")],
        )
        # Bounded: a kill that waited on the grandchild's pipe would not end the turn in 10 s.
        msgs = await asyncio.wait_for(turn(codex, "run forever"), 10)
        end = next(m for m in msgs if isinstance(m, ExecCommandEnd))
        pids = [int(p) for p in end.stdout.split()]
        return pids, await wait_dead(pids), model, msgs

    pids, left, model, msgs = run(scenario)
    assert len(pids) == 2 and left == []
    result = exec_json(model.prompts[1], "t")
    assert result["output"].endswith("command timed out after 500 ms and was killed")
    assert result["metadata"]["exit_code"] == 124
    assert msgs[-1] == TaskComplete("ok")


def test_interrupt_mid_command_kills_children_and_keeps_history_valid(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [shell_call([PY, "-c", TREE], timeout_ms=60_000, call_id="long"), reply("next")],
        )
        await codex.submit(UserInput("start"))
        msgs = await until(codex, ExecCommandOutputDelta)
        pids = [int(p) for p in msgs[-1].chunk.split()]  # type: ignore[union-attr]
        await codex.submit(Interrupt())
        msgs += await until(codex, TurnAborted)
        left = await wait_dead(pids)
        after = await turn(codex, "what happened?")
        return msgs, pids, left, after, model

    msgs, pids, left, after, model = run(scenario)
    assert len(pids) == 2 and left == []
    assert "task_complete" not in kinds(msgs)
    end = next(m for m in msgs if isinstance(m, ExecCommandEnd))
    assert end.exit_code == -1 and end.stderr == "aborted by user"
    assert msgs[-1] == TurnAborted("interrupted")
    assert after[-1] == TaskComplete("next")
    second = model.prompts[1]
    assert outputs(second) == {"long": "aborted by user"}
    assert calls_all_answered(second.input)
    assert [i.type for i in second.input[1:]] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]


def test_interrupt_while_streaming_drops_the_partial_response(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [hang(OutputTextDelta("half an ans")), reply("whole")]
        )
        await codex.submit(UserInput("one"))
        await until(codex, AgentMessageDelta)
        await codex.submit(Interrupt())
        aborted = await until(codex, TurnAborted)
        after = await turn(codex, "two")
        return aborted, after, model

    aborted, after, model = run(scenario)
    assert aborted[-1] == TurnAborted("interrupted")
    assert after[-1] == TaskComplete("whole")
    texts = [i.text for i in model.prompts[1].input[1:] if isinstance(i, MessageItem)]
    assert texts == ["one", "two"]


def test_interrupt_when_idle_does_nothing(tmp_path: Path) -> None:
    async def scenario():
        codex, _ = await start(make_config(tmp_path), [reply("ok")])
        await codex.submit(Interrupt())
        return await turn(codex, "x")

    msgs = run(scenario)
    assert kinds(msgs)[0] == "task_started" and msgs[-1] == TaskComplete("ok")


def test_next_msg_helper_is_bounded(tmp_path: Path) -> None:
    async def scenario():
        codex, _ = await start(make_config(tmp_path), [])
        try:
            await asyncio.wait_for(next_msg(codex), 0.05)
        except TimeoutError:
            return True
        return False

    assert run(scenario)
