"""Whole turns through the public handle: scripted model, real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycodex.core.prompt import default_base_instructions
from pycodex.models.base import Completed, OutputItemDone
from pycodex.models.scripted import (
    Step,
    fail,
    function_call,
    reply,
    shell_call,
    tool_calls,
    usage,
)
from pycodex.protocol.errors import ModelError
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    Error,
    ExecCommandBegin,
    ExecCommandEnd,
    PlanUpdate,
    StreamError,
    TaskComplete,
    TaskStarted,
    TokenCount,
)
from pycodex.protocol.items import (
    FunctionCallItem,
    LocalShellCallItem,
    MessageItem,
    PlanStep,
    ReasoningItem,
    TokenUsage,
)
from tests.core.harness import (
    PY,
    exec_json,
    kinds,
    make_config,
    outputs,
    run,
    start,
    turn,
    until,
)


def test_shell_call_output_reaches_the_next_request(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [shell_call(["echo", "hi"], call_id="c1"), reply("done")]
        )
        msgs = await turn(codex, "say hi")
        return msgs, model

    msgs, model = run(scenario)
    assert kinds(msgs) == [
        "task_started",
        "token_count",
        "exec_command_begin",
        "exec_command_end",
        "agent_message",
        "token_count",
        "task_complete",
    ]
    begin = next(m for m in msgs if isinstance(m, ExecCommandBegin))
    assert begin.command == ("echo", "hi") and begin.cwd == str(tmp_path / "work")
    end = next(m for m in msgs if isinstance(m, ExecCommandEnd))
    assert (end.stdout, end.exit_code) == ("hi\n", 0)
    assert msgs[-1] == TaskComplete("done")
    assert "".join(m.delta for m in msgs if isinstance(m, AgentMessageDelta)) == "done"
    first_prompt, second = model.prompts
    assert first_prompt.instructions == default_base_instructions()
    assert [t.name for t in first_prompt.tools] == ["shell", "update_plan", "apply_patch"]
    result = exec_json(second, "c1")
    assert result["output"] == "hi\n" and result["metadata"]["exit_code"] == 0
    assert isinstance(result["metadata"]["duration_seconds"], float)
    assert end.formatted_output == outputs(second)["c1"]
    # The second request replays the first: user, call, output (in that order).
    kinds_in = [i.type for i in second.input[1:]]
    assert kinds_in == ["message", "function_call", "function_call_output"]


def test_stderr_and_exit_code_both_reported(tmp_path: Path) -> None:
    script = "import sys; print('to out', flush=True); print('to err', file=sys.stderr); exit(3)"

    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [shell_call([PY, "-c", script], call_id="c"), reply("ok")]
        )
        await turn(codex, "x")
        return model

    result = exec_json(run(scenario).prompts[1], "c")
    assert result["metadata"]["exit_code"] == 3
    assert sorted(result["output"].splitlines()) == ["to err", "to out"]


def test_workdir_resolves_against_cwd(tmp_path: Path) -> None:
    (tmp_path / "work" / "sub").mkdir(parents=True)

    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [shell_call(["pwd"], workdir="sub", call_id="c"), reply("ok")]
        )
        await turn(codex, "x")
        return model

    result = exec_json(run(scenario).prompts[1], "c")
    assert result["output"] == f"{tmp_path / 'work' / 'sub'}\n"


def test_missing_program_is_an_output_not_a_crash(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [shell_call(["no-such-tool-xyz"], call_id="c"), reply("ok")]
        )
        return await turn(codex, "x"), model

    msgs, model = run(scenario)
    result = exec_json(model.prompts[1], "c")
    assert result["output"] == "execution error: No such file or directory: no-such-tool-xyz"
    assert result["metadata"]["exit_code"] == 127
    assert msgs[-1] == TaskComplete("ok")


def test_unknown_tool_gets_unsupported_call(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [function_call("frobnicate", {}, call_id="c"), reply("ok")]
        )
        return await turn(codex, "x"), model

    msgs, model = run(scenario)
    assert outputs(model.prompts[1]) == {"c": "unsupported call: frobnicate"}
    assert msgs[-1] == TaskComplete("ok")


def test_invalid_json_arguments_get_an_error_and_the_session_goes_on(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [
                function_call("shell", '{"command": ["ls"', call_id="bad"),
                function_call("shell", {"command": "ls -l"}, call_id="shape"),
                reply("recovered"),
                reply("second turn"),
            ],
        )
        first = await turn(codex, "x")
        second = await turn(codex, "y")
        return first, second, model

    first, second, model = run(scenario)
    assert outputs(model.prompts[1])["bad"] == (
        "failed to parse function arguments for `shell` as JSON: Expecting ',' delimiter "
        "at line 1 column 18; send a JSON object matching the tool's parameters schema"
    )
    assert outputs(model.prompts[2])["shape"] == (
        "invalid arguments for `shell`: `command` must be a non-empty array of strings, "
        'e.g. ["bash", "-lc", "ls"]'
    )
    assert first[-1] == TaskComplete("recovered")
    assert second[-1] == TaskComplete("second turn")


def test_update_plan_emits_plan_update(tmp_path: Path) -> None:
    plan = {
        "explanation": "two steps",
        "plan": [
            {"step": "read code", "status": "in_progress"},
            {"step": "fix bug", "status": "pending"},
        ],
    }

    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [
                function_call("update_plan", plan, call_id="p"),
                function_call(
                    "update_plan", {"plan": [{"step": "x", "status": "done"}]}, call_id="q"
                ),
                reply("ok"),
            ],
        )
        return await turn(codex, "x"), model

    msgs, model = run(scenario)
    updates = [m for m in msgs if isinstance(m, PlanUpdate)]
    assert updates == [
        PlanUpdate(
            plan=(PlanStep("read code", "in_progress"), PlanStep("fix bug", "pending")),
            explanation="two steps",
        )
    ]
    assert outputs(model.prompts[1]) == {"p": "Plan updated"}
    assert outputs(model.prompts[2])["q"] == (
        "invalid arguments for `update_plan`: plan[0].status must be one of pending, "
        "in_progress, completed, got 'done'"
    )


def test_model_error_ends_the_turn_with_error_then_task_complete(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [fail(ModelError("unexpected status 401: bad key")), reply("fine now")],
        )
        first = await turn(codex, "first")
        second = await turn(codex, "second")
        return first, second, model

    first, second, model = run(scenario)
    assert first == [
        TaskStarted(272_000),
        Error("unexpected status 401: bad key"),
        TaskComplete(None),
    ]
    assert second[-1] == TaskComplete("fine now")
    texts = [i.text for i in model.prompts[1].input if isinstance(i, MessageItem)]
    assert texts[-2:] == ["first", "second"]


def test_exhausted_script_is_an_error_not_a_hang(tmp_path: Path) -> None:
    async def scenario():
        codex, _ = await start(make_config(tmp_path), [shell_call(["true"])])
        return await turn(codex, "x")

    msgs = run(scenario)
    assert msgs[-2:] == [
        Error("scripted model: no more responses in the script"),
        TaskComplete(None),
    ]


def test_retrying_shows_a_stream_error(tmp_path: Path) -> None:
    async def scenario():
        codex, _ = await start(make_config(tmp_path), [reply("ok", retries=1)])
        return await turn(codex, "x")

    msgs = run(scenario)
    errors = [m for m in msgs if isinstance(m, StreamError)]
    assert errors == [StreamError("scripted retry; retrying 1/2 in 0.0s…", 1, 2, 0.0)]
    assert msgs[-1] == TaskComplete("ok")


def test_partial_items_before_retrying_are_dropped(tmp_path: Path) -> None:
    from pycodex.models.base import Retrying
    from pycodex.protocol.items import assistant_message

    step = Step(
        (
            OutputItemDone(assistant_message("stale")),
            Retrying("cut", 1, 3, 0.0),
            OutputItemDone(assistant_message("fresh")),
            Completed(None, usage()),
        )
    )

    async def scenario():
        codex, model = await start(make_config(tmp_path), [step, reply("second")])
        first = await turn(codex, "a")
        await turn(codex, "b")
        return first, model

    first, model = run(scenario)
    assert first[-1] == TaskComplete("fresh")
    texts = [i.text for i in model.prompts[1].input if isinstance(i, MessageItem)]
    assert "stale" not in texts and "fresh" in texts


def test_token_usage_totals(tmp_path: Path) -> None:
    async def scenario():
        codex, _ = await start(
            make_config(tmp_path, model_context_window=5000),
            [
                shell_call(["true"], token_usage=usage(100, 10, cached=40)),
                reply("ok", token_usage=usage(200, 20)),
            ],
        )
        return await turn(codex, "x")

    counts = [m for m in run(scenario) if isinstance(m, TokenCount)]
    assert counts == [
        TokenCount(TokenUsage(100, 40, 10, 0, 110), TokenUsage(100, 40, 10, 0, 110), 5000),
        TokenCount(TokenUsage(200, 0, 20, 0, 220), TokenUsage(300, 40, 30, 0, 330), 5000),
    ]


def test_reasoning_items_are_kept_and_replayed(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [reply("a", reasoning="thinking hard", encrypted_reasoning="gAAA=="), reply("b")],
        )
        first = await turn(codex, "one")
        await turn(codex, "two")
        return first, model

    first, model = run(scenario)
    assert AgentReasoning("thinking hard") in first
    replayed = [i for i in model.prompts[1].input if isinstance(i, ReasoningItem)]
    assert len(replayed) == 1
    assert replayed[0].encrypted_content == "gAAA==" and replayed[0].summary == ("thinking hard",)


def test_local_shell_call_runs_like_shell(tmp_path: Path) -> None:
    call = LocalShellCallItem(call_id="ls1", command=("echo", "local"))
    step = Step((OutputItemDone(call), Completed(None, usage())))

    async def scenario():
        codex, model = await start(make_config(tmp_path), [step, reply("ok")])
        await turn(codex, "x")
        return model

    assert exec_json(run(scenario).prompts[1], "ls1")["output"] == "local\n"


def test_several_calls_run_in_order(tmp_path: Path) -> None:
    out = tmp_path / "work" / "order.txt"
    step = tool_calls(
        [
            ("shell", {"command": ["bash", "-c", f"echo one >> {out}"]}, "a"),
            ("shell", {"command": ["bash", "-c", f"echo two >> {out}"]}, "b"),
        ],
        text="running two",
    )

    async def scenario():
        codex, model = await start(make_config(tmp_path), [step, reply("ok")])
        msgs = await turn(codex, "x")
        return msgs, model

    msgs, model = run(scenario)
    assert out.read_text() == "one\ntwo\n"
    assert AgentMessage("running two") in msgs
    assert list(outputs(model.prompts[1])) == ["a", "b"]
    order = [i.call_id for i in model.prompts[1].input if isinstance(i, FunctionCallItem)]
    assert order == ["a", "b"]


def test_user_input_during_a_turn_is_sent_with_the_next_request(tmp_path: Path) -> None:
    import asyncio
    import os

    from pycodex.protocol.ops import UserInput

    fifo = tmp_path / "gate"
    os.mkfifo(fifo)

    def release() -> None:
        with open(fifo, "w") as f:
            f.write("go\n")

    async def scenario():
        codex, model = await start(
            make_config(tmp_path), [shell_call(["cat", str(fifo)], call_id="c"), reply("ok")]
        )
        await codex.submit(UserInput("first"))
        msgs = await until(codex, ExecCommandBegin)
        await codex.submit(UserInput("also this"))
        await asyncio.sleep(0)  # let the loop take the submission (no waiting on time)
        await asyncio.to_thread(release)
        msgs += await until(codex, TaskComplete)
        return msgs, model

    msgs, model = run(scenario)
    assert kinds(msgs).count("task_started") == 1
    assert msgs[-1] == TaskComplete("ok")
    tail = [i.type for i in model.prompts[1].input[-3:]]
    assert tail == ["function_call", "function_call_output", "message"]
    last = model.prompts[1].input[-1]
    assert isinstance(last, MessageItem) and last.text == "also this"


def test_events_of_a_turn_carry_its_submission_id(tmp_path: Path) -> None:
    import asyncio

    from pycodex.protocol.ops import UserInput

    async def scenario():
        from pycodex.core.codex import Codex
        from pycodex.models.scripted import ScriptedModelClient
        from tests.core.harness import ENV

        codex = await Codex.spawn(
            make_config(tmp_path),
            env=ENV,
            model_client=ScriptedModelClient([reply("ok")]),
            ephemeral=True,
        )
        first = await asyncio.wait_for(codex.next_event(), 10)
        sub_id = await codex.submit(UserInput("x"))
        ids = []
        while True:
            event = await asyncio.wait_for(codex.next_event(), 10)
            ids.append(event.id)
            if isinstance(event.msg, TaskComplete):
                return first.id, sub_id, ids

    first_id, sub_id, ids = run(scenario)
    assert first_id == "0" and sub_id == "1"
    assert set(ids) == {"1"}


def test_exec_output_json_is_valid(tmp_path: Path) -> None:
    async def scenario():
        codex, model = await start(
            make_config(tmp_path),
            [shell_call(["printf", "é\\n"], call_id="c"), reply("ok")],
        )
        await turn(codex, "x")
        return model

    text = outputs(run(scenario).prompts[1])["c"]
    assert json.loads(text)["output"] == "é\n"


@pytest.mark.parametrize(
    ("plan", "apply_patch", "offered"),
    [
        (True, True, ["shell", "update_plan", "apply_patch"]),
        (False, True, ["shell", "apply_patch"]),
        (True, False, ["shell", "update_plan"]),
        (False, False, ["shell"]),
    ],
)
def test_include_plan_and_apply_patch_tool_settings(
    tmp_path: Path, plan: bool, apply_patch: bool, offered: list[str]
) -> None:
    config = make_config(tmp_path, include_plan_tool=plan, include_apply_patch_tool=apply_patch)

    async def scenario():
        codex, model = await start(config, [reply("ok")])
        await turn(codex, "hi")
        return model

    model = run(scenario)
    assert [t.name for t in model.prompts[0].tools] == offered
