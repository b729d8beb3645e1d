"""The seccomp-BPF filter of the Linux sandbox, assembled here as bytes.

Landlock guards files; this filter guards what Landlock does not see. Every refusal is
``EPERM`` (never a kill), so programs fail with a clear "Operation not permitted".

Always (read-only and workspace-write):
- the native architecture only: i386 (``int 0x80``) and x32 (``__X32_SYSCALL_BIT``) calls
  use other syscall tables and would dodge every rule below;
- io_uring (its operations bypass this filter), bpf, perf_event_open, userfaultfd, the key
  rings, ``open_by_handle_at``;
- mount API calls, ``pivot_root``, ``chroot``, ``unshare``/``setns`` and ``clone`` with a
  namespace flag: the mount namespace that keeps ``.git`` and everything outside the roots
  read-only must stay as it is (``clone3`` passes its flags in memory a filter cannot read,
  so it answers ``ENOSYS`` and libc falls back to ``clone``);
- ``ioctl(TIOCSTI | TIOCLINUX)``: no typing into the user's terminal;
- ``socketpair`` only ``AF_UNIX`` ``SOCK_STREAM``/``SOCK_SEQPACKET`` (a datagram socket can
  ``sendmsg`` to any socket path, e.g. the journal's);
- no set-user-ID or set-group-ID bit on anything the command creates or changes: ``chmod``,
  ``fchmod``, ``fchmodat``, ``fchmodat2``, ``mknod(at)``, ``creat`` and ``open``/``openat``
  with ``O_CREAT`` or ``O_TMPFILE`` fail when their mode has ``06000``
  (as root, in containers and CI, a setuid-root copy of a shell left in the workspace would
  be root for any local user who runs it later). The mode is an integer the filter can read;
  ``openat2`` keeps its mode in memory the filter cannot read, so it answers ``ENOSYS`` and
  libc falls back to ``openat``. File capabilities need no rule: writing
  ``security.capability`` takes ``CAP_SETFCAP``, and ``chown`` of a setuid file takes
  ``CAP_CHOWN`` and clears the bit anyway (the sandbox has dropped every capability); and
  ``mkdir(at)`` ignores those bits of its mode.

Unix sockets are the way to the machine's daemons (``/var/run/docker.sock`` is root on the
host, ``ssh-agent`` holds the user's keys) and Landlock (ABI <= 7) has no right for connecting
to one, nor can a filter read the path given to ``connect``. So they are their own setting,
``sandbox_workspace_write.allow_unix_sockets``, never implied by ``network_access``:

- none (the default): a command is never a unix-socket client. Network off (read-only;
  workspace-write without ``network_access``): ``socket`` only for ``AF_UNIX``
  stream/seqpacket, ``connect`` refused on every socket, and ``bind`` too (a server nothing
  inside can reach could only wait for outside clients under a name they trust, like an
  abstract ``@/tmp/.X11-unix/X0``). Network on: ``socket`` for every family except
  ``AF_UNIX``, so ``connect`` can be allowed;
- ``all``: ``AF_UNIX`` sockets of every type, and ``connect``; ``bind`` still follows
  ``network_access``. Abstract sockets of processes outside the sandbox stay unreachable
  where Landlock scopes them (ABI >= 6);
- listed paths: ``AF_UNIX`` stream/seqpacket sockets, and every ``connect`` is a user
  notification (``SECCOMP_RET_USER_NOTIF``) answered by a supervisor in the agent
  (``unix_supervisor``), which connects the command's socket itself, so what the command
  changes in its memory after the check cannot matter. A command may not create a seccomp
  listener of its own: a newer filter's listener would receive these notifications first.

Socket pairs and inherited sockets keep working in every case.
"""

from __future__ import annotations

import ctypes
import errno
import struct
from dataclasses import dataclass
from typing import Literal

from pycodex.sandbox import _linux_sys as sys_

# BPF opcodes
_LD_W_ABS = 0x20
_ALU_AND_K = 0x54
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

RET_ALLOW = 0x7FFF_0000
RET_USER_NOTIF = 0x7FC0_0000
RET_ERRNO = 0x0005_0000
X32_SYSCALL_BIT = 0x4000_0000
AF_UNIX = 1
SOCK_STREAM = 1
SOCK_SEQPACKET = 5
SOCK_TYPE_MASK = 0xF
TIOCSTI = 0x5412
TIOCLINUX = 0x541C
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
CLONE_NAMESPACE_FLAGS = 0x7E02_0000
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SETID_BITS = 0o6000  # S_ISUID | S_ISGID
O_CREAT = 0o100  # same value on x86_64 and aarch64
O_TMPFILE_BIT = 0o20000000  # __O_TMPFILE; O_TMPFILE adds O_DIRECTORY

UnixAccess = Literal["none", "all", "listed"]

_OFF_NR = 0
_OFF_ARCH = 4


def _off_arg(i: int) -> int:
    return 16 + 8 * i  # low 32 bits of args[i] (little-endian on both architectures)


@dataclass(frozen=True, slots=True)
class Arch:
    name: str
    audit: int
    nr: dict[str, int]


_UNIFIED = {
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "clone3": 435,
    "openat2": 437,
    "mount_setattr": 442,
    "open_tree_attr": 467,
    "fchmodat2": 452,
}
ARCHES = {
    "x86_64": Arch(
        "x86_64",
        0xC000_003E,
        _UNIFIED
        | {
            "open": 2,
            "ioctl": 16,
            "socket": 41,
            "connect": 42,
            "bind": 49,
            "socketpair": 53,
            "clone": 56,
            "mkdir": 83,
            "creat": 85,
            "chmod": 90,
            "fchmod": 91,
            "mknod": 133,
            "pivot_root": 155,
            "chroot": 161,
            "mount": 165,
            "umount2": 166,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "unshare": 272,
            "openat": 257,
            "mkdirat": 258,
            "mknodat": 259,
            "fchmodat": 268,
            "perf_event_open": 298,
            "open_by_handle_at": 304,
            "setns": 308,
            "seccomp": 317,
            "bpf": 321,
            "userfaultfd": 323,
        },
    ),
    "aarch64": Arch(
        "aarch64",
        0xC000_00B7,
        _UNIFIED
        | {
            "ioctl": 29,
            "mknodat": 33,
            "mkdirat": 34,
            "umount2": 39,
            "mount": 40,
            "pivot_root": 41,
            "chroot": 51,
            "fchmod": 52,
            "fchmodat": 53,
            "openat": 56,
            "unshare": 97,
            "socket": 198,
            "socketpair": 199,
            "bind": 200,
            "connect": 203,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "clone": 220,
            "perf_event_open": 241,
            "open_by_handle_at": 265,
            "setns": 268,
            "seccomp": 277,
            "bpf": 280,
            "userfaultfd": 282,
        },
    ),
}

ALWAYS_DENIED = (
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "open_by_handle_at",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "open_tree_attr",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
)

# Calls that take a file mode: name -> (index of the flags argument that says whether the mode
# is used, or None when it always is; index of the mode argument). Absent names (``open``,
# ``creat``, ``mknod``, ``chmod`` on aarch64) do not exist on that architecture. ``mkdir``
# needs no rule: the kernel keeps only the permission and sticky bits of its mode (a new
# directory is setgid only when its parent is).
MODE_CALLS: dict[str, tuple[int | None, int]] = {
    "chmod": (None, 1),
    "fchmod": (None, 1),
    "creat": (None, 1),
    "mknod": (None, 1),
    "fchmodat": (None, 2),
    "fchmodat2": (None, 2),
    "mknodat": (None, 2),
    "open": (1, 2),
    "openat": (2, 3),
}

# An instruction: (code, jump-if-true label, jump-if-false label, k). Labels are resolved
# to relative offsets; None means "next instruction".
_Insn = tuple[int, str | None, str | None, int]


def _assemble(program: list[_Insn | str]) -> bytes:
    """``str`` items are labels; returns packed ``struct sock_filter`` records."""
    where: dict[str, int] = {}
    insns: list[_Insn] = []
    for item in program:
        if isinstance(item, str):
            where[item] = len(insns)
        else:
            insns.append(item)
    out = bytearray()
    for i, (code, jt, jf, k) in enumerate(insns):

        def rel(label: str | None, i: int = i) -> int:
            if label is None:
                return 0
            off = where[label] - i - 1
            if not 0 <= off <= 255:
                raise ValueError(f"BPF jump out of range: {label}")
            return off

        out += struct.pack("=HBBI", code, rel(jt), rel(jf), k)
    return bytes(out)


def _socket_rules(nr: dict[str, int], network: bool, unix: UnixAccess) -> list[_Insn | str]:
    """Jumps for socket, socketpair, connect and bind (see the module docstring)."""
    pair = "unix_any" if unix == "all" else "unix_only"
    if network:
        socket = {"none": "no_unix", "all": "allow", "listed": "unix_stream"}[unix]
        rules = [(nr["socket"], socket)]
    else:
        socket = "unix_any" if unix == "all" else "unix_only"
        connect = {"none": "deny", "all": "allow", "listed": "notify"}[unix]
        rules = [(nr["socket"], socket), (nr["connect"], connect), (nr["bind"], "deny")]
    if network and unix == "listed":
        rules.append((nr["connect"], "notify"))
    rules.append((nr["socketpair"], pair))
    return [(_JEQ_K, label, None, number) for number, label in rules if label != "allow"]


def build_filter(arch_name: str, *, network: bool, unix: UnixAccess = "none") -> bytes:
    """The filter program for ``arch_name`` (``x86_64`` or ``aarch64``).

    ``unix``: which unix sockets a command may connect to: ``none``, ``all``, or ``listed``
    (each ``connect`` becomes a notification for the supervisor, ``unix_supervisor``)."""
    arch = ARCHES[arch_name]
    nr = arch.nr
    p: list[_Insn | str] = [
        (_LD_W_ABS, None, None, _OFF_ARCH),
        (_JEQ_K, None, "deny", arch.audit),
        (_LD_W_ABS, None, None, _OFF_NR),
    ]
    if arch_name == "x86_64":
        p.append((_JGE_K, "deny", None, X32_SYSCALL_BIT))
    p += [(_JEQ_K, "deny", None, nr[name]) for name in ALWAYS_DENIED]
    p += [
        (_JEQ_K, "enosys", None, nr["clone3"]),
        (_JEQ_K, "enosys", None, nr["openat2"]),
        (_JEQ_K, "clone", None, nr["clone"]),
        (_JEQ_K, "ioctl", None, nr["ioctl"]),
    ]
    tails: list[_Insn | str] = []
    for name, (flags_arg, mode_arg) in MODE_CALLS.items():
        if name not in nr:
            continue
        p.append((_JEQ_K, f"mode_{name}", None, nr[name]))
        tails.append(f"mode_{name}")
        if flags_arg is not None:  # the mode only counts when the call may create
            tails += [
                (_LD_W_ABS, None, None, _off_arg(flags_arg)),
                (_JSET_K, None, "allow", O_CREAT | O_TMPFILE_BIT),
            ]
        tails += [
            (_LD_W_ABS, None, None, _off_arg(mode_arg)),
            (_JSET_K, "deny", "allow", SETID_BITS),
        ]
    p += _socket_rules(nr, network, unix)
    p += [
        (_JEQ_K, "seccomp", None, nr["seccomp"]),
        (_RET_K, None, None, RET_ALLOW),
        *tails,
        "seccomp",  # a listener of its own would see (and could pass) our notifications
        (_LD_W_ABS, None, None, _off_arg(1)),
        (_JSET_K, "deny", "allow", SECCOMP_FILTER_FLAG_NEW_LISTENER),
        "no_unix",
        (_LD_W_ABS, None, None, _off_arg(0)),
        (_JEQ_K, "deny", "allow", AF_UNIX),
        "unix_stream",  # other families pass; unix: stream and seqpacket only
        (_LD_W_ABS, None, None, _off_arg(0)),
        (_JEQ_K, "unix_type", "allow", AF_UNIX),
        "unix_any",
        (_LD_W_ABS, None, None, _off_arg(0)),
        (_JEQ_K, "allow", "deny", AF_UNIX),
        "clone",
        (_LD_W_ABS, None, None, _off_arg(0)),
        (_JSET_K, "deny", "allow", CLONE_NAMESPACE_FLAGS),
        "ioctl",
        (_LD_W_ABS, None, None, _off_arg(1)),
        (_JEQ_K, "deny", None, TIOCSTI),
        (_JEQ_K, "deny", "allow", TIOCLINUX),
        "unix_only",
        (_LD_W_ABS, None, None, _off_arg(0)),
        (_JEQ_K, None, "deny", AF_UNIX),
        "unix_type",
        (_LD_W_ABS, None, None, _off_arg(1)),
        (_ALU_AND_K, None, None, SOCK_TYPE_MASK),
        (_JEQ_K, "allow", None, SOCK_STREAM),
        (_JEQ_K, "allow", "deny", SOCK_SEQPACKET),
        "deny",
        (_RET_K, None, None, RET_ERRNO | errno.EPERM),
        "enosys",
        (_RET_K, None, None, RET_ERRNO | errno.ENOSYS),
        "notify",
        (_RET_K, None, None, RET_USER_NOTIF),
        "allow",
        (_RET_K, None, None, RET_ALLOW),
    ]
    return _assemble(p)


def make_fprog(program: bytes) -> tuple[ctypes.Array[ctypes.c_char], ctypes.Array[ctypes.c_char]]:
    """``struct sock_fprog`` pointing at a copy of ``program``; keep both buffers alive."""
    insns = ctypes.create_string_buffer(program, len(program))
    fprog = ctypes.create_string_buffer(16)
    ctypes.c_uint16.from_buffer(fprog, 0).value = len(program) // 8
    ctypes.c_uint64.from_buffer(fprog, 8).value = ctypes.addressof(insns)
    return fprog, insns


def install(fprog: ctypes.Array[ctypes.c_char]) -> None:
    """Load the filter into the calling (child) process; needs no_new_privs first."""
    sys_.prctl_ptr(sys_.PR_SET_SECCOMP, sys_.SECCOMP_MODE_FILTER, fprog)


def available() -> bool:
    """Whether the kernel has seccomp filters (PR_GET_SECCOMP fails with EINVAL without)."""
    try:
        sys_.prctl(sys_.PR_GET_SECCOMP)
    except OSError:
        return False
    return True
