"""Mount namespace and capabilities: what Landlock cannot express.

Landlock rules only add rights, so a writable root cannot exclude its ``.git``, and Landlock
has no right at all for metadata changes (chmod, chown, utimes, xattrs): a process running as
the owner of a file may change them wherever it can read. A private mount namespace closes
both with mount flags, which apply to root too:

1. every mount is made read-only (one recursive ``mount_setattr``): metadata changes
   outside the roots fail with ``EROFS``;
2. each writable root is bind-mounted on itself first and made writable again;
3. each ``ROOT/.git`` is bind-mounted on itself read-only (writes fail with ``EROFS``; renaming
   or deleting the mount point fails with ``EBUSY``);
4. workspace-write: a fresh tmpfs on ``/dev/shm``, so POSIX shared memory and semaphores
   (Python's ``multiprocessing``) work while the host's ``/dev/shm`` stays untouched;
5. a new devpts instance on ``/dev/pts`` unless the command runs on the user's terminal
   (``codex sandbox`` run by hand): ptys still work, but the user's other terminals are not
   there to be written to (escape sequences are input to some terminals).

The namespace is built once per plan and entered by every command (see ``mountns``).

As root we already hold ``CAP_SYS_ADMIN`` and only unshare the mount namespace; any other user
first unshares a user namespace mapping its own uid and gid. Then every capability goes: the
bounding set, the ambient set, the three process sets, with securebits locked so that a
setuid-root program or root's ``execve`` cannot bring any back.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

from pycodex.sandbox import _linux_sys as sys_


@dataclass(frozen=True, slots=True)
class MountPlan:
    """Precomputed in the parent; ``apply`` runs in the child that builds the namespace."""

    writable: tuple[bytes, ...]  # real paths, bind-mounted writable
    read_only: tuple[bytes, ...]  # ``.git`` entries under writable roots
    private_shm: bool  # a fresh tmpfs on /dev/shm
    private_pts: bool  # a new devpts instance on /dev/pts
    user_ns: bool  # not root: a user namespace gives the mount rights
    uid: int
    gid: int


SHM = "/dev/shm"
PTS = "/dev/pts"


def plan(writable_roots: tuple[str, ...], *, private_shm: bool, terminal: bool) -> MountPlan:
    gits = []
    for root in writable_roots:
        git = Path(root, ".git")
        with contextlib.suppress(OSError):  # one we may not look at, we cannot mount either
            if git.exists():  # a symlinked .git protects its target
                gits.append(os.fsencode(git.resolve()))
    return MountPlan(
        writable=tuple(os.fsencode(r) for r in writable_roots),
        read_only=tuple(gits),
        private_shm=private_shm and Path(SHM).is_dir(),
        private_pts=not terminal and Path(PTS).is_dir(),
        user_ns=os.geteuid() != 0,
        uid=os.geteuid(),
        gid=os.getegid(),
    )


_RDONLY = sys_.mount_attr(sys_.MOUNT_ATTR_RDONLY, 0)
_WRITABLE = sys_.mount_attr(0, sys_.MOUNT_ATTR_RDONLY)


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def apply(p: MountPlan) -> bool:
    """Enter a private mount namespace shaped as the module docstring says (child only).

    Returns whether the private ``/dev/shm`` is in place (only then may Landlock grant it)."""
    if p.user_ns:
        sys_.unshare(sys_.CLONE_NEWUSER | sys_.CLONE_NEWNS)
        _write("/proc/self/setgroups", b"deny")
        _write("/proc/self/uid_map", b"%d %d 1" % (p.uid, p.uid))
        _write("/proc/self/gid_map", b"%d %d 1" % (p.gid, p.gid))
    else:
        sys_.unshare(sys_.CLONE_NEWNS)
    sys_.mount(None, b"/", sys_.MS_REC | sys_.MS_PRIVATE)  # nothing propagates back
    for root in p.writable:
        sys_.mount(root, root, sys_.MS_BIND | sys_.MS_REC)
    sys_.mount_setattr(b"/", _RDONLY, sys_.AT_RECURSIVE)
    for root in p.writable:
        # a root on a locked read-only mount stays read-only: the safe direction
        with contextlib.suppress(OSError):
            sys_.mount_setattr(root, _WRITABLE, sys_.AT_RECURSIVE)
    for git in p.read_only:
        sys_.mount(git, git, sys_.MS_BIND | sys_.MS_REC)
        sys_.mount_setattr(git, _RDONLY, sys_.AT_RECURSIVE)
    shm = False
    if p.private_shm:
        flags = sys_.MS_NOSUID | sys_.MS_NODEV
        with contextlib.suppress(OSError):  # without it, /dev/shm stays read-only
            sys_.mount(b"tmpfs", SHM.encode(), flags, b"tmpfs", b"mode=1777")
            shm = True
    if p.private_pts:
        flags = sys_.MS_NOSUID | sys_.MS_NOEXEC
        with contextlib.suppress(OSError):  # without it, ptys are the host's as before
            sys_.mount(b"devpts", PTS.encode(), flags, b"devpts", b"newinstance,ptmxmode=0666")
    return shm


@dataclass(frozen=True, slots=True)
class CapDrop:
    last_cap: int
    capset_buf: ctypes.Array[ctypes.c_char]


def cap_drop() -> CapDrop:
    return CapDrop(sys_.cap_last_cap(), sys_.capset_buffer())


def drop_capabilities(c: CapDrop) -> None:
    """Lock securebits, empty the bounding and ambient sets, then every process set."""
    sys_.prctl(sys_.PR_SET_SECUREBITS, sys_.SECUREBITS_LOCKED_DOWN)
    for cap in range(c.last_cap + 1):
        sys_.prctl(sys_.PR_CAPBSET_DROP, cap)
    sys_.prctl(sys_.PR_CAP_AMBIENT, sys_.PR_CAP_AMBIENT_CLEAR_ALL)
    sys_.capset_zero(c.capset_buf)
