"""Apply the chunks of one Update File hunk to a file's lines, or explain precisely why not.

Where a chunk is looked for (its *region*):

* ``@@`` headers are jumps: each is the first line matching it after the previous header (or
  after the previous chunk); the chunk is then looked for from the innermost header on, first
  inside that header's indented block, then to the end of the file.
* Without a header, from the end of the previous chunk to the end of the file.
* ``*** End of File`` first tries only the end of the file.
* Chunks written out of order are found anywhere as a last resort (overlaps are refused).

In a region the first matching tier decides, and it must match exactly once (N identical
header-less chunks may match N places, taken in order). Context lines keep the file's own text
(whitespace, Unicode quotes); only ``-``/``+`` lines change anything. When a chunk matched only
ignoring indentation and every matched line is off by the same amount, the added lines are
shifted by it too.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from pycodex.apply_patch.errors import AmbiguousMatch, ChunkConflict, ContextNotFound
from pycodex.apply_patch.hunks import Chunk, ChunkLine, UpdateFile, describe_hunk
from pycodex.apply_patch.seek import (
    LineIndex,
    block_end,
    fold,
    nearest,
    seek,
    seek_header,
    similar_lines,
)
from pycodex.apply_patch.text import Doc

_SHOW = 30  # lines of expected/nearest text quoted in a message


@dataclass(frozen=True, slots=True)
class _Placed:
    start: int
    length: int
    lines: tuple[ChunkLine, ...]
    chunk: int


def apply_update(doc: Doc, hunk: UpdateFile, hunk_index: int) -> Doc:
    """The new content of ``doc`` after every chunk of ``hunk``; raises on any chunk that
    cannot be placed unambiguously."""
    index = LineIndex(doc.texts)
    placed: list[_Placed] = []
    cursor = 0
    followers = _identical_followers(hunk.chunks)
    for number, chunk in enumerate(hunk.chunks):
        where = (
            f"{hunk.path} ({describe_hunk(hunk_index, hunk)}, chunk {number + 1} "
            f"at patch line {chunk.line_number})"
        )
        spot = _locate(index, chunk, cursor, where, hunk.path, followers[number])
        placed.append(_Placed(spot[0], spot[1], spot[2], number))
        cursor = spot[0] + spot[1]
    placed.sort(key=lambda p: (p.start, p.chunk))
    for before, after in itertools.pairwise(placed):
        if after.start < before.start + before.length:
            raise ChunkConflict(
                f"chunks {before.chunk + 1} and {after.chunk + 1} of "
                f"{describe_hunk(hunk_index, hunk)} both match lines around "
                f"{after.start + 1} of {hunk.path}; merge them into one chunk"
            )
    return _rebuild(doc, placed)


def _rebuild(doc: Doc, placed: list[_Placed]) -> Doc:
    texts: list[str] = []
    eols: list[str] = []
    origin: list[int | None] = []
    position = 0
    for spot in placed:
        texts.extend(doc.texts[position : spot.start])
        eols.extend(doc.eols[position : spot.start])
        origin.extend(doc.origin[position : spot.start])
        line = spot.start
        for chunk_line in spot.lines:
            if chunk_line.op == "+":
                texts.append(chunk_line.text)
                eols.append(doc.eol)
                origin.append(None)
                continue
            if chunk_line.op == " ":
                texts.append(doc.texts[line])
                eols.append(doc.eols[line])
                origin.append(doc.origin[line])
            line += 1
        position = spot.start + spot.length
    texts.extend(doc.texts[position:])
    eols.extend(doc.eols[position:])
    origin.extend(doc.origin[position:])
    return Doc(texts, eols, origin, doc.source, doc.final_newline, doc.bom, doc.eol, doc.mode)


def _identical_followers(chunks: tuple[Chunk, ...]) -> list[int]:
    """For each chunk, how many later header-less chunks have the same old lines: N such
    chunks may match N places, taken in order (the same edit made in several places)."""
    keys = [None if c.headers or not c.old_lines else c.old_lines for c in chunks]
    remaining = Counter(key for key in keys if key is not None)
    counts: list[int] = []
    for key in keys:
        if key is None:
            counts.append(0)
        else:
            remaining[key] -= 1
            counts.append(remaining[key])
    return counts


def _locate(  # noqa: PLR0917 - one call site
    index: LineIndex, chunk: Chunk, cursor: int, where: str, path: str, siblings: int = 0
) -> tuple[int, int, tuple[ChunkLine, ...]]:
    """(start, number of file lines replaced, lines to apply) for one chunk."""
    size = len(index)
    anchor = cursor
    header_at: int | None = None
    scope: int | None = None
    for header in chunk.headers:
        found = seek_header(index, header, anchor)
        if found is None and anchor > 0:
            found = seek_header(index, header, 0)
        if found is None:
            raise ContextNotFound(_header_message(index, header, where))
        header_at, anchor, scope = found, found + 1, block_end(index.lines, found)
    if not any(line.op != "+" for line in chunk.lines):
        at = size if header_at is None else header_at + 1
        return at, 0, chunk.lines
    regions: list[tuple[int, int]] = []
    if header_at is not None:
        if scope is not None:
            regions.append((header_at, scope))
        regions.append((header_at, size))
    else:
        regions.append((cursor, size))
    regions.append((0, size))
    for lines in _variants(chunk.lines):
        old = [line.text for line in lines if line.op != "+"]
        if chunk.end_of_file:
            found_end = seek(index, old, 0, size, at_end=True)
            if found_end is not None:
                start = found_end.starts[-1]
                return start, len(old), _reindent(index, start, lines, found_end.tier)
        for lo, hi in dict.fromkeys(regions):
            hits = seek(index, old, lo, hi, limit=10 + siblings)
            if hits is None:
                continue
            if len(hits.starts) > 1 + siblings:
                raise AmbiguousMatch(_ambiguous_message(hits.starts, old, chunk, where, siblings))
            start = hits.starts[0]
            return start, len(old), _reindent(index, start, lines, hits.tier)
    old = [line.text for line in chunk.lines if line.op != "+"]
    hint = cursor if header_at is None else header_at
    raise ContextNotFound(_missing_message(index, old, where, path, hint))


def _lead(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _reindent(
    index: LineIndex, start: int, lines: tuple[ChunkLine, ...], tier: int
) -> tuple[ChunkLine, ...]:
    """Shift the added lines when the chunk matched only ignoring indentation and every matched
    line is off by the same leading whitespace (models often lose a level of indentation).

    Only on solid evidence: at least two non-blank matched lines, one of them removed, all off
    by the same amount; otherwise the added lines are taken verbatim."""
    if tier < 2:
        return lines
    shifts: set[tuple[bool, str]] = set()
    evidence = removed = 0
    position = start
    for line in lines:
        if line.op == "+":
            continue
        have, want = _lead(index.lines[position]), _lead(line.text)
        position += 1
        if not line.text.strip():
            continue
        evidence += 1
        removed += line.op == "-"
        if have.endswith(want):
            shifts.add((True, have[: len(have) - len(want)]))
        elif want.endswith(have):
            shifts.add((False, want[: len(want) - len(have)]))
        else:
            return lines
    if len(shifts) != 1 or evidence < 2 or not removed:
        return lines
    ((add, extra),) = shifts
    if not extra:
        return lines
    shifted: list[ChunkLine] = []
    for line in lines:
        if line.op != "+" or not line.text.strip():
            shifted.append(line)
        elif add:
            shifted.append(ChunkLine("+", extra + line.text))
        elif line.text.startswith(extra):
            shifted.append(ChunkLine("+", line.text[len(extra) :]))
        else:
            return lines
    return tuple(shifted)


def _variants(lines: tuple[ChunkLine, ...]) -> list[tuple[ChunkLine, ...]]:
    """The chunk as written, then without trailing blank context lines (often just the
    separator before the next hunk)."""
    trimmed = lines
    while trimmed and trimmed[-1].op == " " and not trimmed[-1].text.strip():
        trimmed = trimmed[:-1]
    if trimmed is lines or not any(line.op != "+" for line in trimmed):
        return [lines]
    return [lines, trimmed]


def _quote(lines: list[str] | tuple[str, ...]) -> str:
    shown = [f"    {line}" for line in lines[:_SHOW]]
    if len(lines) > _SHOW:
        shown.append(f"    [... {len(lines) - _SHOW} more lines]")
    return "\n".join(shown)


def _numbered(index: LineIndex, start: int, stop: int, differs: set[int] | None = None) -> str:
    rows = []
    for position in range(start, min(stop, start + _SHOW, len(index))):
        mark = "!" if differs is not None and position in differs else " "
        rows.append(f"  {mark}{position + 1:>6} | {index.lines[position]}")
    return "\n".join(rows)


def _missing_message(index: LineIndex, old: list[str], where: str, path: str, hint: int) -> str:
    text = f"Failed to find expected lines in {where}:\n{_quote(old)}"
    near = nearest(index, old, hint)
    if near is None:
        if not len(index):
            return f"{text}\nThe file is empty."
        return f"{text}\nNo line of the file resembles them; check the file path."
    folded = index.keys(3)
    expected = [fold(line) for line in old]
    differs = {
        near.start + offset
        for offset in range(len(near.lines))
        if offset >= len(expected) or folded[near.start + offset] != expected[offset]
    }
    stop = near.start + len(near.lines)
    span = f"line {stop}" if stop == near.start + 1 else f"lines {near.start + 1}-{stop}"
    return (
        f"{text}\nNearest lines in {path} ({span}; "
        f"{near.matching} of {len(old)} match, '!' marks lines that differ):\n"
        f"{_numbered(index, near.start, stop, differs)}"
    )


def _header_message(index: LineIndex, header: str, where: str) -> str:
    text = f"Failed to find the context line '@@ {header}' in {where}."
    positions = similar_lines(index, header)
    if not positions:
        return f"{text}\nNo line of the file resembles it."
    rows = "\n".join(f"   {p + 1:>6} | {index.lines[p]}" for p in positions)
    return f"{text}\nMost similar lines in the file:\n{rows}"


def _ambiguous_message(
    starts: tuple[int, ...], old: list[str], chunk: Chunk, where: str, siblings: int
) -> str:
    places = ", ".join(str(s + 1) for s in starts[:9])
    if len(starts) > 9:
        places += ", ..."
    scope = f" after '@@ {chunk.headers[-1]}'" if chunk.headers else ""
    if siblings:
        scope += (
            f" (with {siblings} identical chunk{'s' if siblings > 1 else ''} after it, "
            f"{siblings + 1} places were expected)"
        )
    return (
        f"The expected lines of {where} match {len(starts) if len(starts) <= 9 else 'many'} "
        f"places{scope} (starting at lines {places}); a chunk must match exactly one place. "
        "Add more unchanged context lines around the change, or an '@@ <line>' header naming "
        "the enclosing class or function (several '@@' lines nest), so that only one place "
        f"matches. Expected lines:\n{_quote(old)}"
    )
