"""gitignore rules: parse an ignore file, and decide whether a path is excluded.

The rules a user relies on: ``!`` negation, trailing ``/`` (directories only), anchoring
(a ``/`` at the start or middle), ``*``, ``?``, ``[...]``, ``**`` and escapes. Several
files stack in ``GitIgnore`` (deeper files are added later, and the last matching rule
decides), each rule relative to the directory of its file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GitIgnore", "Rule", "parse_gitignore"]


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    base: str  # directory of the ignore file, relative to the walk top, "" or "a/b/"


def _glob_to_regex(pat: str) -> str:
    """Translate an anchored gitignore glob (no leading/trailing slash) to a regex."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            if pat.startswith("**", i):
                at_start = i == 0 or pat[i - 1] == "/"
                j = i + 2
                if at_start and (j == n or pat[j] == "/"):
                    if j == n:  # "x/**": everything inside
                        out.append(".*")
                        i = j
                    else:  # "**/x" or "x/**/y": zero or more directories
                        out.append("(?:.*/)?")
                        i = j + 1
                    continue
                out.append("[^/]*")  # other "**" are plain stars
                i = j
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pat.find(
                "]", i + 2 if pat.startswith("[!", i) or pat.startswith("[^", i) else i + 1
            )
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pat[i + 1 : j]
                neg = body[:1] in ("!", "^")
                body = body[1:] if neg else body
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                out.append(f"[{'^' if neg else ''}{body}]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pat[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_gitignore(text: str, base: str = "") -> list[Rule]:
    """The rules of one ignore file whose directory is ``base`` ("" or "dir/sub/")."""
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw
        # Trailing spaces are ignored unless escaped with a backslash.
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate or line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        if not anchored and not line.startswith("**"):
            line = "**/" + line
        regex = re.compile(_glob_to_regex(line) + r"\Z", re.DOTALL)
        rules.append(Rule(regex, negate, dir_only, base))
    return rules


class GitIgnore:
    """Ordered rules from several ignore files: the last matching rule decides."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)

    def extended(self, rules: Sequence[Rule]) -> GitIgnore:
        return GitIgnore(self.rules + tuple(rules)) if rules else self

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether ``rel`` (relative to the walk top, ``/``-separated) is excluded."""
        for rule in reversed(self.rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.base:
                if not rel.startswith(rule.base):
                    continue
                sub = rel[len(rule.base) :]
            else:
                sub = rel
            if rule.regex.match(sub):
                return not rule.negate
        return False
