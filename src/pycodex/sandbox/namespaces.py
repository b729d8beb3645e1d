"""Mount namespace and capabilities: what Landlock cannot express.

Landlock rules only add rights, so a writable root cannot exclude its ``.git``, and Landlock
has no right at all for metadata changes (chmod, chown, utimes, xattrs): a process running as
the owner of a file may change them wherever it can read. A private mount namespace closes
both with mount flags, which apply to root too:

1. every mount is made read-only (one recursive ``mount_setattr``): metadata changes
   outside the roots fail with ``EROFS``;
2. each writable root is bind-mounted on itself first and made writable again;
3. each protected path under a writable root (every repository, ``.codex`` and
   ``$CODEX_HOME``; see ``protected``) is bind-mounted on itself read-only (writes fail with
   ``EROFS``; renaming or deleting the mount point fails with ``EBUSY``), and every directory
   between the root and it is bind-mounted on itself as it is (writable): pinned, so that no
   command can rename ``vendor/lib`` (or ``vendor``) away and put a repository of its own,
   hooks and all, where the user's was;
4. ``$CODEX_HOME``'s secrets, in every sandboxed mode: an empty read-only tmpfs (mode 000) on
   each secret directory, ``/dev/null`` on a ``nodev`` mount on each secret file (opening it
   fails with ``EACCES``);
5. workspace-write: a fresh tmpfs on ``/dev/shm``, so POSIX shared memory and semaphores
   (Python's ``multiprocessing``) work while the host's ``/dev/shm`` stays untouched;
6. a new devpts instance on ``/dev/pts`` unless the command runs on the user's terminal
   (``codex sandbox`` run by hand): ptys still work, but the user's other terminals are not
   there to be written to (escape sequences are input to some terminals).

Steps 1-4 are the sandbox: when one fails, nothing runs. Steps 5 and 6 may fail (an old
kernel, a container's seccomp profile); ``apply`` then says which protection is missing and
the session is told once (``notices``).

The namespace is built once per plan and entered by every command (see ``mountns``).

As root we already hold ``CAP_SYS_ADMIN`` and only unshare the mount namespace; any other user
first unshares a user namespace mapping its own uid and gid. Then every capability goes: the
bounding set, the ambient set, the three process sets, with securebits locked so that a
setuid-root program or root's ``execve`` cannot bring any back.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
from dataclasses import dataclass

from pycodex.sandbox import _linux_sys as sys_
from pycodex.sandbox import protected


@dataclass(frozen=True, slots=True)
class MountPlan:
    """Precomputed in the parent; ``apply`` runs in the child that builds the namespace.

    It is also the key of the namespace cache (``mountns``): a different set of protected
    paths or secrets (a secret file replaced on the host has a new inode) is a new namespace.
    """

    writable: tuple[bytes, ...]  # real paths, bind-mounted writable
    read_only: tuple[bytes, ...]  # protected paths under writable roots
    pinned: tuple[bytes, ...]  # directories between a root and a protected path, parents first
    hidden_dirs: tuple[bytes, ...]  # CODEX_HOME's secret directories
    hidden_files: tuple[bytes, ...]  # CODEX_HOME's secret files
    secret_ids: tuple[tuple[int, ...], ...]  # identity of each secret, for the key
    # identity of each protected path and of CODEX_HOME, for the key: one replaced on the
    # host loses its mount in a cached namespace (the kernel detaches it): a new namespace
    protected_ids: tuple[tuple[int, ...], ...]
    shm: bytes | None  # where the fresh tmpfs goes (/dev/shm), None: not wanted
    pts: bytes | None  # where the new devpts goes (/dev/pts), None: not wanted
    user_ns: bool  # not root: a user namespace gives the mount rights
    uid: int
    gid: int
    search_skipped: str | None = None  # where the protected-path search stopped, and why


SHM = "/dev/shm"
PTS = "/dev/pts"
MISSING_SHM = "a private /dev/shm"
MISSING_PTS = "a private /dev/pts"


def plan(
    writable_roots: tuple[str, ...],
    *,
    private_shm: bool,
    terminal: bool,
    codex_home: str | None = None,
) -> MountPlan:
    """The mounts for a command now: protected paths as they exist at this moment."""
    read_only: tuple[bytes, ...] = ()
    pinned: tuple[bytes, ...] = ()
    ids: tuple[tuple[int, ...], ...] = ()
    skipped = None
    if writable_roots:
        found = protected.tracker().find(_deepest_first(writable_roots))
        read_only, pinned = _read_only(found.paths, codex_home, writable_roots)
        ids = found.idents
        if codex_home:
            ids += (protected.identity(codex_home),)
        skipped = found.skipped
    secrets = protected.secrets(codex_home)
    return MountPlan(
        writable=tuple(os.fsencode(r) for r in writable_roots),
        read_only=read_only,
        pinned=pinned,
        hidden_dirs=tuple(os.fsencode(s.path) for s in secrets if s.is_dir),
        hidden_files=tuple(os.fsencode(s.path) for s in secrets if not s.is_dir),
        secret_ids=tuple(s.ident for s in secrets),
        protected_ids=ids,
        shm=SHM.encode() if private_shm else None,
        pts=None if terminal else PTS.encode(),
        user_ns=os.geteuid() != 0,
        uid=os.geteuid(),
        gid=os.getegid(),
        search_skipped=skipped,
    )


@functools.lru_cache(maxsize=64)
def _deepest_first(roots: tuple[str, ...]) -> tuple[str, ...]:
    """The search's bound favours the roots it walks first: the workspace before /tmp."""
    return tuple(sorted(roots, key=lambda r: -r.count("/")))


@functools.lru_cache(maxsize=64)
def _read_only(
    found: tuple[str, ...], codex_home: str | None, roots: tuple[str, ...]
) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The protected paths plus CODEX_HOME inside the roots, and the directories to pin
    between them and their root (the same for most commands: memoised)."""
    paths = protected.minimal(
        [*found, os.path.realpath(codex_home)] if codex_home else found, roots
    )
    pinned: set[str] = set()
    for path in paths:
        inside = (r for r in roots if path.startswith(r.rstrip("/") + "/"))
        root = max(inside, key=len, default=path)  # a root that is itself protected: none
        parent = path.rsplit("/", 1)[0]  # real absolute paths
        while len(parent) > len(root.rstrip("/")) and parent not in pinned:
            pinned.add(parent)
            parent = parent.rsplit("/", 1)[0]
    encode = os.fsencode
    return tuple(map(encode, paths)), tuple(map(encode, sorted(pinned)))


_RDONLY = sys_.mount_attr(sys_.MOUNT_ATTR_RDONLY, 0)
_WRITABLE = sys_.mount_attr(0, sys_.MOUNT_ATTR_RDONLY)
_MS_RDONLY = 1
_HIDDEN = _MS_RDONLY | sys_.MS_NOSUID | sys_.MS_NODEV | sys_.MS_NOEXEC
_MOUNT_ATTR_NOSUID = 0x2
_MOUNT_ATTR_NODEV = 0x4
_MOUNT_ATTR_NOEXEC = 0x8
_NODEV_RDONLY = sys_.mount_attr(
    sys_.MOUNT_ATTR_RDONLY | _MOUNT_ATTR_NOSUID | _MOUNT_ATTR_NODEV | _MOUNT_ATTR_NOEXEC, 0
)


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def apply(p: MountPlan) -> tuple[str, ...]:
    """Enter a private mount namespace shaped as the module docstring says (child only).

    Raises ``OSError`` when the sandbox cannot be built; returns the optional protections
    that are missing (``MISSING_SHM``, ``MISSING_PTS``, each with its reason). Landlock may
    grant ``/dev/shm`` only when ``MISSING_SHM`` is not among them."""
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
    for path in p.pinned:  # sorted: parents first
        with contextlib.suppress(FileNotFoundError):
            sys_.mount(path, path, sys_.MS_BIND | sys_.MS_REC)
    for path in p.read_only:
        with contextlib.suppress(FileNotFoundError):  # gone since it was found: nothing to do
            sys_.mount(path, path, sys_.MS_BIND | sys_.MS_REC)
            sys_.mount_setattr(path, _RDONLY, sys_.AT_RECURSIVE)
    for path in p.hidden_dirs:
        sys_.mount(b"tmpfs", path, _HIDDEN, b"tmpfs", b"mode=000,size=4k")
    for path in p.hidden_files:
        with contextlib.suppress(FileNotFoundError):
            sys_.mount(b"/dev/null", path, sys_.MS_BIND)
            sys_.mount_setattr(path, _NODEV_RDONLY, 0)
    missing: list[str] = []
    if p.shm is not None:
        flags = sys_.MS_NOSUID | sys_.MS_NODEV
        try:  # without it, /dev/shm stays the host's, read-only
            sys_.mount(b"tmpfs", p.shm, flags, b"tmpfs", b"mode=1777")
        except OSError as exc:
            missing.append(f"{MISSING_SHM} ({exc.strerror})")
    if p.pts is not None:
        flags = sys_.MS_NOSUID | sys_.MS_NOEXEC
        try:  # without it, ptys are the host's as before
            sys_.mount(b"devpts", p.pts, flags, b"devpts", b"newinstance,ptmxmode=0666")
        except OSError as exc:
            missing.append(f"{MISSING_PTS} ({exc.strerror})")
    return tuple(missing)


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
