"""Connecting a sandboxed command's sockets for it, so only the unix sockets the user listed
(``sandbox_workspace_write.allow_unix_sockets``) are reachable.

Neither Landlock (ABI <= 7) nor a seccomp filter can see the path given to ``connect``. With a
list of paths, the filter turns every ``connect`` of the command into a user notification
(``SECCOMP_RET_USER_NOTIF``) that a thread of the agent answers:

1. read the address from the command's memory (``/proc/TID/mem``) into our own buffer;
2. take a duplicate of the command's socket (``pidfd_getfd``: the same open socket);
3. for a unix address, open the path (``O_PATH``, relative paths from the command's working
   directory) and compare the inode with those of the listed paths, stat'ed now (a daemon
   that restarted has a new socket under the same name);
4. connect the duplicate ourselves, to ``/proc/self/fd/N`` of the inode just checked, and
   answer with the result.

The command's syscall is never let through (``SECCOMP_USER_NOTIF_FLAG_CONTINUE``): the kernel
would read the address again, after the command could have rewritten it, and a symlink
swapped between a check and a connect by path would lead elsewhere. Every check of
``SECCOMP_IOCTL_NOTIF_ID_VALID`` after opening the command's files makes sure the thread
id was not reused. Refusals are ``EPERM``; a listed socket that does not exist is ``ENOENT``.
Other families (TCP with ``network_access``) are connected the same way without a check;
without ``network_access`` a socket that is not a unix socket (one inherited) is refused.
Abstract unix addresses have no path and are refused.

Hand-off: the forked child installs the filter with ``seccomp(2)``, which returns the
listener, and sends it over a socket pair (``SCM_RIGHTS``) to the thread started for that
command, then closes it: the command itself never holds a listener (and its filter refuses
creating one: a newer filter's listener would receive these notifications first). The
thread ends when every process of the sandbox has exited (the listener hangs up) or, when
no listener ever came (the spawn failed), once the launch is gone and the parent's copy of
the child's end is closed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import select
import signal
import stat
import struct
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pycodex.sandbox import _linux_sys as sys_

# linux/seccomp.h ioctls: _IOWR('!', 0, seccomp_notif), _IOWR('!', 1, seccomp_notif_resp),
# _IOW('!', 2, __u64)
NOTIF_RECV = 0xC050_2100
NOTIF_SEND = 0xC018_2101
NOTIF_ID_VALID = 0x4008_2102
_NOTIF = struct.Struct("=QII iIQ6Q")  # id, pid, flags, seccomp_data (nr, arch, ip, args)
_RESP = struct.Struct("=QqiI")  # id, val, error, flags
SYS_PIDFD_GETFD = 438
SUN_PATH_MAX = 108
SOCKADDR_MAX = 128  # sizeof(struct sockaddr_storage)
AF_UNIX = 1
MAX_PENDING = 64  # connects being answered at once, per command

_libc = ctypes.CDLL(None, use_errno=True)
_connect = _libc.connect
_connect.restype = ctypes.c_int
_connect.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
_getsockopt = _libc.getsockopt
_getsockopt.restype = ctypes.c_int
_getsockopt.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_SOL_SOCKET = 1
_SO_DOMAIN = 39


@dataclass(frozen=True, slots=True)
class Rules:
    """What the supervisor lets through: the listed socket paths, and other families."""

    paths: tuple[str, ...]
    network: bool


class Handoff:
    """The parent's half of one command's supervisor: a socket pair and a waiting thread.

    ``child_send`` runs in the forked child (ctypes only). ``bind_lifetime`` ties the
    parent's copy of the child's end to the ``preexec_fn``: once the launch is gone, a child
    that never sent a listener cannot be waiting any more, and the thread stops."""

    def __init__(self, rules: Rules) -> None:
        mine, self._child_fd = sys_.socketpair()
        self._message = sys_.FdMessage()
        self._lock = threading.Lock()
        self._open = True
        thread = threading.Thread(
            target=_serve, args=(mine, rules), name="unix-supervisor", daemon=True
        )
        thread.start()

    def child_send(self, listener: int) -> None:
        self._message.send(self._child_fd, listener)

    def bind_lifetime(self, owner: Callable[[], None]) -> None:
        weakref.finalize(owner, self.close)

    def close(self) -> None:
        """Close the parent's copy of the child's end (once: the number may be reused)."""
        with self._lock:
            if self._open:
                self._open = False
                os.close(self._child_fd)


def _no_signals() -> None:
    """Signals go to other threads: an interrupted connect would reach the command as an
    ``EINTR`` that its own connect never had."""
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())


def _serve(mine: int, rules: Rules) -> None:
    _no_signals()
    try:
        listener = sys_.recv_fd(mine)
    except OSError:
        listener = None
    finally:
        os.close(mine)
    if listener is None:
        return
    try:
        _notifications(listener, rules)
    finally:
        os.close(listener)


def _notifications(listener: int, rules: Rules) -> None:
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    pending = threading.BoundedSemaphore(MAX_PENDING)
    while True:
        events = poller.poll()
        if not any(ev & select.POLLIN for _, ev in events):
            return  # POLLHUP: every process under the filter is gone
        buf = bytearray(_NOTIF.size)  # RECV wants it zeroed
        try:
            fcntl.ioctl(listener, NOTIF_RECV, buf, True)
        except OSError:  # ENOENT: the caller was killed meanwhile
            continue
        # A connect may block (a full backlog, a slow TCP peer): one thread per call, with
        # its own copy of the listener (this one closes when the sandbox is gone), at most
        # MAX_PENDING at once per command; beyond that the call fails with EAGAIN.
        if not pending.acquire(blocking=False):
            _respond(listener, _NOTIF.unpack(buf)[0], errno.EAGAIN)
            continue
        threading.Thread(
            target=_answer,
            args=(os.dup(listener), bytes(buf), rules, pending),
            name="unix-connect",
            daemon=True,
        ).start()


@dataclass(frozen=True, slots=True)
class _Call:
    """One ``connect(fd, addr, addrlen)`` of thread ``tid``, notification ``nid``."""

    listener: int
    nid: int
    tid: int
    fd: int
    addr: int
    addrlen: int


def _answer(listener: int, notif: bytes, rules: Rules, pending: threading.BoundedSemaphore) -> None:
    _no_signals()
    nid, tid, _flags, _nr, _arch, _ip, fd, addr, addrlen, *_ = _NOTIF.unpack(notif)
    call = _Call(listener, nid, tid, fd & 0xFFFF_FFFF, addr, addrlen & 0xFFFF_FFFF)
    try:
        error = _connect_for(call, rules)
    except _Gone:  # the caller may be gone; if not (a process we may not look at): refused
        error = errno.EPERM
    except Exception:  # whatever went wrong, the caller gets an answer
        error = errno.EPERM
    finally:
        pending.release()
    try:
        _respond(listener, nid, error)
    finally:
        os.close(listener)


def _respond(listener: int, nid: int, error: int) -> None:
    """Answer notification ``nid``; one that is no longer valid fails with ENOENT (ids are
    never reused), which is fine."""
    with contextlib.suppress(OSError):
        fcntl.ioctl(listener, NOTIF_SEND, _RESP.pack(nid, 0, -error, 0))


class _Gone(Exception):
    """The caller could not be examined: it died (the notification is void), or it is a
    process we may not read (a daemon re-parented away from us under Yama): refused."""


def _check_valid(call: _Call) -> None:
    try:
        fcntl.ioctl(call.listener, NOTIF_ID_VALID, struct.pack("=Q", call.nid))
    except OSError as exc:
        raise _Gone from exc


def _connect_for(call: _Call, rules: Rules) -> int:
    """The errno the command's ``connect`` answers (0: connected)."""
    if call.addrlen > SOCKADDR_MAX:
        return errno.EINVAL
    try:
        mem = os.open(f"/proc/{call.tid}/mem", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise _Gone from exc
    try:
        _check_valid(call)  # /proc/TID is the caller's, not a reused id's
        try:
            address = os.pread(mem, call.addrlen, call.addr) if call.addrlen else b""
        except OSError:
            return errno.EFAULT
        pidfd = os.pidfd_open(_tgid(call.tid))
    except OSError as exc:
        raise _Gone from exc
    finally:
        os.close(mem)
    try:
        _check_valid(call)
        try:
            sock = sys_.syscall(SYS_PIDFD_GETFD, pidfd, call.fd, 0)
        except OSError as exc:
            return exc.errno or errno.EBADF
    finally:
        os.close(pidfd)
    try:
        return _decide(sock, address, call.tid, rules)
    finally:
        os.close(sock)


def _tgid(tid: int) -> int:
    with open(f"/proc/{tid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"Tgid:"):
                return int(line.split()[1])
    raise OSError(errno.ESRCH, "no Tgid")


def _decide(sock: int, address: bytes, tid: int, rules: Rules) -> int:
    family = struct.unpack_from("=H", address)[0] if len(address) >= 2 else -1
    domain = _domain(sock)
    if family == AF_UNIX:
        return _unix(sock, address[2:], tid, rules)
    if domain == AF_UNIX or rules.network:
        return _connect_raw(sock, address)  # AF_UNSPEC, or an address the kernel refuses
    return errno.EPERM  # a socket inherited from outside, with the network off


def _domain(sock: int) -> int:
    value = ctypes.c_int(-1)
    size = ctypes.c_uint32(4)
    _getsockopt(sock, _SOL_SOCKET, _SO_DOMAIN, ctypes.byref(value), ctypes.byref(size))
    return value.value


def _unix(sock: int, raw_path: bytes, tid: int, rules: Rules) -> int:
    if not raw_path:
        return errno.EINVAL  # an unnamed address names no server
    if raw_path[0] == 0:
        return errno.EPERM  # abstract: no path to list
    path = os.fsdecode(raw_path.split(b"\0", 1)[0])
    if not path.startswith("/"):
        try:
            path = str(Path(f"/proc/{tid}/cwd").readlink() / path)
        except OSError:
            return errno.EPERM
    try:
        target = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        listed = os.path.normpath(path) in rules.paths
        return errno.ENOENT if listed else errno.EPERM
    try:
        st = os.fstat(target)
        if not stat.S_ISSOCK(st.st_mode) or (st.st_dev, st.st_ino) not in _allowed(rules):
            return errno.EPERM
        return _connect_raw(sock, _sockaddr_un(f"/proc/self/fd/{target}"))
    finally:
        os.close(target)


def _allowed(rules: Rules) -> set[tuple[int, int]]:
    found = set()
    for path in rules.paths:
        try:
            st = Path(path).stat()
        except OSError:
            continue
        if stat.S_ISSOCK(st.st_mode):
            found.add((st.st_dev, st.st_ino))
    return found


def _sockaddr_un(path: str) -> bytes:
    return struct.pack("=H", AF_UNIX) + os.fsencode(path) + b"\0"


def _connect_raw(sock: int, address: bytes) -> int:
    if _connect(sock, address, len(address)) == 0:
        return 0
    return ctypes.get_errno()
