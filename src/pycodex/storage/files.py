"""Crash-safe, private file writes for everything under ``$CODEX_HOME``.

A secret must never be readable by others, not even for the moment between creating a file
and tightening its mode, and an interrupted write must never leave a half-written file where
the old one was. So files are written to a temporary sibling that is *created* with its final
mode, synced, and renamed over the target; the directory is synced so the rename itself
survives a power loss.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` atomically; the file has ``mode`` from its first byte.

    Readers see either the old content or the new one, never a mix. On any failure the
    temporary file is removed and the old file is left untouched.
    """
    directory = path.parent
    # os.urandom, not `secrets`: that module pulls in hashlib/OpenSSL, and `codex config show`
    # imports this module (start-up time). The name only has to be unpredictable enough
    # not to collide; O_EXCL guarantees we never write into someone else's file.
    tmp = directory / f".{path.name}.{os.urandom(6).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, mode)
    try:
        try:
            # The umask may have removed bits the caller asked for; it can only ever remove
            # them, so the file was never more open than ``mode``.
            os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(directory)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def json_line(obj: object) -> bytes:
    """``obj`` as one compact UTF-8 JSON line (the JSONL files under ``$CODEX_HOME``)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_line(fd: int, line: bytes) -> None:
    """Write one complete line with as few system calls as possible (usually one).

    With ``O_APPEND`` a single ``write`` of a regular file is not interleaved with other
    writers, and a process killed with SIGKILL either made the call or did not: the line is
    complete or absent.
    """
    _write_all(fd, line)


def fsync_dir(directory: Path) -> None:
    """Persist a rename or a new entry in ``directory`` (best effort where unsupported)."""
    try:
        dfd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700.

    ``os.makedirs`` applies its mode to the last component only, so each missing level is
    created here one by one. Existing directories keep their mode: they belong to the user.
    """
    missing: list[Path] = []
    current = path
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not directory.is_dir():
                raise
    return path
