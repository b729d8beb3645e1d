"""The sandbox's mount namespace: built once per plan, entered by each command with setns.

Building a namespace (copying the mount table, bind mounts, a tmpfs, a devpts) is cheap; its
teardown when the last process leaves is not: unmounting waits for an RCU grace period, and
the command's exit waits with it (milliseconds on a busy machine). So a helper child builds
it (``namespaces.apply``) and then ``exec``s a shell that waits on stdin; we open its
``/proc/PID/ns/mnt`` (and ``ns/user`` when not root), which keeps the namespace alive after
the helper is gone, and each command's child only calls ``setns`` and ``chdir``.

The cache key is the plan (roots, ``.git`` entries, /dev/shm, devpts) plus each root's device
and inode: a workspace removed and made again gets a new namespace, as does a ``.git`` that
appeared since. Commands of a session share the private ``/dev/shm`` and devpts.
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from pycodex.sandbox import _linux_sys as sys_
from pycodex.sandbox import namespaces

EXIT_BUILD_FAILED = 126
_SHM_OK = b"shm\n"
_SHM_MISSING = b"noshm\n"


@dataclass(frozen=True, slots=True)
class Namespace:
    mnt_fd: int
    user_fd: int | None  # the user namespace to enter first (not root)
    shm: bool  # the private /dev/shm is mounted (Landlock may grant it)


def _build_child(plan: namespaces.MountPlan) -> None:
    """``preexec_fn`` of the helper: build, report on stderr, then exec the waiting shell."""
    try:
        shm = namespaces.apply(plan)
    except OSError as exc:
        os.write(2, f"mount namespace: {exc.strerror}\n".encode())
        os._exit(EXIT_BUILD_FAILED)
    os.write(2, _SHM_OK if shm else _SHM_MISSING)


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
    if (
        proc.returncode != 0
        or report not in (_SHM_OK, _SHM_MISSING)
        or len(fds) != (2 if plan.user_ns else 1)
    ):
        for fd in fds:
            os.close(fd)
        reason = report.decode(errors="replace").strip() or f"status {proc.returncode}"
        raise OSError(reason)
    user_fd = fds[0] if plan.user_ns else None
    return Namespace(mnt_fd=fds[-1], user_fd=user_fd, shm=report == _SHM_OK)


_cache: dict[tuple[namespaces.MountPlan, tuple[tuple[int, int], ...]], Namespace] = {}
_lock = threading.Lock()


def namespace_for(plan: namespaces.MountPlan) -> Namespace:
    """The namespace for ``plan``, built on first use; ``OSError`` when it cannot be."""
    key = (plan, _identity(plan))
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _build(plan)
        return found


def enter(ns: Namespace, cwd: bytes) -> None:
    """In the command's child: join the namespace, then its own working directory."""
    if ns.user_fd is not None:
        sys_.setns(ns.user_fd, sys_.CLONE_NEWUSER)
    sys_.setns(ns.mnt_fd, sys_.CLONE_NEWNS)
    os.chdir(cwd)
