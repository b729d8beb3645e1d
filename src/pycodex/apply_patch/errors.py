"""The library's exceptions. Each one's ``message`` is the text the model reads.

Messages name the file, the hunk and (for matching failures) the nearest lines actually in the
file, because a vague "context not found" is what makes models loop on the same broken patch.
"""

from __future__ import annotations


class PatchError(Exception):
    """Base class: ``message`` is model-facing; ``nothing_changed`` is true unless a rollback
    itself failed."""

    nothing_changed: bool = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self) -> str:
        """The full failure text for the model (``error: ...`` plus the atomicity note)."""
        tail = (
            "\nNo files were changed: fix the patch and send the whole patch again."
            if self.nothing_changed
            else ""
        )
        return f"error: {self.message}{tail}"


class ParseError(PatchError):
    """The patch text does not follow the ``*** Begin Patch`` grammar."""

    def __init__(self, message: str, line_number: int | None = None) -> None:
        where = f"line {line_number}: " if line_number is not None else ""
        super().__init__(f"invalid patch: {where}{message}")
        self.line_number = line_number


class ContextNotFound(PatchError):
    """The lines (or ``@@`` header) of a chunk are not in the file, even fuzzily."""


class AmbiguousMatch(PatchError):
    """The lines of a chunk match more than one place in their region."""


class ChunkConflict(PatchError):
    """Two chunks of one Update File hunk claim overlapping lines."""


class FileMissing(PatchError):
    """A file to update, delete or move does not exist (or is not a regular file)."""


class FileExists(PatchError):
    """A file to add, or the destination of a move, already exists."""


class StaleFile(PatchError):
    """A file changed on disk between planning and applying."""


class WriteFailed(PatchError):
    """Writing failed; every change already made was rolled back (else ``nothing_changed``
    is false and the message says which files may be affected)."""

    def __init__(self, message: str, *, rolled_back: bool = True) -> None:
        super().__init__(message)
        self.nothing_changed = rolled_back
