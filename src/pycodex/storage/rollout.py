"""Session rollout files: the append-only record a session is resumed from.

Layout (Codex v0.20): ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<id>.jsonl``
(local time in the path, like Codex). Line 1 is the session metadata
``{"id","timestamp","instructions","cwd","git","originator","cli_version"}``; every further
line is one conversation item, in exactly the JSON sent to the model
(:func:`pycodex.protocol.items.to_json`).

Why this survives ``kill -9``: the file is opened with ``O_APPEND`` and each line goes out in
one ``write`` call, immediately, with no user-space buffer. A killed process loses at most
the line it was writing; the reader skips such a torn line, and :meth:`RolloutWriter.append_to`
cuts it off before appending so the file stays valid JSONL.

The reader also accepts what real Codex writes: v0.20's ``{"record_type":"state"}`` lines and
later versions' ``{"type":"session_meta"|"response_item"|…, "payload":{…}}`` envelopes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pycodex import __version__
from pycodex.protocol.errors import CodexError, UsageError
from pycodex.protocol.items import MessageItem, ResponseItem, item_from_json, to_json
from pycodex.storage.files import ensure_private_dir, json_line, write_line

SESSIONS_DIR = "sessions"
DEFAULT_ORIGINATOR = "codex_cli_rs"
_NAME_RE = re.compile(r"^rollout-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})-(.+)\.jsonl$")
_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_CONTEXT_PREFIXES = ("<environment_context>", "<user_instructions>")
_PREVIEW_SCAN_BYTES = 256 * 1024
_PREVIEW_CHARS = 80


class SessionFileError(CodexError):
    """A session file that cannot be read or is not a session file."""


class AmbiguousSessionError(UsageError):
    """A session id prefix that matches more than one session."""


def sessions_root(codex_home: Path) -> Path:
    return codex_home / SESSIONS_DIR


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
        }
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


COMPACTED_RECORD = "compacted"
"""``{"record_type": "compacted"}``: the items after this line replace all before it."""


def _id_from_name(path: Path) -> str | None:
    match = _NAME_RE.match(path.name)
    return match.group(2) if match else None


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        return None
    return obj if isinstance(obj, dict) else None


def _classify(obj: dict[str, Any], have_meta: bool) -> tuple[str, Any]:
    """("meta", dict) | ("item", ResponseItem) | ("reset" | "skip", None) for one line."""
    kind = obj.get("type")
    payload = obj.get("payload")
    if kind == "session_meta" and isinstance(payload, dict):
        return "meta", payload
    if kind == "response_item" and isinstance(payload, dict):
        return "item", item_from_json(payload)
    if obj.get("record_type") == COMPACTED_RECORD:
        return "reset", None  # the history was compacted: what follows replaces it
    if "record_type" in obj or (isinstance(payload, dict) and "timestamp" in obj):
        return "skip", None  # v0.20 state markers; later turn_context/event_msg/compacted
    if kind is None and not have_meta and "id" in obj:
        return "meta", obj
    return "item", item_from_json(obj)


def read_rollout(path: Path) -> SavedSession:
    """Load a session file; torn or malformed lines and unknown kinds are skipped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SessionFileError(f"cannot read session file {path}: {exc.strerror or exc}") from exc
    meta: dict[str, Any] | None = None
    items: list[ResponseItem] = []
    skipped = 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        obj = _parse_line(raw)
        if obj is None:
            skipped += 1
            continue
        kind, value = _classify(obj, meta is not None)
        if kind == "meta":
            meta = meta or value
        elif kind == "reset":
            items.clear()
        elif kind == "item" and value is not None:
            items.append(value)
    session_id = (meta or {}).get("id") or _id_from_name(path)
    if not session_id:
        raise SessionFileError(f"{path} is not a session file (no session metadata)")
    return SavedSession(
        session_id=str(session_id),
        path=path,
        items=tuple(items),
        meta=meta or {},
        skipped_lines=skipped,
    )


def _rollout_files(codex_home: Path) -> Iterator[Path]:
    root = sessions_root(codex_home)
    if not root.is_dir():
        return
    for path in root.glob("*/*/*/rollout-*.jsonl"):
        if path.is_file():
            yield path


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _newest_first(paths: list[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: (_mtime(p), p.name), reverse=True)


def find_latest_session(codex_home: Path) -> Path | None:
    """The most recently written session file (a resumed session counts as recent)."""
    paths = _newest_first(list(_rollout_files(codex_home)))
    return paths[0] if paths else None


def find_session(codex_home: Path, session_id: str) -> Path | None:
    """The file of a session, by full id or a unique prefix of it.

    Raises :class:`AmbiguousSessionError` when a prefix matches several sessions.
    """
    wanted = session_id.strip().lower()
    if not wanted:
        return None
    exact: list[Path] = []
    by_prefix: dict[str, list[Path]] = {}
    for path in _rollout_files(codex_home):
        found = (_id_from_name(path) or "").lower()
        if found == wanted:
            exact.append(path)
        elif found.startswith(wanted):
            by_prefix.setdefault(found, []).append(path)
    if exact:
        return _newest_first(exact)[0]
    if len(by_prefix) > 1:
        shown = ", ".join(sorted(by_prefix)[:5])
        raise AmbiguousSessionError(
            f"session id {session_id!r} matches {len(by_prefix)} sessions ({shown}); "
            "give more characters"
        )
    if by_prefix:
        return _newest_first(next(iter(by_prefix.values())))[0]
    return None


@dataclass(frozen=True)
class SessionSummary:
    """What a session picker shows for one saved session."""

    session_id: str
    path: Path
    timestamp: str  # ISO 8601 start time from the metadata ("" when unknown)
    preview: str | None  # first user message, one line, shortened
    cwd: str | None
    modified: float  # file mtime, seconds since the epoch


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _PREVIEW_CHARS else line[: _PREVIEW_CHARS - 1] + "…"


def _head_lines(path: Path) -> Generator[bytes, None, None]:
    """Lines from the start of a file, at most ``_PREVIEW_SCAN_BYTES`` (pickers are fast)."""
    budget = _PREVIEW_SCAN_BYTES
    with path.open("rb") as fh:
        while budget > 0:
            line = fh.readline(budget)
            if not line:
                return
            budget -= len(line)
            yield line


def _summarize(path: Path) -> SessionSummary | None:
    meta: dict[str, Any] | None = None
    preview: str | None = None
    head = _head_lines(path)
    try:
        for raw in head:
            obj = _parse_line(raw) if raw.strip() else None
            if obj is None:
                continue
            kind, value = _classify(obj, meta is not None)
            if kind == "meta":
                meta = meta or value
            elif isinstance(value, MessageItem) and value.role == "user":
                text = value.text.strip()
                if text and not text.startswith(_CONTEXT_PREFIXES):
                    preview = _preview(text)
                    break
    except OSError:
        return None
    finally:
        head.close()
    session_id = (meta or {}).get("id") or _id_from_name(path)
    if not session_id:
        return None
    match = _NAME_RE.match(path.name)
    timestamp = str((meta or {}).get("timestamp") or (match.group(1) if match else ""))
    cwd = (meta or {}).get("cwd")
    return SessionSummary(
        session_id=str(session_id),
        path=path,
        timestamp=timestamp,
        preview=preview,
        cwd=str(cwd) if cwd is not None else None,
        modified=_mtime(path),
    )


def list_sessions(codex_home: Path, *, limit: int | None = None) -> list[SessionSummary]:
    """Saved sessions, most recently written first (at most ``limit``)."""
    paths = _newest_first(list(_rollout_files(codex_home)))
    summaries: list[SessionSummary] = []
    for path in paths:
        if limit is not None and len(summaries) >= limit:
            break
        summary = _summarize(path)
        if summary is not None:
            summaries.append(summary)
    return summaries
