"""Run one command as a child process group, with bounded capture, live output and kill-on-exit.

Why a process group: the model runs ``bash -lc "..."`` which forks children of its own; a
timeout or an interrupt must take all of them down, not only the shell. Why bounded capture:
a command may print gigabytes; we keep the first and last ``max_capture_bytes / 2`` bytes of
each stream and count what fell in between (bytes and newlines), so memory stays flat.

Failures to start (missing program, no permission, missing working directory) are results,
not exceptions: the model gets told and the turn goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pycodex.protocol.errors import SandboxError
from pycodex.sandbox.launch import prepare_launch
from pycodex.sandbox.policy import FULL_ACCESS, SandboxPolicy

DEFAULT_MAX_CAPTURE_BYTES = 1024 * 1024  # per stream: 512 KiB head + 512 KiB tail
READ_CHUNK_BYTES = 64 * 1024
KILL_GRACE_SECONDS = 0.25  # between SIGTERM and SIGKILL of the group
DRAIN_GRACE_SECONDS = 1.0  # after the command exits, how long background children may
#                            keep our pipes open before the group is killed
EXIT_TIMED_OUT = 124  # as coreutils `timeout`
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126

StreamName = Literal["stdout", "stderr"]
OutputCallback = Callable[[StreamName, bytes], None]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command did. Texts are UTF-8 decoded with ``errors="replace"``.

    When capture overflowed, ``stdout``/``stderr``/``aggregated`` hold head, an omission
    line, and tail; ``aggregated_head``/``aggregated_tail`` hold the two parts without it
    so a formatter can cut lines its own way (``omitted_lines`` newlines were dropped).
    """

    exit_code: int
    stdout: str
    stderr: str
    aggregated: str  # stdout and stderr interleaved in arrival order
    timed_out: bool
    duration: float  # seconds
    omitted_bytes: int = 0  # of the aggregated stream
    omitted_lines: int = 0
    aggregated_head: str = ""
    aggregated_tail: str = ""
    error: str | None = None  # set when the command could not be started


class _HeadTail:
    """Keeps the first and last ``limit // 2`` bytes of a stream; counts the rest."""

    __slots__ = ("head", "head_limit", "omitted_bytes", "omitted_lines", "tail", "tail_limit")

    def __init__(self, limit: int) -> None:
        self.head_limit = max(limit // 2, 1)
        self.tail_limit = max(limit - self.head_limit, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.omitted_bytes = 0
        self.omitted_lines = 0

    def add(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
            if not chunk:
                return
        self.tail += chunk
        overflow = len(self.tail) - self.tail_limit
        if overflow > 0:
            self.omitted_bytes += overflow
            self.omitted_lines += self.tail.count(b"\n", 0, overflow)
            del self.tail[:overflow]

    def parts(self) -> tuple[str, str]:
        return _decode(self.head), _decode(self.tail)

    def text(self) -> str:
        head, tail = self.parts()
        if not self.omitted_bytes:
            return head + tail
        marker = f"[… {self.omitted_lines} lines ({self.omitted_bytes} bytes) omitted …]"
        sep_before = "" if head.endswith("\n") else "\n"
        return f"{head}{sep_before}{marker}\n{tail}"


def _decode(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")


def _failure(message: str, exit_code: int, started: float) -> CommandResult:
    return CommandResult(
        exit_code=exit_code,
        stdout="",
        stderr=message,
        aggregated=message,
        timed_out=False,
        duration=time.monotonic() - started,
        aggregated_head=message,
        error=message,
    )


def _spawn_error(exc: OSError, program: str) -> tuple[str, int]:
    reason = exc.strerror or str(exc)
    code = EXIT_NOT_FOUND if exc.errno == errno.ENOENT else EXIT_NOT_EXECUTABLE
    return f"execution error: {reason}: {program}", code


def _killpg(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class _Protocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Stream protocol that also says when the child exited.

    ``Process.wait()`` only returns once the pipes are closed too, and a background
    grandchild may hold them open forever; ``exited`` fires on the exit alone.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=READ_CHUNK_BYTES, loop=loop)
        self.exited = asyncio.Event()

    def process_exited(self) -> None:
        super().process_exited()
        self.exited.set()


async def _kill_group(proc: asyncio.subprocess.Process, protocol: _Protocol) -> None:
    """SIGTERM the whole group, give it a moment, then SIGKILL whatever is left."""
    pgid = proc.pid  # start_new_session: the child leads its own group
    _killpg(pgid, signal.SIGTERM)
    try:
        with contextlib.suppress(TimeoutError):  # not wait_for: it can drop a cancel (3.11)
            async with asyncio.timeout(KILL_GRACE_SECONDS):
                await protocol.exited.wait()
    finally:  # even if cancelled again while waiting: nothing of the group survives
        _killpg(pgid, signal.SIGKILL)
    await protocol.exited.wait()


async def _pump(
    reader: asyncio.StreamReader | None,
    name: StreamName,
    own: _HeadTail,
    both: _HeadTail,
    on_output: OutputCallback | None,
) -> None:
    if reader is None:
        return
    while chunk := await reader.read(READ_CHUNK_BYTES):
        own.add(chunk)
        both.add(chunk)
        if on_output is not None:
            on_output(name, chunk)


async def _finish_readers(
    proc: asyncio.subprocess.Process, readers: list[asyncio.Task[None]]
) -> None:
    """Wait for EOF on both pipes; children that still hold them after a grace get killed."""
    _, pending = await asyncio.wait(readers, timeout=DRAIN_GRACE_SECONDS)
    if pending:
        _killpg(proc.pid, signal.SIGKILL)
        _, pending = await asyncio.wait(pending, timeout=DRAIN_GRACE_SECONDS)
    if pending:  # a process escaped the group and holds the pipe: stop reading
        _abandon(proc, list(pending))
        await asyncio.gather(*readers, return_exceptions=True)
    else:
        await proc.wait()  # pipes closed and exit seen: returns at once


_cleanups: set[asyncio.Task[None]] = set()  # kills still in progress after a double cancel


async def wait_for_cleanups() -> None:
    """Wait until kills that outlived their command (cancelled twice) are done; for an
    orderly shutdown before the event loop closes."""
    while _cleanups:
        await asyncio.gather(*_cleanups, return_exceptions=True)


async def _cleanup(
    proc: asyncio.subprocess.Process, protocol: _Protocol, readers: list[asyncio.Task[None]]
) -> None:
    try:
        await _kill_group(proc, protocol)
        await _finish_readers(proc, readers)
    except asyncio.CancelledError:  # the loop is closing: do what needs no waiting
        _abandon(proc, readers)
        raise


def _abandon(proc: asyncio.subprocess.Process, readers: list[asyncio.Task[None]]) -> None:
    """Synchronous last resort: kill the group, stop reading, close the pipes."""
    _killpg(proc.pid, signal.SIGKILL)
    for task in readers:
        task.cancel()
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


def _exit_code(returncode: int | None) -> int:
    if returncode is None:
        return -1
    return 128 - returncode if returncode < 0 else returncode


async def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_ms: int | None,
    on_output: OutputCallback | None = None,
    max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES,
    sandbox: SandboxPolicy = FULL_ACCESS,
) -> CommandResult:
    """Run ``argv`` in ``cwd`` with exactly ``env``; see the module docstring.

    Cancelling the awaiting task kills the process group, then re-raises ``CancelledError``.
    """
    started = time.monotonic()
    if not argv:
        return _failure("execution error: empty command", EXIT_NOT_FOUND, started)
    if not cwd.is_dir():
        return _failure(
            f"execution error: working directory does not exist: {cwd}", EXIT_NOT_FOUND, started
        )
    try:  # the OS sandbox (see sandbox.launch); one that cannot be enforced runs nothing
        launch = prepare_launch(sandbox, argv, cwd=cwd, env=env if env is not None else {})
    except SandboxError as exc:
        return _failure(f"sandbox error: {exc}", EXIT_NOT_EXECUTABLE, started)
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.subprocess_exec(
            lambda: _Protocol(loop),
            *launch.argv,
            cwd=cwd,
            env=launch.env,
            preexec_fn=launch.preexec_fn,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        message, code = _spawn_error(exc, argv[0])
        return _failure(message, code, started)
    proc = asyncio.subprocess.Process(transport, protocol, loop)

    out, err = _HeadTail(max_capture_bytes), _HeadTail(max_capture_bytes)
    both = _HeadTail(max_capture_bytes)
    readers = [
        asyncio.create_task(_pump(proc.stdout, "stdout", out, both, on_output)),
        asyncio.create_task(_pump(proc.stderr, "stderr", err, both, on_output)),
    ]
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout_ms / 1000 if timeout_ms is not None else None):
                await protocol.exited.wait()
        except TimeoutError:
            timed_out = True
            await _kill_group(proc, protocol)
        await _finish_readers(proc, readers)
    except asyncio.CancelledError:
        cleanup = asyncio.create_task(_cleanup(proc, protocol, readers))
        _cleanups.add(cleanup)
        cleanup.add_done_callback(_cleanups.discard)
        with contextlib.suppress(asyncio.CancelledError):  # cancelled again: it goes on alone
            await asyncio.shield(cleanup)
        raise
    head, tail = both.parts()
    return CommandResult(
        exit_code=EXIT_TIMED_OUT if timed_out else _exit_code(proc.returncode),
        stdout=out.text(),
        stderr=err.text(),
        aggregated=both.text(),
        timed_out=timed_out,
        duration=time.monotonic() - started,
        omitted_bytes=both.omitted_bytes,
        omitted_lines=both.omitted_lines,
        aggregated_head=head,
        aggregated_tail=tail,
    )
