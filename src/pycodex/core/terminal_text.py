"""Text from the model or its commands, made safe to put on a terminal.

Command output, model answers and reasoning, plan steps, file contents, MCP tool results
and error messages are untrusted: a terminal that receives ``ESC ] 52 ; c ; … BEL``
writes the user's clipboard, ``ESC ] 0 ; …`` retitles the window, ``ESC [ 2 J`` clears
the screen, and a bare ``\\r`` or backspace lets later text hide earlier text (a command
line that looks harmless on screen). Every front end that shows such text to a person
passes it through ``sanitize`` first; its own styling is added afterwards, so our colours
stay.

The rule, in this order:

1. Complete CSI sequences (``ESC [`` or the 8-bit ``CSI``, parameters, final byte) are
   dropped. They are colours and cursor motion, carry no text of their own, and tools
   that force colour (``grep --color=always``) would otherwise fill the screen with noise.
2. ``\\r\\n`` becomes ``\\n`` (Windows-style output reads as ordinary lines).
3. Every other control is shown, never obeyed: C0 controls (all but ``\\n`` and ``\\t``)
   and DEL become their Unicode Control Pictures (``ESC`` is ``␛``, ``BEL`` ``␇``, a lone
   ``\\r`` ``␍``, backspace ``␈``), so an OSC, DCS, APC, PM or SOS string, or a lone
   ``ESC``, appears as visible text such as ``␛]52;c;SGVsbG8=␇`` — the user sees that
   the output tried to do something. C1 controls (U+0080..U+009F) and the bidirectional
   embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069, which can
   make text read differently from what it is) become ``<U+XXXX>``.

Nothing here parses OSC/DCS boundaries: once every control character is replaced by a
printable one, no terminal can find a sequence in what is left, whatever was sent.
Zero-width characters, bidi marks (LRM/RLM) and joiners are left alone: real text needs
them (emoji sequences, right-to-left scripts).

Text without any of these characters (nearly all of it) is returned as is after one scan
in C (for ASCII text ``bytes.translate``, which is 2-3 times faster than the compiled
regex used for the rest); otherwise the work is two ``re.sub`` calls and one
``str.translate``, all in C: there is no Python loop over characters.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from typing import Any, TypeVar

T = TypeVar("T")

_KEEP = "\n\t"

# Characters that never reach a terminal as themselves.
_UNSAFE_CLASS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_ASCII_UNSAFE = bytes([*range(0x09), *range(0x0B, 0x20), 0x7F])  # the same, as bytes
# A complete CSI: introducer, parameter bytes, intermediate bytes, one final byte (ECMA-48).
_CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")
# The end of a chunk that may be the start of a CSI or of a ``\r\n`` (held back by
# ``OutputSanitizer`` until the next chunk says which).
_PARTIAL_TAIL = re.compile(r"(?:\r|\x1b|(?:\x1b\[|\x9b)[0-?]*[ -/]*)\Z")
_TAIL_WINDOW = 64  # a CSI longer than this is not held back (it is shown instead)


def _picture(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


_TABLE: dict[int, str] = {
    code: _picture(code)
    for code in (
        *range(0x20),
        *range(0x7F, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
    if chr(code) not in _KEEP
}


def is_safe(text: str) -> bool:
    """True when ``text`` holds no character that ``sanitize`` would change."""
    if text.isascii():  # O(1): CPython knows
        data = text.encode("ascii")
        return len(data.translate(None, _ASCII_UNSAFE)) == len(data)
    return _UNSAFE.search(text) is None


def sanitize(text: str) -> str:
    """``text`` as it may be written to a terminal (see the module docstring)."""
    if is_safe(text):
        return text
    text = _CSI.sub("", text)
    text = text.replace("\r\n", "\n")
    if is_safe(text):  # only colours and CRLFs (coloured tool output): done
        return text
    return text.translate(_TABLE)


def sanitize_tree(value: T, *, keep: frozenset[str] = frozenset({"call_id"})) -> T:
    """``value`` with every string in it sanitised: strings, the items of tuples and
    lists, the keys and values of dicts (JSON from MCP tools), and the fields of (frozen)
    dataclasses such as core events, rebuilt with ``dataclasses.replace``.

    Dataclass fields named in ``keep`` stay as they are: a ``call_id`` is matched (the
    answer to an approval names it), never shown. Bytes are left alone: a stream of
    output chunks needs ``OutputSanitizer``, which knows where characters end.
    """
    return _walk(value, keep)  # type: ignore[no-any-return]


def _walk(value: Any, keep: frozenset[str]) -> Any:
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, tuple):
        return tuple(_walk(v, keep) for v in value)
    if isinstance(value, list):
        return [_walk(v, keep) for v in value]
    if isinstance(value, dict):
        return {_walk(k, keep): _walk(v, keep) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for name in _field_names(type(value)):
            if name not in keep:
                old = getattr(value, name)
                new = _walk(old, keep)
                if new is not old:
                    changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The init fields of a dataclass (cached: events are walked at streaming rates)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
        _FIELDS[cls] = names
    return names


class OutputSanitizer:
    """Sanitises one stream of output that arrives as byte chunks cut anywhere.

    UTF-8 is decoded incrementally (a character split between two chunks is not turned
    into two replacement characters), and a chunk ending in ``\\r`` or in the first part
    of a CSI keeps that tail until the next chunk decides what it is, so a ``\\r\\n`` or a
    colour sequence split between chunks comes out as it would whole. ``finish`` returns
    what is still held (sanitised)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""

    def feed(self, chunk: bytes) -> str:
        text = self._held + self._decoder.decode(chunk)
        self._held = ""
        tail = _PARTIAL_TAIL.search(text, max(0, len(text) - _TAIL_WINDOW))
        if tail is not None:
            self._held = tail.group()
            text = text[: tail.start()]
        return sanitize(text)

    def finish(self) -> str:
        text = self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        return sanitize(text)
