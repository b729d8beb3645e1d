"""Is the first word of `codex WORD` a prompt or a mistyped/missing subcommand?

`codex [PROMPT]` opens the interactive session with PROMPT as the first message. A word
that names a Codex subcommand pycodex lacks (`codex apply`, `codex proto`), or is a typo of
one it has (`codex exce`), must not silently become a prompt sent to the model: it is a
usage error with a suggestion. Everything else (a sentence, a word far from every
command) stays a prompt; `codex -- WORD` always sends WORD as the prompt.

Imported by ``cli.parser`` on every run, so it stays tiny: the distance is
``config.typos`` (shared with config key suggestions), which imports nothing heavy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pycodex.config.typos import nearest
from pycodex.protocol.errors import UsageError

# Subcommands of Codex v0.20 and of the current Codex (reference §1.2, §11.1) with what to
# use instead in pycodex ("" when nothing comes close).
LACKED_CODEX_COMMANDS: dict[str, str] = {
    "apply": "",
    "a": "",
    "proto": "use `codex exec --json` for scripted runs, `codex mcp` for a server",
    "p": "use `codex exec --json` for scripted runs, `codex mcp` for a server",
    "app-server": "`codex mcp` runs pycodex as an MCP server on stdio",
    "exec-server": "`codex mcp` runs pycodex as an MCP server on stdio",
    "cloud": "",
    "review": "ask for a review in a prompt: codex exec 'review the uncommitted changes'",
    "fork": "`codex resume` continues a saved session",
    "archive": "",
    "unarchive": "",
    "delete": "",
    "migrate-rollouts": "",
    "queue": "",
    "features": "",
    "doctor": "`codex config show` shows the effective configuration",
    "plugin": "",
    "agents": "",
    "update": "",
    "remote-control": "",
    "execpolicy": "",
    "responses-api-proxy": "",
    "stdio-to-uds": "",
    "marketplace": "",
}

# `codex exec WORD` subcommands of the current Codex that pycodex lacks (`resume` it has).
LACKED_EXEC_COMMANDS: dict[str, str] = {
    "review": "ask for it in the prompt: codex exec 'review the uncommitted changes'",
    "fork": "`codex exec resume` continues a saved session",
}

_COMMAND_LIKE = re.compile(r"[a-z][a-z0-9-]*\Z")


def _limit(name: str) -> int:
    """2 edits for names of six letters or more, 1 for shorter ones (`hello` ≠ `help`)."""
    return 2 if len(name) >= 6 else 1


def closest(word: str, names: Iterable[str]) -> str | None:
    """The nearest name within its edit limit (ties: the first in sorted order), or None;
    aliases shorter than three letters (`e`) are near every short word and never count."""
    return nearest(word, names, lambda name: _limit(name) if len(name) >= 3 else -1)


def check_prompt_word(word: str, commands: Iterable[str]) -> None:
    """Raise ``UsageError`` when ``word`` (the first positional, not a command) is no prompt."""
    if not _COMMAND_LIKE.match(word):
        return  # a sentence, a path, a capitalised word: a prompt
    known = frozenset(commands)
    if word in known:
        return
    as_prompt = f"to send it as a prompt: codex -- {word}"
    if word in LACKED_CODEX_COMMANDS and word not in known:
        hint = LACKED_CODEX_COMMANDS[word]
        hint = f"{hint}; " if hint else ""
        raise UsageError(
            f"`codex {word}` is a Codex command pycodex does not have ({hint}{as_prompt})"
        )
    near = closest(word, known)
    if near is not None:
        raise UsageError(f"unknown command `{word}`; did you mean `codex {near}`? ({as_prompt})")


def check_help_topic(word: str, commands: Iterable[str]) -> None:
    """`codex help WORD`: WORD must be a command."""
    known = frozenset(commands)
    if word in known:
        return
    near = closest(word, known)
    hint = f"; did you mean `{near}`?" if near else ""
    raise UsageError(f"no command `{word}`{hint} (see `codex --help`)")


def check_exec_word(word: str) -> None:
    """`codex exec WORD`: WORD is the prompt unless it is an exec subcommand of the current
    Codex that pycodex lacks, or a typo of `resume`."""
    as_prompt = f"to send it as a prompt: codex exec -- {word}"
    if word in LACKED_EXEC_COMMANDS:
        hint = LACKED_EXEC_COMMANDS[word]
        raise UsageError(
            f"`codex exec {word}` is a Codex command pycodex does not have ({hint}; {as_prompt})"
        )
    if _COMMAND_LIKE.match(word) and word != "resume" and closest(word, ("resume",)):
        raise UsageError(
            f"unknown command `{word}`; did you mean `codex exec resume`? ({as_prompt})"
        )
