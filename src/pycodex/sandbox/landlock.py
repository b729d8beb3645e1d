"""Landlock rulesets: the file-system half of the Linux sandbox (plus TCP and scopes).

The child builds its ruleset after its mounts (``/dev/shm`` is a fresh tmpfs by then, and a
root removed and made again since the last command is the new directory), then restricts
itself; about 0.2 ms. Rights handled are every right the running kernel's ABI knows, so
nothing new is silently allowed:

- ``/``: read files, list directories, execute (read anything);
- each writable root: every file-system right (incl. REFER for renames inside, TRUNCATE);
- workspace-write: ``/dev/shm``, which is the sandbox's own tmpfs (see ``namespaces``);
- a few devices commands need (``/dev/null``, ``/dev/zero``, ``/dev/tty``, ptys) for
  read/write and device ioctls — other device ioctls are denied (ABI 5);
- network off and ABI >= 4: TCP bind/connect handled with no port allowed;
- ABI >= 6: signals and abstract unix sockets scoped to the sandbox's own processes.

Landlock also refuses ptrace (and so ``process_vm_readv`` and ``/proc/PID/environ|mem``) of
any process outside the domain, and any mount change by a sandboxed process.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pycodex.sandbox import _linux_sys as sys_

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
RULE_NET_PORT = 2

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

# Device files a command may open for writing and use ioctls on (terminal size, ptys).
DEVICES_RW = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts")
DEVICES_RO = ("/dev/random", "/dev/urandom")


def abi_version() -> int:
    """The Landlock ABI of the running kernel; 0 when Landlock is missing or disabled."""
    try:
        return sys_.syscall(sys_.SYS_LANDLOCK_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    except OSError:
        return 0


def fs_rights(abi: int) -> int:
    """Every file-system right the given ABI can handle."""
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


@dataclass(frozen=True, slots=True)
class Rules:
    """What the ruleset allows; the key of the ruleset cache."""

    writable_roots: tuple[str, ...]
    network: bool


def _ruleset_attr(abi: int, fs: int, net: int, scoped: int) -> bytes:
    if abi >= 6:
        return struct.pack("=QQQ", fs, net, scoped)
    if abi >= 4:
        return struct.pack("=QQ", fs, net)
    return struct.pack("=Q", fs)


def _add_path_rule(ruleset: int, path: str, access: int, handled: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a missing path grants nothing, which is the safe direction
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= FILE_RIGHTS
        access &= handled
        attr = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        sys_.syscall(sys_.SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, attr, 0)
    finally:
        os.close(fd)


def create_ruleset(abi: int, rules: Rules) -> int:
    """A new ruleset fd (O_CLOEXEC) for ``rules``; raises ``OSError`` when Landlock refuses."""
    handled = fs_rights(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 and not rules.network else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    attr = ctypes.create_string_buffer(_ruleset_attr(abi, handled, net, scoped))
    fd = sys_.syscall(sys_.SYS_LANDLOCK_CREATE_RULESET, attr, len(attr), 0)
    try:
        _add_path_rule(fd, "/", READ, handled)
        for dev in DEVICES_RW:
            _add_path_rule(fd, dev, READ | FS_WRITE_FILE | FS_IOCTL_DEV, handled)
        for dev in DEVICES_RO:
            _add_path_rule(fd, dev, READ | FS_IOCTL_DEV, handled)
        for root in rules.writable_roots:
            _add_path_rule(fd, root, handled, handled)
    except BaseException:
        os.close(fd)
        raise
    return fd


def restrict_self(ruleset_fd: int) -> None:
    """Enforce the ruleset on the calling (child) process; needs no_new_privs first."""
    sys_.syscall(sys_.SYS_LANDLOCK_RESTRICT_SELF, ruleset_fd, 0)


def roots_for_rules(paths: Iterable[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated real paths of existing directories or files."""
    return tuple(sorted({os.path.realpath(p) for p in paths if _exists(p)}))


def _exists(path: str) -> bool:
    """Like ``os.path.exists``: a root we may not even look at grants nothing."""
    try:
        return Path(path).exists()
    except OSError:
        return False
