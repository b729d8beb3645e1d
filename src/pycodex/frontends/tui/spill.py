"""An append-only list of strings kept in an unlinked temporary file, not in memory.

The transcript's history (cells scrolled out of the mounted window) goes here so a session's
memory does not grow with its length: each entry costs 8 bytes of offset in RAM, and the
text is read back only for the lines on screen (from the page cache, microseconds each).
The file is private (0600) and has no name. If it cannot be created or written (no temp
directory, disk full), the list carries on in memory: the transcript is never lost.
"""

from __future__ import annotations

import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator
from typing import IO


class SpilledStrings:
    """``append`` / ``len`` / ``[i]`` / iteration over strings stored on disk."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None  # created at the first append
        self._ends = array("Q")  # _ends[i]: the file offset just past entry i
        self._memory: list[str] | None = None  # the fallback once the file failed
        self._closer: weakref.finalize[[], SpilledStrings] | None = None

    @property
    def on_disk(self) -> bool:
        return self._memory is None

    def append(self, text: str) -> None:
        if self._memory is None:
            try:
                self._append_to_file(text)
                return
            except OSError:
                self._memory = self._recover()
        self._memory.append(text)

    def extend(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.append(text)

    def __len__(self) -> int:
        return len(self._ends) if self._memory is None else len(self._memory)

    def __getitem__(self, index: int) -> str:
        if self._memory is not None:
            return self._memory[index]
        if index < 0:
            index += len(self._ends)
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        return self._read(index)

    def __iter__(self) -> Iterator[str]:
        for index in range(len(self)):
            yield self[index]

    def clear(self) -> None:
        self._ends = array("Q")
        if self._memory is not None:
            self._memory = []
        elif self._file is not None:
            self._file.truncate(0)

    def close(self) -> None:
        """Let the file go now (else it is closed when this object is collected)."""
        if self._closer is not None:
            self._closer()
        self._file = None
        self._ends = array("Q")
        self._memory = None

    def _append_to_file(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        file = self._open()
        start = self._ends[-1] if self._ends else 0
        file.seek(start)
        file.write(data)
        file.flush()  # a full disk fails here, not at some later read
        self._ends.append(start + len(data))

    def _read(self, index: int) -> str:
        start = self._ends[index - 1] if index else 0
        file = self._open()
        file.seek(start)
        return file.read(self._ends[index] - start).decode("utf-8", "surrogatepass")

    def _recover(self) -> list[str]:
        """What the file holds so far, for the in-memory fallback (if it can be read)."""
        kept: list[str] = []
        try:
            kept.extend(self._read(index) for index in range(len(self._ends)))
        except OSError:
            kept.append(f"[{len(self._ends) - len(kept)} earlier entries could not be read back]")
        self.close()
        return kept

    def _open(self) -> IO[bytes]:
        if self._file is None:
            # lives as long as this list: closed by close() or by the finalizer
            self._file = tempfile.TemporaryFile(prefix="pycodex-transcript-")  # noqa: SIM115
            self._closer = weakref.finalize(self, self._file.close)
        return self._file
