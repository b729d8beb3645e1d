"""The ``*** Begin Patch`` edit engine: a standalone library (only ``pycodex.protocol`` types).

Typical use::

    planned = plan_patch(parse_patch(text), cwd)   # pure: verifies everything, writes nothing
    planned.changes                                # FileChange per absolute path, for approval
    result = apply_planned(planned)                # atomic write; result.output for the model

or ``apply_patch_text(text, cwd)`` in one call, and ``extract_patch_from_argv(argv)`` to spot a
patch sent through the ``shell`` tool.
"""

from __future__ import annotations

from pycodex.apply_patch.apply import ApplyResult, apply_patch_text, apply_planned
from pycodex.apply_patch.errors import (
    AmbiguousMatch,
    ChunkConflict,
    ContextNotFound,
    FileExists,
    FileMissing,
    ParseError,
    PatchError,
    StaleFile,
    WriteFailed,
)
from pycodex.apply_patch.hunks import AddFile, Chunk, ChunkLine, DeleteFile, Hunk, Patch, UpdateFile
from pycodex.apply_patch.invocation import Invocation, extract_patch_from_argv
from pycodex.apply_patch.parser import parse_patch
from pycodex.apply_patch.plan import FileWrite, PlannedChanges, plan_patch

__all__ = [
    "AddFile",
    "AmbiguousMatch",
    "ApplyResult",
    "Chunk",
    "ChunkConflict",
    "ChunkLine",
    "ContextNotFound",
    "DeleteFile",
    "FileExists",
    "FileMissing",
    "FileWrite",
    "Hunk",
    "Invocation",
    "ParseError",
    "Patch",
    "PatchError",
    "PlannedChanges",
    "StaleFile",
    "UpdateFile",
    "WriteFailed",
    "apply_patch_text",
    "apply_planned",
    "extract_patch_from_argv",
    "parse_patch",
    "plan_patch",
]
