"""Write a plan to disk all-or-nothing, and the one-call ``apply_patch_text``.

Two phases: first every new content goes to a temporary file beside its target (creating
missing directories), then the temporaries are renamed into place and deletions done last. A
failure in the first phase removes the temporaries; a failure in the second restores the files
already replaced from the bytes the plan read. Before anything, each path the patch named must
still resolve to the real path the plan (and its approval) saw, and each target must still hold
what the plan was computed from (an approval prompt may sit in between). Every write is done
relative to a directory opened without following symlinks (``dirs``), so a symlink swapped in
after those checks cannot redirect it either.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.apply_patch.dirs import Directories
from pycodex.apply_patch.errors import PatchError, StaleFile, WriteFailed
from pycodex.apply_patch.files import PLAIN, FileAccess, location
from pycodex.apply_patch.parser import parse_patch
from pycodex.apply_patch.plan import FileWrite, PlannedChanges, plan_patch
from pycodex.protocol.events import FileChange


@dataclass(frozen=True)
class ApplyResult:
    """Outcome for the model (``output``) and for events (``changes``, stdout/stderr)."""

    success: bool
    output: str
    changes: dict[str, FileChange] = field(default_factory=dict)
    error: PatchError | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1

    @property
    def stdout(self) -> str:
        return self.output if self.success else ""

    @property
    def stderr(self) -> str:
        return "" if self.success else self.output


def failure(error: PatchError) -> ApplyResult:
    return ApplyResult(False, error.render(), {}, error)


def apply_patch_text(text: str, cwd: Path | str, files: FileAccess = PLAIN) -> ApplyResult:
    """Parse, plan and apply ``text`` relative to ``cwd`` (reading through ``files``); never
    raises ``PatchError``."""
    try:
        planned = plan_patch(parse_patch(text), cwd, files)
    except PatchError as error:
        return failure(error)
    return apply_planned(planned, files)


def apply_planned(planned: PlannedChanges, files: FileAccess = PLAIN) -> ApplyResult:
    """Write a plan atomically to the real paths it recorded; on any failure nothing on disk
    is changed."""
    try:
        _check_resolved(planned.writes)
        _check_fresh(planned.writes, files)
        _commit(planned.writes)
    except PatchError as error:
        return failure(error)
    return ApplyResult(True, planned.success_text(), planned.changes)


def _check_resolved(writes: tuple[FileWrite, ...]) -> None:
    """Each path still leads where it led when the plan was made (and approved)."""
    for write in writes:
        if write.requested is None:
            continue
        if write.original is None or write.content is None:
            now = location(write.requested, follow=False)
        else:
            now = location(write.requested, follow=True)
        if now != write.path:
            raise StaleFile(
                f"{write.requested} now resolves to {now}, not to {write.path} as when the "
                "patch was checked (a symlink changed); nothing was written. Check the path "
                "and send the patch again."
            )


def _read(path: Path, files: FileAccess) -> bytes | None:
    try:
        data, _, _ = files.read(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise StaleFile(f"Failed to re-read {path}: {error.strerror}") from error
    if data is None:
        raise StaleFile(f"{path} is not a regular file any more; send a new patch.")
    return data


def _check_fresh(writes: tuple[FileWrite, ...], files: FileAccess) -> None:
    for write in writes:
        if _read(write.path, files) != write.original:
            raise StaleFile(
                f"{write.path} changed on disk after the patch was checked; "
                "read it again and send a new patch."
            )


def _temp_name(path: Path) -> str:
    return f".{path.name[:120]}.{os.urandom(4).hex()}.apply_patch.tmp"


def _write_temp(dir_fd: int, path: Path, content: bytes, mode: int | None) -> str:
    """A new temporary file beside ``path`` (in ``dir_fd``) holding ``content``; its name."""
    temp = _temp_name(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o666, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    return temp


@dataclass(slots=True)
class _Temp:
    write: FileWrite
    dir_fd: int
    name: str


def _commit(writes: tuple[FileWrite, ...]) -> None:
    with Directories() as dirs:
        _commit_in(writes, dirs)


def _commit_in(writes: tuple[FileWrite, ...], dirs: Directories) -> None:
    temps: list[_Temp] = []
    parents: dict[Path, int] = {}
    try:
        for write in writes:  # every directory first: a moved one stops the patch here
            parents[write.path] = dirs.open(write.path.parent, create=write.content is not None)
        for write in writes:
            if write.content is not None:
                fd = parents[write.path]
                temps.append(
                    _Temp(write, fd, _write_temp(fd, write.path, write.content, write.mode))
                )
    except (OSError, StaleFile) as error:
        for temp in temps:
            with contextlib.suppress(OSError):
                os.unlink(temp.name, dir_fd=temp.dir_fd)
        dirs.remove_created()
        if isinstance(error, StaleFile):
            raise
        raise WriteFailed(f"Failed to write {_failed(error, writes)}: {error.strerror}") from error
    done: list[FileWrite] = []
    try:
        for temp in temps:
            os.replace(
                temp.name, temp.write.path.name, src_dir_fd=temp.dir_fd, dst_dir_fd=temp.dir_fd
            )
            done.append(temp.write)
        for write in writes:
            if write.content is None:
                os.unlink(write.path.name, dir_fd=parents[write.path])
                done.append(write)
    except OSError as error:
        problems = _roll_back(done, temps, parents, dirs)
        message = f"Failed to write {_failed(error, writes)}: {error.strerror}"
        if problems:
            raise WriteFailed(
                f"{message}. Rolling back also failed, these files may be changed: "
                + ", ".join(problems),
                rolled_back=False,
            ) from error
        raise WriteFailed(message) from error


def _failed(error: OSError, writes: tuple[FileWrite, ...]) -> str:
    """The full path of what failed (``*at`` calls report only the name)."""
    name = error.filename
    for write in writes:
        if name in (write.path.name, str(write.path)):
            return str(write.path)
    return str(name)


def _roll_back(
    done: list[FileWrite], temps: list[_Temp], parents: dict[Path, int], dirs: Directories
) -> list[str]:
    problems: list[str] = []
    for write in reversed(done):
        fd = parents[write.path]
        try:
            if write.original is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(write.path.name, dir_fd=fd)
            else:
                restored = _write_temp(fd, write.path, write.original, write.mode)
                os.replace(restored, write.path.name, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError:
            problems.append(str(write.path))
    for temp in temps:
        with contextlib.suppress(OSError):
            os.unlink(temp.name, dir_fd=temp.dir_fd)
    dirs.remove_created()
    return problems
