"""Unified diff of an update, built from line provenance rather than by re-diffing.

The planner knows exactly which original line every kept line is, so the diff is the edit the
patch made (not difflib's guess) and costs linear time even for 20,000-line files.
"""

from __future__ import annotations

from collections.abc import Sequence

# One diff line: (kind, old line index or None, new line index or None, text)
_Row = tuple[str, int | None, int | None, str]


def unified_diff(
    old: Sequence[str],
    new: Sequence[str],
    origin: Sequence[int | None],
    context: int = 1,
) -> str:
    """Hunks (``@@ -a,b +c,d @@`` and body, no ``---``/``+++`` header) turning ``old`` into
    ``new``; ``origin[i]`` is the index in ``old`` of ``new[i]`` or ``None`` if it was added.
    Kept indices must be increasing, as the planner guarantees."""
    rows = _rows(old, new, origin)
    changed = [i for i, row in enumerate(rows) if row[0] != " "]
    if not changed:
        return ""
    out: list[str] = []
    group_start = changed[0]
    previous = changed[0]
    for position in [*changed[1:], None]:
        if position is not None and position - previous <= 2 * context + 1:
            previous = position
            continue
        _emit(out, rows, max(0, group_start - context), min(len(rows), previous + context + 1))
        if position is not None:
            group_start = previous = position
    return "".join(out)


def _rows(old: Sequence[str], new: Sequence[str], origin: Sequence[int | None]) -> list[_Row]:
    rows: list[_Row] = []
    added: list[_Row] = []
    cursor = 0
    for new_index, (text, source) in enumerate(zip(new, origin, strict=True)):
        if source is None or source < cursor:
            added.append(("+", None, new_index, text))
            continue
        rows.extend(("-", k, None, old[k]) for k in range(cursor, source))
        rows.extend(added)
        added = []
        rows.append((" ", source, new_index, text))
        cursor = source + 1
    rows.extend(("-", k, None, old[k]) for k in range(cursor, len(old)))
    rows.extend(added)
    return rows


def _emit(out: list[str], rows: list[_Row], lo: int, hi: int) -> None:
    part = rows[lo:hi]
    old_count = sum(1 for row in part if row[0] != "+")
    new_count = sum(1 for row in part if row[0] != "-")
    old_start = _start(rows, lo, hi, 1)
    new_start = _start(rows, lo, hi, 2)
    out.append(f"@@ -{_range(old_start, old_count)} +{_range(new_start, new_count)} @@\n")
    out.extend(f"{row[0]}{row[3]}\n" for row in part)


def _start(rows: list[_Row], lo: int, hi: int, column: int) -> int:
    """1-based first line of the hunk on one side; for an empty side, the line before it."""
    for row in rows[lo:hi]:
        value = row[column]
        if isinstance(value, int):
            return value + 1
    for k in range(lo - 1, -1, -1):
        value = rows[k][column]
        if isinstance(value, int):
            return value + 1
    return 0


def _range(start: int, count: int) -> str:
    return f"{start}" if count == 1 else f"{start},{count}"
