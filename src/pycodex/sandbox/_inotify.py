"""inotify through ctypes: which watched directories gained or lost an entry.

Used by ``protected`` to keep its view of the writable roots current without walking them
again: the kernel queues an event in the same system call that creates, removes or renames
an entry, so the queue drained when a command starts covers everything done before.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from dataclasses import dataclass

IN_MOVED_FROM = 0x0000_0040
IN_MOVED_TO = 0x0000_0080
IN_CREATE = 0x0000_0100
IN_DELETE = 0x0000_0200
IN_DELETE_SELF = 0x0000_0400
IN_MOVE_SELF = 0x0000_0800
IN_Q_OVERFLOW = 0x0000_4000
IN_IGNORED = 0x0000_8000
IN_ONLYDIR = 0x0100_0000
IN_DONT_FOLLOW = 0x0200_0000
IN_EXCL_UNLINK = 0x0400_0000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

# entries appearing, disappearing or moving; the directory itself going away
DIR_CHANGES = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF
_WATCH_FLAGS = IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK
_HEADER = struct.Struct("=iIII")  # wd, mask, cookie, len (then len bytes of name)
_READ_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Drained:
    wds: frozenset[int]  # watches with a change of their entries
    names: frozenset[tuple[int, str]]  # (watch, entry name) of each entry event
    gone: frozenset[int]  # watches the kernel removed (the directory was deleted)
    overflow: bool  # events were lost: nothing drained can be trusted


class Inotify:
    """One inotify instance (non-blocking, close-on-exec); ``OSError`` when unavailable."""

    def __init__(self) -> None:
        if not sys.platform.startswith("linux"):
            raise OSError("inotify is Linux only")
        libc = ctypes.CDLL(None, use_errno=True)
        self._add = libc.inotify_add_watch
        self._add.restype = ctypes.c_int
        self._add.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self._rm = libc.inotify_rm_watch
        self._rm.restype = ctypes.c_int
        self._rm.argtypes = (ctypes.c_int, ctypes.c_int)
        init = libc.inotify_init1
        init.restype = ctypes.c_int
        init.argtypes = (ctypes.c_int,)
        fd = init(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self.fd = fd

    def watch(self, path: str) -> int:
        """A watch on directory ``path`` (never through a symlink); ``OSError`` when refused
        (``ENOSPC``: the user's watch limit, ``fs.inotify.max_user_watches``)."""
        wd = self._add(self.fd, os.fsencode(path), DIR_CHANGES | _WATCH_FLAGS)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), path)
        return int(wd)

    def unwatch(self, wd: int) -> None:
        self._rm(self.fd, wd)  # already gone (EINVAL) is fine

    def drain(self) -> Drained:
        """Every event queued so far, without waiting."""
        wds: set[int] = set()
        names: set[tuple[int, str]] = set()
        gone: set[int] = set()
        overflow = False
        while True:
            try:
                data = os.read(self.fd, _READ_SIZE)
            except BlockingIOError:
                break
            offset = 0
            while offset + _HEADER.size <= len(data):
                wd, mask, _, length = _HEADER.unpack_from(data, offset)
                start = offset + _HEADER.size
                offset = start + length
                if mask & IN_Q_OVERFLOW:
                    overflow = True
                elif mask & IN_IGNORED:
                    gone.add(wd)
                else:
                    wds.add(wd)
                    if length:
                        names.add((wd, os.fsdecode(data[start:offset].rstrip(b"\0"))))
        return Drained(frozenset(wds), frozenset(names), frozenset(gone), overflow)

    def close(self) -> None:
        os.close(self.fd)
