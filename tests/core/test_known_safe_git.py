"""Known-safe git under ``known_safe_env`` runs none of the programs a repository names
(issue 12, finding 2), checked with the real git on a hostile repository: every setting
that can run a program points at a script that would leave a marker file.

Each hostile setting is first shown to fire with the plain environment, so a test that
passes is not passing because the trap was badly set.
"""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pycodex.core.command_safety import is_known_safe
from pycodex.core.exec_env import known_safe_env

GIT = shutil.which("git")


def _git_version() -> tuple[int, int]:
    if GIT is None:
        return (0, 0)
    out = subprocess.run([GIT, "--version"], capture_output=True, text=True, check=True)
    found = re.search(r"(\d+)\.(\d+)", out.stdout)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


pytestmark = pytest.mark.skipif(
    _git_version() < (2, 38), reason="needs git >= 2.38 (safe.bareRepository)"
)

SIGNED_COMMIT = (
    "tree {tree}\nparent {parent}\nauthor a <a@b> 1 +0000\ncommitter a <a@b> 1 +0000\n"
    "gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned\n"
)


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return out.stdout + out.stderr


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, timeout=60, check=True
    )
    return out.stdout.strip()


def _trap(tmp_path: Path) -> tuple[Path, Path]:
    """A program that appends its name and arguments to ``marker``."""
    marker = tmp_path / "marker"
    program = tmp_path / "evil"
    program.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat\n', encoding="utf-8")
    program.chmod(0o755)
    return program, marker


def _hostile_repo(tmp_path: Path, program: Path) -> Path:
    """A work tree with a signed commit, a modified file and a config naming ``program``
    for every fixed-name setting git runs from status/diff/log/show/branch."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "a@b")
    _git(repo, "config", "user.name", "a")
    (repo / "f").write_text("a\n", encoding="utf-8")
    _git(repo, "add", "f")
    _git(repo, "commit", "-qm", "1")
    commit = SIGNED_COMMIT.format(
        tree=_git(repo, "rev-parse", "HEAD^{tree}"), parent=_git(repo, "rev-parse", "HEAD")
    )
    signed = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo,
        input=commit,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    _git(repo, "update-ref", "HEAD", signed)
    hooks = repo / ".git" / "evil-hooks"
    hooks.mkdir()
    shutil.copy(program, hooks / "post-index-change")
    for key, value in {
        "core.fsmonitor": str(program),
        "core.hooksPath": str(hooks),
        "core.pager": str(program),
        "pager.log": str(program),
        "pager.status": str(program),
        "gpg.program": str(program),
        "log.showSignature": "true",
        "core.sshCommand": str(program),
        "credential.helper": str(program),
    }.items():
        _git(repo, "config", key, value)
    (repo / "f").write_text("b\n", encoding="utf-8")  # a diff to show, an index to refresh
    return repo


COMMANDS = [
    ["git", "status"],
    ["git", "status", "--short"],
    ["git", "diff"],
    ["git", "log", "-p", "-1"],
    ["git", "log", "--format=%H %G?"],
    ["git", "show"],
    ["git", "branch", "-v"],
]


def test_the_traps_fire_without_the_neutral_environment(tmp_path: Path) -> None:
    program, marker = _trap(tmp_path)
    repo = _hostile_repo(tmp_path, program)
    _run(["git", "status"], repo)
    _run(["git", "log", "-1", "--format=%G?"], repo)
    fired = marker.read_text(encoding="utf-8")
    assert "--verify" in fired  # gpg.program
    assert "post-index-change" in fired or fired.count("evil") >= 2  # fsmonitor, hook


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_known_safe_git_runs_no_repository_program(tmp_path: Path, argv: list[str]) -> None:
    assert is_known_safe(argv)
    program, marker = _trap(tmp_path)
    repo = _hostile_repo(tmp_path, program)
    output = _run(argv, repo, known_safe_env(os.environ))
    assert not marker.exists(), output


def _on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    main, sub = pty.openpty()
    try:
        subprocess.run(argv, cwd=cwd, env=env, stdout=sub, stderr=sub, timeout=60, check=False)
    finally:
        os.close(sub)
        os.close(main)


def test_no_pager_even_on_a_terminal(tmp_path: Path) -> None:
    """git starts a pager only when stdout is a terminal: give it one."""
    program, marker = _trap(tmp_path)
    repo = _hostile_repo(tmp_path, program)
    plain = {**os.environ, "GIT_CONFIG_COUNT": "1"}
    plain |= {"GIT_CONFIG_KEY_0": "log.showSignature", "GIT_CONFIG_VALUE_0": "false"}
    plain.pop("GIT_PAGER", None)
    _on_a_terminal(["git", "log", "-1"], repo, plain)
    assert marker.exists()  # pager.log ran
    marker.unlink()
    env = {**known_safe_env(os.environ), "PAGER": str(program)}  # PAGER loses to GIT_PAGER
    _on_a_terminal(["git", "log", "-1"], repo, env)
    assert not marker.exists()


def test_a_directory_laid_out_as_a_bare_repository_is_not_used(tmp_path: Path) -> None:
    """The reviewer's layout: docs/HEAD, docs/objects, docs/refs, docs/config."""
    program, marker = _trap(tmp_path)
    work = tmp_path / "work"
    docs = work / "docs"
    (docs / "objects").mkdir(parents=True)
    (docs / "refs").mkdir()
    (docs / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (docs / "config").write_text(
        f"[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ..\n"
        f"\tfsmonitor = {program}\n",
        encoding="utf-8",
    )
    _run(["git", "-C", "docs", "status"], work)
    assert marker.exists()  # the trap works
    marker.unlink()
    env = known_safe_env(os.environ)
    for argv in (["git", "-C", "docs", "status"], ["bash", "-lc", "cd docs && git diff"]):
        assert is_known_safe(argv)
        output = _run(argv, work, env)
        assert "safe.bareRepository" in output or "Not a git repository" in output
        assert not marker.exists(), output
