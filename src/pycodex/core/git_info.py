"""Branch and commit of the working directory's repository, for the session file's meta
line (v0.20 records ``{"commit_hash", "branch"}``). Read from ``.git`` directly: no process
is spawned on the start-up path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycodex.core.project_doc import find_git_root


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:  # a worktree or submodule: ".git" is a file "gitdir: <path>"
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if text.startswith("gitdir:"):
        return (root / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    common = git_dir
    commondir = git_dir / "commondir"
    if commondir.is_file():
        common = (git_dir / commondir.read_text(encoding="utf-8").strip()).resolve()
    for base in (git_dir, common):
        try:
            return (base / ref).read_text(encoding="utf-8").strip() or None
        except OSError:
            continue
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def git_info(cwd: Path) -> dict[str, Any] | None:
    """``{"commit_hash": ..., "branch": ...}`` (either may be None), or None outside git."""
    root = find_git_root(cwd.resolve())
    git_dir = _git_dir(root) if root is not None else None
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if head.startswith("ref:"):
        ref = head.removeprefix("ref:").strip()
        branch = ref.removeprefix("refs/heads/")
        return {"commit_hash": _resolve_ref(git_dir, ref), "branch": branch}
    return {"commit_hash": head or None, "branch": None}  # detached HEAD
