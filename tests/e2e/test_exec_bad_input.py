"""The bad inputs of issue 3: each ends cleanly (status, one line, no hang)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import CODEX, codex, function_outputs, write_config
from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_not_a_git_repo(codex_home: Path, tmp_path: Path, env: dict[str, str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    write_config(codex_home, "http://127.0.0.1:9/v1")
    res = codex(["exec", "hello"], cwd=plain, env=env)
    assert res.rc == 1
    assert "--skip-git-repo-check" in one_line(res.err)


def test_skip_git_repo_check(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="ran anyway"))
    res = codex(["exec", "--skip-git-repo-check", "--json", "hello"], cwd=tmp_path, env=env)
    assert res.rc == 0, res.err


def test_missing_and_empty_env_key(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    missing = {k: v for k, v in env.items() if k != "MOCK_KEY"}
    for variant in (missing, {**env, "MOCK_KEY": ""}):
        res = codex(["exec", "--json", "hello"], cwd=repo, env=variant, timeout=30)
        assert res.rc == 1
        assert "MOCK_KEY" in one_line(res.err)
    assert model_server.requests == []
    assert not list(codex_home.rglob("rollout-*.jsonl"))  # no empty session to resume


def test_unreachable_base_url(
    codex_home: Path, repo: Path, env: dict[str, str], unused_port: int
) -> None:
    write_config(codex_home, f"http://127.0.0.1:{unused_port}/v1")
    res = codex(["exec", "--json", "hello"], cwd=repo, env=env, timeout=60)
    assert res.rc == 1
    assert res.types()[-1] == "turn.failed"
    assert res.events[-1]["error"]["message"]


def test_401_is_not_retried(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url, request_max_retries=4)
    model_server.push(
        Fault.http_status(401, body={"error": {"message": "bad key"}}), Turn(text="never")
    )
    res = codex(["exec", "--json", "hello"], cwd=repo, env=env, timeout=30)
    assert res.rc == 1
    assert len(model_server.model_requests) == 1
    failed = res.events[-1]
    assert failed["type"] == "turn.failed" and "401" in failed["error"]["message"]


def test_429_storm_beyond_the_retry_budget(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    # 429 is retried at the request level only: 1 + request_max_retries requests, no more.
    write_config(codex_home, model_server.base_url, request_max_retries=EXPECTED_429_REQUESTS - 1)
    model_server.push(*[Fault.http_status(429, retry_after="0") for _ in range(10)])
    res = codex(["exec", "--json", "hello"], cwd=repo, env=env, timeout=60)
    assert res.rc == 1, res.out
    sent = len(model_server.model_requests)
    assert sent == 10 - model_server.remaining
    assert res.types()[-1] == "turn.failed"
    assert "429" in res.events[-1]["error"]["message"]
    assert sent == EXPECTED_429_REQUESTS


EXPECTED_429_REQUESTS = 3


def test_invalid_json_arguments_and_unknown_tool(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(
        Turn(
            tool_calls=[
                ToolCall("shell", '{"command": ["echo", '),
                ToolCall("teleport", {"where": "mars"}),
            ]
        ),
        Turn(text="recovered"),
    )
    res = codex(["exec", "--json", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    body = model_server.model_requests[1].body
    assert body is not None
    bad_json, unknown = function_outputs(body)
    assert "shell" in bad_json and "JSON" in bad_json
    assert unknown == "unsupported call: teleport"
    assert res.items("agent_message")[-1]["text"] == "recovered"


def test_fifty_megabytes_of_output_is_bounded(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    cmd = "yes 0123456789abcdef0123456789abcdef0123456789abcdef | head -c 50000000; echo; echo END"
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", cmd]})]),
        Turn(text="big"),
    )
    proc = subprocess.Popen(
        [*CODEX, "exec", "--json", "go"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    body = model_server.model_requests[1].body
    assert body is not None
    (output,) = function_outputs(body)
    assert len(output) < 64 * 1024
    assert "0123456789abcdef" in output and "END" in output  # head and tail
    assert "truncated" in output.lower() or "omitted" in output.lower()
    lines = [json.loads(x) for x in out.splitlines()]
    command = next(x["item"] for x in lines if x["type"] == "item.completed")
    assert len(command["aggregated_output"]) < 2 * 1024 * 1024


def test_fifty_megabytes_peak_rss(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    cmd = "head -c 50000000 /dev/zero | tr '\\0' x"
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", cmd]})]), Turn(text="ok")
    )
    rss_file = repo.parent / "rss.txt"
    time_bin = Path("/usr/bin/time")
    if time_bin.exists():  # GNU time: the exact peak RSS of codex exec itself
        argv = [str(time_bin), "-f", "%M", "-o", str(rss_file), *CODEX, "exec", "go"]
        limit_kib = 100 * 1024
    else:  # wait4 charges the child with this (pytest) process's image: a looser bound
        argv = [sys.executable, "-c", RSS_VIA_WAIT4, str(rss_file), *CODEX, "exec", "go"]
        limit_kib = 250 * 1024
    proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    peak_kib = int(rss_file.read_text().split()[-1])
    assert peak_kib < limit_kib  # far below the 50 MB printed (+ the interpreter)
    body = model_server.model_requests[1].body
    assert body is not None and len(function_outputs(body)[0]) < 64 * 1024


RSS_VIA_WAIT4 = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_never_ending_command_times_out_and_is_killed(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    pidfile = repo / "child.pid"
    script = f"sleep 1000 & echo $! > {pidfile}; wait"
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", script], "timeout": 700})]),
        Turn(text="gave up"),
    )
    # workspace-write: the command writes its pid file (exec's default sandbox is read-only)
    res = codex(["exec", "-s", "workspace-write", "--json", "go"], cwd=repo, env=env, timeout=60)
    assert res.rc == 0, res.err
    body = model_server.model_requests[1].body
    assert body is not None
    assert "timed out" in function_outputs(body)[0]
    pid = int(pidfile.read_text())
    assert not _alive(pid)
    command = res.items("command_execution")[0]
    assert command["status"] == "failed"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][:1] != "Z"


def test_reader_going_away_ends_quietly(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    """`codex exec --json | head -1`: status 1, no traceback, no hang."""
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="a slow answer " * 4, chunk_size=4, event_delay=0.05))
    with subprocess.Popen(
        [*CODEX, "exec", "--json", "hi"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            first = json.loads(proc.stdout.readline())
            assert first["type"] == "thread.started"
            proc.stdout.close()  # the reader goes away while the turn streams
            err = proc.stderr.read().decode()
            assert proc.wait(timeout=30) == 1
        finally:
            proc.kill()
    assert "Traceback" not in err and "Exception ignored" not in err
