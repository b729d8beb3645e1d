"""Tool pieces on their own: the model-visible output format, shell arguments.

apply_patch through shell and as a tool: ``test_apply_patch_tool.py``."""

from __future__ import annotations

import json
from pathlib import Path

from pycodex.core.exec_output import format_exec_output, truncate_head_tail
from pycodex.sandbox.spawn import CommandResult


def _result(text: str, **kw: object) -> CommandResult:
    fields: dict[str, object] = {
        "exit_code": 0,
        "stdout": text,
        "stderr": "",
        "aggregated": text,
        "timed_out": False,
        "duration": 0.123,
        "aggregated_head": text,
    }
    fields.update(kw)
    return CommandResult(**fields)  # type: ignore[arg-type]


def test_short_output_is_passed_through() -> None:
    out = json.loads(format_exec_output(_result("a\nb\n", exit_code=2)))
    assert out == {"output": "a\nb\n", "metadata": {"exit_code": 2, "duration_seconds": 0.1}}


def test_many_lines_keep_head_and_tail_with_a_marker() -> None:
    text = "".join(f"{i}\n" for i in range(1000))
    lines = truncate_head_tail(text).splitlines()
    assert lines[:2] == ["0", "1"] and lines[127] == "127"
    assert lines[128] == "[… 744 lines omitted …]"
    assert lines[129] == "872" and lines[-1] == "999"


def test_byte_budget_applies_to_long_lines() -> None:
    text = "".join(f"{i:04d}" + "x" * 196 + "\n" for i in range(200))  # 40 KB, 200 lines
    out = truncate_head_tail(text)
    assert len(out.encode()) <= 10 * 1024 + 64
    assert out.startswith("0000x") and out.rstrip().endswith("x")
    assert "[… " in out and " lines omitted …]" in out
    assert "0199" + "x" * 196 in out


def test_one_huge_line_is_cut_by_bytes() -> None:
    out = truncate_head_tail("y" * 100_000)
    assert len(out.encode()) < 11 * 1024
    assert "bytes omitted …]" in out


def test_timeout_is_said_plainly() -> None:
    out = json.loads(
        format_exec_output(_result("partial\n", timed_out=True, exit_code=124), timeout_ms=500)
    )
    assert out["output"] == "partial\ncommand timed out after 500 ms and was killed"
    assert out["metadata"]["exit_code"] == 124


def test_commands_without_a_timeout_get_the_default(tmp_path: Path) -> None:
    import asyncio

    from pycodex.core.approvals import ApprovalBroker
    from pycodex.core.tools.context import DEFAULT_SHELL_TIMEOUT_MS, ToolContext
    from pycodex.core.tools.shell import parse_shell_args, run_shell
    from pycodex.protocol.events import EventMsg
    from pycodex.protocol.policy import AskForApproval
    from pycodex.sandbox.policy import FULL_ACCESS
    from tests.core.harness import ENV

    assert DEFAULT_SHELL_TIMEOUT_MS == 10_000
    events: list[EventMsg] = []
    ctx = ToolContext(
        cwd=tmp_path,
        env=ENV,
        sandbox=FULL_ACCESS,
        approval_policy=AskForApproval.NEVER,
        approvals=ApprovalBroker(),
        emit=events.append,
        set_plan=lambda plan: None,
        default_timeout_ms=300,  # stands in for the 10 s default
    )
    params = parse_shell_args({"command": ["sleep", "30"], "timeout_ms_unknown": 1})
    assert params.timeout_ms is None
    out = json.loads(asyncio.run(asyncio.wait_for(run_shell(ctx, "c", params), 20)))
    assert out["output"] == "command timed out after 300 ms and was killed"
    assert [e.type for e in events] == ["exec_command_begin", "exec_command_end"]
