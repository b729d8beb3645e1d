"""Incremental Server-Sent Events parser, tolerant of what real servers send.

Bytes go in as they arrive (any split, even inside a line or a UTF-8 sequence); complete
events come out. Comments (``:`` keep-alives), unknown fields, ``id``/``retry`` and CRLF line
ends are handled per the WHATWG rules. JSON is *not* parsed here: ``json_data`` returns
``None`` for a payload that is not a JSON object, so callers skip it instead of crashing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str  # "message" when the server sent no ``event:`` line
    data: str  # ``data:`` lines joined with "\n"

    @property
    def is_done(self) -> bool:
        return self.data.strip() == DONE

    def json_data(self) -> dict[str, Any] | None:
        """The data as a JSON object, or ``None`` (not JSON, or not an object)."""
        try:
            value = json.loads(self.data)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


class SseParser:
    """Feed raw bytes with ``feed``; call ``finish`` at end of stream for a trailing event."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SseEvent]:
        out: list[SseEvent] = []
        start = len(self._buf)
        self._buf += chunk
        cut = 0
        while (i := self._buf.find(b"\n", max(start, cut))) >= 0:
            line = bytes(self._buf[cut:i]).rstrip(b"\r").decode("utf-8", "replace")
            cut = i + 1
            event = self.feed_line(line)
            if event is not None:
                out.append(event)
        del self._buf[:cut]
        return out

    def feed_line(self, line: str) -> SseEvent | None:
        """One line without its terminator; returns an event when a blank line ends one."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / keep-alive
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        # "id", "retry" and unknown fields are ignored: nothing here reconnects by id.
        return None

    def finish(self) -> list[SseEvent]:
        """End of stream: a last event not followed by a blank line is still delivered."""
        out: list[SseEvent] = []
        if self._buf:
            line = bytes(self._buf).rstrip(b"\r").decode("utf-8", "replace")
            self._buf.clear()
            event = self.feed_line(line)
            if event is not None:
                out.append(event)
        event = self._dispatch()
        if event is not None:
            out.append(event)
        return out

    def _dispatch(self) -> SseEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SseEvent(self._event or "message", "\n".join(self._data))
        self._event = ""
        self._data = []
        return event
