"""Ctrl-C and kill -9 in the middle of a turn; resuming the killed session."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from pathlib import Path

from tests.e2e.harness import Running, codex, user_texts, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn


def is_command_start(line: dict[str, object]) -> bool:
    item = line.get("item")
    return (
        line["type"] == "item.started"
        and isinstance(item, dict)
        and item["type"] == "command_execution"
    )


def read_pid_from_fifo(fifo: Path, timeout: float) -> int:
    """The pid a command writes into ``fifo`` (event-driven: select, with a bound)."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError(f"no pid in {fifo} within {timeout}s")
            data += os.read(fd, 64)
        return int(data)
    finally:
        os.close(fd)


def test_sigint_interrupts_the_turn_and_exits_130(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    fifo = repo.parent / "sleeper.fifo"
    os.mkfifo(fifo)
    sleeper = ["bash", "-c", f"echo $$ > {fifo}; exec sleep 300"]
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": sleeper})]),
        Turn(text="should not be needed"),
    )
    # workspace-write (/tmp included): the command writes the fifo (exec's default is read-only)
    run = Running(["exec", "-s", "workspace-write", "--json", "go"], cwd=repo, env=env, timeout=60)
    run.read_until(is_command_start)
    pid = read_pid_from_fifo(fifo, timeout=30)  # the command is running now
    run.proc.send_signal(signal.SIGINT)
    res = run.finish(timeout=30)
    assert res.rc == 130, res.err
    assert res.types()[-1] == "turn.failed"
    assert res.events[-1]["error"]["message"] == "turn interrupted"
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1][:1] == "Z"  # killed


def test_kill_9_leaves_a_valid_rollout_that_resumes(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    pidfile = repo.parent / "orphan.pid"
    sleeper = ["bash", "-c", f"echo $$ > {pidfile}; exec sleep 300"]
    model_server.push(Turn(tool_calls=[ToolCall("shell", {"command": sleeper})]))
    try:
        _kill_and_resume(model_server, codex_home, repo, env)
    finally:  # kill -9 leaves the command orphaned (its own process group): clean up
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pidfile.read_text()), signal.SIGKILL)


def _kill_and_resume(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    run = Running(["exec", "--json", "remember the word PAPAYA"], cwd=repo, env=env)
    started = run.read_until(lambda line: line["type"] == "thread.started")
    run.read_until(is_command_start)
    run.proc.kill()
    run.finish(timeout=30)

    (rollout,) = (codex_home / "sessions").rglob("rollout-*.jsonl")
    assert started["thread_id"] in rollout.name
    raw_lines = rollout.read_text().splitlines()
    records = [json.loads(line) for line in raw_lines]  # every line is valid JSON
    assert records

    model_server.push(Turn(text="resumed fine"))
    res = codex(["exec", "--json", "resume", "--last", "continue"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert res.events[0]["thread_id"] == started["thread_id"]
    assert res.items("agent_message")[-1]["text"] == "resumed fine"
    body = model_server.model_requests[-1].body
    assert body is not None
    texts = user_texts(body)
    assert "remember the word PAPAYA" in texts and texts[-1] == "continue"
    calls = [i for i in body["input"] if i.get("type") == "function_call"]
    outputs = [i for i in body["input"] if i.get("type") == "function_call_output"]
    assert [c["call_id"] for c in calls] == [o["call_id"] for o in outputs]  # no dangling call
    assert len(rollout.read_text().splitlines()) > len(raw_lines)  # appended to the same file


def test_resume_by_id(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="first"), Turn(text="second"))
    first = codex(["exec", "--json", "one"], cwd=repo, env=env)
    assert first.rc == 0, first.err
    thread = first.events[0]["thread_id"]
    res = codex(["exec", "--json", "resume", thread[:8], "two"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert res.events[0]["thread_id"] == thread
    body = model_server.model_requests[-1].body
    assert body is not None
    assert user_texts(body)[-2:] == ["one", "two"]


def test_resume_without_sessions_is_one_line(
    codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, "http://127.0.0.1:9/v1")
    res = codex(["exec", "resume", "--last", "x"], cwd=repo, env=env)
    assert res.rc == 1
    assert len(res.err.strip().splitlines()) == 1
