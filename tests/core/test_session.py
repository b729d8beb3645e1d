"""Session-level behaviour: compaction, notify, rollout and resume, shutdown."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pycodex.core.codex import SessionClosedError
from pycodex.core.compact import COMPACT_DONE, SUMMARY_INSTRUCTIONS
from pycodex.core.turn import AUTO_COMPACT_NOTICE
from pycodex.models.scripted import fail, reply, shell_call, tool_calls, usage
from pycodex.protocol.errors import ModelError
from pycodex.protocol.events import (
    AgentMessage,
    BackgroundEvent,
    Error,
    ShutdownComplete,
    TaskComplete,
    TaskStarted,
)
from pycodex.protocol.items import FunctionCallItem, MessageItem
from pycodex.protocol.ops import Compact, Shutdown
from pycodex.storage.rollout import read_rollout
from tests.core.harness import PY, make_config, next_msg, run, start, turn, until

PLAN = {
    "plan": [{"step": "inspect", "status": "completed"}, {"step": "fix", "status": "in_progress"}]
}
PATCH = "*** Begin Patch\n*** Update File: src/app.py\n@@\n-a\n+b\n*** End Patch\n"


def test_auto_compaction_replaces_history_when_usage_crosses_the_limit(tmp_path: Path) -> None:
    config = make_config(tmp_path, model_auto_compact_token_limit=1000)
    first = tool_calls(
        [
            ("update_plan", PLAN, "p"),
            ("shell", {"command": ["apply_patch", PATCH]}, "ap"),
            ("shell", {"command": ["echo", "hi"]}, "e"),
        ],
        token_usage=usage(1500, 10),
    )

    async def scenario():
        codex, model = await start(
            config, [first, reply("SUMMARY: found the bug"), reply("all done")]
        )
        msgs = await turn(codex, "fix the bug in app.py")
        return msgs, model

    msgs, model = run(scenario)
    assert msgs[-1] == TaskComplete("all done")
    assert BackgroundEvent(AUTO_COMPACT_NOTICE) in msgs
    summary_request = model.prompts[1]
    assert summary_request.instructions == SUMMARY_INSTRUCTIONS
    assert summary_request.tools == ()
    assert any(isinstance(i, FunctionCallItem) for i in summary_request.input)
    after = model.prompts[2]
    texts = [i.text for i in after.input if isinstance(i, MessageItem)]
    assert len(after.input) == 2 and texts[0].startswith("<environment_context>")
    summary = texts[1]
    assert "<summary>\nSUMMARY: found the bug\n</summary>" in summary
    assert "<request>\nfix the bug in app.py\n</request>" in summary
    assert "- [completed] inspect\n- [in_progress] fix" in summary
    assert "Files changed with apply_patch so far:\nsrc/app.py" in summary
    assert [t.name for t in after.tools] == ["shell", "update_plan", "apply_patch"]


def test_no_compaction_below_the_limit(tmp_path: Path) -> None:
    config = make_config(tmp_path, model_context_window=100_000)  # limit 90000

    async def scenario():
        codex, model = await start(
            config, [shell_call(["true"], token_usage=usage(89_999, 1)), reply("ok")]
        )
        await turn(codex, "x")
        return model

    model = run(scenario)
    assert len(model.prompts) == 2 and model.prompts[1].tools


def test_manual_compact_op(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [reply("first answer"), reply("the summary"), reply("ok")]
        )
        await turn(codex, "first request")
        await codex.submit(Compact())
        compact = await until(codex, TaskComplete)
        await turn(codex, "second request")
        return compact, model

    compact, model = run(scenario)
    assert compact == [TaskStarted(272_000), AgentMessage(COMPACT_DONE), TaskComplete(None)]
    texts = [i.text for i in model.prompts[2].input if isinstance(i, MessageItem)]
    assert len(texts) == 3
    assert "<summary>\nthe summary\n</summary>" in texts[1]
    assert "<request>\nfirst request\n</request>" in texts[1]
    assert texts[2] == "second request"


def test_failed_compaction_keeps_history(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [reply("a"), fail(ModelError("boom")), reply("b")]
        )
        await turn(codex, "one")
        await codex.submit(Compact())
        compact = await until(codex, TaskComplete)
        await turn(codex, "two")
        return compact, model

    compact, model = run(scenario)
    assert compact[-2:] == [Error("boom"), TaskComplete(None)]
    texts = [i.text for i in model.prompts[2].input[1:] if isinstance(i, MessageItem)]
    assert texts == ["one", "a", "two"]


def test_notify_runs_with_the_turn_json(tmp_path: Path) -> None:
    out = tmp_path / "notified.json"
    script = "import sys; open(sys.argv[1], 'w').write(sys.argv[2])"
    config = make_config(tmp_path, notify=(PY, "-c", script, str(out)))

    async def scenario():
        codex, _ = await start(config, [reply("finished it")])
        await turn(codex, "please finish")
        await codex.submit(Shutdown())
        return await until(codex, ShutdownComplete)

    run(scenario)
    assert json.loads(out.read_text()) == {
        "type": "agent-turn-complete",
        "turn-id": "1",
        "input-messages": ["please finish"],
        "last-assistant-message": "finished it",
    }


def test_failing_notifier_is_ignored(tmp_path: Path) -> None:
    config = make_config(tmp_path, notify=("no-such-notifier-xyz",))

    async def scenario():
        codex, _ = await start(config, [reply("a"), reply("b")])
        first = await turn(codex, "x")
        second = await turn(codex, "y")
        await codex.submit(Shutdown())
        return first, second, await until(codex, ShutdownComplete)

    first, second, end = run(scenario)
    assert first[-1] == TaskComplete("a") and second[-1] == TaskComplete("b")
    assert end == [ShutdownComplete()]


def test_shutdown_closes_the_handle(tmp_path: Path) -> None:
    async def scenario():
        codex, _ = await start(make_config(tmp_path), [])
        await codex.submit(Shutdown())
        end = await next_msg(codex)
        with pytest.raises(SessionClosedError):
            await codex.next_event()
        with pytest.raises(SessionClosedError):
            await codex.submit(Shutdown())
        return end

    assert run(scenario) == ShutdownComplete()


def test_shutdown_during_a_turn_aborts_it(tmp_path: Path) -> None:
    from pycodex.models.scripted import hang
    from pycodex.protocol.events import TurnAborted
    from pycodex.protocol.ops import UserInput

    async def scenario():
        codex, _ = await start(make_config(tmp_path), [hang()])
        await codex.submit(UserInput("x"))
        await until(codex, TaskStarted)
        await codex.submit(Shutdown())
        return await until(codex, ShutdownComplete)

    msgs = run(scenario)
    assert msgs[-2:] == [TurnAborted("interrupted"), ShutdownComplete()]


def test_rollout_records_items_and_resume_continues(tmp_path: Path) -> None:
    config = make_config(tmp_path)

    async def first_session():
        codex, _ = await start(
            config, [shell_call(["echo", "hi"], call_id="c1"), reply("done")], ephemeral=False
        )
        await turn(codex, "say hi")
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        return codex.session_id, codex.rollout_path

    session_id, path = run(first_session)
    assert path is not None and path.is_relative_to(config.codex_home / "sessions")
    saved = read_rollout(path)
    assert saved.session_id == session_id
    assert [i.type for i in saved.items] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]

    async def resumed():
        codex, model = await start(config, [reply("again")], ephemeral=False, resume_path=path)
        await turn(codex, "and again")
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        return codex.session_id, model

    resumed_id, model = run(resumed)
    assert resumed_id == session_id
    texts = [i.text for i in model.prompts[0].input if isinstance(i, MessageItem)]
    assert texts[0].startswith("<environment_context>")  # regenerated, not replayed
    assert texts[1:] == ["say hi", "done", "and again"]
    assert len(read_rollout(path).items) == 6


def test_approval_broker_matches_answers_by_call_id() -> None:
    from pycodex.core.approvals import ApprovalBroker
    from pycodex.protocol.events import ExecApprovalRequest
    from pycodex.protocol.policy import ReviewDecision

    async def scenario():
        broker = ApprovalBroker()
        emitted: list[object] = []
        request = ExecApprovalRequest("call-1", ("rm", "-rf", "x"), "/tmp")
        waiter = asyncio.create_task(broker.request("call-1", request, emitted.append))
        await asyncio.sleep(0)
        assert broker.pending == ("call-1",)
        assert not broker.resolve("other", ReviewDecision.APPROVED)
        assert broker.resolve("call-1", ReviewDecision.DENIED)
        return await waiter, emitted, broker.pending

    decision, emitted, pending = run(scenario)
    assert decision == "denied" and len(emitted) == 1 and pending == ()


def test_resume_answers_a_call_left_open_by_a_killed_process(tmp_path: Path) -> None:
    from pycodex.protocol.items import FunctionCallItem, user_message
    from pycodex.storage.rollout import RolloutWriter

    config = make_config(tmp_path)
    writer = RolloutWriter.create(config.codex_home, "abc-123", instructions=None, cwd=config.cwd)
    writer.record_items(
        [
            user_message("run it"),
            FunctionCallItem(call_id="dangling", name="shell", arguments='{"command":["x"]}'),
        ]
    )
    writer.close()

    async def scenario():
        codex, model = await start(config, [reply("ok")], ephemeral=False, resume_path=writer.path)
        msgs = await turn(codex, "continue")
        return codex.session_id, msgs, model

    session_id, msgs, model = run(scenario)
    assert session_id == "abc-123" and msgs[-1] == TaskComplete("ok")
    from tests.core.harness import calls_all_answered, outputs

    assert outputs(model.prompts[0]) == {
        "dangling": "aborted: the session ended before this call finished"
    }
    assert calls_all_answered(model.prompts[0].input)


def test_missing_api_key_fails_spawn_without_a_session_file(tmp_path: Path) -> None:
    from pycodex.config.schema import ModelProviderInfo
    from pycodex.core.codex import Codex
    from pycodex.protocol.errors import AuthError
    from tests.core.harness import ENV

    provider = ModelProviderInfo(
        id="test", name="Test", base_url="http://127.0.0.1:9/v1", env_key="PYCODEX_NO_SUCH_KEY"
    )
    config = make_config(tmp_path, model_provider=provider, model_provider_id="test")

    async def scenario():
        with pytest.raises(AuthError):
            await Codex.spawn(config, env=ENV)

    run(scenario)
    assert not (config.codex_home / "sessions").exists()


def test_session_file_keeps_the_full_output_of_a_shortened_command(tmp_path: Path) -> None:
    code = "for i in range(2000): print('row', i)"
    config = make_config(tmp_path)

    async def scenario():
        codex, model = await start(
            config,
            [
                shell_call([PY, "-c", code], call_id="long"),
                shell_call(["echo", "short"]),
                reply("ok"),
            ],
            ephemeral=False,
        )
        await turn(codex, "x")
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        return codex.rollout_path, model

    path, model = run(scenario)
    assert path is not None
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    kept = [line for line in lines if line.get("record_type") == "exec_output"]
    assert len(kept) == 1  # the short command's output is in its item already
    assert kept[0]["call_id"] == "long" and kept[0]["exit_code"] == 0
    assert kept[0]["output"] == "".join(f"row {i}\n" for i in range(2000))
    from tests.core.harness import exec_json

    assert "lines omitted" in exec_json(model.prompts[1], "long")["output"]
    assert len(read_rollout(path).items) == 6  # user, 2 x (call, output), answer: no extra


def test_session_meta_records_git_branch_and_commit(tmp_path: Path) -> None:
    import subprocess

    config = make_config(tmp_path)
    git = ["git", "-C", str(config.cwd), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "init", "-q", "-b", "feature"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)

    async def scenario():
        codex, _ = await start(config, [], ephemeral=False)
        await codex.submit(Shutdown())
        await until(codex, ShutdownComplete)
        return codex.rollout_path

    path = run(scenario)
    assert path is not None
    meta = read_rollout(path).meta
    assert meta["git"] == {"commit_hash": head.stdout.strip(), "branch": "feature"}
    assert meta["cwd"] == str(config.cwd)


def test_git_info_reads_packed_refs_and_detached_heads(tmp_path: Path) -> None:
    from pycodex.core.git_info import git_info

    assert git_info(tmp_path) is None
    git_dir = tmp_path / ".git"
    git_dir.mkdir()
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    (git_dir / "packed-refs").write_text("# pack-refs\nabc123 refs/heads/main\n")
    assert git_info(tmp_path / "sub") == {"commit_hash": "abc123", "branch": "main"}
    (git_dir / "HEAD").write_text("def456\n")
    assert git_info(tmp_path) == {"commit_hash": "def456", "branch": None}


def test_auto_compaction_that_overflows_drops_old_history_and_goes_on(tmp_path: Path) -> None:
    from pycodex.core.compact import NO_SUMMARY
    from pycodex.core.turn import AUTO_COMPACT_DROPPED
    from pycodex.protocol.errors import ProviderHttpError

    overflow = ProviderHttpError(400, '{"error":{"code":"context_length_exceeded"}}')
    config = make_config(tmp_path, model_auto_compact_token_limit=1000)

    async def scenario():
        codex, model = await start(
            config,
            [shell_call(["true"], token_usage=usage(5000, 1)), fail(overflow), reply("ok")],
        )
        return await turn(codex, "keep going"), model

    msgs, model = run(scenario)
    assert BackgroundEvent(AUTO_COMPACT_DROPPED) in msgs and msgs[-1] == TaskComplete("ok")
    texts = [i.text for i in model.prompts[2].input if isinstance(i, MessageItem)]
    assert len(texts) == 2 and NO_SUMMARY in texts[1]
    assert "<request>\nkeep going\n</request>" in texts[1]


def test_other_compaction_errors_end_the_turn(tmp_path: Path) -> None:
    from pycodex.protocol.errors import ProviderHttpError

    config = make_config(tmp_path, model_auto_compact_token_limit=1000)

    async def scenario():
        codex, model = await start(
            config,
            [
                shell_call(["true"], token_usage=usage(5000, 1)),
                fail(ProviderHttpError(401, "bad key")),
            ],
        )
        return await turn(codex, "x"), model

    msgs, _ = run(scenario)
    assert msgs[-2:] == [Error("unexpected status 401: bad key"), TaskComplete(None)]


def test_a_context_overflow_error_compacts_and_retries_once(tmp_path: Path) -> None:
    from pycodex.protocol.errors import ProviderHttpError

    overflow = ProviderHttpError(400, "This model's maximum context length is 8192 tokens")

    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [
                reply("first"),
                fail(overflow),
                reply("the summary"),
                reply("ok"),
                fail(overflow),
                fail(overflow),
            ],
        )
        first = await turn(codex, "one")
        second = await turn(codex, "two")
        return first, second, model

    first, second, model = run(scenario)
    assert first[-1] == TaskComplete("first")
    assert BackgroundEvent("Context window nearly full: the conversation was compacted.") in second
    assert second[-1] == TaskComplete("ok")
    retried = [i.text for i in model.prompts[3].input if isinstance(i, MessageItem)]
    assert len(retried) == 2 and "<summary>\nthe summary\n</summary>" in retried[1]
    assert "<request>\ntwo\n</request>" in retried[1]
    assert model.remaining == 2  # exactly one retry: the spare failures were not used


def test_manual_compact_that_overflows_falls_back(tmp_path: Path) -> None:
    from pycodex.core.compact import NO_SUMMARY
    from pycodex.protocol.errors import ProviderHttpError

    overflow = ProviderHttpError(413, "request too large")

    async def scenario():
        codex, model = await start(make_config(tmp_path), [reply("a"), fail(overflow), reply("b")])
        await turn(codex, "one")
        await codex.submit(Compact())
        compact = await until(codex, TaskComplete)
        await turn(codex, "two")
        return compact, model

    compact, model = run(scenario)
    assert compact[1] == AgentMessage(f"{COMPACT_DONE} {NO_SUMMARY}")
    texts = [i.text for i in model.prompts[2].input[1:] if isinstance(i, MessageItem)]
    assert len(texts) == 2 and "<request>\none\n</request>" in texts[0] and texts[1] == "two"


def test_input_typed_during_a_failed_turn_is_kept(tmp_path: Path) -> None:
    import os

    from pycodex.protocol.events import ExecCommandBegin
    from pycodex.protocol.ops import UserInput

    fifo = tmp_path / "gate"
    os.mkfifo(fifo)

    def release() -> None:
        with open(fifo, "w") as f:
            f.write("go\n")

    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [shell_call(["cat", str(fifo)]), fail(ModelError("down")), reply("ok")],
        )
        await codex.submit(UserInput("first"))
        await until(codex, ExecCommandBegin)
        await codex.submit(UserInput("typed meanwhile"))
        await asyncio.sleep(0)  # one loop pass: the submission is taken (no time waited)
        await asyncio.to_thread(release)
        failed = await until(codex, TaskComplete)
        await turn(codex, "third")
        return failed, model

    failed, model = run(scenario)
    assert failed[-2:] == [Error("down"), TaskComplete(None)]
    texts = [i.text for i in model.prompts[2].input[1:] if isinstance(i, MessageItem)]
    assert texts == ["first", "typed meanwhile", "third"]
