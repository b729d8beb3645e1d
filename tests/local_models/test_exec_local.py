"""`codex exec` end to end against emulated local servers (real subprocess, real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import codex
from tests.support.model_server import ScriptedModelServer, ServerProfile, ToolCall, Turn


def chat_messages(server: ScriptedModelServer, n: int) -> list[dict[str, Any]]:
    body = server.model_requests[n].body or {}
    messages: list[dict[str, Any]] = body["messages"]
    return messages


def test_oss_text_tool_call_runs_and_the_model_gets_the_result(
    repo: Path, env: dict[str, str]
) -> None:
    """Ollama with a small num_ctx and a model that writes its tool call as text: the call
    runs through the normal tool path, its output goes back as a tool message, the prompt is
    the compact one (window 4096 from /api/show), and the markup is not shown."""
    profile = ServerProfile(
        name="ollama-small",
        omit_call_index=True,
        tool_calls_as_text="tool_call",
        context_length=32_768,
        num_ctx=4096,
    )
    script = [
        Turn(text="Checking.", tool_calls=[ToolCall("shell", {"command": ["echo", "hi-there"]})]),
        Turn(text="The command printed hi-there."),
    ]
    with ScriptedModelServer(script, profile=profile, ollama_models=["gpt-oss:20b"]) as srv:
        res = codex(
            ["exec", "--json", "--oss", "-s", "danger-full-access", "say hi"],
            cwd=repo,
            env={**env, "CODEX_OSS_BASE_URL": srv.base_url},
        )
        assert res.rc == 0, res.err
        assert [r.path for r in srv.requests if r.path == "/api/show"] == ["/api/show"]
        commands = res.items("command_execution")
        assert len(commands) == 1 and "hi-there" in commands[0]["aggregated_output"]
        messages = [i["text"] for i in res.items("agent_message")]
        assert messages == ["Checking.", "The command printed hi-there."]
        assert "<tool_call>" not in res.out
        second = chat_messages(srv, 1)
        tool = [m for m in second if m["role"] == "tool"]
        assert len(tool) == 1 and "hi-there" in tool[0]["content"]
        calls = [m for m in second if m["role"] == "assistant" and m.get("tool_calls")]
        assert calls[0]["content"] == "Checking."
        system = second[0]["content"]
        assert system.startswith("You are Codex") and len(system) < 1500  # compact prompt
        tools = (srv.model_requests[0].body or {})["tools"]
        assert len(json.dumps(tools)) < 2500  # compact tool descriptions


def test_lmstudio_local_provider_without_usage_shows_estimated_tokens(
    repo: Path, env: dict[str, str]
) -> None:
    model = "qwen2.5-7b-instruct"
    with ScriptedModelServer(
        [Turn(text="hello from lm studio"), Turn(text="again")],
        profile="lmstudio",
        ollama_models=[model],  # also what /v1/models lists
    ) as srv:
        url = f"model_providers.lmstudio.base_url={json.dumps(srv.base_url)}"
        args = ["exec", "--local-provider", "lmstudio", "-m", model, "-c", url]
        human = codex([*args, "hi"], cwd=repo, env=env)
        assert human.rc == 0, human.err
        assert "hello from lm studio" in human.out
        assert "(estimated)" in human.out
        jsonl = codex([*args, "--json", "hi"], cwd=repo, env=env)
        assert jsonl.rc == 0, jsonl.err
        done = [e for e in jsonl.events if e["type"] == "turn.completed"]
        assert done[0]["usage"]["estimated"] is True
        assert [r.path for r in srv.requests if r.method == "GET"] == ["/v1/models"] * 2


def test_lmstudio_without_the_model_is_one_line(repo: Path, env: dict[str, str]) -> None:
    with ScriptedModelServer([], profile="lmstudio", ollama_models=["other-model"]) as srv:
        url = f"model_providers.lmstudio.base_url={json.dumps(srv.base_url)}"
        res = codex(
            ["exec", "--oss", "--local-provider", "lmstudio", "-c", url, "hi"], cwd=repo, env=env
        )
        assert res.rc == 1
        lines = res.err.strip().splitlines()
        assert len(lines) == 1
        assert "openai/gpt-oss-20b" in lines[0] and "other-model" in lines[0]
        assert srv.model_requests == []


def test_a_prompt_larger_than_the_window_is_warned_once(repo: Path, env: dict[str, str]) -> None:
    profile = ServerProfile(name="tiny", context_length=2048, num_ctx=512)
    script = [
        Turn(tool_calls=[ToolCall("shell", {"command": ["true"]})]),
        Turn(text="done"),
    ]
    with ScriptedModelServer(script, profile=profile, ollama_models=["gpt-oss:20b"]) as srv:
        res = codex(
            ["exec", "--oss", "-s", "danger-full-access", "go"],
            cwd=repo,
            env={**env, "CODEX_OSS_BASE_URL": srv.base_url},
        )
        assert res.rc == 0, res.err
        assert res.out.count("does not fit the model's context window of 512 tokens") == 1
        assert len(srv.model_requests) == 2


def test_config_show_models_lists_the_local_servers_models(
    codex_home: Path, env: dict[str, str], tmp_path: Path, unused_port: int
) -> None:
    with ScriptedModelServer(ollama_models=["qwen3:4b", "gpt-oss:20b"]) as srv:
        res = codex(
            ["config", "show", "--oss", "--models"],
            cwd=tmp_path,
            env={**env, "CODEX_OSS_BASE_URL": srv.base_url},
        )
        assert res.rc == 0, res.err
        assert "# available models at" in res.out
        assert "#   qwen3:4b" in res.out and "#   gpt-oss:20b" in res.out
        as_json = codex(
            ["config", "show", "--oss", "--models", "--json"],
            cwd=tmp_path,
            env={**env, "CODEX_OSS_BASE_URL": srv.base_url},
        )
        assert json.loads(as_json.out)["available_models"] == ["qwen3:4b", "gpt-oss:20b"]
    dead = codex(
        ["config", "show", "--oss", "--models"],
        cwd=tmp_path,
        env={**env, "CODEX_OSS_BASE_URL": f"http://127.0.0.1:{unused_port}/v1"},
    )
    assert dead.rc == 0 and "not reachable" in dead.out
    plain = codex(["config", "show", "--oss"], cwd=tmp_path, env=env)
    assert "available models" not in plain.out  # opt-in only: no network without --models


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
