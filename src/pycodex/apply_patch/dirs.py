"""Open the directories a plan writes into without following any symlink.

The plan's targets are real paths (symlinks resolved when the patch was checked and, in the
agent, approved). Opening each directory one component at a time with ``O_NOFOLLOW`` and
doing every write relative to that descriptor means a symlink put in place afterwards (by a
sandboxed command, say) cannot redirect the write somewhere nobody approved: the walk fails
instead, and nothing is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from pycodex.apply_patch.errors import StaleFile

_O_PATH = getattr(os, "O_PATH", 0)
_DIR_FLAGS = os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC | (_O_PATH if _O_PATH else os.O_RDONLY)


class Directories:
    """Descriptors of real directories by path, opened once; ``close`` releases them all.

    ``open`` creates missing directories when asked (``created`` lists them, outermost first,
    for a rollback)."""

    def __init__(self) -> None:
        self._fds: dict[Path, int] = {}
        self.created: list[Path] = []

    def __enter__(self) -> Directories:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()

    def open(self, directory: Path, *, create: bool) -> int:
        """A descriptor of ``directory`` reached without following symlinks; raises
        ``StaleFile`` when a component is a symlink (or not a directory) now, and
        ``FileNotFoundError`` when one is missing and ``create`` is false."""
        if directory in self._fds:
            return self._fds[directory]
        parent = directory.parent
        if parent == directory:  # the root
            fd = os.open(directory, _DIR_FLAGS)
            self._fds[directory] = fd
            return fd
        parent_fd = self.open(parent, create=create)
        name = directory.name
        try:
            fd = _open_child(name, parent_fd)
        except FileNotFoundError:
            if not create:
                raise
            os.mkdir(name, 0o777, dir_fd=parent_fd)
            self.created.append(directory)
            fd = _open_child(name, parent_fd)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR) and _is_symlink(name, parent_fd):
                raise _moved(directory) from error
            raise
        self._fds[directory] = fd
        return fd

    def remove_created(self) -> None:
        """Remove the directories ``open`` created (innermost first), best effort."""
        for directory in reversed(self.created):
            with contextlib.suppress(OSError, StaleFile):
                os.rmdir(directory.name, dir_fd=self.open(directory.parent, create=False))
        self.created.clear()


def _open_child(name: str, parent_fd: int) -> int:
    fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    if not stat.S_ISDIR(os.fstat(fd).st_mode):  # O_PATH|O_NOFOLLOW may open a symlink itself
        os.close(fd)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name)
    return fd


def _is_symlink(name: str, parent_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _moved(directory: Path) -> StaleFile:
    return StaleFile(
        f"{directory} is a symlink now, not the directory it was when the patch was checked; "
        "nothing was written. Check the path and send the patch again."
    )
