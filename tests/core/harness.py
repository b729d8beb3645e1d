"""Drive the public Codex handle with a scripted model: helpers shared by the core tests."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from pycodex.config.schema import Config
from pycodex.core.codex import Codex
from pycodex.models.base import Prompt
from pycodex.models.scripted import ScriptedModelClient, Step
from pycodex.protocol.events import (
    AgentMessageDelta,
    AgentReasoningDelta,
    Event,
    EventMsg,
    ExecCommandOutputDelta,
    SessionConfigured,
    TaskComplete,
    TurnAborted,
)
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    LocalShellCallItem,
    ResponseItem,
)
from pycodex.protocol.ops import UserInput
from pycodex.protocol.policy import AskForApproval, SandboxMode

PY = sys.executable
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}
T = TypeVar("T")
WAIT = 30.0


def make_config(tmp_path: Path, **changes: Any) -> Config:
    home = tmp_path / "home"
    cwd = tmp_path / "work"
    home.mkdir(exist_ok=True)
    cwd.mkdir(exist_ok=True)
    base = Config(
        codex_home=home,
        cwd=cwd,
        approval_policy=AskForApproval.NEVER,
        sandbox_mode=SandboxMode.DANGER_FULL_ACCESS,
    )
    return replace(base, **changes)


def run(factory: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
    async def main() -> T:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(main())


async def start(
    config: Config, steps: list[Step], **kwargs: Any
) -> tuple[Codex, ScriptedModelClient]:
    model = ScriptedModelClient(steps)
    kwargs.setdefault("ephemeral", True)
    codex = await Codex.spawn(config, env=ENV, model_client=model, **kwargs)
    first = await next_msg(codex)
    assert isinstance(first, SessionConfigured) and first.session_id == codex.session_id
    return codex, model


async def next_msg(codex: Codex) -> EventMsg:
    event: Event = await asyncio.wait_for(codex.next_event(), WAIT)
    return event.msg


async def until(codex: Codex, *kinds: type) -> list[EventMsg]:
    """Events up to and including the first of ``kinds``."""
    seen: list[EventMsg] = []
    while True:
        msg = await next_msg(codex)
        seen.append(msg)
        if isinstance(msg, kinds):
            return seen


async def turn(codex: Codex, text: str) -> list[EventMsg]:
    await codex.submit(UserInput(text))
    return await until(codex, TaskComplete, TurnAborted)


STREAMING = (AgentMessageDelta, AgentReasoningDelta, ExecCommandOutputDelta)


def kinds(msgs: list[EventMsg]) -> list[str]:
    """Event types in order, live deltas left out."""
    return [m.type for m in msgs if not isinstance(m, STREAMING)]


def outputs(prompt: Prompt) -> dict[str, str]:
    return {i.call_id: i.output for i in prompt.input if isinstance(i, FunctionCallOutputItem)}


def exec_json(prompt: Prompt, call_id: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(outputs(prompt)[call_id])
    return value


def calls_all_answered(items: tuple[ResponseItem, ...]) -> bool:
    answered = {i.call_id for i in items if isinstance(i, FunctionCallOutputItem)}
    called = {i.call_id for i in items if isinstance(i, FunctionCallItem | LocalShellCallItem)}
    return called <= answered
