"""core.services.workspace without a UI: /diff against real git repositories in tmp_path,
and the `@` file index through core."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pycodex.core.services.workspace import NOT_A_REPO, FileIndex, file_index, git_diff

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}


def _git(repo: Path, *args: str) -> None:
    base = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*base, *args], check=True, timeout=30, capture_output=True)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    return repo


@needs_git
def test_diff_shows_tracked_changes_and_untracked_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "kept.txt").write_text("one\n", encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    (repo / "kept.txt").write_text("two\n", encoding="utf-8")
    (repo / "new file.txt").write_text("fresh\n", encoding="utf-8")
    (repo / ".gitignore").write_text("*.log\n", encoding="utf-8")
    (repo / "noise.log").write_text("ignored\n", encoding="utf-8")

    in_repo, text = asyncio.run(git_diff(repo, _env(tmp_path)))

    assert in_repo
    assert "-one\n+two" in text
    assert "+fresh" in text and "new file.txt" in text
    assert "noise.log" not in text  # ignored files are not untracked changes


@needs_git
def test_diff_before_the_first_commit_shows_what_is_staged(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "a.txt").write_text("staged\n", encoding="utf-8")
    _git(repo, "add", "a.txt")
    in_repo, text = asyncio.run(git_diff(repo, _env(tmp_path)))
    assert in_repo and "+staged" in text


@needs_git
def test_diff_outside_a_repository_says_so(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    env = {**_env(tmp_path), "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    assert asyncio.run(git_diff(plain, env)) == (False, NOT_A_REPO)


def test_file_index_lists_what_git_would_not_ignore_and_searches(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("build/\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("", encoding="utf-8")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "main.py").write_text("", encoding="utf-8")

    index = file_index(tmp_path)
    assert isinstance(index, FileIndex)
    assert index.start().wait(30)
    assert sorted(index.paths) == [".gitignore", "src/main.py"]
    assert [m.path for m in index.search("main")] == ["src/main.py"]
