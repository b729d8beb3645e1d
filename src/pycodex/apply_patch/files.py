"""Every read the library does goes through one injectable object, and where a write lands.

Planning a patch reads the files it touches, lists a directory for "Did you mean" hints and
checks parents; applying re-reads each target. All of that goes through a ``FileAccess``: the
standalone ``python -m pycodex.apply_patch`` reads as its user does (``PLAIN``), while the agent
passes a reader that refuses what its sandbox would refuse (``pycodex.sandbox.model_files``), so
a patch naming ``/proc/self/environ`` can never quote the agent's environment back to the model.

The contract is plain Python (``OSError`` and tuples), so a reader needs no import from here:
``read`` raises ``FileNotFoundError`` / ``NotADirectoryError`` when nothing is there and any
other ``OSError`` (its ``strerror`` is told to the model) when the path may not or cannot be
read; it returns ``(None, st_mode, real)`` for something that is not a regular file.

``location`` says where a write really lands, symlinks resolved: the plan records it, approval
judges it, and the writer re-checks it before writing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

Kind = Literal["missing", "directory", "other"]


class FileRead(NamedTuple):
    """What ``read`` found: the bytes (``None``: not a regular file), ``st_mode``, and the real
    path that was read (symlinks resolved)."""

    data: bytes | None
    mode: int
    real: Path


class FileAccess(Protocol):
    """How the library looks at the file system (see the module docstring for the contract)."""

    def read(self, path: Path) -> tuple[bytes | None, int, Path]:
        """The content of ``path`` (following symlinks); raises ``OSError``."""
        ...

    def list_names(self, directory: Path) -> list[str]:
        """Entry names of ``directory``; ``[]`` when it cannot or may not be listed."""
        ...

    def kind(self, path: Path) -> Kind:
        """What is at ``path`` (following symlinks); raises ``OSError`` if it may not be
        looked at."""
        ...


class PlainFiles:
    """Reads as the calling user does: the standalone tool's reader."""

    def read(self, path: Path) -> tuple[bytes | None, int, Path]:
        info = path.stat()
        real = Path(os.path.realpath(path))
        if not stat.S_ISREG(info.st_mode):
            return FileRead(None, info.st_mode, real)
        return FileRead(path.read_bytes(), info.st_mode, real)

    def list_names(self, directory: Path) -> list[str]:
        try:
            return [entry.name for entry in directory.iterdir()]
        except OSError:
            return []

    def kind(self, path: Path) -> Kind:
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return "missing"
        return "directory" if stat.S_ISDIR(info.st_mode) else "other"


PLAIN = PlainFiles()


def location(path: Path, *, follow: bool) -> Path:
    """Where a write to ``path`` lands: its real path when the write goes through an existing
    file (``follow``: updating a symlinked file changes its target), else the real path of its
    directory plus its own name (adding or deleting acts on the entry itself)."""
    if follow:
        return Path(os.path.realpath(path))
    return Path(os.path.realpath(path.parent)) / path.name
