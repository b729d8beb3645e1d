"""Parse ``*** Begin Patch`` text into a ``Patch`` (grammar: reference §3.4).

Strict where a mistake could change the wrong lines (envelope, hunk headers), tolerant where
models commonly slip and the matcher still verifies the result: whitespace around markers and the
whole patch, a heredoc wrapper left in the text, CRLF patch text, a missing first ``@@``, blank
lines between hunks, ``git``-style ``@@ -1,3 +1,4 @@`` headers and ``---``/``+++`` file
headers, and context lines whose leading space was dropped (they must still match the file).
"""

from __future__ import annotations

import re

from pycodex.apply_patch.errors import ParseError
from pycodex.apply_patch.hunks import (
    AddFile,
    Chunk,
    ChunkLine,
    DeleteFile,
    Hunk,
    Patch,
    UpdateFile,
)

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File:"
DELETE = "*** Delete File:"
UPDATE = "*** Update File:"
MOVE = "*** Move to:"
END_OF_FILE = "*** End of File"

_HEREDOC_OPEN = re.compile(r"^<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*$")
_GIT_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@\s?(.*)$")


def _is_hunk_header(stripped: str) -> bool:
    return stripped.startswith((ADD, DELETE, UPDATE))


def _envelope(text: str) -> list[tuple[int, str]]:
    """The body lines between Begin and End Patch, each with its 1-based patch line number."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    first, last = 0, len(lines) - 1
    while first <= last and not lines[first].strip():
        first += 1
    while last >= first and not lines[last].strip():
        last -= 1
    if first > last:
        raise ParseError("the patch is empty; it must start with '*** Begin Patch'")
    opener = _HEREDOC_OPEN.match(lines[first].strip())
    if opener:
        first += 1
        if last >= first and lines[last].strip() == opener.group(2):
            last -= 1
        while first <= last and not lines[first].strip():
            first += 1
        while last >= first and not lines[last].strip():
            last -= 1
    if first > last or lines[first].strip() != BEGIN:
        raise ParseError("The first line of the patch must be '*** Begin Patch'")
    if last == first or lines[last].strip() != END:
        raise ParseError("The last line of the patch must be '*** End Patch'")
    return [(number + 1, lines[number]) for number in range(first + 1, last)]


def _path(stripped: str, marker: str, number: int) -> str:
    path = stripped[len(marker) :].strip()
    if not path:
        raise ParseError(f"'{marker}' needs a file path", number)
    return path


def parse_patch(text: str) -> Patch:
    """Parse a whole patch; raises ``ParseError`` naming the offending patch line."""
    body = _envelope(text)
    hunks: list[Hunk] = []
    i = 0
    while i < len(body):
        number, line = body[i]
        stripped = line.strip()
        if not stripped:
            i += 1
        elif stripped.startswith(ADD):
            i = _parse_add(body, i, _path(stripped, ADD, number), hunks)
        elif stripped.startswith(DELETE):
            hunks.append(DeleteFile(_path(stripped, DELETE, number), line_number=number))
            i += 1
        elif stripped.startswith(UPDATE):
            i = _parse_update(body, i, _path(stripped, UPDATE, number), hunks)
        else:
            raise ParseError(
                f"'{stripped}' is not a valid hunk header. A hunk starts with "
                "'*** Add File: <path>', '*** Delete File: <path>' or '*** Update File: <path>'",
                number,
            )
    if not hunks:
        raise ParseError("the patch contains no hunks (no Add, Delete or Update File)")
    return Patch(tuple(hunks))


def _parse_add(body: list[tuple[int, str]], i: int, path: str, hunks: list[Hunk]) -> int:
    number = body[i][0]
    i += 1
    content: list[str] = []
    while i < len(body):
        line = body[i][1]
        if line.startswith("+"):
            content.append(line[1:])
            i += 1
            continue
        if not line.strip():
            # A blank line between "+" lines is almost always an added blank line whose "+"
            # the model dropped; blank lines after the last "+" separate hunks.
            j = i
            while j < len(body) and not body[j][1].strip():
                j += 1
            if j < len(body) and body[j][1].startswith("+"):
                content.extend("" for _ in range(j - i))
                i = j
                continue
        break
    hunks.append(AddFile(path, tuple(content), line_number=number))
    return i


def _header_text(stripped: str) -> str | None:
    """The anchor of an ``@@`` line: ``None`` for bare ``@@`` or a git-style range header."""
    git = _GIT_HEADER.match(stripped)
    if git:
        return git.group(1).strip() or None
    rest = stripped[2:].strip()
    return rest or None


def _parse_update(body: list[tuple[int, str]], i: int, path: str, hunks: list[Hunk]) -> int:
    number = body[i][0]
    i += 1
    while i < len(body) and not body[i][1].strip():
        i += 1
    move_to: str | None = None
    if i < len(body) and body[i][1].strip().startswith(MOVE):
        move_to = _path(body[i][1].strip(), MOVE, body[i][0])
        i += 1
    if (
        i + 2 < len(body)
        and body[i][1].startswith("--- ")
        and body[i + 1][1].startswith("+++ ")
        and body[i + 2][1].startswith("@@")
    ):
        i += 2  # a git "--- a/x" / "+++ b/x" file header out of habit: not content
    chunks: list[Chunk] = []
    while True:
        while i < len(body) and not body[i][1].strip():
            i += 1
        if i >= len(body) or _is_hunk_header(body[i][1].strip()):
            break
        chunk, i = _parse_chunk(body, i, path, first=not chunks)
        chunks.append(chunk)
    if not chunks and move_to is None:
        raise ParseError(f"Update File hunk for '{path}' has no changes", number)
    hunks.append(UpdateFile(path, tuple(chunks), move_to=move_to, line_number=number))
    return i


def _parse_chunk(
    body: list[tuple[int, str]], i: int, path: str, *, first: bool
) -> tuple[Chunk, int]:
    start_number = body[i][0]
    headers: list[str] = []
    saw_marker = False
    while i < len(body) and body[i][1].startswith("@@"):
        saw_marker = True
        header = _header_text(body[i][1].strip())
        if header is not None:
            headers.append(header)
        i += 1
    if not saw_marker and not first:
        raise ParseError(
            f"expected '@@' to start the next chunk of '{path}', got '{body[i][1]}'",
            body[i][0],
        )
    lines: list[ChunkLine] = []
    end_of_file = False
    while i < len(body):
        line = body[i][1]
        stripped = line.strip()
        if line.startswith("@@") or _is_hunk_header(stripped):
            break  # (" @@ x" is a context line: the file may contain "@@")
        if stripped == END_OF_FILE:
            end_of_file = True
            i += 1
            break
        if line.startswith(("+", "-", " ")):
            op = line[0]
            assert op in ("+", "-", " ")
            lines.append(ChunkLine(op, line[1:]))  # type: ignore[arg-type]
        elif not line:
            lines.append(ChunkLine(" ", ""))
        elif stripped.startswith("***"):
            raise ParseError(
                f"unexpected marker '{stripped}' inside a chunk of '{path}'", body[i][0]
            )
        else:
            # A context line whose leading space was dropped: accepted, because it still has
            # to match the file exactly like any other context line.
            lines.append(ChunkLine(" ", line))
        i += 1
    if not lines:
        raise ParseError(f"a chunk of '{path}' has no lines after its '@@'", start_number)
    return Chunk(tuple(headers), tuple(lines), end_of_file, start_number), i
