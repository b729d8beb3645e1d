"""run_command with real processes: capture, streams, timeouts, cancellation, spawn errors."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from pycodex.sandbox.spawn import (
    EXIT_NOT_EXECUTABLE,
    EXIT_NOT_FOUND,
    EXIT_TIMED_OUT,
    CommandResult,
    run_command,
    wait_for_cleanups,
)
from tests.sandbox.procs import wait_dead

PY = sys.executable
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

# Prints the pids of a child and of a grandchild, then waits forever.
TREE = r"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", '''
import subprocess, sys, time
g = subprocess.Popen(["sleep", "60"])
print(g.pid, flush=True)
g.wait()
'''], stdout=subprocess.PIPE, text=True)
grandchild = child.stdout.readline().strip()
print(child.pid, grandchild, flush=True)
child.wait()
"""


def run(coro_factory, timeout: float = 30.0):
    async def main() -> Any:
        return await asyncio.wait_for(coro_factory(), timeout)

    return asyncio.run(main())


def test_echo_captures_stdout(tmp_path: Path) -> None:
    result = run(lambda: run_command(["echo", "hi"], cwd=tmp_path, env=ENV, timeout_ms=5000))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hi\n", "")
    assert result.aggregated == "hi\n"
    assert not result.timed_out and result.error is None and result.omitted_bytes == 0


def test_stderr_and_exit_code_both_kept(tmp_path: Path) -> None:
    code = "import sys; print('out'); sys.stdout.flush(); print('err', file=sys.stderr); exit(3)"
    result = run(lambda: run_command([PY, "-c", code], cwd=tmp_path, env=ENV, timeout_ms=10000))
    assert result.exit_code == 3
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
    assert sorted(result.aggregated.splitlines()) == ["err", "out"]


def test_env_is_exactly_what_was_given(tmp_path: Path) -> None:
    env = {**ENV, "ONLY_THIS": "yes"}
    result = run(
        lambda: run_command(["sh", "-c", "env | sort"], cwd=tmp_path, env=env, timeout_ms=5000)
    )
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert {"ONLY_THIS", "PATH"} <= names
    assert "HOME" not in names


def test_live_output_callback_sees_every_byte(tmp_path: Path) -> None:
    seen: list[tuple[str, bytes]] = []
    code = "import sys; sys.stdout.write('a'*100000); sys.stderr.write('b')"
    result = run(
        lambda: run_command(
            [PY, "-c", code],
            cwd=tmp_path,
            env=ENV,
            timeout_ms=10000,
            on_output=lambda s, c: seen.append((s, c)),
        )
    )
    assert b"".join(c for s, c in seen if s == "stdout") == b"a" * 100000
    assert b"".join(c for s, c in seen if s == "stderr") == b"b"
    assert result.stdout == "a" * 100000


def test_fifty_megabytes_keeps_memory_bounded(tmp_path: Path) -> None:
    CAP = 256 * 1024
    code = (
        "import sys\nw=sys.stdout.write\n"
        "for i in range(5_000_000): w('line %07d\\n' % i)\n"  # 13 bytes x 5M = 65 MB
    )
    tracemalloc.start()
    try:
        result: CommandResult = run(
            lambda: run_command(
                [PY, "-c", code], cwd=tmp_path, env=ENV, timeout_ms=60000, max_capture_bytes=CAP
            ),
            timeout=90,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0
    assert peak < 8 * 1024 * 1024, peak  # the command printed 65 MB
    assert result.omitted_bytes == 65_000_000 - CAP
    assert result.aggregated_head.startswith("line 0000000\nline 0000001\n")
    assert result.aggregated_tail.endswith("line 4999999\n")
    assert "lines (" in result.aggregated and "bytes) omitted …]" in result.aggregated
    kept_lines = (result.aggregated_head + result.aggregated_tail).count("\n")
    assert kept_lines + result.omitted_lines == 5_000_000


def test_timeout_kills_child_and_grandchild(tmp_path: Path) -> None:
    # Bounded: a kill that waited on the grandchild's pipe would not return within 10 s.
    result = run(
        lambda: run_command([PY, "-c", TREE], cwd=tmp_path, env=ENV, timeout_ms=1500), timeout=10
    )
    assert result.timed_out and result.exit_code == EXIT_TIMED_OUT
    pids = [int(p) for p in result.stdout.split()]
    assert len(pids) == 2
    assert run(lambda: wait_dead(pids)) == []


def test_cancellation_kills_the_group_and_reraises(tmp_path: Path) -> None:
    pids: list[int] = []

    async def scenario() -> None:
        got = asyncio.Event()

        def on_output(stream: str, chunk: bytes) -> None:
            pids.extend(int(p) for p in chunk.split())
            got.set()

        task = asyncio.create_task(
            run_command(
                [PY, "-c", TREE], cwd=tmp_path, env=ENV, timeout_ms=None, on_output=on_output
            )
        )
        await asyncio.wait_for(got.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await wait_dead(pids) == []

    run(scenario)
    assert len(pids) == 2


def test_background_child_holding_the_pipe_does_not_hang(tmp_path: Path) -> None:
    # Bounded: waiting for the background sleep to close the pipe would take 30 s.
    result = run(
        lambda: run_command(
            ["sh", "-c", "sleep 30 & echo $!"], cwd=tmp_path, env=ENV, timeout_ms=20000
        ),
        timeout=10,
    )
    assert result.exit_code == 0 and not result.timed_out
    assert run(lambda: wait_dead([int(result.stdout)])) == []


def test_missing_program_is_a_result(tmp_path: Path) -> None:
    result = run(
        lambda: run_command(["no-such-program-xyz"], cwd=tmp_path, env=ENV, timeout_ms=1000)
    )
    assert result.exit_code == EXIT_NOT_FOUND
    assert result.error == "execution error: No such file or directory: no-such-program-xyz"


def test_not_executable_is_a_result(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = run(lambda: run_command([str(script)], cwd=tmp_path, env=ENV, timeout_ms=1000))
    assert result.exit_code == EXIT_NOT_EXECUTABLE
    assert result.error is not None and "Permission denied" in result.error


def test_missing_workdir_is_a_result(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run(lambda: run_command(["echo"], cwd=missing, env=ENV, timeout_ms=1000))
    assert result.error == f"execution error: working directory does not exist: {missing}"
    assert result.exit_code == EXIT_NOT_FOUND


def test_signal_death_maps_to_128_plus_n(tmp_path: Path) -> None:
    result = run(
        lambda: run_command(["sh", "-c", "kill -9 $$"], cwd=tmp_path, env=ENV, timeout_ms=5000)
    )
    assert result.exit_code == 137


def test_a_second_cancel_during_the_kill_still_kills_everything(tmp_path: Path) -> None:
    # The leader ignores SIGTERM, so the kill waits out its grace period; cancel again then.
    code = TREE.replace(
        "import subprocess, sys",
        "import signal, subprocess, sys\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)",
        1,
    )
    pids: list[int] = []

    async def scenario() -> None:
        got = asyncio.Event()

        def on_output(stream: str, chunk: bytes) -> None:
            pids.extend(int(p) for p in chunk.split())
            got.set()

        task = asyncio.create_task(
            run_command(
                [PY, "-c", code], cwd=tmp_path, env=ENV, timeout_ms=None, on_output=on_output
            )
        )
        await asyncio.wait_for(got.wait(), 10)
        task.cancel()
        await asyncio.sleep(0)  # one loop pass: the kill has started and is in its grace
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_for_cleanups()
        assert await wait_dead(pids) == []

    run(scenario)
    assert len(pids) == 2
