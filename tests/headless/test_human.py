"""The human transcript: header, cells, output cut, plan, colours."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.frontends.headless.human import HumanRenderer, describe_sandbox, use_color
from pycodex.protocol.events import (
    AgentMessage,
    AgentReasoning,
    Error,
    Event,
    EventMsg,
    ExecCommandBegin,
    ExecCommandEnd,
    PlanUpdate,
    StreamError,
    TokenCount,
)
from pycodex.protocol.items import PlanStep, TokenUsage
from pycodex.protocol.policy import AskForApproval, SandboxMode


class FixedClock(datetime):
    @classmethod
    def now(cls, tz: object = None) -> FixedClock:
        return cls(2026, 11, 25, 15, 58, 38)


def render(msgs: list[EventMsg], *, color: bool = False, hide: bool = False) -> str:
    out = io.StringIO()
    r = HumanRenderer(out, color=color, version="0.1.0", hide_reasoning=hide, now=FixedClock)
    cfg = Config(
        codex_home=Path("/h"),
        cwd=Path("/w"),
        model="gpt-5",
        approval_policy=AskForApproval.NEVER,
        sandbox_mode=SandboxMode.WORKSPACE_WRITE,
    )
    r.header(cfg, "do it")
    for m in msgs:
        r.on_event(Event("1", m))
    r.flush()
    return out.getvalue()


def test_header_and_cells() -> None:
    text = render(
        [
            AgentReasoning("pondering"),
            ExecCommandBegin("c", ("bash", "-lc", "seq 1 30"), "/w"),
            ExecCommandEnd("c", "", "", "".join(f"{i}\n" for i in range(1, 31)), 0, 0.0123),
            ExecCommandBegin("d", ("false",), "/w"),
            ExecCommandEnd("d", "", "", "", 1, 0.001),
            TokenCount(last=TokenUsage(total_tokens=950), total=TokenUsage(total_tokens=950)),
            StreamError("stream closed; retrying 1/5 in 0.2s…", attempt=1, max_attempts=5),
            Error("bad thing"),
            AgentMessage("all done"),
        ]
    )
    ts = "[2026-11-25T15:58:38] "
    lines = text.splitlines()
    assert lines[:10] == [
        ts + "pycodex v0.1.0",
        "--------",
        "workdir: /w",
        "model: gpt-5",
        "provider: openai",
        "approval: never",
        "sandbox: workspace-write [workdir, /tmp, $TMPDIR]",
        "reasoning effort: medium",
        "reasoning summaries: auto",
        "--------",
    ]
    assert lines[10:14] == [ts + "User instructions:", "do it", ts + "thinking", "pondering"]
    assert ts + "exec seq 1 30 in /w" in lines  # the script, as a person types it
    i = lines.index(ts + "seq 1 30 succeeded in 12ms:")
    assert lines[i + 1 : i + 22] == [*(str(n) for n in range(1, 21)), "... (+10 lines)"]
    assert ts + "false exited 1 in 1ms:" in lines
    assert ts + "tokens used: 950" in lines
    assert ts + "stream error: stream closed; retrying 1/5 in 0.2s…" in lines
    assert ts + "ERROR: bad thing" in lines
    assert lines[-2:] == [ts + "codex", "all done"]
    assert "\x1b[" not in text


def test_plan_is_rendered_as_a_checklist() -> None:
    text = render(
        [
            PlanUpdate(
                plan=(PlanStep("read", "completed"), PlanStep("fix", "in_progress")),
                explanation="two steps",
            )
        ]
    )
    assert text.endswith("plan:\ntwo steps\n  [x] read\n  [~] fix\n")
    assert "PlanItemArg" not in text and "Some(" not in text


def test_hidden_reasoning_and_colours() -> None:
    assert "thinking" not in render([AgentReasoning("secret")], hide=True)
    coloured = render([AgentMessage("hi")], color=True)
    assert "\x1b[1m" in coloured and "\x1b[0m" in coloured


def test_sandbox_line_per_mode() -> None:
    cfg = Config(codex_home=Path("/h"), cwd=Path("/w"), sandbox_mode=SandboxMode.READ_ONLY)
    assert describe_sandbox(cfg) == "read-only"


def test_use_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color("always", io.StringIO(), {}) is True
    assert use_color("never", Tty(), {}) is False
    assert use_color("auto", Tty(), {}) is True
    assert use_color("auto", Tty(), {"NO_COLOR": "1"}) is False
    assert use_color("auto", io.StringIO(), {}) is False


def test_final_message_is_printed_after_its_token_count() -> None:
    text = render(
        [
            AgentMessage("answer"),
            TokenCount(last=TokenUsage(total_tokens=5), total=TokenUsage(total_tokens=7)),
        ]
    )
    assert text.endswith("tokens used: 7\n[2026-11-25T15:58:38] codex\nanswer\n")
