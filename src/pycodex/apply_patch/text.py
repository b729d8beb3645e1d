"""File bytes <-> lines, keeping what the patch does not mention exactly as it was.

Each line keeps its own line ending, so a CRLF file stays CRLF (added lines take the file's
dominant ending) and a file without a final newline keeps lacking one. Undecodable bytes survive
through ``surrogateescape``; a UTF-8 byte-order mark is kept. ``origin`` records which original
line each line is (``None`` for added lines): the change summary diffs from it in linear time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Doc:
    """A file's content as lines. Never modified in place once built: an edit makes a new
    ``Doc``, so the first one read stays the original that ``origin`` indexes."""

    texts: list[str]
    eols: list[str]
    origin: list[int | None]
    source: Path | None = None  # the original file that ``origin`` indexes, if any
    final_newline: bool = True
    bom: bool = False
    eol: str = "\n"  # the dominant line ending, used for added lines
    mode: int | None = None  # permission bits to keep when written


def decode(data: bytes, source: Path | None = None, mode: int | None = None) -> Doc:
    bom = data.startswith(_BOM)
    if bom:
        data = data[len(_BOM) :]
    text = data.decode("utf-8", "surrogateescape")
    if not text:
        return Doc([], [], [], source, True, bom, "\n", mode)
    parts = text.split("\n")
    final_newline = parts[-1] == ""
    if final_newline:
        parts.pop()
    count = len(parts)
    if "\r" not in text:
        texts = parts
        eols = ["\n"] * count
    else:
        texts = []
        eols = []
        for part in parts:
            if part.endswith("\r"):
                texts.append(part[:-1])
                eols.append("\r\n")
            else:
                texts.append(part)
                eols.append("\n")
    if not final_newline:
        texts[-1] = parts[-1]
        eols[-1] = ""
    crlf = sum(1 for e in eols if e == "\r\n")
    dominant = "\r\n" if crlf * 2 > sum(1 for e in eols if e) else "\n"
    return Doc(texts, eols, list(range(count)), source, final_newline, bom, dominant, mode)


def new_doc(lines: tuple[str, ...]) -> Doc:
    """Content of an added file: the given lines, each ending in a newline."""
    return Doc(list(lines), ["\n"] * len(lines), [None] * len(lines))


def encode(doc: Doc) -> bytes:
    """Join the lines back, giving every line but the last an ending and the last one the
    final-newline state of the original file."""
    count = len(doc.texts)
    out: list[str] = []
    for index, (text, eol) in enumerate(zip(doc.texts, doc.eols, strict=True)):
        if index == count - 1:
            eol = (eol or doc.eol) if doc.final_newline else ""
        elif not eol:
            eol = doc.eol
        out.append(text)
        out.append(eol)
    data = "".join(out).encode("utf-8", "surrogateescape")
    return _BOM + data if doc.bom else data


def as_text(doc: Doc) -> str:
    """The content as a ``str`` (for ``FileChange.content``)."""
    return encode(doc).decode("utf-8", "replace").removeprefix("\ufeff")
