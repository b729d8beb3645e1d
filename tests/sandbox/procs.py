"""Waiting for processes we did not fork (grandchildren) to be gone, without polling."""

from __future__ import annotations

import asyncio
import os


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def wait_dead(pids: list[int], within: float = 5.0) -> list[int]:
    """The pids still running after ``within`` seconds.

    A pidfd becomes readable when its process exits (a zombie counts as exited), so this
    waits on events, not on a timer; SIGKILL lands asynchronously on other processes.
    """
    loop = asyncio.get_running_loop()
    left: list[int] = []
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            exited: asyncio.Future[None] = loop.create_future()
            loop.add_reader(fd, _settle, exited)
            try:
                await asyncio.wait_for(exited, within)
            except TimeoutError:
                left.append(pid)
            finally:
                loop.remove_reader(fd)
        finally:
            os.close(fd)
    return left
