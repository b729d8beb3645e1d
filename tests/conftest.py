"""Shared fixtures: a started scripted model server, an isolated CODEX_HOME, a git work tree
(``repo``) and a clean environment for a `codex` subprocess (``env``).

Nothing here changes process-wide state (no env vars, no cwd): tests pass paths and
environments explicitly to what they run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.e2e.harness import base_env, make_repo
from tests.support.model_server import ScriptedModelServer

# CI explores the same examples on every run (main stays green on a given commit); locally
# hypothesis searches anew each time and remembers failures in .hypothesis/.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def model_server() -> Iterator[ScriptedModelServer]:
    """A started ``ScriptedModelServer`` with an empty script; ``push()`` steps onto it."""
    server = ScriptedModelServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def codex_home(tmp_path: Path) -> Path:
    """An empty CODEX_HOME directory (pass it via env to what you run; nothing is set)."""
    home = tmp_path / "codex_home"
    home.mkdir()
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with one commit, for runs that want a repository."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def env(codex_home: Path) -> dict[str, str]:
    """A clean environment for a `codex` subprocess, with ``CODEX_HOME`` set."""
    return base_env(codex_home)
