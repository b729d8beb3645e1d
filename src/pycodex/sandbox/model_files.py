"""The one rule for files the agent reads on the model's behalf.

Patch planning, its "nearest lines" and "Did you mean" hints, the turn diff: whatever the agent
reads for the model reaches the model. So the agent opens a path for it only where a sandboxed
command under the same policy could read it, judged on the *real* path (symlinks resolved), and
never under ``/proc``, ``/sys``, ``/dev`` or ``$CODEX_HOME``, in every mode including
``danger-full-access``: those hold the agent's own environment (``/proc/self/environ``: the
provider key), devices, and the user's credentials and sessions. (A sandboxed command sees its
own ``/proc``, not the agent's; ``$CODEX_HOME``'s secrets are hidden from it.)

How a read is done, so that nothing can slip between the check and the read:

1. resolve the real path and check it;
2. ``stat`` it: only a regular file is opened (a FIFO or a device is never opened);
3. open it ``O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC|O_NOFOLLOW`` (a FIFO swapped in cannot hang
   the agent, a symlink swapped in fails the open) and ``fstat`` it: a regular file;
4. check the path the kernel says the descriptor is open on (``/proc/self/fd/N``, or the same
   inode as the checked path where there is no ``/proc``): a rename or symlink swapped in by a
   sandboxed command between 1 and 3 cannot redirect the read.

``ModelFiles`` follows the ``pycodex.apply_patch.files.FileAccess`` contract structurally (plain
``OSError`` and tuples), so this module imports nothing from the patch library; the sandboxed
patch writer imports it as it is (``core/tools/apply_patch.py``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from pycodex.sandbox.policy import SandboxPolicy

ALWAYS_REFUSED = (Path("/proc"), Path("/sys"), Path("/dev"))
REFUSED = "refused: the agent does not read /proc, /sys, /dev or $CODEX_HOME for the model"
_OPEN_FLAGS = (
    os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC | os.O_NOFOLLOW
)


class RefusedPath(PermissionError):
    """The rule refuses this path: said to the model like any unreadable file."""

    def __init__(self, path: Path, reason: str = REFUSED) -> None:
        super().__init__(errno.EACCES, reason, str(path))


class ModelRead(NamedTuple):
    data: bytes | None  # None: not a regular file (never opened)
    mode: int
    real: Path


def refused_roots(codex_home: Path | str | None) -> tuple[Path, ...]:
    """The real directories never read for the model: /proc, /sys, /dev, ``$CODEX_HOME``."""
    roots = list(ALWAYS_REFUSED)
    if codex_home:
        home = Path(codex_home)
        roots += [home, Path(os.path.realpath(home))]
    return tuple(dict.fromkeys(roots))


def is_refused(real: Path, roots: tuple[Path, ...]) -> bool:
    """Whether the real path ``real`` lies in (or is) one of ``roots``."""
    return any(real == root or root in real.parents for root in roots)


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """Reads for the model under the rule (see the module docstring)."""

    refused: tuple[Path, ...] = ALWAYS_REFUSED

    @classmethod
    def for_policy(cls, policy: SandboxPolicy) -> ModelFiles:
        """The reader for the agent running under ``policy`` (every mode: the refused
        roots are the same, and everything else is readable by a sandboxed command)."""
        return cls(refused_roots(policy.codex_home))

    def check(self, path: Path) -> Path:
        """The real path of ``path``; raises ``RefusedPath`` if the rule refuses it."""
        real = Path(os.path.realpath(path))
        if is_refused(real, self.refused):
            raise RefusedPath(path)
        return real

    def read(self, path: Path) -> tuple[bytes | None, int, Path]:
        real = self.check(path)
        info = real.stat()
        if not stat.S_ISREG(info.st_mode):
            return ModelRead(None, info.st_mode, real)
        try:
            fd = os.open(real, _OPEN_FLAGS)
        except OSError as error:
            if error.errno == errno.ELOOP:  # a symlink was swapped in after the check
                raise RefusedPath(path, "changed while it was read; read it again") from error
            raise
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                return ModelRead(None, opened.st_mode, real)
            now = _opened_path(fd, real, opened)
            if now != real:
                if is_refused(now, self.refused):
                    raise RefusedPath(path)
                raise RefusedPath(path, "changed while it was read; read it again")
            return ModelRead(_read_all(fd), opened.st_mode, real)
        finally:
            os.close(fd)

    def list_names(self, directory: Path) -> list[str]:
        try:
            return [entry.name for entry in self.check(directory).iterdir()]
        except OSError:
            return []

    def kind(self, path: Path) -> Literal["missing", "directory", "other"]:
        real = self.check(path)
        try:
            info = real.stat()
        except (FileNotFoundError, NotADirectoryError):
            return "missing"
        return "directory" if stat.S_ISDIR(info.st_mode) else "other"


def _opened_path(fd: int, real: Path, opened: os.stat_result) -> Path:
    """The path ``fd`` is open on: the kernel's word (``/proc/self/fd``, ``F_GETPATH`` on
    macOS), else ``real`` if it is still the same file (a system with neither)."""
    try:
        return Path(f"/proc/self/fd/{fd}").readlink()
    except OSError:
        pass
    getpath = getattr(fcntl, "F_GETPATH", None)  # macOS: the kernel's word, too
    if getpath is not None:
        try:
            raw = fcntl.fcntl(fd, getpath, bytes(1024))
            return Path(os.fsdecode(raw.split(b"\0", 1)[0]))
        except OSError:
            pass
    try:
        info = real.lstat()
    except OSError:
        return Path("/proc/self/fd") / str(fd)  # unknown: refused
    if (info.st_dev, info.st_ino) == (opened.st_dev, opened.st_ino):
        return real
    return Path("/proc/self/fd") / str(fd)


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)  # a regular file never blocks, O_NONBLOCK or not
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
