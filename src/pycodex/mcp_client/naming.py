"""Model-facing names of MCP tools: ``server__tool``, fit to the OpenAI tool-name rules.

The Responses and Chat APIs accept function names of at most 64 characters from
``[A-Za-z0-9_-]``. A name is built from the sanitized server and tool names; one that is too
long keeps its head and gets a hash of the *original* pair as its tail, so it is stable across
runs (the same tool gets the same name in a resumed session) and two long names that share a
head still differ. The router looks names up in the table the manager built; splitting on the
first ``__`` is only the reading rule for a name that is not in the table (reference §8).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

DELIMITER = "__"
MAX_NAME_LENGTH = 64
HASH_LENGTH = 12
_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def sanitize(name: str) -> str:
    """Every character outside the tool-name charset becomes ``_`` (empty -> ``_``)."""
    return _INVALID.sub("_", name) or "_"


def _hash(server: str, tool: str) -> str:
    digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()
    return digest[:HASH_LENGTH]


def qualified_name(server: str, tool: str) -> str:
    """``server__tool`` (sanitized); over 64 characters, its head plus a stable hash."""
    name = f"{sanitize(server)}{DELIMITER}{sanitize(tool)}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    return f"{name[: MAX_NAME_LENGTH - HASH_LENGTH - 1]}_{_hash(server, tool)}"


def split_qualified_name(name: str) -> tuple[str, str] | None:
    """``("server", "tool")`` split on the first ``__``; None when there is none."""
    server, sep, tool = name.partition(DELIMITER)
    if not sep or not server or not tool:
        return None
    return server, tool


def assign_names(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Model name -> (server, tool) for every pair, each name unique: two originals that
    sanitize to one name (``a.b`` and ``a_b``) are told apart by a counter suffix."""
    table: dict[str, tuple[str, str]] = {}
    for server, tool in pairs:
        name = qualified_name(server, tool)
        n = 1
        while name in table and table[name] != (server, tool):
            n += 1
            suffix = f"_{n}"
            name = qualified_name(server, tool)[: MAX_NAME_LENGTH - len(suffix)] + suffix
        table[name] = (server, tool)
    return table
