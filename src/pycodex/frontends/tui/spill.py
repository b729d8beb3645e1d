"""An append-only list of strings kept in an unlinked temporary file, not in memory.

The transcript's history (cells scrolled out of the mounted window) goes here so a session's
memory does not grow with its length: each entry costs 8 bytes of offset in RAM, and the
text is read back only for the lines on screen (from the page cache, microseconds each).
"""

from __future__ import annotations

import tempfile
import weakref
from array import array
from collections.abc import Iterator
from typing import IO


class SpilledStrings:
    """``append`` / ``len`` / ``[i]`` / iteration over strings stored on disk."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None  # created at the first append
        self._ends = array("Q")  # _ends[i]: the file offset just past entry i

    def append(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        file = self._open()
        start = self._ends[-1] if self._ends else 0
        file.seek(start)
        file.write(data)
        self._ends.append(start + len(data))

    def extend(self, texts: list[str]) -> None:
        for text in texts:
            self.append(text)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            index += len(self._ends)
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        start = self._ends[index - 1] if index else 0
        file = self._open()
        file.seek(start)
        return file.read(self._ends[index] - start).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        for index in range(len(self._ends)):
            yield self[index]

    def clear(self) -> None:
        self._ends = array("Q")
        if self._file is not None:
            self._file.truncate(0)

    def close(self) -> None:
        """Let the file go now (else it is closed when this object is collected)."""
        if self._file is not None:
            self._closer()
            self._file = None
        self._ends = array("Q")

    def _open(self) -> IO[bytes]:
        if self._file is None:
            # lives as long as this list: closed by close() or by the finalizer
            self._file = tempfile.TemporaryFile(prefix="pycodex-transcript-")  # noqa: SIM115
            self._closer = weakref.finalize(self, self._file.close)
        return self._file
