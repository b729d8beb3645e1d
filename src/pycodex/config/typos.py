"""Typo distance and "did you mean": one measure for config keys and CLI words.

Optimal-string-alignment (Damerau-Levenshtein) distance: insertions, deletions,
substitutions and swaps of two neighbours each cost one edit (``exce`` -> ``exec``, ``modle`` ->
``model``). Callers choose how many edits still count as a typo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and adjacent swaps turning ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]


def nearest(
    word: str, candidates: Iterable[str], limit: Callable[[str], int], *, fold_case: bool = False
) -> str | None:
    """The candidate closest to ``word`` within ``limit(candidate)`` edits (ties: the first
    in sorted order), or None; a limit below 0 rules a candidate out."""
    typed = word.lower() if fold_case else word
    best: tuple[int, str] | None = None
    for candidate in sorted(candidates):
        bound = limit(candidate)
        if bound < 0:
            continue
        distance = edit_distance(typed, candidate.lower() if fold_case else candidate)
        if distance <= bound and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best is not None else None
