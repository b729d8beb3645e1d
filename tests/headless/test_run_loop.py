"""The headless loop against the scripted core (the ``CoreHandle`` seam): statuses and waits.

The scripted core plays events like core does (session configured, a turn, shutdown) so
the loop's own decisions can be checked: exit statuses, ``-o``, Ctrl-C, answering
approvals. The real core is exercised end to end in tests/e2e.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.frontends.headless.run import ExecRequest, run_exec
from pycodex.protocol.events import (
    AgentMessage,
    Error,
    ExecApprovalRequest,
    TaskComplete,
    TaskStarted,
)
from pycodex.protocol.ops import ExecApproval, Interrupt, Shutdown, UserInput
from pycodex.protocol.policy import ReviewDecision
from pycodex.protocol.scripted_core import ScriptedCore
from tests.headless.schema_check import parse_jsonl


def request(tmp_path: Path, **kw: object) -> ExecRequest:
    cfg = Config(codex_home=tmp_path, cwd=tmp_path)
    return ExecRequest(config=cfg, env={}, prompt="do it", json_mode=True, **kw)  # type: ignore[arg-type]


def run(
    core: ScriptedCore,
    req: ExecRequest,
    out: io.StringIO | None = None,
    *,
    bound: float = 30.0,
    **kw: object,
) -> int:
    async def main() -> int:
        return await run_exec(
            req,
            out=out or io.StringIO(),
            err=io.StringIO(),
            spawn=core.spawner(),
            **kw,  # type: ignore[arg-type]
        )

    return asyncio.run(asyncio.wait_for(main(), bound))


def test_success_writes_last_message_without_newline(tmp_path: Path) -> None:
    core = ScriptedCore([[TaskStarted(), AgentMessage("the answer"), TaskComplete("the answer")]])
    target = tmp_path / "last.txt"
    out = io.StringIO()
    rc = run(core, request(tmp_path, output_last_message=target), out, install_sigint=False)
    assert rc == 0
    assert target.read_text() == "the answer"
    assert [e["type"] for e in parse_jsonl(out.getvalue())] == [
        "thread.started",
        "turn.started",
        "item.completed",
        "turn.completed",
    ]
    assert isinstance(core.ops[0], UserInput) and core.ops[0].text == "do it"
    assert isinstance(core.ops[-1], Shutdown)
    assert not list(tmp_path.glob(".last.txt.*"))  # no temp file left behind


def test_fatal_error_exits_1(tmp_path: Path) -> None:
    core = ScriptedCore([[TaskStarted(), Error("unexpected status 401"), TaskComplete()]])
    out = io.StringIO()
    assert run(core, request(tmp_path), out, install_sigint=False) == 1
    assert parse_jsonl(out.getvalue())[-1]["type"] == "turn.failed"


def test_approval_requests_are_denied(tmp_path: Path) -> None:
    core = ScriptedCore(
        [[TaskStarted(), ExecApprovalRequest("c1", ("rm", "-rf", "x"), "/w"), TaskComplete()]]
    )
    assert run(core, request(tmp_path), install_sigint=False) == 0
    assert ExecApproval(id="c1", decision=ReviewDecision.DENIED) in core.ops


class SigintOnTurnStart(io.StringIO):
    """Sends this process SIGINT when the loop prints ``trigger``: the ^C of a user."""

    trigger = '"turn.started"'

    def write(self, s: str) -> int:
        if self.trigger in s:
            os.kill(os.getpid(), signal.SIGINT)
        return super().write(s)


def test_sigint_interrupts_and_exits_130(tmp_path: Path) -> None:
    core = ScriptedCore([[TaskStarted()]])  # the turn never ends on its own
    out = SigintOnTurnStart()
    assert run(core, request(tmp_path), out) == 130
    assert any(isinstance(op, Interrupt) for op in core.ops)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines[-1] == {"type": "turn.failed", "error": {"message": "turn interrupted"}}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigint_exits_130_even_if_core_never_confirms(tmp_path: Path) -> None:
    core = ScriptedCore([[TaskStarted()]], confirm_interrupt=False)
    # Bounded: waiting for a TurnAborted that never comes would not finish within 5 s.
    assert run(core, request(tmp_path), SigintOnTurnStart(), interrupt_timeout=0.2, bound=5) == 130


def test_unwritable_output_file_is_a_failure(tmp_path: Path) -> None:
    core = ScriptedCore([[TaskStarted(), AgentMessage("x"), TaskComplete("x")]])
    req = request(tmp_path, output_last_message=tmp_path / "missing-dir" / "f.txt")
    assert run(core, req, install_sigint=False) == 1
