"""The project directory as front ends see it: the ``@`` file index and ``/diff``.

The file index is ``pycodex.file_search`` (an edge package front ends may not import);
``/diff`` runs the user's ``git`` through ``pycodex.sandbox`` (the one place that starts
processes), without a sandbox: the user asked for it, and it only reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pycodex.file_search import FileIndex, Match

__all__ = ["NOT_A_REPO", "FileIndex", "Match", "file_index", "git_diff"]

NOT_A_REPO = "not inside a git repository"
_TIMEOUT_MS = 10_000
_MAX_UNTRACKED = 200


def file_index(root: Path) -> FileIndex:
    """An index of the files under ``root`` git would not ignore; ``start()`` builds it in
    a thread, ``search()`` answers once it is ``ready``."""
    return FileIndex(root)


async def _git(args: list[str], cwd: Path, env: Mapping[str, str]) -> tuple[int, str]:
    from pycodex.sandbox.spawn import run_command

    result = await run_command(["git", *args], cwd=cwd, env=env, timeout_ms=_TIMEOUT_MS)
    return result.exit_code, result.stdout if result.exit_code in (0, 1) else result.aggregated


async def git_diff(cwd: Path, env: Mapping[str, str]) -> tuple[bool, str]:
    """``(in_repo, text)``: the working tree against HEAD plus untracked files (as v0.20
    shows it), or why there is none."""
    code, _ = await _git(["rev-parse", "--is-inside-work-tree"], cwd, env)
    if code != 0:
        return False, NOT_A_REPO
    code, tracked = await _git(["diff", "--no-color", "HEAD", "--"], cwd, env)
    if code != 0:  # no commit yet: everything against the empty tree
        code, tracked = await _git(["diff", "--no-color", "--cached", "--"], cwd, env)
    # -z: names as they are (without it git quotes unusual ones, and the quoted form names
    # no file for the diff below)
    _, listing = await _git(["ls-files", "-z", "--others", "--exclude-standard"], cwd, env)
    parts = [tracked] if tracked.strip() else []
    for name in [n for n in listing.split("\0") if n][:_MAX_UNTRACKED]:
        _, text = await _git(["diff", "--no-color", "--no-index", "/dev/null", name], cwd, env)
        if text.strip():
            parts.append(text)
    return True, "\n".join(p.rstrip("\n") for p in parts)
