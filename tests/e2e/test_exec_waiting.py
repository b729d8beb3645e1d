"""`codex exec` against a server that accepts the request and never answers (issue 14, bug 5).

The real CLI as a subprocess, small timeouts through ``-c``: each attempt gives up after
``stream_idle_timeout_ms`` of silence, and while it waits the user is told so, with the
retry plan (human: a line on stderr; ``--json``: ``model.waiting`` lines). No sleeps and no
timing assertions: the silence is reported at a tenth of the timeout, which is before the
timeout on the same event loop, so every attempt reports before it gives up.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.harness import codex, write_config
from tests.support.model_server import Fault, ScriptedModelServer

TIMEOUT_MS = 400


def _silent_server(server: ScriptedModelServer, attempts: int) -> None:
    # each attempt is held open far longer than the client waits for it
    server.push(*(Fault.no_answer(hold_seconds=30) for _ in range(attempts)))


def _args(*extra: str, retries: int = 2) -> list[str]:
    return [
        "exec",
        "-c",
        f"model_providers.mock.stream_idle_timeout_ms={TIMEOUT_MS}",
        "-c",
        f"model_providers.mock.request_max_retries={retries}",
        *extra,
        "say hi",
    ]


def test_human_output_says_it_is_waiting_with_the_retry_plan(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    _silent_server(model_server, 3)
    res = codex(_args(), cwd=repo, env=env)
    assert res.rc == 1, res.err
    waiting = [line for line in res.err.splitlines() if line.startswith("waiting for the model")]
    # the first attempt, then each retry names what is left
    assert any("no response yet; will retry 2 more times, timeout 0.4s" in w for w in waiting)
    assert any("will retry 1 more time," in w for w in waiting)
    assert any("no retries left, timeout 0.4s" in w for w in waiting)
    assert all(re.match(r"waiting for the model… [0-9.]+s \(", w) for w in waiting)
    assert "waiting for the model" not in res.out  # stdout stays the transcript
    assert "ERROR:" in res.out and "timed out waiting for a response" in res.out
    assert len(model_server.model_requests) == 3  # 1 + 2 retries, as configured


def test_json_output_has_model_waiting_lines(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    _silent_server(model_server, 2)
    res = codex(_args("--json", retries=1), cwd=repo, env=env)
    assert res.rc == 1, res.err
    events = res.events  # every line valid against the published schema
    waiting = [e for e in events if e["type"] == "model.waiting"]
    assert waiting, res.out
    first = waiting[0]
    assert first["attempt"] == 1 and first["retries_left"] == 1
    assert first["timeout_seconds"] == TIMEOUT_MS / 1000 and first["responded"] is False
    assert first["message"].startswith("waiting for the model… ")
    assert {e["attempt"] for e in waiting} == {1, 2}
    assert all(e["retries_left"] == 0 for e in waiting if e["attempt"] == 2)
    # waiting is news, not the turn's outcome: the turn still fails once retries run out
    assert events[-1]["type"] == "turn.failed"
    assert "waiting for the model" not in res.err


def test_a_stream_gone_quiet_is_on_the_stream_retry_budget(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    # the answer starts (response.created), then nothing: a stream error, not a request one
    model_server.push(Fault.idle(after_events=1, hold_seconds=30))
    model_server.push(Fault.idle(after_events=1, hold_seconds=30))
    args = _args("--json", retries=0)
    args[-1:-1] = ["-c", "model_providers.mock.stream_max_retries=1"]
    res = codex(args, cwd=repo, env=env)
    assert res.rc == 1, res.err
    waiting = [e for e in res.events if e["type"] == "model.waiting"]
    first = [e for e in waiting if e["attempt"] == 1]
    assert first and all(e["responded"] and e["retries_left"] == 1 for e in first)
    assert "(the answer paused; will retry 1 more time, timeout 0.4s)" in first[0]["message"]
    assert len(model_server.model_requests) == 2  # request_max_retries=0 did not apply
