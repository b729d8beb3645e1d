"""The ``*** Begin Patch`` edit engine: a standalone library (only ``pycodex.protocol`` types).

Typical use::

    planned = plan_patch(parse_patch(text), cwd)   # pure: verifies everything, writes nothing
    planned.changes                                # FileChange per absolute path, for approval
    result = apply_planned(planned)                # atomic write; result.output for the model

or ``apply_patch_text(text, cwd)`` in one call; ``extract_patch_from_argv(argv)`` spots a patch
sent through the ``shell`` tool, ``tool_definition()`` / ``patch_from_arguments()`` serve the
``apply_patch`` function tool.
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
from pycodex.apply_patch.tool import TOOL_NAME, patch_from_arguments, tool_definition

__all__ = [
    "TOOL_NAME",
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
    "patch_from_arguments",
    "plan_patch",
    "tool_definition",
]
