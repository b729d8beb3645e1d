"""Fixtures: a git work tree, a CODEX_HOME whose provider is the scripted model server, and a
clean environment (no API keys of the host)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import base_env, write_config
from tests.support.model_server import ScriptedModelServer


@pytest.fixture
def env(codex_home: Path, model_server: ScriptedModelServer) -> dict[str, str]:
    write_config(codex_home, model_server.base_url)
    return base_env(codex_home)
