"""The search's building blocks: lines scanned inside ``re`` in C, and the score of a match.

Why one joined string: 100,000 paths must be searched in well under 50 ms per keystroke in
CPython. A subsequence regex finds every matching line in one C-level scan; the start of
each match maps back to its line's index. Detailed scoring (basename, boundary, contiguity
bonuses; gap and length penalties) is Python and so is spent only on a bounded number of
candidates (``pycodex.file_search.index`` picks them).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

__all__ = ["Lines", "lower_path", "score_path"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SEPARATORS = frozenset("_-. ")


def lower_path(path: str) -> str:
    low = path.lower()
    return low if len(low) == len(path) else path.translate(_ASCII_LOWER)


def subsequence_regex(query: str) -> str:
    """Regex body: the query's characters in order, each ``[^\\nX]*X`` (no backtracking)."""
    body = re.escape(query[0])
    for ch in query[1:]:
        e = re.escape(ch)
        body += f"[^\\n{e}]*{e}"
    return body


class Lines:
    """Selected texts joined as one newline-separated string, so ``re``/``find`` scan in C."""

    def __init__(self, texts: Sequence[str], indices: Iterable[int]) -> None:
        self.indices = list(indices)
        self.text = "\n" + "\n".join([texts[i] for i in self.indices]) + "\n"
        offsets = [0]
        pos = 0
        for i in self.indices:
            pos += len(texts[i]) + 1
            offsets.append(pos)
        self.offsets = offsets  # offsets[k]: the newline before line k
        self.by_start = dict(zip(offsets, self.indices, strict=False))

    def _collect(self, hits: Iterable[int], cap: int) -> list[int]:
        out: list[int] = []
        offsets, indices = self.offsets, self.indices
        last = -1
        for pos in hits:
            k = bisect_right(offsets, pos) - 1
            if k != last:
                out.append(indices[k])
                last = k
                if len(out) >= cap:
                    break
        return out

    def subsequence(self, q: str, cap: int, pos: int = 0) -> list[int]:
        """Lines (from text offset ``pos``) containing ``q`` in order, at most ``cap``."""
        first = re.escape(q[0])
        pattern = re.compile(f"\\n[^\\n{first}]*{subsequence_regex(q)}")
        # Each match starts at its line's newline and ends inside the line: one per line.
        starts = [m.start() for m in islice(pattern.finditer(self.text, pos), cap)]
        return list(map(self.by_start.__getitem__, starts))

    def substring(self, needle: str, cap: int) -> list[int]:
        def hits() -> Iterator[int]:
            text, offsets = self.text, self.offsets
            pos = text.find(needle)
            while pos >= 0:
                yield pos
                k = bisect_right(offsets, pos)  # continue on the next line
                pos = text.find(needle, offsets[k]) if k < len(offsets) else -1

        return self._collect(hits(), cap)


def _align(low: str, q: str, lo: int) -> list[int] | None:
    """Tight positions of ``q`` in ``low[lo:]``: a contiguous hit, else forward then back."""
    hit = low.rfind(q, lo)
    if hit >= 0:
        return list(range(hit, hit + len(q)))
    pos = lo - 1
    for ch in q:  # leftmost end of a complete match
        pos = low.find(ch, pos + 1)
        if pos < 0:
            return None
    positions = [pos]
    for ch in reversed(q[:-1]):  # then the shortest window ending there
        pos = low.rfind(ch, lo, pos)
        positions.append(pos)
    positions.reverse()
    return positions


def score_path(path: str, low: str, start: int, q: str) -> tuple[int, tuple[int, ...]]:
    """Score one path (higher is better) and the matched positions."""
    positions = _align(low, q, start)
    in_base = positions is not None
    if positions is None:
        positions = _align(low, q, 0)
        if positions is None:  # not a match (cannot happen for scanned candidates)
            return -(10**6), ()
    score = 16 * len(q)
    prev = -2
    for p in positions:
        if p == 0 or path[p - 1] == "/":
            score += 12
        elif path[p - 1] in _SEPARATORS or (path[p].isupper() and path[p - 1].islower()):
            score += 8
        if p == prev + 1:
            score += 6
        elif prev >= 0:
            score -= 3 + min(p - prev - 1, 12) // 3
        prev = p
    if in_base:
        score += 20
        if positions[0] == start:
            score += 15
            name = low[start:]
            if name == q or name.split(".", 1)[0] == q:
                score += 25
    score -= len(path) // 8
    return score, tuple(positions)
