"""Newline-delimited JSON-RPC over the process's stdin/stdout, with spec-correct framing errors.

The SDK's own ``stdio_server`` hands a line that is not JSON-RPC to the dispatcher as an
exception, which drops it without an answer. JSON-RPC 2.0 wants an answer, so this reader
replies itself and keeps reading: a line that is not JSON gets ``-32700 Parse error`` with
``"id": null``; JSON that is not a JSON-RPC message gets ``-32600 Invalid Request`` (with
the line's ``id`` when it has a usable one). Blank lines are ignored. EOF on stdin closes
the read stream, which ends the server.

Like the SDK transport, it claims fd 0 and fd 1 while serving: the wire moves to private
descriptors, fd 0 becomes /dev/null and fd 1 points at stderr, so a child process (or a
stray print) can neither eat the client's messages nor corrupt the stream of answers.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO, Any

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import (
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    jsonrpc_message_adapter,
)

FLUSH_TIMEOUT_S = 5.0
EOF_GRACE_S = 2.0

ReadStream = MemoryObjectReceiveStream[SessionMessage | Exception]
WriteStream = MemoryObjectSendStream[SessionMessage]


def framing_error(line: str) -> JSONRPCError | None:
    """The error answer for a line that is not a JSON-RPC message; None when it is one."""
    try:
        data = json.loads(line)
    except ValueError:
        return _error(None, PARSE_ERROR, "Parse error")
    try:
        jsonrpc_message_adapter.validate_python(data, by_name=False)
    except ValueError:
        request_id = data.get("id") if isinstance(data, dict) else None
        if not (isinstance(request_id, str | int) and not isinstance(request_id, bool)):
            request_id = None
        return _error(request_id, INVALID_REQUEST, "Invalid Request")
    return None


def _error(request_id: str | int | None, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))


def encode(message: SessionMessage) -> str:
    return message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"


class _Wire:
    """fd 0/1 moved to private descriptors for the lifetime of the server."""

    def __init__(self) -> None:
        self.stdin_fd = os.dup(0)
        self.stdout_fd = os.dup(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        self.reader: IO[bytes] = os.fdopen(self.stdin_fd, "rb", closefd=False)
        self.writer: IO[bytes] = os.fdopen(self.stdout_fd, "wb", closefd=False)

    def restore(self) -> None:
        sys.stdout.flush()
        os.set_blocking(self.stdin_fd, True)  # a tty's flags are shared with the shell
        os.dup2(self.stdin_fd, 0)
        os.dup2(self.stdout_fd, 1)


async def _read_lines(reader: IO[bytes]) -> AsyncIterator[bytes]:
    """Lines of a binary stream. A pipe or tty is read without blocking, the event loop
    waiting for data: a worker thread stuck in ``read()`` would keep the process alive
    until EOF, even after SIGTERM. A regular file never blocks, so it is read directly."""
    fd = reader.fileno()
    if stat.S_ISREG(os.fstat(fd).st_mode):
        for line in iter(reader.readline, b""):
            yield line
        return
    os.set_blocking(fd, False)  # a private descriptor; _Wire.restore() undoes this
    pending = b""
    while True:
        await anyio.wait_readable(fd)
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending


class _Pumps:
    """The two loops between the byte streams and the dispatcher's message streams."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self.reader = reader
        self.writer = writer
        self.read_send, self.read_recv = anyio.create_memory_object_stream[
            SessionMessage | Exception
        ](0)
        self.write_send, self.write_recv = anyio.create_memory_object_stream[SessionMessage](0)
        self.replies = self.write_send.clone()  # the reader answers framing errors itself
        self.written = anyio.Event()
        self.pending: set[str | int] = set()  # requests read but not answered yet
        self.answered = anyio.Event()  # replaced after each answer

    async def read_loop(self) -> None:
        async with self.read_send, self.replies:
            try:
                async for raw in _read_lines(self.reader):
                    await self._on_line(raw.decode("utf-8", errors="replace"))
                # EOF. Calls that are about to answer (a bad argument, a listing) still
                # get their answer; running turns are cancelled after the grace period.
                with anyio.move_on_after(EOF_GRACE_S):
                    while self.pending:
                        await self.answered.wait()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass  # the server stopped listening

    async def _on_line(self, line: str) -> None:
        if not line.strip():
            return
        error = framing_error(line)
        if error is not None:
            await self.replies.send(SessionMessage(error))
            return
        message: Any = jsonrpc_message_adapter.validate_json(line, by_name=False)
        if isinstance(message, JSONRPCRequest):
            self.pending.add(message.id)
        await self.read_send.send(SessionMessage(message))

    async def write_loop(self) -> None:
        try:
            async with self.write_recv:
                async for message in self.write_recv:
                    answer = message.message
                    if isinstance(answer, JSONRPCResponse | JSONRPCError) and answer.id is not None:
                        self.pending.discard(answer.id)
                        self.answered.set()
                        self.answered = anyio.Event()
                    data = encode(message).encode("utf-8")
                    await anyio.to_thread.run_sync(_write_all, self.writer, data)
        finally:
            self.written.set()  # all sent, or stopped (cancelled by a signal)

    async def flush(self) -> None:
        """Let the last answers out (bounded); the loops are cancelled after this."""
        self.write_send.close()
        self.replies.close()
        with anyio.move_on_after(FLUSH_TIMEOUT_S, shield=True):
            await self.written.wait()


@asynccontextmanager
async def stdio_transport(
    reader: IO[bytes] | None = None, writer: IO[bytes] | None = None
) -> AsyncIterator[tuple[ReadStream, WriteStream]]:
    """``(read_stream, write_stream)`` for the SDK's dispatcher over stdin/stdout (or the
    given binary streams, which are then used as they are, without claiming fds)."""
    wire = _Wire() if reader is None or writer is None else None
    if wire is not None:
        reader, writer = wire.reader, wire.writer
    assert reader is not None and writer is not None
    pumps = _Pumps(reader, writer)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(pumps.read_loop)
            tg.start_soon(pumps.write_loop)
            try:
                yield pumps.read_recv, pumps.write_send
            finally:
                await pumps.flush()
                tg.cancel_scope.cancel()  # the reader may be blocked on a stdin left open
    finally:
        if wire is not None:
            wire.restore()


def _write_all(writer: IO[bytes], data: bytes) -> None:
    try:
        writer.write(data)
        writer.flush()
    except BrokenPipeError:
        pass  # the client is gone; EOF on stdin ends the server
