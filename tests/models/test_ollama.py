"""``--oss`` bootstrap against the scripted server's Ollama endpoints, and the progress text."""

from __future__ import annotations

import asyncio
import socket

import pytest

from pycodex.models.ollama import (
    NOT_RUNNING,
    PullProgress,
    PullProgressRenderer,
    ensure_oss_model,
    host_root,
)
from pycodex.protocol.errors import OssSetupError
from tests.support.model_server import ScriptedModelServer

MODEL = "gpt-oss:20b"


def ensure(base_url: str, model: str = MODEL) -> list[PullProgress]:
    seen: list[PullProgress] = []
    asyncio.run(asyncio.wait_for(ensure_oss_model(base_url, model, seen.append, env={}), 10))
    return seen


def paths(server: ScriptedModelServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


def test_host_root() -> None:
    assert host_root("http://localhost:11434/v1") == "http://localhost:11434"
    assert host_root("http://localhost:11434/v1/") == "http://localhost:11434"
    assert host_root("http://h:1/ollama") == "http://h:1/ollama"


def test_present_model_is_not_pulled() -> None:
    with ScriptedModelServer(ollama_models=[MODEL, "llama3:latest"]) as server:
        assert ensure(server.base_url) == []
        assert ensure(server.base_url, "llama3") == []  # ":latest" is implied
        assert paths(server) == ["GET /v1/models", "GET /api/tags"] * 2


def test_missing_model_is_pulled_with_progress() -> None:
    with ScriptedModelServer(ollama_models=["other:1b"]) as server:
        seen = ensure(server.base_url)
        assert paths(server) == ["GET /v1/models", "GET /api/tags", "POST /api/pull"]
        pull = server.requests[-1]
        assert pull.body == {"model": MODEL, "stream": True}
        assert seen[0] == PullProgress("pulling manifest")
        assert seen[-1] == PullProgress("success")
        assert any(p.digest and p.completed for p in seen)
        assert MODEL in server.ollama_models
        assert ensure(server.base_url) == []  # now present


def test_pull_error_is_an_oss_setup_error() -> None:
    server = ScriptedModelServer(pull_error="pull model manifest: file does not exist")
    with server, pytest.raises(OssSetupError, match="file does not exist"):
        ensure(server.base_url, "nosuch:model")
    assert [r.path for r in server.requests][-1] == "/api/pull"


def test_dead_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OssSetupError) as exc:
        ensure(f"http://127.0.0.1:{port}/v1")
    assert str(exc.value) == NOT_RUNNING
    assert str(exc.value).startswith("No running Ollama server detected. Start it with: `ollama")


def test_progress_rendering_sums_digests() -> None:
    r = PullProgressRenderer(MODEL)
    assert r.update(PullProgress("pulling manifest")) is None
    line = r.update(PullProgress("pulling aaa", "sha256:a", 12_000_000_000, 1_230_000_000))
    assert line == "\rPulling model gpt-oss:20b... 1.23/12.00 GB (10%)"
    line = r.update(PullProgress("pulling bbb", "sha256:b", 1_000_000_000, 0))
    assert line == "\rPulling model gpt-oss:20b... 1.23/13.00 GB (9%) "  # pads "(10%)"
    status = r.update(PullProgress("verifying sha256 digest"))
    assert status == "\rPulling model gpt-oss:20b... verifying sha256 digest"
    shorter = r.update(PullProgress("done"))
    assert shorter is not None
    assert shorter.startswith("\rPulling model gpt-oss:20b... done ")  # padded over the old text
    assert len(shorter) == len(status)
    assert r.update(PullProgress("success")) == "\n"
