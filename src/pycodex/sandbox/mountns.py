"""The sandbox's mount namespace: built once per plan, entered by each command with setns.

Building a namespace (copying the mount table, bind mounts, a tmpfs, a devpts) is cheap; its
teardown when the last process leaves is not: unmounting waits for an RCU grace period, and
the command's exit waits with it (milliseconds on a busy machine). So a helper child builds
it (``namespaces.apply``) and then ``exec``s a shell that waits on stdin; we open its
``/proc/PID/ns/mnt`` (and ``ns/user`` when not root), which keeps the namespace alive after
the helper is gone, and each command's child only calls ``setns`` and ``chdir``.

The cache key is the plan (roots, protected paths and CODEX_HOME's secrets with their
identities, /dev/shm, devpts) plus each root's device and inode: a workspace removed and made
again gets a new namespace, as does a repository that appeared, went or was replaced since
(the next command pays one build, ~5-8 ms on an idle 2-core machine, 10-30 ms on a busy
one). Commands of a session share the private ``/dev/shm`` and devpts. The cache keeps the
``CACHE_SIZE`` namespaces used last; an evicted one is released (its fds closed) once no
prepared command refers to it any more.

The helper reports on stderr: one ``missing ...`` line per optional protection it could not
mount, then ``ok``; anything else is the reason the sandbox could not be built.
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.sandbox import _linux_sys as sys_
from pycodex.sandbox import namespaces, notices

EXIT_BUILD_FAILED = 126
CACHE_SIZE = 8
_OK = b"ok\n"
_MISSING = b"missing "


class _Fds:
    """Owns a namespace's fds: closed when the last reference goes (cache and launches)."""

    __slots__ = ("fds",)

    def __init__(self, fds: list[int]) -> None:
        self.fds = fds

    def __del__(self) -> None:
        for fd in self.fds:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class Namespace:
    mnt_fd: int
    user_fd: int | None  # the user namespace to enter first (not root)
    shm: bool  # the private /dev/shm is mounted (Landlock may grant it)
    missing: tuple[str, ...] = ()  # optional protections not in place, with the reason
    owner: object = field(default=None, compare=False, repr=False)  # keeps the fds open


def _build_child(plan: namespaces.MountPlan) -> None:
    """``preexec_fn`` of the helper: build, report on stderr, then exec the waiting shell."""
    try:
        missing = namespaces.apply(plan)
    except OSError as exc:
        os.write(2, f"mount namespace: {exc.strerror}\n".encode())
        os._exit(EXIT_BUILD_FAILED)
    os.write(2, b"".join(_MISSING + m.encode() + b"\n" for m in missing) + _OK)


def _identity(plan: namespaces.MountPlan) -> tuple[tuple[int, int], ...]:
    out = []
    for root in plan.writable:
        try:
            st = Path(os.fsdecode(root)).stat()
        except OSError:
            out.append((-1, -1))
        else:
            out.append((st.st_dev, st.st_ino))
    return tuple(out)


def _build(plan: namespaces.MountPlan) -> Namespace:
    """Raises ``OSError`` with a one-line reason when the namespace cannot be built."""
    proc = subprocess.Popen(
        ["/bin/sh", "-c", "read _; exit 0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=functools.partial(_build_child, plan),  # noqa: PLW1509 - see linux.py
        cwd="/",
    )
    assert proc.stdin is not None and proc.stderr is not None
    fds: list[int] = []
    try:
        for kind in ("user", "mnt") if plan.user_ns else ("mnt",):
            try:
                fds.append(os.open(f"/proc/{proc.pid}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC))
            except OSError:  # the helper failed and is gone: its report says why
                break
    finally:
        proc.stdin.close()
        report = proc.stderr.read()
        proc.stderr.close()
        proc.wait()
    lines = report.splitlines(keepends=True)
    if (
        proc.returncode != 0
        or not lines
        or lines[-1] != _OK
        or not all(line.startswith(_MISSING) for line in lines[:-1])
        or len(fds) != (2 if plan.user_ns else 1)
    ):
        for fd in fds:
            os.close(fd)
        reason = report.decode(errors="replace").strip() or f"status {proc.returncode}"
        raise OSError(reason)
    missing = tuple(line[len(_MISSING) :].decode(errors="replace").strip() for line in lines[:-1])
    shm = plan.shm is not None and not any(m.startswith(namespaces.MISSING_SHM) for m in missing)
    user_fd = fds[0] if plan.user_ns else None
    return Namespace(fds[-1], user_fd, shm, missing, _Fds(fds))


_Key = tuple[namespaces.MountPlan, tuple[tuple[int, int], ...]]
_cache: OrderedDict[_Key, Namespace] = OrderedDict()
_lock = threading.Lock()


def namespace_for(plan: namespaces.MountPlan) -> Namespace:
    """The namespace for ``plan``, built on first use; ``OSError`` when it cannot be.

    What it lacks (and a protected-path search that stopped at its bound) is recorded for
    the session to be told (``notices``)."""
    key = (plan, _identity(plan))
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _build(plan)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            lines = [notices.describe_missing(m) for m in found.missing]
            if plan.search_skipped is not None:
                lines.append(notices.describe_skipped(plan.search_skipped))
            notices.record(lines)
        else:
            _cache.move_to_end(key)
        return found


def enter(ns: Namespace, cwd: bytes) -> None:
    """In the command's child: join the namespace, then its own working directory."""
    if ns.user_fd is not None:
        sys_.setns(ns.user_fd, sys_.CLONE_NEWUSER)
    sys_.setns(ns.mnt_fd, sys_.CLONE_NEWNS)
    os.chdir(cwd)
