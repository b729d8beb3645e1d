"""Where each key of a config.toml text is written, and syntax errors as one located line.

``tomllib`` returns plain values without positions, so errors and ``config show`` origins
need this small scanner: it walks the text once, following table headers (``[a.b]``,
``[[a]]``), dotted and quoted keys (``a."x.y" = 1``) and skipping over values (strings of
all four kinds, multi-line arrays, inline tables, comments). It only ever runs on text that
``tomllib`` already accepted, except for :func:`syntax_error`, which is best effort.
"""

from __future__ import annotations

import re
import string
import tomllib

from pycodex.protocol.errors import ConfigError

KeyPath = tuple[str, ...]

_BARE = frozenset(string.ascii_letters + string.digits + "_-")
_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)\s*$")


def parse_key(text: str, pos: int) -> tuple[KeyPath, int]:
    """Parse a (dotted, possibly quoted) key starting at ``pos``; return it and the end.

    Raises ``ValueError`` when there is no well-formed key there.
    """
    parts: list[str] = []
    n = len(text)
    while True:
        pos = _skip_blanks(text, pos)
        if pos >= n:
            raise ValueError("missing key")
        c = text[pos]
        if c == '"':
            end = pos + 1
            while end < n and text[end] != '"':
                if text[end] == "\n":
                    raise ValueError("unterminated key")
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                raise ValueError("unterminated key")
            try:
                parts.append(str(tomllib.loads("k = " + text[pos : end + 1])["k"]))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError("bad quoted key") from exc
            pos = end + 1
        elif c == "'":
            end = text.find("'", pos + 1)
            if end < 0 or "\n" in text[pos:end]:
                raise ValueError("unterminated key")
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            end = pos
            while end < n and text[end] in _BARE:
                end += 1
            if end == pos:
                raise ValueError("missing key")
            parts.append(text[pos:end])
            pos = end
        pos = _skip_blanks(text, pos)
        if pos < n and text[pos] == ".":
            pos += 1
            continue
        return tuple(parts), pos


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _skip_to_eol(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _skip_value(text: str, pos: int) -> tuple[int, int]:
    """Skip one value (to the end of its logical line); return (end, newlines crossed)."""
    n = len(text)
    depth = 0
    newlines = 0
    while pos < n:
        c = text[pos]
        if c == "\n":
            if depth <= 0:
                return pos, newlines
            newlines += 1
            pos += 1
        elif c == "#":
            pos = _skip_to_eol(text, pos)
        elif c in "[{":
            depth += 1
            pos += 1
        elif c in "]}":
            depth -= 1
            pos += 1
        elif text.startswith('"""', pos) or text.startswith("'''", pos):
            quote = text[pos : pos + 3]
            end = pos + 3
            while end < n and not text.startswith(quote, end):
                end += 2 if quote[0] == '"' and text[end] == "\\" else 1
            end = min(n, end + 3)
            while end < n and text[end] == quote[0]:  # up to two quotes may end the content
                end += 1
            newlines += text.count("\n", pos, end)
            pos = end
        elif c in "\"'":
            end = pos + 1
            while end < n and text[end] not in (c, "\n"):
                end += 2 if c == '"' and text[end] == "\\" else 1
            pos = end + 1
        else:
            pos += 1
    return pos, newlines


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map every key path written in ``text`` (and its parent tables) to its 1-based line.

    A key inside an inline table or a multi-line value reports the line of the key that
    holds the value; a table reports the line of its first header.
    """
    out: dict[KeyPath, int] = {}
    table: KeyPath = ()
    pos, line, n = 0, 1, len(text)

    def record(path: KeyPath) -> None:
        for k in range(1, len(path) + 1):
            out.setdefault(path[:k], line)

    while pos < n:
        pos = _skip_blanks(text, pos)
        if pos >= n:
            break
        c = text[pos]
        if c == "\n":
            line += 1
            pos += 1
            continue
        if c in "#\r":
            pos = _skip_to_eol(text, pos)
            continue
        try:
            if c == "[":
                start = pos + (2 if text.startswith("[[", pos) else 1)
                table, pos = parse_key(text, start)
                record(table)
                pos = _skip_to_eol(text, pos)
                continue
            key, pos = parse_key(text, pos)
        except ValueError:
            pos = _skip_to_eol(text, pos)
            continue
        record(table + key)
        if pos < n and text[pos] == "=":
            pos, crossed = _skip_value(text, pos + 1)
            line += crossed
        else:
            pos = _skip_to_eol(text, pos)
    return out


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path`` or of its nearest written ancestor (None: not in the file)."""
    for k in range(len(path), 0, -1):
        found = lines.get(path[:k])
        if found is not None:
            return found
    return None


def syntax_error(exc: tomllib.TOMLDecodeError, text: str, file: str) -> ConfigError:
    """Turn tomllib's "... (at line N, column M)" into ``file:N: `key`: ...`` (one line)."""
    message = str(exc)
    match = _POSITION.search(message)
    lines = text.splitlines()
    base = message[: match.start()] if match is not None else message
    key: str | None
    if match is not None and match.group(1) is not None:
        line = int(match.group(1))
        key = _key_at(lines, line)
    else:  # "at end of document": blame the last statement that started
        written = key_lines(text)
        last = max(written.items(), key=lambda item: (item[1], len(item[0])), default=None)
        line = last[1] if last is not None else max(1, len(lines))
        key = dotted(last[0]) if last is not None else None
    source = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if base.startswith("Expected "):
        expected = base[len("Expected ") :]
    elif base == "Illegal character '\\n'":
        expected = "the closing quote of the string on the same line"
    elif base == "Invalid value":
        expected = 'a TOML value (quote strings: "...")'
    else:
        expected = f"valid TOML ({base[:1].lower() + base[1:]})"
    found = f"`{source[:60]}`" if source else "the end of the file"
    return ConfigError(
        "invalid TOML", file=file, line=line, key=key, expected=expected, found=found
    )


def _key_at(lines: list[str], line: int) -> str | None:
    """Best effort: the key path written on ``line`` (with its table header), if any."""
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    stripped = text.lstrip()
    if not stripped or stripped[0] in "#[":
        return None
    try:
        key, _ = parse_key(text, 0)
    except ValueError:
        return None
    table: KeyPath = ()
    for previous in reversed(lines[: line - 1]):
        head = previous.lstrip()
        if head.startswith("["):
            try:
                table, _ = parse_key(head, 2 if head.startswith("[[") else 1)
            except ValueError:
                table = ()
            break
    return dotted(table + key)


def dotted(path: KeyPath) -> str:
    """A key path written as TOML would (``projects."/home/me".trust_level``)."""
    return ".".join(
        part if part and all(c in _BARE for c in part) else '"' + _escape(part) + '"'
        for part in path
    )


def _escape(part: str) -> str:
    return part.replace("\\", "\\\\").replace('"', '\\"')
