"""Read ``bash -lc SCRIPT`` as a plain list of commands, or refuse to.

The approval policy lets known-safe commands run without asking (reference §5.2), and models
usually wrap even a lone ``ls`` in ``["bash", "-lc", "..."]``. To judge such a script we must
know exactly which argv vectors the shell will exec, so this module accepts only the small
part of POSIX shell grammar whose meaning is certain without running anything:

- words made of unquoted characters, ``'single quotes'``, ``"double quotes"`` (with no
  ``$`` or backtick inside: an escaped ``\\$`` is a literal dollar) and backslash escapes;
- the operators ``&&``, ``||``, ``;`` and ``|`` between commands; a newline separates commands
  like ``;`` (and continues a line after ``&&``, ``||``, ``|``), ``\\``-newline joins lines.

Everything else raises :class:`Unsupported` (callers treat it as "not known safe"):
redirections (``>``, ``<``, ``>>``, ``2>``, ``&>``, here-docs), ``&`` and ``|&``, ``( )``
subshells, ``{ }`` groups and brace expansion, ``$`` in any form (variables, ``$( )``,
``$'..'``, arithmetic), backticks, comments, ``NAME=value`` assignments before a command,
reserved words (``if``, ``for``, ``!``, ``time`` ...) in command position, unterminated quotes
and a trailing backslash.

Globs (unquoted ``*``, ``?``, ``[``) are accepted in argument position, because reading
``*.py`` is the daily bread of a read-only command, but they are reported on the command:
the argv shown here is the text *before* expansion, and a pattern whose matches can begin with
``-`` (``*``, ``*.py``, ``-*``) may expand to an option such as ``--pre=x`` or ``-delete``
named by a file in the directory. :attr:`SimpleCommand.option_glob` flags exactly that case
so the safety check can refuse it for commands whose options matter. A glob in command
position is refused outright. Tilde (``~/x``) is kept literally: it can never become an option.

The parser does not see functions or aliases a login shell's profile may define; that is one
reason known-safe commands still run inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

SHELL_NAMES = frozenset({"bash", "sh", "zsh"})
SHELL_DIRS = frozenset({"", "/bin", "/usr/bin"})
SCRIPT_FLAGS = frozenset({"-c", "-lc"})

RESERVED_WORDS = frozenset(
    {
        "!",
        "[[",
        "]]",
        "{",
        "}",
        "case",
        "coproc",
        "do",
        "done",
        "elif",
        "else",
        "esac",
        "fi",
        "for",
        "function",
        "if",
        "in",
        "select",
        "then",
        "time",
        "until",
        "while",
    }
)

_BLANKS = " \t"
_NEWLINE = "\n"
_WORD_END = " \t\n;&|<>()"
_GLOB_CHARS = "*?["
_DQUOTE_ESCAPABLE = '$`"\\'
_NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NAME_CHARS = _NAME_START + "0123456789"


class Unsupported(ValueError):
    """The script is not a plain command list; the message says which construct."""


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    """One command of the list: its argv before glob expansion, and what globbing may do."""

    argv: tuple[str, ...]
    has_glob: bool = False  # some argument is an unquoted glob pattern
    option_glob: bool = False  # ... whose matches may start with "-" (may become an option)


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    quoted: bool  # any quote or backslash took part: never a reserved word
    glob: bool
    option_glob: bool
    assignment: bool  # starts with an unquoted NAME= (or NAME+=)


@dataclass(frozen=True, slots=True)
class _Op:
    text: str  # "&&", "||", ";", "|" or "\n"


def shell_script(argv: Sequence[str]) -> str | None:
    """SCRIPT when ``argv`` is ``[bash|sh|zsh, -c|-lc, SCRIPT]`` (bare or in /bin, /usr/bin)."""
    if len(argv) != 3 or argv[1] not in SCRIPT_FLAGS:
        return None
    path = PurePosixPath(argv[0])
    parent = "" if str(path.parent) == "." and "/" not in argv[0] else str(path.parent)
    if path.name not in SHELL_NAMES or parent not in SHELL_DIRS:
        return None
    return argv[2]


def parse_script(script: str) -> tuple[SimpleCommand, ...]:
    """The commands of ``script`` in order; raises :class:`Unsupported` for anything else."""
    return _split(_Lexer(script).tokens())


def plain_commands(script: str) -> list[tuple[str, ...]] | None:
    """The argv of every command in ``script``, or None when it is not a plain list."""
    try:
        return [command.argv for command in parse_script(script)]
    except Unsupported:
        return None


def why_not_plain(script: str) -> str | None:
    """Why ``script`` is refused (for logs and tests), or None when it parses."""
    try:
        parse_script(script)
    except Unsupported as err:
        return str(err)
    return None


class _Lexer:
    """A character-level state machine: one method per quoting state."""

    def __init__(self, script: str) -> None:
        self.s = script
        self.i = 0

    def tokens(self) -> list[_Word | _Op]:
        out: list[_Word | _Op] = []
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c in _BLANKS:
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2  # line continuation between words
            elif c == _NEWLINE:
                out.append(_Op(_NEWLINE))
                self.i += 1
            elif c in "&|;<>()":
                out.append(self._operator())
            elif c == "#":
                raise Unsupported("comment")
            else:
                out.append(self._word())
        return out

    def _operator(self) -> _Op:
        s, i = self.s, self.i
        two = s[i : i + 2]
        if two in ("&&", "||"):
            self.i += 2
            return _Op(two)
        c = s[i]
        if two in (";;", ";&"):
            raise Unsupported(f"case terminator `{two}`")
        if two == "|&":
            raise Unsupported("`|&` pipes stderr (a redirection)")
        if c in ";|":
            self.i += 1
            return _Op(c)
        if c == "&":
            raise Unsupported("`&` (background job or `&>` redirection)")
        if c in "<>":
            raise Unsupported(f"redirection `{c}`")
        raise Unsupported(f"subshell or grouping `{c}`")

    def _word(self) -> _Word:
        s = self.s
        parts: list[str] = []
        quoted = glob = option_glob = assignment = False
        unquoted_so_far = True  # for NAME= detection
        while self.i < len(s) and s[self.i] not in _WORD_END:
            c = s[self.i]
            if c == "'":
                parts.append(self._single_quoted())
                quoted, unquoted_so_far = True, False
            elif c == '"':
                parts.append(self._double_quoted())
                quoted, unquoted_so_far = True, False
            elif c == "\\":
                escaped = self._backslash()
                if escaped:
                    parts.append(escaped)
                    quoted, unquoted_so_far = True, False
            elif c == "$":
                raise Unsupported("`$` expansion (variable, command or arithmetic)")
            elif c == "`":
                raise Unsupported("backtick command substitution")
            elif c in "{}":
                raise Unsupported(f"`{c}` (brace group or brace expansion)")
            else:
                if c in _GLOB_CHARS and not glob:
                    glob = True
                    prefix = "".join(parts)
                    option_glob = prefix == "" or prefix.startswith("-")
                if c == "=" and unquoted_so_far and not assignment:
                    assignment = _is_assignment_name("".join(parts))
                parts.append(c)
                self.i += 1
        return _Word("".join(parts), quoted, glob, option_glob, assignment)

    def _single_quoted(self) -> str:
        end = self.s.find("'", self.i + 1)
        if end < 0:
            raise Unsupported("unterminated single quote")
        text = self.s[self.i + 1 : end]
        self.i = end + 1
        return text

    def _double_quoted(self) -> str:
        s = self.s
        out: list[str] = []
        self.i += 1
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "$":
                raise Unsupported("`$` expansion inside double quotes")
            if c == "`":
                raise Unsupported("backtick command substitution inside double quotes")
            if c == "\\" and self.i + 1 < len(s):
                nxt = s[self.i + 1]
                if nxt in _DQUOTE_ESCAPABLE:
                    out.append(nxt)
                elif nxt != _NEWLINE:  # backslash-newline vanishes, others stay literal
                    out.append(c + nxt)
                self.i += 2
                continue
            out.append(c)
            self.i += 1
        raise Unsupported("unterminated double quote")

    def _backslash(self) -> str:
        """The escaped character ('' for a line continuation); moves past it."""
        if self.i + 1 >= len(self.s):
            raise Unsupported("trailing backslash")
        nxt = self.s[self.i + 1]
        self.i += 2
        return "" if nxt == _NEWLINE else nxt


def _is_assignment_name(text: str) -> bool:
    name = text.removesuffix("+")
    return bool(name) and name[0] in _NAME_START and all(c in _NAME_CHARS for c in name)


def _split(tokens: list[_Word | _Op]) -> tuple[SimpleCommand, ...]:
    """Group words into commands and check the operators sit between commands."""
    commands: list[SimpleCommand] = []
    current: list[_Word] = []
    dangling: str | None = None  # an operator that still needs a command after it
    for token in tokens:
        if isinstance(token, _Word):
            current.append(token)
            dangling = None
            continue
        if token.text == _NEWLINE:
            if current:
                commands.append(_command(current))
                current = []
            continue  # blank line, or a continuation after && || |
        if not current:
            raise Unsupported(f"`{token.text}` with no command before it")
        commands.append(_command(current))
        current = []
        dangling = None if token.text == ";" else token.text
    if current:
        commands.append(_command(current))
    elif dangling is not None:
        raise Unsupported(f"script ends with `{dangling}`")
    if not commands:
        raise Unsupported("empty script")
    return tuple(commands)


def _command(words: list[_Word]) -> SimpleCommand:
    head = words[0]
    if head.assignment:
        raise Unsupported("variable assignment before a command")
    if not head.quoted and head.text in RESERVED_WORDS:
        raise Unsupported(f"reserved word `{head.text}`")
    if head.glob:
        raise Unsupported("glob in command position")
    return SimpleCommand(
        argv=tuple(w.text for w in words),
        has_glob=any(w.glob for w in words),
        option_glob=any(w.option_glob for w in words),
    )
