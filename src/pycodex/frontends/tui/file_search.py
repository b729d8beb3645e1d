"""The `@` file index: now the ``pycodex.file_search`` edge package, reached through
``pycodex.core.services.workspace``; this name stays until its callers import it from
there."""

from pycodex.core.services.workspace import FileIndex, Match

__all__ = ["FileIndex", "Match"]
