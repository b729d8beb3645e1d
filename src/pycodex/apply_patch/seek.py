"""Find where a chunk's lines are in a file: tiered fuzzy matching with a uniqueness rule.

Tiers, tried in order, the first that matches anywhere in the region decides:

0. exact,
1. ignoring trailing whitespace,
2. ignoring leading and trailing whitespace,
3. additionally folding Unicode punctuation (dashes, quotes, odd spaces) to ASCII.

If that tier matches more than once in the region the caller reports an ambiguity instead of
guessing. Lookups go through a per-tier index (line key -> sorted positions) anchored on the
rarest line of the pattern, so a 500-chunk patch on a 20,000-line file stays fast.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_FOLD = str.maketrans(
    {
        **dict.fromkeys(
            ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58"],
            "-",
        ),
        **dict.fromkeys(["\u2018", "\u2019", "\u201a", "\u201b", "\u2032"], "'"),
        **dict.fromkeys(["\u201c", "\u201d", "\u201e", "\u201f", "\u2033"], '"'),
        **dict.fromkeys(
            [
                *("\u00a0", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007"),
                *("\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000"),
            ],
            " ",
        ),
        **dict.fromkeys(["\u200b", "\ufeff"], ""),
        "\u2026": "...",
    }
)


def fold(text: str) -> str:
    """Trimmed text with Unicode dashes, quotes and spaces replaced by their ASCII forms (and
    composed characters in one canonical form, NFC)."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFC", text.translate(_FOLD)).strip()


TIERS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    str.rstrip,
    str.strip,
    fold,
)
TIER_NAMES = (
    "exact",
    "ignoring trailing whitespace",
    "ignoring surrounding whitespace",
    "ignoring Unicode punctuation differences",
)


@dataclass(frozen=True, slots=True)
class Found:
    """Match starts (ascending, at most ``limit``) from the first tier that matched."""

    starts: tuple[int, ...]
    tier: int


class LineIndex:
    """Per-tier keys of a file's lines and key -> positions maps, built on first use."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._keys: dict[int, list[str]] = {}
        self._positions: dict[int, dict[str, list[int]]] = {}

    def __len__(self) -> int:
        return len(self.lines)

    def keys(self, tier: int) -> list[str]:
        keys = self._keys.get(tier)
        if keys is None:
            normalise = TIERS[tier]
            keys = list(self.lines) if tier == 0 else [normalise(line) for line in self.lines]
            self._keys[tier] = keys
        return keys

    def positions(self, tier: int) -> dict[str, list[int]]:
        table = self._positions.get(tier)
        if table is None:
            table = {}
            for position, key in enumerate(self.keys(tier)):
                bucket = table.get(key)
                if bucket is None:
                    table[key] = [position]
                else:
                    bucket.append(position)
            self._positions[tier] = table
        return table


def seek(
    index: LineIndex,
    pattern: Sequence[str],
    start: int,
    end: int,
    *,
    at_end: bool = False,
    limit: int = 10,
) -> Found | None:
    """Where ``pattern`` occurs within ``lines[start:end]`` (or only at the end of the file
    when ``at_end``); ``None`` when no tier matches."""
    size = len(pattern)
    if size == 0 or end - start < size:
        return None
    for tier, normalise in enumerate(TIERS):
        keys = [normalise(line) for line in pattern]
        if at_end:
            starts = _end_candidates(index, size)
            hits = tuple(s for s in starts if _matches(index.keys(tier), keys, s))
        else:
            hits = _scan(index, tier, keys, start, end, limit)
        if hits:
            return Found(hits[:limit], tier)
    return None


def _end_candidates(index: LineIndex, size: int) -> list[int]:
    last = len(index)
    trimmed = last
    while trimmed > 0 and not index.lines[trimmed - 1].strip():
        trimmed -= 1
    return sorted({s for s in (last - size, trimmed - size) if s >= 0})


def _matches(file_keys: list[str], keys: list[str], start: int) -> bool:
    return file_keys[start : start + len(keys)] == keys


def _scan(  # noqa: PLR0917 - internal hot path
    index: LineIndex, tier: int, keys: list[str], start: int, end: int, limit: int
) -> tuple[int, ...]:
    table = index.positions(tier)
    last_start = end - len(keys)
    best_offset = -1
    best: list[int] = []
    best_lo = best_hi = 0
    for offset, key in enumerate(keys):
        bucket = table.get(key)
        if bucket is None:
            return ()
        lo = bisect_left(bucket, start + offset)
        hi = bisect_left(bucket, last_start + offset + 1)
        if hi <= lo:
            return ()
        if best_offset < 0 or hi - lo < best_hi - best_lo:
            best_offset, best, best_lo, best_hi = offset, bucket, lo, hi
    file_keys = index.keys(tier)
    hits: list[int] = []
    for position in best[best_lo:best_hi]:
        candidate = position - best_offset
        if _matches(file_keys, keys, candidate):
            hits.append(candidate)
            if len(hits) > limit:
                break
    return tuple(hits)


def seek_header(index: LineIndex, header: str, start: int) -> int | None:
    """First line at or after ``start`` matching an ``@@`` header, by tier; a header that is
    a prefix of a line (``@@ def foo`` for ``def foo(x):``) matches as a last resort."""
    found = seek(index, [header], start, len(index), limit=1)
    if found is not None:
        return found.starts[0]
    wanted = fold(header)
    if len(wanted) < 3:
        return None
    keys = index.keys(3)
    for position in range(start, len(keys)):
        if keys[position].startswith(wanted):
            return position
    return None


def block_end(lines: Sequence[str], header: int) -> int | None:
    """End (exclusive) of the indented block a header line opens: up to and including the
    first later non-blank line indented no deeper than the header; ``None`` if no line below
    it is indented deeper (a flat file such as Markdown)."""
    depth = _indent(lines[header])
    deeper = False
    for position in range(header + 1, len(lines)):
        line = lines[position]
        if not line.strip():
            continue
        if _indent(line) <= depth:
            return position + 1 if deeper else None
        deeper = True
    return len(lines) if deeper else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@dataclass(frozen=True, slots=True)
class Nearest:
    """The window of the file most like the expected lines, for the failure message."""

    start: int
    lines: tuple[str, ...]
    matching: int  # how many lines of the window equal the expected ones (folded)


def nearest(index: LineIndex, pattern: Sequence[str], hint: int = 0) -> Nearest | None:
    """The file window that best matches ``pattern``: most lines equal after folding (lines
    voting for a start position), else the single most similar line by ``difflib``."""
    if not len(index) or not pattern:
        return None
    folded = [fold(line) for line in pattern]
    table = index.positions(3)
    votes: Counter[int] = Counter()
    for offset, key in enumerate(folded):
        bucket = table.get(key, [])
        if not key or len(bucket) > 200:
            continue  # blank or ubiquitous lines (``}``) say nothing about where we are
        for position in bucket:
            votes[position - offset] += 1
    guess = (
        max(votes, key=lambda s: (votes[s], -abs(s - hint)))
        if votes
        else _most_similar(index, folded)
    )
    if guess is None:
        return None
    start = max(0, min(guess, len(index) - 1))
    window = tuple(index.lines[start : start + len(pattern)])
    keys = index.keys(3)[start : start + len(pattern)]
    matching = sum(1 for a, b in zip(keys, folded, strict=False) if a == b)
    return Nearest(start, window, matching)


def _most_similar(index: LineIndex, folded: Sequence[str]) -> int | None:
    keys = index.keys(3)
    for offset, key in enumerate(folded):
        if not key:
            continue
        import difflib  # failure path only

        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
        if close:
            return keys.index(close[0]) - offset
    return None


def similar_lines(index: LineIndex, text: str, count: int = 3) -> list[int]:
    """Positions of the lines most similar to ``text`` (for a missing ``@@`` header)."""
    keys = index.keys(3)
    wanted = fold(text)
    import difflib  # failure path only

    close = difflib.get_close_matches(wanted, keys, n=count, cutoff=0.5)
    positions: list[int] = []
    for key in close:
        position = keys.index(key)
        if position not in positions:
            positions.append(position)
    return positions
