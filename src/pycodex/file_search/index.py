"""``FileIndex``: build a file list once (in a thread), then answer fuzzy queries fast.

Why shaped like this: a query that extends the previous one only rescans the previous
matches. Scoring is spent on at most ``SCORE_BUDGET`` candidates, best tiers first:
basename contains the query, basename contains it as a subsequence, then the rest; paths
are stored shortest first, so a cut inside a tier keeps the shortest. With fewer matches
than the budget (typical once 2-3 characters are typed) the ranking is exact.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pycodex.file_search.ranking import Lines, lower_path, score_path
from pycodex.file_search.walk import walk_files

__all__ = ["SCORE_BUDGET", "FileIndex", "Match"]

SCORE_BUDGET = 2000  # candidates scored in Python per keystroke


@dataclass(frozen=True)
class Match:
    """One search result: ``positions`` index the matched characters of ``path``."""

    path: str
    score: int
    positions: tuple[int, ...]


class FileIndex:
    """Index of the files under ``root``; build once (``build`` or ``start``), then search.

    ``paths`` (relative, ``/``-separated) skips the walk, e.g. when the CLI layer got
    ``git ls-files --cached --others --exclude-standard`` output.
    """

    def __init__(self, root: Path | str, *, paths: Iterable[str] | None = None) -> None:
        self.root = Path(root)
        self._given = None if paths is None else list(paths)
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._paths: list[str] = []
        self._last: tuple[str, list[int], int] | None = None

    # ----- building

    def build(self) -> FileIndex:
        """Walk (unless paths were given) and prepare the search structures (blocking).

        Idempotent: a second call (or one racing the background build) waits and returns.
        """
        with self._build_lock:
            if self._ready.is_set():
                return self
            try:
                paths = self._given if self._given is not None else walk_files(self.root)
                self._load(paths)
            except BaseException as exc:  # surfaced through .error; search returns []
                self.error = exc
                raise
            finally:
                self._ready.set()
        return self

    def start(self) -> FileIndex:
        """Build in a daemon thread (once); ``search`` returns ``[]`` until ``ready``."""
        with self._lock:
            if self._thread is not None:
                return self
            self._thread = threading.Thread(target=self._build_quietly, daemon=True)
            self._thread.start()
        return self

    def _build_quietly(self) -> None:
        with contextlib.suppress(Exception):  # kept in self.error for the caller
            self.build()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until built (or ``timeout``); True when ready."""
        return self._ready.wait(timeout)

    def __len__(self) -> int:
        return len(self._paths)

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    def _load(self, paths: Iterable[str]) -> None:
        # A newline in a file name would break the one-line-per-path scans: such (rare,
        # hostile) names are not offered.
        ordered = sorted({p for p in paths if "\n" not in p}, key=lambda p: (len(p), p))
        lower = [lower_path(p) for p in ordered]
        starts = [p.rfind("/") + 1 for p in ordered]
        base = [low[s:] for low, s in zip(lower, starts, strict=True)]
        with self._lock:
            self._paths = ordered
            self._lower = lower
            self._starts = starts
            self._text = Lines(lower, range(len(ordered)))
            self._base = Lines(base, range(len(ordered)))
            self._last = None

    # ----- searching

    def search(self, query: str, limit: int = 20) -> list[Match]:
        """The best ``limit`` matches for ``query`` (case-insensitive; spaces ignored).

        Before the index is ready this starts the background build and returns ``[]``.
        """
        if not self._ready.is_set():
            self.start()
            return []
        if limit <= 0:
            return []
        q = "".join(lower_path(query).split())
        with self._lock:
            if not q:
                return [Match(p, 0, ()) for p in self._paths[:limit]]
            matches, bound = self._matching(q)
            self._last = (q, matches, bound)
            if bound == len(self._paths) and len(matches) <= SCORE_BUDGET:  # exact
                chosen: Iterable[int] = matches
            else:
                chosen = self._tiers(q, matches)
            scored: list[tuple[int, int, str, tuple[int, ...]]] = []
            for i in chosen:
                path = self._paths[i]
                score, positions = score_path(path, self._lower[i], self._starts[i], q)
                scored.append((-score, len(path), path, positions))
        scored.sort()
        return [Match(p, -s, pos) for s, _, p, pos in scored[:limit]]

    def _matching(self, q: str) -> tuple[list[int], int]:
        """The shortest SCORE_BUDGET paths containing ``q`` as a subsequence, and a bound.

        Every path with an index below the bound was checked (all were: the list is
        complete). A query that extends the previous one rescans the previous matches, then
        continues the full scan from the previous bound: exact, and usually cheap.
        """
        cap, last = SCORE_BUDGET, self._last
        found: list[int] = []
        start = 0
        if last is not None and q.startswith(last[0]):
            if q == last[0]:
                return last[1], last[2]
            found = Lines(self._lower, last[1]).subsequence(q, cap)
            start = last[2]
        if len(found) < cap:
            found += self._text.subsequence(q, cap - len(found), self._text.offsets[start])
        return found, (found[-1] + 1 if len(found) >= cap else len(self._paths))

    def _tiers(self, q: str, matches: list[int]) -> list[int]:
        """At most SCORE_BUDGET candidates, best tiers first (each shortest first)."""
        chosen: dict[int, None] = {}
        tiers: tuple[Callable[[int], list[int]], ...] = (
            lambda n: self._base.substring("\n" + q, n),  # basename starts with q
            lambda n: self._base.substring(q, n),  # basename contains q
            lambda n: self._text.substring(q, n),  # path contains q
            # basename has q's letters in order (never when q has a "/")
            lambda n: [] if "/" in q else self._base.subsequence(q, n),
            lambda n: matches[:n],  # anywhere in the path
        )
        for tier in tiers:
            room = SCORE_BUDGET - len(chosen)
            if room <= 0:
                break
            for i in tier(room + len(chosen)):
                chosen[i] = None
        return list(chosen)[:SCORE_BUDGET]
