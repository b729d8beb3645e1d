"""Write a plan to disk all-or-nothing, and the one-call ``apply_patch_text``.

Two phases: first every new content goes to a temporary file beside its target (creating
missing directories), then the temporaries are renamed into place and deletions done last. A
failure in the first phase removes the temporaries; a failure in the second restores the files
already replaced from the bytes the plan read. Before anything, each target is re-read to make
sure it still holds what the plan was computed from (an approval prompt may sit in between).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from pycodex.apply_patch.errors import PatchError, StaleFile, WriteFailed
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


def apply_patch_text(text: str, cwd: Path | str) -> ApplyResult:
    """Parse, plan and apply ``text`` relative to ``cwd``; never raises ``PatchError``."""
    try:
        planned = plan_patch(parse_patch(text), cwd)
    except PatchError as error:
        return failure(error)
    return apply_planned(planned)


def apply_planned(planned: PlannedChanges) -> ApplyResult:
    """Write a plan atomically; on any failure nothing on disk is changed."""
    try:
        _check_fresh(planned.writes)
        _commit(planned.writes)
    except PatchError as error:
        return failure(error)
    return ApplyResult(True, planned.success_text(), planned.changes)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise StaleFile(f"Failed to re-read {path}: {error.strerror}") from error


def _check_fresh(writes: tuple[FileWrite, ...]) -> None:
    for write in writes:
        if _read(write.path) != write.original:
            raise StaleFile(
                f"{write.path} changed on disk after the patch was checked; "
                "read it again and send a new patch."
            )


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name[:120]}.{os.urandom(4).hex()}.apply_patch.tmp")


def _write_temp(path: Path, content: bytes, mode: int | None) -> Path:
    temp = _temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if mode is not None:
            temp.chmod(mode)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _make_dirs(directory: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _commit(writes: tuple[FileWrite, ...]) -> None:
    created: list[Path] = []
    temps: list[tuple[FileWrite, Path]] = []
    try:
        for write in writes:
            if write.content is not None:
                _make_dirs(write.path.parent, created)
                temps.append((write, _write_temp(write.path, write.content, write.mode)))
    except OSError as error:
        for _, temp in temps:
            temp.unlink(missing_ok=True)
        _remove_dirs(created)
        raise WriteFailed(f"Failed to write {error.filename}: {error.strerror}") from error
    done: list[FileWrite] = []
    try:
        for write, temp in temps:
            temp.replace(write.path)
            done.append(write)
        for write in writes:
            if write.content is None:
                write.path.unlink()
                done.append(write)
    except OSError as error:
        problems = _roll_back(done, temps, created)
        message = f"Failed to write {error.filename}: {error.strerror}"
        if problems:
            raise WriteFailed(
                f"{message}. Rolling back also failed, these files may be changed: "
                + ", ".join(problems),
                rolled_back=False,
            ) from error
        raise WriteFailed(message) from error


def _roll_back(
    done: list[FileWrite], temps: list[tuple[FileWrite, Path]], created: list[Path]
) -> list[str]:
    problems: list[str] = []
    for write in reversed(done):
        try:
            if write.original is None:
                write.path.unlink(missing_ok=True)
            else:
                _write_temp(write.path, write.original, write.mode).replace(write.path)
        except OSError:
            problems.append(str(write.path))
    for _, temp in temps:
        temp.unlink(missing_ok=True)
    _remove_dirs(created)
    return problems


def _remove_dirs(created: list[Path]) -> None:
    for directory in reversed(created):
        with contextlib.suppress(OSError):
            directory.rmdir()
