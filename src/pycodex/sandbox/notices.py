"""Protections the sandbox could not put in place, for the session to be told once.

Missing Landlock, seccomp or namespaces stop the sandbox with an error; what is optional
(a private ``/dev/shm``, a private ``/dev/pts``, the search for repositories stopping at its
bound) is recorded here instead, as one line each saying what is missing and what it means.
The record is per process (the kernel's answer is too); core shows each line once per
session, after a sandboxed command ran (``core.tools.shell``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

_recorded: dict[str, None] = {}  # insertion-ordered set
_lock = threading.Lock()

CONSEQUENCES = {
    "a private /dev/shm": "POSIX shared memory (multiprocessing) fails in sandboxed commands",
    "a private /dev/pts": "sandboxed commands can open the host's terminals",
}


def describe_missing(what: str) -> str:
    """``what`` is ``namespaces.MISSING_*`` followed by its reason in parentheses."""
    for name, consequence in CONSEQUENCES.items():
        if what.startswith(name):
            reason = what[len(name) :].strip()
            return f"sandbox: {name} could not be mounted {reason}; {consequence}"
    return f"sandbox: {what} could not be mounted"


def describe_skipped(where: str) -> str:
    """``where``: the first directory not searched, with the reason in parentheses."""
    return (
        f"sandbox: stopped searching the writable roots for repositories at {where}; "
        "repositories beyond are writable by sandboxed commands"
    )


def record(lines: Iterable[str]) -> None:
    with _lock:
        for line in lines:
            _recorded.setdefault(line, None)


def recorded() -> tuple[str, ...]:
    """Every line recorded in this process so far, oldest first."""
    with _lock:
        return tuple(_recorded)
