"""`codex exec` end to end on both wire APIs: requests on the wire, JSONL out."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.e2e.harness import codex, function_outputs, user_texts, write_config
from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn, Usage


def test_responses_wire_shell_round_trip(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(
        Turn(
            reasoning_summary="**Look around**",
            tool_calls=[ToolCall("shell", {"command": ["bash", "-lc", "echo hi; echo oops >&2"]})],
            usage=Usage(100, 10, 20, 5),
        ),
        Turn(text="all good", usage=Usage(150, 100, 5, 0)),
    )
    res = codex(["exec", "--json", "say hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    reqs = model_server.model_requests
    assert len(reqs) == 2
    first = reqs[0]
    assert first.method == "POST" and first.path == "/v1/responses"
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.body is not None and first.body["model"] == "test-model"
    assert first.body["stream"] is True
    assert [t["name"] for t in first.body["tools"]][:1] == ["shell"]
    assert user_texts(first.body)[-1] == "say hi"
    second = reqs[1].body
    assert second is not None
    outputs = function_outputs(second)
    assert len(outputs) == 1 and "hi" in outputs[0]
    calls = [i for i in second["input"] if i.get("type") == "function_call"]
    assert calls[0]["name"] == "shell"

    events = res.events
    assert res.types() == [
        "thread.started",
        "turn.started",
        "item.completed",  # reasoning
        "item.started",  # command
        "item.completed",
        "item.completed",  # agent message
        "turn.completed",
    ]
    reasoning, command, message = (e["item"] for e in events if e["type"] == "item.completed")
    assert reasoning["type"] == "reasoning" and reasoning["text"] == "**Look around**"
    assert command["type"] == "command_execution"
    assert command["command"] == "bash -lc 'echo hi; echo oops >&2'"
    assert "hi\n" in command["aggregated_output"] and command["exit_code"] == 0
    assert command["status"] == "completed"
    assert message == {"id": message["id"], "type": "agent_message", "text": "all good"}
    assert events[-1]["usage"] == {
        "input_tokens": 250,
        "cached_input_tokens": 110,
        "output_tokens": 25,
        "reasoning_output_tokens": 5,
    }
    sessions = list((codex_home / "sessions").rglob("rollout-*.jsonl"))
    assert len(sessions) == 1 and events[0]["thread_id"] in sessions[0].name


def test_chat_wire(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url, wire="chat")
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["echo", "from-chat"]})]),
        Turn(text="chat done"),
    )
    res = codex(["exec", "--json", "use chat"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    reqs = model_server.model_requests
    assert [r.path for r in reqs] == ["/v1/chat/completions"] * 2
    body = reqs[1].body
    assert body is not None and body["model"] == "test-model" and body["stream"] is True
    roles = [m["role"] for m in body["messages"]]
    assert roles[0] == "system" and "tool" in roles
    tool_msg = next(m for m in body["messages"] if m["role"] == "tool")
    assert "from-chat" in tool_msg["content"]
    assert res.items("agent_message")[-1]["text"] == "chat done"
    assert res.items("command_execution")[0]["exit_code"] == 0


def test_azure_style_query_params_and_headers(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(
        codex_home,
        model_server.root_url + "/openai",
        provider='query_params = { api-version = "2025-04-01-preview" }\n'
        'http_headers = { "X-Static" = "yes" }\n'
        'env_http_headers = { "X-From-Env" = "MY_HEADER" }\n',
    )
    model_server.push(Turn(text="azure ok"))
    res = codex(["exec", "--json", "hi"], cwd=repo, env={**env, "MY_HEADER": "hv"})
    assert res.rc == 0, res.err
    (req,) = model_server.model_requests
    assert req.path == "/openai/responses"
    assert req.query == {"api-version": "2025-04-01-preview"}
    assert req.headers["x-static"] == "yes" and req.headers["x-from-env"] == "hv"


def test_zdr_sends_store_false_and_replays_encrypted_reasoning(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(
        Turn(
            reasoning_summary="thinking",
            encrypted_reasoning="ENC-BLOB-1",
            tool_calls=[ToolCall("shell", {"command": ["true"]})],
        ),
        Turn(text="zdr done"),
    )
    zdr = ["-c", "disable_response_storage=true", "-c", "model_supports_reasoning_summaries=true"]
    res = codex(["exec", "--json", *zdr, "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    first, second = (r.body for r in model_server.model_requests)
    assert first is not None and second is not None
    assert first["store"] is False
    assert "reasoning.encrypted_content" in first["include"]
    replayed = [i for i in second["input"] if i.get("type") == "reasoning"]
    assert [r["encrypted_content"] for r in replayed] == ["ENC-BLOB-1"]


def test_oss_with_model_present(codex_home: Path, repo: Path, env: dict[str, str]) -> None:
    with ScriptedModelServer([Turn(text="local hi")], ollama_models=["gpt-oss:20b"]) as srv:
        res = codex(
            ["exec", "--json", "--oss", "hello"],
            cwd=repo,
            env={**env, "CODEX_OSS_BASE_URL": srv.base_url},
        )
        assert res.rc == 0, res.err
        paths = [(r.method, r.path) for r in srv.requests]
        assert ("POST", "/api/pull") not in paths
        assert ("GET", "/api/tags") in paths
        model_req = srv.model_requests[0]
        assert model_req.path == "/v1/chat/completions"  # the oss provider speaks Chat
        assert model_req.body is not None and model_req.body["model"] == "gpt-oss:20b"
        assert res.items("agent_message")[0]["text"] == "local hi"


def test_oss_pulls_a_missing_model_with_progress(
    codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    with ScriptedModelServer([Turn(text="pulled and ran")]) as srv:
        res = codex(
            ["exec", "--oss", "-m", "tiny:1b", "hello"],
            cwd=repo,
            env={**env, "CODEX_OSS_BASE_URL": srv.base_url},
        )
        assert res.rc == 0, res.err
        paths = [(r.method, r.path) for r in srv.requests]
        assert ("POST", "/api/pull") in paths
        pull = next(r for r in srv.requests if r.path == "/api/pull")
        assert pull.body is not None and pull.body.get("model", pull.body.get("name")) == "tiny:1b"
        assert paths.index(("POST", "/api/pull")) < paths.index(
            ("POST", srv.model_requests[0].path)
        )
        assert "tiny:1b" in res.err  # the progress line names the model
        assert "pulled and ran" in res.out


def test_oss_dead_server_is_one_line_exit_1(
    codex_home: Path, repo: Path, env: dict[str, str], unused_port: int
) -> None:
    res = codex(
        ["exec", "--oss", "hello"],
        cwd=repo,
        env={**env, "CODEX_OSS_BASE_URL": f"http://127.0.0.1:{unused_port}/v1"},
        timeout=30,
    )
    assert res.rc == 1
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and "ollama" in lines[0].lower()
    assert res.out == ""


def test_stdin_prompts(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="a"), Turn(text="b"), Turn(text="c"))
    r1 = codex(["exec", "--json"], cwd=repo, env=env, stdin=b"from a pipe\n")
    r2 = codex(["exec", "--json", "-"], cwd=repo, env=env, stdin=b"dash prompt")
    r3 = codex(["exec", "--json", "summarize"], cwd=repo, env=env, stdin=b"line1\nline2\n")
    assert (r1.rc, r2.rc, r3.rc) == (0, 0, 0), r1.err + r2.err + r3.err
    assert "Reading prompt from stdin..." in r1.err and "Reading prompt from stdin" in r2.err
    texts = [user_texts(r.body or {})[-1] for r in model_server.model_requests]
    assert texts == [
        "from a pipe\n",
        "dash prompt",
        "summarize\n\n<stdin>\nline1\nline2\n</stdin>",
    ]


def test_empty_prompt_is_usage_error(codex_home: Path, repo: Path, env: dict[str, str]) -> None:
    write_config(codex_home, "http://127.0.0.1:9/v1")
    res = codex(["exec"], cwd=repo, env=env, stdin=b"   \n")
    assert res.rc == 2
    assert len(res.err.strip().splitlines()) == 2  # the stdin notice, then one error line


def test_image_goes_in_the_same_first_message(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 8
    (repo / "shot.png").write_bytes(png)
    model_server.push(Turn(text="a picture"))
    res = codex(["exec", "--json", "-i", "shot.png", "describe"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    (req,) = model_server.model_requests
    assert req.body is not None
    user = [i for i in req.body["input"] if i.get("role") == "user"][-1]
    assert user["content"] == [
        {"type": "input_text", "text": "describe"},
        {
            "type": "input_image",
            "image_url": "data:image/png;base64," + base64.b64encode(png).decode(),
        },
    ]


def test_output_last_message_and_human_transcript(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="final answer\nwith two lines"))
    out = repo / "last.txt"
    res = codex(["exec", "-o", str(out), "--color", "never", "hello"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert out.read_text() == "final answer\nwith two lines"
    lines = res.out.splitlines()
    assert lines[0].endswith("pycodex v0.1.0") and lines[1] == "--------"
    assert f"workdir: {repo.resolve()}" in lines and "provider: mock" in lines
    assert "approval: never" in lines and "model: test-model" in lines
    assert lines[-3].endswith("] codex") and lines[-2:] == ["final answer", "with two lines"]
    assert "\x1b[" not in res.out


def test_ephemeral_writes_no_session(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="nothing saved"))
    res = codex(["exec", "--json", "--ephemeral", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert not list(codex_home.rglob("rollout-*.jsonl"))


def test_dropped_stream_is_retried_with_a_notice(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Fault.cut(after_events=3), Turn(text="after the cut"))
    res = codex(["exec", "--json", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert len(model_server.model_requests) == 2
    assert res.types() == [
        "thread.started",
        "turn.started",
        "error",
        "item.completed",
        "turn.completed",
    ]
    assert "retrying 1/1" in res.events[2]["message"]
    assert res.items("agent_message") == [
        {"id": "item_0", "type": "agent_message", "text": "after the cut"}
    ]


def test_config_error_is_usage_exit_2(codex_home: Path, repo: Path, env: dict[str, str]) -> None:
    write_config(codex_home, "http://127.0.0.1:9/v1")
    res = codex(["exec", "-c", "sandbox_mode=bogus", "hi"], cwd=repo, env=env)
    assert res.rc == 2
    assert "sandbox_mode" in res.err and len(res.err.strip().splitlines()) == 1
    assert res.out == ""


def test_plan_updates_become_a_todo_list(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    plan = {
        "explanation": "two steps",
        "plan": [
            {"step": "read code", "status": "completed"},
            {"step": "fix bug", "status": "in_progress"},
        ],
    }
    model_server.push(Turn(tool_calls=[ToolCall("update_plan", plan)]), Turn(text="planned"))
    res = codex(["exec", "--json", "plan it"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    started = [e["item"] for e in res.events if e["type"] == "item.started"]
    assert started[0]["type"] == "todo_list"
    assert res.items("todo_list") == [
        {
            "id": started[0]["id"],
            "type": "todo_list",
            "items": [
                {"text": "read code", "completed": True},
                {"text": "fix bug", "completed": False},
            ],
        }
    ]
    body = model_server.model_requests[1].body
    assert body is not None and function_outputs(body) == ["Plan updated"]
    model_server.push(Turn(tool_calls=[ToolCall("update_plan", plan)]), Turn(text="planned"))
    human = codex(["exec", "plan it"], cwd=repo, env=env)
    assert human.rc == 0, human.out
    assert "  [x] read code\n  [~] fix bug" in human.out
