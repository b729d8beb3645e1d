"""Finding saved sessions: by id or prefix, the latest one, and the picker's list.

Every rollout file under ``$CODEX_HOME/sessions/YYYY/MM/DD/`` counts, whoever wrote it
(pycodex, Codex v0.20, current Codex). A pycodex continuation of another CLI's session
keeps that session's id, so a lookup by id finds both files and takes the newest (the
continuation, unless the other CLI wrote to its file since), and the list shows each id once.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycodex.protocol.errors import UsageError
from pycodex.protocol.items import MessageItem, item_from_json
from pycodex.storage.rollout_formats import (
    NAME_RE,
    id_from_name,
    is_context_text,
    is_envelope,
    parse_line,
)

SESSIONS_DIR = "sessions"
_PREVIEW_SCAN_BYTES = 256 * 1024
_PREVIEW_CHARS = 80


class AmbiguousSessionError(UsageError):
    """A session id prefix that matches more than one session."""


def sessions_root(codex_home: Path) -> Path:
    return codex_home / SESSIONS_DIR


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
        found = (id_from_name(path) or "").lower()
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
            obj = parse_line(raw) if raw.strip() else None
            if obj is None:
                continue
            if is_envelope(obj):
                payload = obj["payload"]
                if obj["type"] == "session_meta" and isinstance(payload, dict):
                    meta = meta or payload
                obj = payload if obj["type"] == "response_item" else {}
            elif meta is None and "id" in obj and "type" not in obj:
                meta = obj
                continue
            preview = _user_words(obj)
            if preview is not None:
                break
    except OSError:
        return None
    finally:
        head.close()
    session_id = (meta or {}).get("id") or id_from_name(path)
    if not session_id:
        return None
    match = NAME_RE.match(path.name)
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


def _user_words(obj: Any) -> str | None:
    """The preview of a user message that is the user's own words, else None."""
    if not isinstance(obj, dict) or obj.get("type") != "message" or obj.get("role") != "user":
        return None
    item = item_from_json(obj)
    if not isinstance(item, MessageItem):
        return None
    text = item.text.strip()
    return _preview(text) if text and not is_context_text(text) else None


def list_sessions(codex_home: Path, *, limit: int | None = None) -> list[SessionSummary]:
    """Saved sessions, most recently written first (at most ``limit``), each id once: a
    continuation of another CLI's session shares its id and hides its source."""
    paths = _newest_first(list(_rollout_files(codex_home)))
    summaries: list[SessionSummary] = []
    shown: set[str] = set()
    for path in paths:
        if limit is not None and len(summaries) >= limit:
            break
        summary = _summarize(path)
        if summary is not None and summary.session_id.lower() not in shown:
            shown.add(summary.session_id.lower())
            summaries.append(summary)
    return summaries
