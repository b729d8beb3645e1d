"""Raw JSON-RPC over the pipes of a real `codex mcp`: framing errors, unknown methods, and
the exit on stdin EOF (which also kills a command that is still running)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_exec_signals import read_pid_from_fifo
from tests.mcp_server.harness import pid_alive
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

READ_TIMEOUT_S = 30.0
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {"elicitation": {}},
        "clientInfo": {"name": "raw-probe", "version": "0.0.1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


class RawServer:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pycodex", "mcp"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._buffer = b""

    def send(self, message: dict[str, Any] | str) -> None:
        assert self.proc.stdin is not None
        line = message if isinstance(message, str) else json.dumps(message)
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        """The next message (bounded wait)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + READ_TIMEOUT_S
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("no message from codex mcp")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError("codex mcp closed stdout")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def read_response(self, request_id: int | str) -> dict[str, Any]:
        while True:
            message = self.read()
            if message.get("id") == request_id and "method" not in message:
                return message

    def close_stdin_and_wait(self, timeout: float = 30.0) -> tuple[int, bytes, bytes]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        with self.proc.stdout, self.proc.stderr:
            out, err = self.proc.stdout.read(), self.proc.stderr.read()
        return self.proc.returncode, self._buffer + out, err

    def initialize(self) -> dict[str, Any]:
        self.send(INITIALIZE)
        response = self.read_response(1)
        self.send(INITIALIZED)
        return response


def test_parse_errors_invalid_requests_and_unknown_methods_then_exit_on_eof(
    repo: Path, env: dict[str, str]
) -> None:
    server = RawServer(env, repo)
    init = server.initialize()
    assert init["result"]["protocolVersion"] == "2025-06-18"
    assert init["result"]["serverInfo"] == {
        "name": "codex-mcp-server",
        "title": "Codex",
        "version": "0.1.0",
    }
    assert "tools" in init["result"]["capabilities"]

    server.send("this is not json")
    assert server.read() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "Parse error"},
    }
    server.send('{"jsonrpc": "2.0", "id": 5, "method": "tools/list"')  # cut short
    assert server.read()["error"]["code"] == -32700
    server.send({"jsonrpc": "2.0", "id": "odd", "method": 42})
    assert server.read() == {
        "jsonrpc": "2.0",
        "id": "odd",
        "error": {"code": -32600, "message": "Invalid Request"},
    }
    server.send("")  # blank lines are not messages
    server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
    listed = server.read_response(2)  # still serving after the errors
    assert [t["name"] for t in listed["result"]["tools"]] == ["codex", "codex-reply"]
    server.send({"jsonrpc": "2.0", "id": 3, "method": "codex/unknown", "params": {}})
    assert server.read_response(3)["error"]["code"] == -32601
    server.send({"jsonrpc": "2.0", "id": 4, "method": "server/discover", "params": {}})
    assert server.read_response(4)["error"]["code"] == -32601
    server.send(
        {
            "jsonrpc": "2.0",
            "id": 6,
            "method": "tools/call",
            "params": {"name": "codex", "arguments": {"prompt": 5}},
        }
    )
    bad = server.read_response(6)["result"]
    assert bad["isError"] is True
    assert "`prompt` must be a string" in bad["content"][0]["text"]
    rc, rest, _ = server.close_stdin_and_wait()
    assert rc == 0
    assert rest == b""


def _start_sleeper(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str]
) -> tuple[RawServer, int]:
    """A server whose turn runs a long command; returns it with the command's pid."""
    fifo = repo.parent / "sleeper.fifo"
    os.mkfifo(fifo)
    sleeper = ["bash", "-c", f"echo $$ > {fifo}; exec sleep 300"]
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": sleeper, "timeout": 120000})]),
        Turn(text="should not be needed"),
    )
    server = RawServer(env, repo)
    server.initialize()
    server.send(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {
                "name": "codex",
                "arguments": {
                    "prompt": "sleep",
                    "approval-policy": "never",
                    "sandbox": "danger-full-access",
                },
            },
        }
    )
    pid = read_pid_from_fifo(fifo, timeout=30)
    assert pid_alive(pid)
    return server, pid


def test_eof_ends_a_running_turn_and_kills_its_command(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str]
) -> None:
    server, pid = _start_sleeper(model_server, repo, env)
    rc, _, err = server.close_stdin_and_wait(timeout=30)
    assert rc == 0, err.decode()
    assert not pid_alive(pid)
    assert len(model_server.model_requests) == 1  # the turn did not go on


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_signal_stops_the_server_and_kills_running_commands(
    model_server: ScriptedModelServer,
    repo: Path,
    env: dict[str, str],
    signum: signal.Signals,
    status: int,
) -> None:
    server, pid = _start_sleeper(model_server, repo, env)
    server.proc.send_signal(signum)
    try:
        server.proc.wait(timeout=30)
    finally:
        rc, _, err = server.close_stdin_and_wait(timeout=5)
    assert rc == status, err.decode()
    assert "Traceback" not in err.decode()
    assert not pid_alive(pid)


def test_a_client_without_elicitation_is_not_asked_and_the_command_is_denied(
    model_server: ScriptedModelServer, repo: Path, env: dict[str, str]
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["touch", "unasked.txt"]})]),
        Turn(text="it was not allowed"),
    )
    server = RawServer(env, repo)
    server.send({**INITIALIZE, "params": {**INITIALIZE["params"], "capabilities": {}}})
    server.read_response(1)
    server.send(INITIALIZED)
    server.send(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {
                "name": "codex",
                "arguments": {"prompt": "touch it", "approval-policy": "untrusted"},
            },
        }
    )
    seen: list[dict[str, Any]] = []
    while True:
        message = server.read()
        seen.append(message)
        if message.get("id") == 2:
            break
    assert message["result"]["content"][0]["text"] == "it was not allowed"
    assert not [m for m in seen if m.get("method") == "elicitation/create"]
    kinds = [m["params"]["msg"]["type"] for m in seen if m.get("method") == "codex/event"]
    assert "exec_approval_request" in kinds
    assert not (repo / "unasked.txt").exists()
    body = model_server.model_requests[1].body or {}
    outputs = [i["output"] for i in body["input"] if i.get("type") == "function_call_output"]
    assert "rejected by user" in outputs[-1]
    rc, _, _ = server.close_stdin_and_wait()
    assert rc == 0
