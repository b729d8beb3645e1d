"""Recognise an ``apply_patch`` call inside a ``shell`` tool call (reference §3.4).

Codex models send patches through ``shell`` in a few shapes; all are intercepted so no
``apply_patch`` program has to exist:

* ``["apply_patch", PATCH]`` and ``["applypatch", PATCH]``,
* the lenient ``["apply_patch", "<<'EOF'\\n...\\nEOF\\n"]`` (heredoc left in the argument),
* ``["bash", "-lc", "apply_patch <<'EOF'\\n...\\nEOF\\n"]`` (also ``sh``/``zsh``, ``-c``),
  optionally after ``cd DIR &&`` (or ``;``), delimiter unquoted or in either quote style,
  ``<<-`` stripping leading tabs, and ``apply_patch 'PATCH'`` as one quoted argument.

Anything else is not an apply_patch call (``None``): the shell runs it as usual.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

_NAMES = frozenset({"apply_patch", "applypatch"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_FLAGS = frozenset({"-lc", "-c", "-cl"})
_OPENER = re.compile(
    r"""^\s*
    (?:cd\s+(?P<dir>'[^']*'|"[^"]*"|[^\s;&|'"]+)\s*(?:&&|;)\s*)?
    (?:apply_patch|applypatch)\s*
    <<(?P<dash>-?)\s*(?P<quote>['"]?)(?P<delim>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)
    \s*$""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Invocation:
    """The patch text of a recognised call and the directory it asked to run in, if any."""

    patch: str
    workdir: str | None = None
    form: Literal["direct", "lenient_heredoc", "shell_heredoc", "shell_argument"] = "direct"


def _basename(program: str) -> str:
    return program.rsplit("/", 1)[-1]


def extract_patch_from_argv(argv: Sequence[str]) -> Invocation | None:
    """The apply_patch call ``argv`` encodes, or ``None`` if it is an ordinary command."""
    if not argv:
        return None
    program = _basename(argv[0])
    if program in _NAMES:
        if len(argv) == 1:
            return Invocation("")
        if len(argv) != 2:
            return None
        body = argv[1]
        if body.lstrip().startswith("<<"):
            heredoc = _heredoc("apply_patch " + body.lstrip())
            if heredoc is not None:
                return Invocation(heredoc[0], None, "lenient_heredoc")
        return Invocation(body)
    if program in _SHELLS and len(argv) == 3 and argv[1] in _FLAGS:
        return _from_script(argv[2])
    return None


def _from_script(script: str) -> Invocation | None:
    heredoc = _heredoc(script)
    if heredoc is not None:
        return Invocation(heredoc[0], heredoc[1], "shell_heredoc")
    stripped = script.strip()
    if not stripped.startswith(tuple(f"{name} " for name in _NAMES)):
        return None
    try:
        words = shlex.split(stripped)
    except ValueError:
        return None
    if len(words) == 2 and words[0] in _NAMES:
        return Invocation(words[1], None, "shell_argument")
    return None


def _heredoc(script: str) -> tuple[str, str | None] | None:
    """(body, workdir) of ``[cd DIR &&] apply_patch <<DELIM`` + body + ``DELIM`` and nothing
    else after it."""
    first, newline, rest = script.lstrip("\n").partition("\n")
    opener = _OPENER.match(first)
    if opener is None or not newline:
        return None
    delimiter = opener.group("delim")
    strip_tabs = opener.group("dash") == "-"
    lines = rest.split("\n")
    for number, line in enumerate(lines):
        candidate = line.lstrip("\t") if strip_tabs else line
        if candidate.rstrip() != delimiter:
            continue
        if any(tail.strip() for tail in lines[number + 1 :]):
            return None
        body = lines[:number]
        if strip_tabs:
            body = [text.lstrip("\t") for text in body]
        workdir = opener.group("dir")
        if workdir is not None:
            workdir = shlex.split(workdir)[0] if workdir[0] in "'\"" else workdir
        return "\n".join(body) + "\n", workdir
    return None
