"""Session rollout files: the append-only record a session is resumed from.

Layout (Codex v0.20): ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<id>.jsonl``
(local time in the path, like Codex). Line 1 is the session metadata
``{"id","timestamp","instructions","cwd","git","originator","cli_version","writer"}``
(``"writer": "pycodex"`` marks the file as pycodex's own; a continuation of another CLI's
session adds ``"resumed_from": {"path","id","format"}``); every further line is one
conversation item, in exactly the JSON sent to the model (:func:`pycodex.protocol.items.to_json`).

Why this survives ``kill -9``: the file is opened with ``O_APPEND`` and each line goes out in
one ``write`` call, immediately, with no user-space buffer. A killed process loses at most
the line it was writing; the reader skips such a torn line, and :meth:`RolloutWriter.append_to`
cuts it off before appending so the file stays valid JSONL.

The reader also accepts what real Codex writes (v0.20 and the later ``{"timestamp","type",
"payload"}`` envelopes; :mod:`pycodex.storage.rollout_formats`). Resuming such a file never
writes to it: :func:`open_for_resume` continues in a new pycodex file that holds a cleaned
copy of the history and links to its source (docs/sessions.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pycodex import __version__
from pycodex.protocol.errors import CodexError
from pycodex.protocol.items import ResponseItem, to_json
from pycodex.storage.files import ensure_private_dir, json_line, write_line
from pycodex.storage.rollout_formats import (
    COMPACTED_RECORD,
    PYCODEX_FORMAT,
    WRITER_MARKER,
    LineReader,
    RolloutFormat,
    clean_foreign,
    id_from_name,
    own_items,
    parse_line,
)
from pycodex.storage.rollout_list import (
    SESSIONS_DIR,
    AmbiguousSessionError,
    SessionSummary,
    find_latest_session,
    find_session,
    list_sessions,
    sessions_root,
)

DEFAULT_ORIGINATOR = "codex_cli_rs"
_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class SessionFileError(CodexError):
    """A session file that cannot be read or is not a session file."""


def _iso_utc(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class RolloutWriter:
    """Appends items to one rollout file, one complete line per ``write`` call."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def create(
        cls,
        codex_home: Path,
        session_id: str,
        *,
        instructions: str | None,
        cwd: Path,
        now: datetime | None = None,
        git: dict[str, Any] | None = None,
        originator: str = DEFAULT_ORIGINATOR,
        cli_version: str = __version__,
        resumed_from: dict[str, Any] | None = None,
    ) -> RolloutWriter:
        """Start a new session file and write its metadata line."""
        if not _SAFE_ID_RE.match(session_id):
            raise ValueError(f"session id not usable in a file name: {session_id!r}")
        local = (now or datetime.now()).astimezone()  # naive means local time
        day_dir = sessions_root(codex_home) / local.strftime("%Y/%m/%d")
        ensure_private_dir(day_dir)
        path = day_dir / f"rollout-{local.strftime('%Y-%m-%dT%H-%M-%S')}-{session_id}.jsonl"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        fd = os.open(path, flags, 0o600)
        writer = cls(path, fd)
        meta = {
            "id": session_id,
            "timestamp": _iso_utc(local),
            "instructions": instructions,
            "cwd": str(cwd),
            "git": git,
            "originator": originator,
            "cli_version": cli_version,
            "writer": WRITER_MARKER,
        }
        if resumed_from is not None:
            meta["resumed_from"] = resumed_from
        try:
            writer.record_json(meta)
        except BaseException:
            writer.close()
            raise
        return writer

    @classmethod
    def append_to(cls, path: Path) -> RolloutWriter:
        """Reopen a session file to continue it (resume), cutting off a torn last line."""
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        try:
            _truncate_torn_tail(fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    def record_items(self, items: Sequence[ResponseItem]) -> None:
        """Append each item as its own line, written out before the next one."""
        for item in items:
            self.record_json(to_json(item))

    def record_json(self, obj: dict[str, Any]) -> None:
        """Append one raw JSON object line (metadata or a future marker kind)."""
        if self._fd is None:
            raise ValueError(f"rollout writer for {self.path} is closed")
        write_line(self._fd, json_line(obj))

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __enter__(self) -> RolloutWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _truncate_torn_tail(fd: int) -> None:
    size = os.fstat(fd).st_size
    if size == 0:
        return
    block = 64 * 1024
    end = size
    while end > 0:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        if end == size and chunk.endswith(b"\n"):
            return
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)


@dataclass(frozen=True)
class SavedSession:
    session_id: str
    path: Path
    items: tuple[ResponseItem, ...]
    meta: dict[str, Any]
    skipped_lines: int = 0  # torn or malformed lines that were ignored
    format: RolloutFormat = PYCODEX_FORMAT  # who wrote the file (rollout_formats)
    unknown_lines: int = 0  # well-formed lines of kinds pycodex does not use
    dropped_items: int = 0  # another CLI's items not carried over (its context, reasoning …)

    @property
    def foreign(self) -> bool:
        """Written by another CLI: resumed into a new pycodex file, never appended to."""
        return self.format != PYCODEX_FORMAT


def read_rollout(path: Path) -> SavedSession:
    """Load a session file; torn or malformed lines and unknown kinds are skipped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SessionFileError(f"cannot read session file {path}: {exc.strerror or exc}") from exc
    reader = LineReader()
    skipped = 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        obj = parse_line(raw)
        if obj is None:
            skipped += 1
        else:
            reader.feed(obj)
    meta = reader.meta or {}
    session_id = meta.get("id") or id_from_name(path)
    if not session_id:
        raise SessionFileError(f"{path} is not a session file (no session metadata)")
    fmt = reader.format
    if fmt == PYCODEX_FORMAT:
        items, dropped = own_items(reader.items), 0
    else:
        cleaned = clean_foreign(reader.items)
        items, dropped = cleaned.items, cleaned.dropped
    return SavedSession(
        session_id=str(session_id),
        path=path,
        items=items,
        meta=meta,
        skipped_lines=skipped,
        format=fmt,
        unknown_lines=reader.unknown_lines,
        dropped_items=dropped,
    )


def open_for_resume(
    saved: SavedSession,
    codex_home: Path,
    *,
    instructions: str | None,
    cwd: Path,
    git: dict[str, Any] | None = None,
    originator: str = DEFAULT_ORIGINATOR,
    now: datetime | None = None,
) -> RolloutWriter:
    """The writer a resumed session records to.

    pycodex's own file is continued in place (as Codex v0.20 does). Another CLI's file is
    never written: a new pycodex file under ``sessions/YYYY/MM/DD/`` gets the same session
    id, a ``resumed_from`` link and a copy of the cleaned history, so it resumes on its own
    even if the source is later moved or rewritten by the CLI that owns it.
    """
    if not saved.foreign:
        return RolloutWriter.append_to(saved.path)
    link = {"path": str(saved.path), "id": saved.session_id, "format": saved.format}
    writer = RolloutWriter.create(
        codex_home,
        saved.session_id,
        instructions=instructions,
        cwd=cwd,
        now=now,
        git=git,
        originator=originator,
        resumed_from=link,
    )
    try:
        writer.record_items(saved.items)
    except BaseException:
        writer.close()
        raise
    return writer


__all__ = [
    "COMPACTED_RECORD",
    "SESSIONS_DIR",
    "AmbiguousSessionError",
    "RolloutWriter",
    "SavedSession",
    "SessionFileError",
    "SessionSummary",
    "find_latest_session",
    "find_session",
    "list_sessions",
    "open_for_resume",
    "read_rollout",
    "sessions_root",
]
