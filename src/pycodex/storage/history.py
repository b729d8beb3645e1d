"""Prompt history across sessions: ``$CODEX_HOME/history.jsonl`` (Codex's format).

One line per submitted prompt, ``{"session_id","ts","text"}``, mode 0600 (prompts can hold
secrets). Several pycodex/Codex processes may append at once, so every append holds an
exclusive ``flock`` and writes its line in one call. When ``max_bytes`` is exceeded the
oldest lines are dropped (down to 80 % of the cap, so trimming is not repeated on every
prompt); the trimmed file replaces the old one atomically while the lock is held, and a
writer that locked the replaced file notices and retries on the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.errors import CodexError
from pycodex.storage.files import (
    PRIVATE_FILE_MODE,
    ensure_private_dir,
    json_line,
    write_atomic,
    write_line,
)

HISTORY_FILE = "history.jsonl"
_LOCK_TIMEOUT_S = 2.0
_LOCK_RETRY_S = 0.01
_TRIM_TARGET = 0.8


class HistoryLockTimeout(CodexError):
    """Another process held the history lock for too long; the entry was not written."""


@dataclass(frozen=True)
class HistoryEntry:
    session_id: str
    ts: int  # seconds since the epoch
    text: str


def history_path(codex_home: Path) -> Path:
    return codex_home / HISTORY_FILE


def _open_locked(path: Path) -> int:
    """An append fd on ``path`` holding an exclusive lock on the file now at ``path``."""
    deadline = time.monotonic() + _LOCK_TIMEOUT_S
    while True:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        fd = os.open(path, flags, PRIVATE_FILE_MODE)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise HistoryLockTimeout(
                            f"could not lock {path} within {_LOCK_TIMEOUT_S:.0f} s"
                        ) from None
                    time.sleep(_LOCK_RETRY_S)
            try:
                same_file = os.fstat(fd).st_ino == path.stat().st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced by a trimming writer while we waited: lock the new file


def append_history(
    codex_home: Path, session_id: str, text: str, max_bytes: int | None = None
) -> None:
    """Record one submitted prompt (mode 0600, under an exclusive lock)."""
    ensure_private_dir(codex_home)
    path = history_path(codex_home)
    entry = {"session_id": session_id, "ts": int(time.time()), "text": text}
    line = json_line(entry)
    fd = _open_locked(path)
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o777 != PRIVATE_FILE_MODE:
            os.fchmod(fd, PRIVATE_FILE_MODE)
        write_line(fd, line)
        if max_bytes is not None and st.st_size + len(line) > max_bytes:
            _trim(path, max_bytes)
    finally:
        os.close(fd)  # also releases the lock


def _trim(path: Path, max_bytes: int) -> None:
    """Keep the newest whole lines that fit in 80 % of ``max_bytes`` (at least the newest)."""
    lines = path.read_bytes().splitlines(keepends=True)
    budget = int(max_bytes * _TRIM_TARGET)
    kept: list[bytes] = []
    size = 0
    for line in reversed(lines):
        if kept and size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
    write_atomic(path, b"".join(reversed(kept)), PRIVATE_FILE_MODE)


def read_history(codex_home: Path) -> list[HistoryEntry]:
    """All entries, oldest first; malformed or half-written lines are skipped."""
    try:
        data = history_path(codex_home).read_bytes()
    except FileNotFoundError:
        return []
    entries: list[HistoryEntry] = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        with contextlib.suppress(ValueError):
            obj = json.loads(raw)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                continue
            ts = obj.get("ts")
            entries.append(
                HistoryEntry(
                    session_id=str(obj.get("session_id", "")),
                    ts=int(ts) if isinstance(ts, int | float) else 0,
                    text=obj["text"],
                )
            )
    return entries
