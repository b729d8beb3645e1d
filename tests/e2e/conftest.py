"""Fixtures of the end-to-end tests: a git work tree and a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import base_env, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def env(codex_home: Path) -> dict[str, str]:
    return base_env(codex_home)


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound, then released: connections get refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
