"""``python -m tests.support.model_server`` as a real subprocess, and script.json parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.model_script import Fault, ScriptError, ToolCall, Turn, Usage, script_from_json
from tests.support_tests.http_helpers import json_events, post, request

ROOT = Path(__file__).resolve().parents[2]


def test_script_json_maps_onto_steps() -> None:
    steps = script_from_json(
        [
            {"text": "hi", "reasoning_summary": "r", "usage": {"input_tokens": 3}},
            {"tool_calls": [{"name": "shell", "arguments": {"command": ["ls"]}, "call_id": "c"}]},
            {"fault": "http_status", "status": 429, "retry_after": 1},
            {"fault": "cut", "after_events": 3, "turn": {"text": "partial"}},
            {"fault": "malformed"},
            {"fault": "idle", "after_events": 1, "hold_seconds": 0.5},
        ]
    )
    assert steps[0] == Turn(text="hi", reasoning_summary="r", usage=Usage(input_tokens=3))
    assert steps[1] == Turn(tool_calls=(ToolCall("shell", {"command": ["ls"]}, "c"),))
    assert steps[2] == Fault.http_status(429, retry_after=1)
    assert steps[2].retry_after == "1"
    assert steps[3] == Fault.cut(3, turn=Turn(text="partial"))
    assert steps[4] == Fault.noisy_success()
    assert steps[5] == Fault.idle(1, 0.5)


def test_demo_script_parses() -> None:
    demo = ROOT / "tests" / "support" / "demo_script.json"
    steps = script_from_json(json.loads(demo.read_text()))
    assert [type(s).__name__ for s in steps] == ["Turn", "Fault", "Turn"]


@pytest.mark.parametrize(
    "bad", [{"txt": "typo"}, {"fault": "explode"}, {"fault": "cut", "after": 1}, "text"]
)
def test_script_json_rejects_unknown_steps(bad: object) -> None:
    with pytest.raises(ScriptError):
        script_from_json([bad])


@pytest.fixture
def run_cli(tmp_path: Path) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], int]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.model_server", "--port", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        return proc, int(url.rsplit(":", 1)[1].split("/")[0])

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_cli_plays_a_script(run_cli, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"fault": "http_status", "status": 429}, {"text": "scripted"}]))
    _, port = run_cli("--script", str(script), "--wire", "both")
    assert post(port, "/v1/responses", {"model": "m"}).status == 429
    events = json_events(post(port, "/v1/responses", {"model": "m"}).body)
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "scripted"
    assert post(port, "/v1/responses", {"model": "m"}).status == 500  # exhausted


def test_cli_without_script_echoes(run_cli) -> None:
    _, port = run_cli("--wire", "chat")
    body = {"model": "m", "messages": [{"role": "user", "content": "ping"}]}
    for _ in range(2):
        chunks = json_events(post(port, "/v1/chat/completions", body).body)
        text = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
        )
        assert text == "echo: ping"
    assert post(port, "/v1/responses", {"model": "m"}).status == 404


def test_cli_logs_requests_and_exits_cleanly_on_sigterm(run_cli) -> None:
    proc, port = run_cli("--log", "--ollama-model", "gpt-oss:20b")
    tags = request(port, "GET", "/api/tags").json()
    assert [m["name"] for m in tags["models"]] == ["gpt-oss:20b"]
    proc.terminate()
    assert proc.wait(timeout=5) == 0
    assert proc.stderr.read().startswith("GET /api/tags -> ollama:tags (")
