"""docs/compatibility.md against the code, so the table cannot drift silently.

The document's tables are parsed: the first cell of a row names config keys (dotted, ``*``
for a user-chosen name) or CLI words and flags in backticks, the last cell starts with the
status in bold. Checked here:

- every key ``config.keys`` knows is listed with a status that says pycodex reads it;
- every key of ``NEWER_CODEX_KEYS`` is listed as warned and ignored as a newer Codex key (or
  as being built);
- every key the document calls "warned and ignored" really is dropped with a warning by
  ``drop_unknown`` (not used, not an error), with the message the document says;
- the open enums are the rows that say an unknown value is warned about;
- every subcommand (and alias) and every option of the real parser is listed, every Codex
  command pycodex refuses is listed as refused, and nothing listed as refused is accepted.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pycodex.cli.parser import COMMANDS, build_exec_resume_parser, build_parser, build_tui_parser
from pycodex.cli.words import LACKED_CODEX_COMMANDS, check_prompt_word
from pycodex.config.keys import (
    NEWER_CODEX_KEYS,
    ROOT,
    SETTINGS,
    Leaf,
    MapOf,
    Spec,
    Table,
    drop_unknown,
)
from pycodex.protocol.errors import UsageError

DOC = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"

READ = ("same", "extended", "pycodex only", "accepted, not used")
IN_PROGRESS = "same (issue 13, in progress)"
WARNED = "warned and ignored"
REFUSED = "refused"
_KEY = re.compile(r"[a-z_][a-z0-9_]*(?:\.(?:[a-z_][a-z0-9_]*|\*))*\Z")


@dataclass(frozen=True)
class Row:
    section: str  # the "## " heading the table is under: "Configuration" or "CLI"
    items: tuple[str, ...]  # the backticked texts of the first cell
    status: str  # the bold text the last cell starts with ("" when none)
    text: str  # the whole last cell


def parse_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    section = ""
    in_table = False
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:  # the header line; the separator follows
            in_table = True
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= {"-", ":"}:
            continue
        status = re.match(r"\*\*(.+?)\*\*", cells[-1])
        rows.append(
            Row(
                section,
                tuple(re.findall(r"`([^`]+)`", cells[0])),
                status.group(1) if status else "",
                cells[-1],
            )
        )
    return rows


@cache
def rows() -> tuple[Row, ...]:
    return tuple(parse_rows(DOC.read_text(encoding="utf-8")))


def config_rows() -> list[Row]:
    return [r for r in rows() if r.section == "Configuration"]


def cli_rows() -> list[Row]:
    return [r for r in rows() if r.section == "CLI"]


def keys_of(row: Row) -> list[str]:
    return [item for item in row.items if _KEY.match(item)]


def known_paths(spec: Spec, prefix: str = "") -> Iterator[str]:
    """Dotted paths of every key the spec knows (``*``: a user-chosen name)."""
    if isinstance(spec, MapOf):
        yield from known_paths(spec.item, prefix + "*.")
    elif isinstance(spec, Table) and not spec.open:
        for name, sub in spec.fields.items():
            yield prefix + name
            if name != "profiles":  # a profile holds the top-level settings again
                yield from known_paths(sub, prefix + name + ".")


def nested(path: str, value: Any = 1) -> dict[str, Any]:
    """``mcp_servers.*.required`` -> ``{"mcp_servers": {"x": {"required": 1}}}``."""
    out: Any = value
    for part in reversed(path.split(".")):
        out = {("x" if part == "*" else part): out}
    assert isinstance(out, dict)
    return out


# -- the parser ------------------------------------------------------------------------


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_paths() -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    def walk(
        p: argparse.ArgumentParser, path: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
        yield path, p
        for name, sub in _subparsers(p).items():
            yield from walk(sub, (*path, name))

    yield from walk(build_parser(), ())
    yield ("exec", "resume"), build_exec_resume_parser()
    yield (), build_tui_parser()


def option_strings() -> set[str]:
    return {
        opt for _, p in command_paths() for action in p._actions for opt in action.option_strings
    }


def cli_tokens(row: Row) -> set[str]:
    return {t for item in row.items for t in re.split(r"[\s,/\[\]|=]+", item) if t}


def listed_commands(row: Row) -> list[list[str]]:
    """The backticked ``codex WORD...`` items, split into words."""
    return [item.split()[1:] for item in row.items if item.split()[:1] == ["codex"]]


# -- configuration ---------------------------------------------------------------------


def test_the_document_has_both_sections() -> None:
    assert len(config_rows()) > 60
    assert len(cli_rows()) > 40


def test_every_key_pycodex_knows_is_listed_as_read() -> None:
    listed: dict[str, set[str]] = {}
    for row in config_rows():
        for key in keys_of(row):
            listed.setdefault(key, set()).add(row.status)
    missing = [p for p in known_paths(ROOT) if p not in listed]
    assert missing == []
    wrong = [
        p for p in known_paths(ROOT) if not listed[p] & {*READ, IN_PROGRESS}
    ]  # a key pycodex reads must not be only "warned" or "refused"
    assert wrong == []


def test_every_newer_codex_key_is_listed_as_warned_as_such() -> None:
    for key in sorted(NEWER_CODEX_KEYS):
        statuses = [(r.status, r.text) for r in config_rows() if key in keys_of(r)]
        assert statuses, f"{key} is not in docs/compatibility.md"
        assert any(
            s == IN_PROGRESS or (s == WARNED and "newer Codex key" in t) for s, t in statuses
        ), (key, statuses)


def test_what_the_document_calls_warned_and_ignored_is_dropped_with_that_warning() -> None:
    checked = 0
    for row in config_rows():
        if row.status != WARNED:
            continue
        as_newer = "newer Codex key" in row.text
        assert as_newer or "unknown key" in row.text, row
        for key in keys_of(row):
            values = nested(key)
            found = drop_unknown(values)
            path = tuple("x" if part == "*" else part for part in key.split("."))
            assert [u.path for u in found] == [path], key  # dropped: pycodex does not use it
            assert not found[0].strict, key  # a warning, not an error
            assert found[0].newer == as_newer, key
            checked += 1
    assert checked > 80


def test_pycodex_reads_what_it_does_not_call_warned() -> None:
    """A key listed as read really survives ``drop_unknown`` (it is in the spec)."""
    for row in config_rows():
        if row.status not in READ:
            continue
        for key in keys_of(row):
            if key.endswith(".*") or key == "tui.*":
                continue  # "every entry of" rows
            assert drop_unknown(nested(key)) == [], key


@pytest.mark.parametrize("key", [k for k, s in SETTINGS.items() if isinstance(s, Leaf)])
def test_open_and_closed_values_are_described_as_the_code_treats_them(key: str) -> None:
    spec = SETTINGS[key]
    assert isinstance(spec, Leaf)
    texts = [
        r.text for r in config_rows() if key in keys_of(r) and r.status in (*READ, IN_PROGRESS)
    ]
    assert texts, key
    if spec.kind == "open_enum":
        assert any("warned" in t for t in texts), key
    elif key in ("approval_policy", "sandbox_mode"):
        assert any("refused" in t for t in texts), key


def test_the_security_tables_are_strict_as_the_document_says() -> None:
    for table in ("sandbox_workspace_write", "shell_environment_policy"):
        spec = SETTINGS[table]
        assert isinstance(spec, Table) and spec.strict
        refused = [
            r
            for r in config_rows()
            if r.status == REFUSED and any(f"[{table}]" == i for i in r.items)
        ]
        assert refused, table
        found = drop_unknown(nested(f"{table}.not_a_key"))
        assert found[0].strict


# -- CLI -------------------------------------------------------------------------------


def test_every_subcommand_and_alias_is_listed() -> None:
    listed = [words for row in cli_rows() for words in listed_commands(row)]
    missing = []
    for path, _ in command_paths():
        if path and not any(words[: len(path)] == list(path) for words in listed):
            missing.append(" ".join(path))
    assert missing == []


def test_every_option_is_listed() -> None:
    tokens = set().union(*(cli_tokens(r) for r in cli_rows()))
    assert sorted(option_strings() - tokens) == []


def test_every_codex_command_pycodex_lacks_is_listed_as_refused() -> None:
    refused = [words[0] for r in cli_rows() if r.status == REFUSED for words in listed_commands(r)]
    for word in LACKED_CODEX_COMMANDS:
        assert word in refused, word
        with pytest.raises(UsageError):
            check_prompt_word(word, COMMANDS)


def resolve(words: list[str]) -> bool | None:
    """True: ``codex WORDS`` is a command path pycodex has; False: one it lacks; None: the
    words are placeholders or flags only (``codex WORD``, ``codex --search``)."""
    parser, depth = build_parser(), 0
    for word in words:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        subs = _subparsers(parser)
        if word not in subs:
            return False
        parser, depth = subs[word], depth + 1
    return True if depth else None


def test_nothing_listed_as_refused_is_accepted() -> None:
    known_options = option_strings()
    checked = 0
    for row in cli_rows():
        if row.status != REFUSED:
            continue
        for token in cli_tokens(row):
            if token.startswith("-") and token not in ("--", "-"):
                assert token not in known_options, (token, row.items)
                checked += 1
        for words in listed_commands(row):
            known = resolve(words)
            if known is None or (known and any(w.startswith("-") for w in words)):
                continue  # a placeholder, or a known command with a refused flag (above)
            assert known is False, words
            checked += 1
    assert checked > 20
