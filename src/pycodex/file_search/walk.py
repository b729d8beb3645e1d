"""The files under a directory that git would not ignore, found without running git.

Why no ``git ls-files``: only ``pycodex.sandbox`` starts processes, and an edge package
imports no other edge. The walk honours nested ``.gitignore`` files (deeper wins),
``.git/info/exclude`` and "an excluded directory is never entered, so nothing below it can
be re-included"; ``.gitignore`` files count also outside a git repository. Not honoured:
``core.excludesFile`` and files that are tracked although ignored (git's index is not
read).
"""

from __future__ import annotations

import os
from pathlib import Path

from pycodex.file_search.gitignore import GitIgnore, parse_gitignore

__all__ = ["walk_files"]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _git_top(root: Path) -> Path | None:
    for d in (root, *root.parents):
        if (d / ".git").exists():
            return d
    return None


def walk_files(root: Path) -> list[str]:
    """Files under ``root`` (relative, ``/``-separated) that git would not ignore.

    Symlinks are listed, never followed; ``.git`` is skipped; unreadable directories too.
    """
    root = root.resolve()
    top = _git_top(root) or root
    ignore = GitIgnore(parse_gitignore(_read(top / ".git" / "info" / "exclude")))
    # Ignore files of the directories between the repository top and ``root``.
    prefix = "" if top == root else root.relative_to(top).as_posix() + "/"
    parts = prefix.split("/")[:-1] if prefix else []
    d, base = top, ""
    for part in parts:
        ignore = ignore.extended(parse_gitignore(_read(d / ".gitignore"), base))
        d, base = d / part, base + part + "/"
    out: list[str] = []
    stack: list[tuple[str, str, GitIgnore]] = [(str(root), prefix, ignore)]
    strip = len(prefix)
    while stack:
        path, rel, rules = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            continue
        # Only a directory that has a .gitignore pays for reading one (most have none).
        if any(e.name == ".gitignore" for e in entries):
            rules = rules.extended(parse_gitignore(_read(Path(path, ".gitignore")), rel))
        check = rules.ignored if rules.rules else None
        for entry in entries:
            name = entry.name
            if name == ".git":
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            child = rel + name
            if check is not None and check(child, is_dir):
                continue
            if is_dir:
                stack.append((entry.path, child + "/", rules))
            else:
                out.append(child[strip:])
    return out
