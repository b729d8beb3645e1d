"""File citations in the model's text become links that open the file in the user's editor.

Forms recognised: ``path:LINE``, ``path:LINE:COL``, ``path#L10`` / ``path#L10-L20`` and the
``【F:path†L1-L2】`` form some models emit. A link is made only when the path (relative paths
are resolved against the session's cwd) names an existing file, judged by an ``exists``
callable, so prose like ``12:30`` or ``note:1`` stays text and tests need no files.

The ``file_opener`` config key picks the URI scheme (``vscode://file/ABS:LINE:COL``, also
``vscode-insiders``, ``windsurf``, ``cursor``); ``none`` links nothing. Pure functions only:

- :func:`find_citations` -> spans; :func:`citation_uri` -> the link target or None;
- :func:`link_spans` -> ``(start, end, uri)`` for styling a Rich ``Text`` (``Style(link=)``);
- :func:`linkify_terminal` -> text with OSC-8 hyperlinks, for plain terminal output;
- :func:`markdown_filter` -> a ``str -> str`` rewrite for markdown (links as ``[label](uri)``,
  nothing changed inside fenced code, existing links or autolinks).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "SCHEMES",
    "Citation",
    "citation_uri",
    "find_citations",
    "link_spans",
    "linkify_terminal",
    "markdown_filter",
    "osc8",
]

SCHEMES = {
    "vscode": "vscode",
    "vscode-insiders": "vscode-insiders",
    "windsurf": "windsurf",
    "cursor": "cursor",
}

Exists = Callable[[Path], bool]


@dataclass(frozen=True)
class Citation:
    """One citation: ``text[start:end]`` as written, the path as written, its location."""

    start: int
    end: int
    path: str
    line: int
    end_line: int | None = None
    col: int | None = None
    bracketed: bool = False  # the 【F:…】 form

    @property
    def label(self) -> str:
        """What to display: the text itself, except the bracketed form reads ``path:1-2``."""
        if not self.bracketed:
            return ""
        tail = f"-{self.end_line}" if self.end_line is not None else ""
        return f"{self.path}:{self.line}{tail}"


_PATH = r"(?:~|\.{1,2})?/?(?:[\w@+\-.]+/)*[\w@+\-][\w@+\-.]*"
_FORMS = re.compile(
    r"【F:(?P<b_path>[^†】\n]+)†L(?P<b_line>\d+)(?:-L(?P<b_end>\d+|\?))?】"
    rf"|(?<![\w/.:#-])(?P<h_path>{_PATH})#L(?P<h_line>\d+)(?:-L?(?P<h_end>\d+))?(?![\w-])"
    rf"|(?<![\w/.:#-])(?P<c_path>{_PATH}):(?P<c_line>\d+)(?::(?P<c_col>\d+))?(?![\w:/])"
)


def find_citations(text: str) -> list[Citation]:
    """Every citation-shaped span in ``text``, in order (existence is not checked)."""
    out: list[Citation] = []
    for m in _FORMS.finditer(text):
        g = m.groupdict()
        if g["b_path"] is not None:
            end = g["b_end"]
            out.append(
                Citation(
                    m.start(),
                    m.end(),
                    g["b_path"].strip(),
                    int(g["b_line"]),
                    end_line=int(end) if end and end != "?" else None,
                    bracketed=True,
                )
            )
        elif g["h_path"] is not None:
            end = g["h_end"]
            out.append(
                Citation(
                    m.start(),
                    m.end(),
                    g["h_path"],
                    int(g["h_line"]),
                    end_line=int(end) if end else None,
                )
            )
        else:
            col = g["c_col"]
            out.append(
                Citation(
                    m.start(),
                    m.end(),
                    g["c_path"],
                    int(g["c_line"]),
                    col=int(col) if col else None,
                )
            )
    return out


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def resolve(path: str, cwd: Path) -> Path:
    """The absolute path a citation names (``~`` expanded, relative to ``cwd``)."""
    p = Path(path).expanduser() if path.startswith("~") else Path(path)
    return p if p.is_absolute() else Path(cwd) / p


def citation_uri(c: Citation, cwd: Path, opener: str, exists: Exists = _is_file) -> str | None:
    """``scheme://file/ABS:LINE[:COL]`` for an existing file, else None (also for "none")."""
    scheme = SCHEMES.get(opener)
    if scheme is None:
        return None
    target = resolve(c.path, cwd)
    if not exists(target):
        return None
    location = f":{c.line}" + (f":{c.col}" if c.col is not None else "")
    return f"{scheme}://file{quote(target.as_posix(), safe='/@+-._~')}{location}"


def link_spans(
    text: str, cwd: Path, opener: str, exists: Exists = _is_file
) -> list[tuple[int, int, str]]:
    """``(start, end, uri)`` of each linkable citation, for ``Text.stylize(Style(link=uri))``."""
    if opener not in SCHEMES:
        return []
    spans = []
    for c in find_citations(text):
        uri = citation_uri(c, cwd, opener, exists)
        if uri is not None:
            spans.append((c.start, c.end, uri))
    return spans


def osc8(label: str, uri: str) -> str:
    """A terminal hyperlink (OSC 8): terminals without support show just ``label``."""
    return f"\x1b]8;;{uri}\x1b\\{label}\x1b]8;;\x1b\\"


def linkify_terminal(text: str, cwd: Path, opener: str, exists: Exists = _is_file) -> str:
    """``text`` with each linkable citation wrapped in an OSC-8 hyperlink."""
    if opener not in SCHEMES:
        return text
    out: list[str] = []
    pos = 0
    for c in find_citations(text):
        uri = citation_uri(c, cwd, opener, exists)
        if uri is None:
            continue
        out += [text[pos : c.start], osc8(c.label or text[c.start : c.end], uri)]
        pos = c.end
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- markdown

_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
# Inline code, existing links/images, autolinks and bare URLs are left alone.
_PROTECTED = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<body>.+?)(?P=ticks))"
    r"|!?\[[^\]\n]*\]\([^)\n]*\)"
    r"|<[a-zA-Z][\w+.-]*:[^>\s]*>"
    r"|\b[a-zA-Z][\w+.-]*://\S+"
)


def _escape_label(label: str) -> str:
    return re.sub(r"([\\\[\]*_`])", r"\\\1", label)


def _link_prose(text: str, cwd: Path, opener: str, exists: Exists) -> str:
    out: list[str] = []
    pos = 0
    for c in find_citations(text):
        uri = citation_uri(c, cwd, opener, exists)
        if uri is None:
            continue
        label = _escape_label(c.label or text[c.start : c.end])
        out += [text[pos : c.start], f"[{label}]({uri})"]
        pos = c.end
    out.append(text[pos:])
    return "".join(out)


def _link_line(line: str, cwd: Path, opener: str, exists: Exists) -> str:
    out: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(line):
        out.append(_link_prose(line[pos : m.start()], cwd, opener, exists))
        piece = m.group(0)
        if m.group("code") is not None:
            body = m.group("body").strip()
            found = find_citations(body)
            if len(found) == 1 and found[0].start == 0 and found[0].end == len(body):
                uri = citation_uri(found[0], cwd, opener, exists)
                if uri is not None:
                    piece = f"[{piece}]({uri})"
        out.append(piece)
        pos = m.end()
    out.append(_link_prose(line[pos:], cwd, opener, exists))
    return "".join(out)


def markdown_filter(cwd: Path, opener: str, exists: Exists = _is_file) -> Callable[[str], str]:
    """A markdown rewrite that turns citations into ``[label](uri)`` links.

    Fenced code blocks are untouched; an inline code span that is exactly one citation
    becomes a link around the code span. With ``opener="none"`` text is returned as is.
    """

    def rewrite(markdown: str) -> str:
        if opener not in SCHEMES:
            return markdown
        out: list[str] = []
        fence: str | None = None
        for line in markdown.splitlines(keepends=True):
            m = _FENCE.match(line)
            if fence is not None:
                if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                    fence = None
                out.append(line)
            elif m:
                fence = m.group(1)
                out.append(line)
            else:
                out.append(_link_line(line, cwd, opener, exists))
        return "".join(out)

    return rewrite
