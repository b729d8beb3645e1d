"""A cancellation that lands as a stream read completes must cancel the reading task.

Issue 14, bug 1: Ctrl-C sometimes did not stop a streaming answer. On Python 3.11
``asyncio.wait_for`` runs the read in a second task; when the reader's task is cancelled in
the loop iteration where that read completes, ``wait_for`` returns the data and the
cancellation is gone (CPython gh-86296). The turn then streamed to its end.

The race is made deterministic here: the stream reader below cancels the consuming task
from inside the read, just before the read returns its data (the interrupt and the data
arrive in the same loop iteration). Whatever the client does with the data, the consuming
task must end cancelled.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from pycodex.models.http import HttpResponse, _read_head

T = TypeVar("T")
BODY = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


class CancelAsReadCompletes(asyncio.StreamReader):
    """Cancels ``victim`` inside the ``trigger``-th read of kind ``on``, as it returns."""

    def __init__(self, on: str, trigger: int = 1) -> None:
        super().__init__()
        self.on = on
        self.trigger = trigger
        self.reads = 0
        self.victim: asyncio.Task[Any] | None = None
        self.cancelled_at: int | None = None

    def _maybe_cancel(self, kind: str) -> None:
        if kind != self.on:
            return
        self.reads += 1
        if self.reads == self.trigger and self.victim is not None:
            self.cancelled_at = self.reads
            self.victim.cancel()

    async def readline(self) -> bytes:
        line = await super().readline()
        self._maybe_cancel("readline")
        return line

    async def read(self, n: int = -1) -> bytes:
        data = await super().read(n)
        self._maybe_cancel("read")
        return data


async def _run(
    reader: CancelAsReadCompletes, work: Callable[[], Coroutine[Any, Any, T]]
) -> asyncio.Task[T]:
    task = asyncio.create_task(work())
    reader.victim = task
    done, _ = await asyncio.wait({task}, timeout=10)
    assert done, "the reading task neither finished nor was cancelled"
    assert reader.cancelled_at == 1  # the cancel really was injected
    return task


def _response(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> HttpResponse:
    headers = {"transfer-encoding": "chunked", "content-type": "text/event-stream"}
    return HttpResponse(200, "OK", headers, reader, writer, read_timeout=300.0)


async def _writer() -> tuple[asyncio.StreamWriter, socket.socket]:
    """A real writer (the response closes it); the peer socket is returned to close too."""
    ours, peer = socket.socketpair()
    _, writer = await asyncio.open_connection(sock=ours)
    return writer, peer


@pytest.mark.parametrize("on", ["readline", "read"])
def test_body_read_completing_with_a_cancel_ends_cancelled(on: str) -> None:
    async def main() -> tuple[bool, object]:
        reader = CancelAsReadCompletes(on)
        reader.feed_data(BODY)  # all there: every read completes without waiting
        reader.feed_eof()
        writer, peer = await _writer()
        resp = _response(reader, writer)

        async def consume() -> list[bytes]:
            return [chunk async for chunk in resp.chunks()]

        try:
            task = await _run(reader, consume)
        finally:
            resp.close()
            peer.close()
        return task.cancelled(), None if task.cancelled() else task.result()

    cancelled, result = asyncio.run(main())
    assert cancelled, f"the cancellation was swallowed; the body was read to its end: {result!r}"


def test_sse_lines_with_data_still_arriving_end_cancelled() -> None:
    """The interactive case: the first line's read completes as Ctrl-C lands, more of the
    answer is still to come. The consumer must not go on waiting for it."""

    async def main() -> tuple[bool, list[bytes]]:
        reader = CancelAsReadCompletes("read")
        reader.feed_data(b'10\r\ndata: {"a": 1}\n\n\r\n')
        writer, peer = await _writer()
        resp = _response(reader, writer)
        got: list[bytes] = []

        async def consume() -> None:
            async for line in resp.lines():
                got.append(line)
                if len(got) == 1:  # the rest of the answer arrives later
                    asyncio.get_running_loop().call_soon(reader.feed_data, b"0\r\n\r\n")
                    asyncio.get_running_loop().call_soon(reader.feed_eof)

        try:
            task = await _run(reader, consume)
        finally:
            resp.close()
            peer.close()
        return task.cancelled(), got

    cancelled, got = asyncio.run(main())
    assert cancelled, f"the cancellation was swallowed; lines read after it: {got!r}"


def test_response_head_read_completing_with_a_cancel_ends_cancelled() -> None:
    async def main() -> tuple[bool, object]:
        reader = CancelAsReadCompletes("readline")
        reader.feed_data(HEAD)
        task = await _run(reader, lambda: _read_head(reader, 300.0, "test"))
        return task.cancelled(), None if task.cancelled() else task.result()

    cancelled, result = asyncio.run(main())
    assert cancelled, f"the cancellation was swallowed; the head was parsed: {result!r}"
