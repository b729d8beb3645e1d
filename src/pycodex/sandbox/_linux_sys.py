"""Raw Linux system calls through ctypes: the one place that knows numbers and libc.

Why ctypes and not a compiled helper: everything the sandbox needs is a handful of syscalls
with small structs, and a compiled helper would need a build step on every install. The
functions here are called in the forked child (``preexec_fn``) too, so they never import,
never log and only raise ``OSError`` built from ``errno``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
_prctl = _libc.prctl
_prctl.restype = ctypes.c_int
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
_mount = _libc.mount
_mount.restype = ctypes.c_int
_mount.argtypes = (
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_void_p,
)
_unshare = _libc.unshare
_unshare.restype = ctypes.c_int
_unshare.argtypes = (ctypes.c_int,)
_setns = _libc.setns
_setns.restype = ctypes.c_int
_setns.argtypes = (ctypes.c_int, ctypes.c_int)
_capset = _libc.capset
_capset.restype = ctypes.c_int
_capset.argtypes = (ctypes.c_void_p, ctypes.c_void_p)

# System calls numbered alike on every architecture (the unified table from 424 on).
SYS_MOUNT_SETATTR = 442
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446

# prctl options and values (linux/prctl.h, linux/securebits.h, linux/seccomp.h)
PR_SET_SECCOMP = 22
PR_GET_SECCOMP = 21
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
# NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE and every *_LOCKED bit: root is just a uid.
SECUREBITS_LOCKED_DOWN = 0b1110_1111

# unshare / clone flags and mount flags
CLONE_NEWNS = 0x0002_0000
CLONE_NEWUSER = 0x1000_0000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1

_LINUX_CAPABILITY_VERSION_3 = 0x2008_0522


def machine() -> str:
    """``x86_64`` or ``aarch64`` (others are refused by the callers)."""
    m = platform.machine().lower()
    return "aarch64" if m == "arm64" else m


def _fail(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


def syscall(nr: int, *args: int | bytes | ctypes.Array[ctypes.c_char] | None) -> int:
    """``syscall(2)`` with integer/pointer args; raises ``OSError`` on -1."""
    res = int(_syscall(ctypes.c_long(nr), *[_arg(a) for a in args]))
    if res < 0:
        raise _fail(f"syscall {nr}")
    return res


def _arg(a: int | bytes | ctypes.Array[ctypes.c_char] | None) -> object:
    if a is None:
        return ctypes.c_void_p(None)
    if isinstance(a, int):
        return ctypes.c_long(a)
    return a


def prctl(option: int, a2: int = 0, a3: int = 0, a4: int = 0, a5: int = 0) -> int:
    res = int(_prctl(option, a2, a3, a4, a5))
    if res < 0:
        raise _fail(f"prctl({option})")
    return res


def prctl_ptr(option: int, a2: int, ptr: ctypes.Array[ctypes.c_char]) -> None:
    """prctl with a pointer third argument (PR_SET_SECCOMP)."""
    res = int(_prctl(option, a2, ctypes.addressof(ptr), 0, 0))
    if res < 0:
        raise _fail(f"prctl({option})")


def unshare(flags: int) -> None:
    if _unshare(flags) < 0:
        raise _fail("unshare")


def setns(fd: int, nstype: int) -> None:
    if _setns(fd, nstype) < 0:
        raise _fail("setns")


def mount(
    source: bytes | None,
    target: bytes,
    flags: int,
    fstype: bytes | None = None,
    data: bytes | None = None,
) -> None:
    if _mount(source, target, fstype, flags, data) < 0:
        raise _fail(f"mount {target.decode(errors='replace')}")


def mount_attr(set_flags: int, clr_flags: int) -> ctypes.Array[ctypes.c_char]:
    """A ``struct mount_attr`` (attr_set, attr_clr, propagation, userns_fd)."""
    buf = ctypes.create_string_buffer(32)
    ctypes.c_uint64.from_buffer(buf, 0).value = set_flags
    ctypes.c_uint64.from_buffer(buf, 8).value = clr_flags
    return buf


def mount_setattr(path: bytes, attr: ctypes.Array[ctypes.c_char], flags: int) -> None:
    res = int(
        _syscall(
            ctypes.c_long(SYS_MOUNT_SETATTR),
            ctypes.c_long(AT_FDCWD),
            path,
            ctypes.c_long(flags),
            attr,
            ctypes.c_long(len(attr)),
        )
    )
    if res < 0:
        raise _fail(f"mount_setattr {path.decode(errors='replace')}")


def capset_zero(buf: ctypes.Array[ctypes.c_char]) -> None:
    """Empty effective, permitted and inheritable sets; ``buf`` from ``capset_buffer``."""
    if _capset(ctypes.addressof(buf), ctypes.addressof(buf) + 8) < 0:
        raise _fail("capset")


def capset_buffer() -> ctypes.Array[ctypes.c_char]:
    """Header (version 3, pid 0) followed by two zeroed ``__user_cap_data_struct``."""
    buf = ctypes.create_string_buffer(8 + 24)
    ctypes.c_uint32.from_buffer(buf, 0).value = _LINUX_CAPABILITY_VERSION_3
    return buf


def cap_last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", "rb") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 63  # dropping unknown capabilities fails harmlessly with EINVAL


# seccomp(2) with a listener, and handing its descriptor to the parent (``unix_supervisor``)
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3
SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5  # Linux 5.19
_sendmsg = _libc.sendmsg
_sendmsg.restype = ctypes.c_ssize_t
_sendmsg.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
_SOL_SOCKET = 1
_SCM_RIGHTS = 1


class FdMessage:
    """A prebuilt ``struct msghdr`` carrying one descriptor with ``SCM_RIGHTS``; the child
    only stores the number and calls ``sendmsg`` (no allocation, no import)."""

    def __init__(self) -> None:
        self.data = ctypes.create_string_buffer(b"L", 1)
        self.iov = ctypes.create_string_buffer(16)  # struct iovec
        ctypes.c_uint64.from_buffer(self.iov, 0).value = ctypes.addressof(self.data)
        ctypes.c_uint64.from_buffer(self.iov, 8).value = 1
        self.control = ctypes.create_string_buffer(24)  # CMSG_SPACE(sizeof(int))
        ctypes.c_uint64.from_buffer(self.control, 0).value = 20  # CMSG_LEN(sizeof(int))
        ctypes.c_int32.from_buffer(self.control, 8).value = _SOL_SOCKET
        ctypes.c_int32.from_buffer(self.control, 12).value = _SCM_RIGHTS
        self.fd = ctypes.c_int32.from_buffer(self.control, 16)
        self.msghdr = ctypes.create_string_buffer(56)  # struct msghdr (64-bit)
        ctypes.c_uint64.from_buffer(self.msghdr, 16).value = ctypes.addressof(self.iov)
        ctypes.c_uint64.from_buffer(self.msghdr, 24).value = 1
        ctypes.c_uint64.from_buffer(self.msghdr, 32).value = ctypes.addressof(self.control)
        ctypes.c_uint64.from_buffer(self.msghdr, 40).value = 24

    def send(self, sock: int, fd: int) -> None:
        self.fd.value = fd
        if _sendmsg(sock, ctypes.addressof(self.msghdr), 0) < 0:
            raise _fail("sendmsg")


def seccomp_with_listener(nr: int, fprog: ctypes.Array[ctypes.c_char]) -> int:
    """Install the filter with a notification listener; return the listener's descriptor.
    Asks the killable wait (a signal does not abandon a connect being answered) where the
    kernel has it."""
    flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    try:
        return syscall(nr, SECCOMP_SET_MODE_FILTER, flags, fprog)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
    return syscall(nr, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, fprog)


_socketpair = _libc.socketpair
_socketpair.restype = ctypes.c_int
_socketpair.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
_recvmsg = _libc.recvmsg
_recvmsg.restype = ctypes.c_ssize_t
_recvmsg.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
_AF_UNIX = 1
_SOCK_STREAM_CLOEXEC = 1 | 0o2000000
_MSG_CMSG_CLOEXEC = 0x4000_0000


def socketpair() -> tuple[int, int]:
    """A unix stream socket pair, close-on-exec (without the ``socket`` module, which is the
    model layer's alone)."""
    fds = (ctypes.c_int * 2)()
    if _socketpair(_AF_UNIX, _SOCK_STREAM_CLOEXEC, 0, ctypes.addressof(fds)) < 0:
        raise _fail("socketpair")
    return fds[0], fds[1]


def recv_fd(sock: int) -> int | None:
    """Receive one descriptor sent by ``FdMessage.send``; None at end of stream. Blocks."""
    message = FdMessage()
    message.fd.value = -1
    while True:
        got = int(_recvmsg(sock, ctypes.addressof(message.msghdr), _MSG_CMSG_CLOEXEC))
        if got >= 0:
            break
        if ctypes.get_errno() != errno.EINTR:
            raise _fail("recvmsg")
    controllen = ctypes.c_uint64.from_buffer(message.msghdr, 40).value
    if got == 0 or controllen < 20 or message.fd.value < 0:
        return None
    return int(message.fd.value)
