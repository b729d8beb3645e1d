"""The parsed form of a patch: plain frozen data, produced by ``parser`` and read by ``plan``.

Line numbers point into the patch text (1-based) so error messages can name the exact place the
model has to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal[" ", "-", "+"]


@dataclass(frozen=True, slots=True)
class ChunkLine:
    """One body line of a chunk: context (``" "``), removal (``"-"``) or addition (``"+"``)."""

    op: Op
    text: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """One ``@@`` section of an Update File hunk.

    ``headers`` are the ``@@ <line>`` anchors in order (several when nested); ``end_of_file``
    is set by a trailing ``*** End of File`` marker.
    """

    headers: tuple[str, ...]
    lines: tuple[ChunkLine, ...]
    end_of_file: bool = False
    line_number: int = 0

    @property
    def old_lines(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.lines if line.op != "+")

    @property
    def new_lines(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.lines if line.op != "-")


@dataclass(frozen=True, slots=True)
class AddFile:
    path: str
    lines: tuple[str, ...]
    line_number: int = 0
    kind: Literal["add"] = "add"


@dataclass(frozen=True, slots=True)
class DeleteFile:
    path: str
    line_number: int = 0
    kind: Literal["delete"] = "delete"


@dataclass(frozen=True, slots=True)
class UpdateFile:
    path: str
    chunks: tuple[Chunk, ...]
    move_to: str | None = None
    line_number: int = 0
    kind: Literal["update"] = "update"


Hunk = AddFile | DeleteFile | UpdateFile


@dataclass(frozen=True, slots=True)
class Patch:
    hunks: tuple[Hunk, ...]


def describe_hunk(index: int, hunk: Hunk) -> str:
    """``hunk 2 '*** Update File: a.py' at patch line 7``: how messages name a hunk."""
    header = {"add": "Add File", "delete": "Delete File", "update": "Update File"}[hunk.kind]
    return f"hunk {index + 1} '*** {header}: {hunk.path}' at patch line {hunk.line_number}"
