"""The headless run loop: one prompt in, one turn rendered, an exit status out.

It never hangs after an error: core promises ``TaskComplete`` after every turn (also after
a fatal ``Error``), the loop stops on it, and every other wait (session start, interrupt,
shutdown) has a time bound. Ctrl-C submits ``Interrupt`` and ends with status 130 once core
reports ``TurnAborted`` (or after a bound); a second Ctrl-C exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pycodex.config.schema import Config
from pycodex.core.terminal_text import sanitize
from pycodex.protocol.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK
from pycodex.protocol.events import (
    AgentMessage,
    ApplyPatchApprovalRequest,
    Error,
    Event,
    ExecApprovalRequest,
    SessionConfigured,
    ShutdownComplete,
    TaskComplete,
    TurnAborted,
)
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import ExecApproval, Interrupt, PatchApproval, Shutdown, UserInput
from pycodex.protocol.policy import ReviewDecision

if TYPE_CHECKING:
    from pycodex.frontends.headless.human import HumanRenderer
    from pycodex.frontends.headless.jsonl import JsonlMapper
    from pycodex.frontends.headless.output_schema import OutputSchema

SESSION_START_TIMEOUT_S = 120.0  # MCP servers may take their startup_timeout_sec each
INTERRUPT_TIMEOUT_S = 5.0
SHUTDOWN_TIMEOUT_S = 5.0


SpawnCore = Callable[[], Awaitable[CoreHandle]]


@dataclass(frozen=True)
class ExecRequest:
    """Everything one headless run needs, already validated by the CLI."""

    config: Config
    env: Mapping[str, str]
    prompt: str
    images: tuple[str, ...] = ()  # data: URLs, sent in the same message as the prompt
    json_mode: bool = False
    color: bool = False
    output_last_message: Path | None = None
    resume_path: Path | None = None
    ephemeral: bool = False
    version: str = ""
    output_schema: OutputSchema | None = None  # --output-schema: sent, and the answer checked


def default_spawn(req: ExecRequest) -> SpawnCore:
    """Spawns the real core for ``req`` (imported here: the loop itself stays light)."""

    async def spawn() -> CoreHandle:
        from pycodex.core.codex import Codex

        core: CoreHandle = await Codex.spawn(
            req.config, env=req.env, resume_path=req.resume_path, ephemeral=req.ephemeral
        )
        return core

    return spawn


class _Output:
    """Renders events in the chosen mode and remembers what decides the exit status."""

    def __init__(self, req: ExecRequest, out: TextIO) -> None:
        self.req = req
        self.out = out
        cfg = req.config
        self.jsonl: JsonlMapper | None = None
        self.human: HumanRenderer | None = None
        self._dumps: Callable[[dict[str, Any]], str] = str
        if req.json_mode:  # only the renderer in use is imported
            from pycodex.frontends.headless.jsonl import JsonlMapper, dumps

            self._dumps = dumps
            self.jsonl = JsonlMapper(
                show_reasoning=not cfg.hide_agent_reasoning,
                show_raw_reasoning=cfg.show_raw_agent_reasoning,
            )
        else:
            from pycodex.frontends.headless.human import HumanRenderer

            self.human = HumanRenderer(
                out,
                color=req.color,
                version=req.version,
                hide_reasoning=cfg.hide_agent_reasoning,
                show_raw_reasoning=cfg.show_raw_agent_reasoning,
            )
        self.last_message: str | None = None
        self.failed = False

    def started(self, event: Event) -> None:
        if self.jsonl is not None:
            self.emit(event)
        elif self.human is not None:
            resumed = str(self.req.resume_path) if self.req.resume_path else None
            prompt = self.req.prompt
            if self.req.images:
                prompt += f"\n[{len(self.req.images)} image(s) attached]"
            self.human.header(self.req.config, prompt, resumed_from=resumed)

    def emit(self, event: Event) -> None:
        msg = event.msg
        if isinstance(msg, AgentMessage):
            self.last_message = msg.message
        elif isinstance(msg, TaskComplete) and msg.last_agent_message is not None:
            self.last_message = msg.last_agent_message
        elif isinstance(msg, Error):
            self.failed = True
        if self.jsonl is not None:
            lines = self.jsonl.map(event)
            if lines:
                self.out.write("".join(self._dumps(line) + "\n" for line in lines))
                self.out.flush()
        elif self.human is not None:
            self.human.on_event(event)


class _Interrupts:
    """SIGINT while a turn runs: first one interrupts the turn, second one exits now."""

    def __init__(self, core: CoreHandle, err: TextIO) -> None:
        self.core = core
        self.err = err
        self.requested = asyncio.Event()
        self._tasks: set[asyncio.Task[str]] = set()

    def __call__(self) -> None:
        if self.requested.is_set():
            self.err.write("Interrupted again: exiting now\n")
            self.err.flush()
            sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)
        self.requested.set()
        task = asyncio.get_running_loop().create_task(self.core.submit(Interrupt()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _first_event(core: CoreHandle) -> Event:
    """Session start; events before ``SessionConfigured`` (none expected) are skipped."""
    while True:
        async with asyncio.timeout(SESSION_START_TIMEOUT_S):
            event = await core.next_event()
        if isinstance(event.msg, SessionConfigured | Error):
            return event


async def _run_turn(
    core: CoreHandle, output: _Output, interrupts: _Interrupts, interrupt_timeout: float
) -> None:
    """Renders events until the turn ends (``TaskComplete``, or ``TurnAborted`` after ^C).

    Unbounded while the turn runs (core guarantees its end); once ^C arrived, core has
    ``interrupt_timeout`` seconds to confirm, else ``TimeoutError``.
    """
    loop = asyncio.get_running_loop()
    waiter = asyncio.ensure_future(interrupts.requested.wait())
    pending: asyncio.Future[Event] | None = None
    deadline: float | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(core.next_event())
            if deadline is None and not interrupts.requested.is_set():
                both: set[asyncio.Future[Any]] = {pending, waiter}
                await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
            else:
                if deadline is None:
                    deadline = loop.time() + interrupt_timeout
                await asyncio.wait({pending}, timeout=max(0.0, deadline - loop.time()))
                if not pending.done():
                    raise TimeoutError
            if not pending.done():
                continue  # ^C arrived: go round again, now with a deadline
            event = pending.result()
            pending = None
            msg = event.msg
            if isinstance(msg, ExecApprovalRequest):
                await core.submit(ExecApproval(id=msg.call_id, decision=ReviewDecision.DENIED))
            elif isinstance(msg, ApplyPatchApprovalRequest):
                await core.submit(PatchApproval(id=msg.call_id, decision=ReviewDecision.DENIED))
            output.emit(event)
            if isinstance(msg, TaskComplete | TurnAborted):
                return
    finally:
        waiter.cancel()
        if pending is not None:
            pending.cancel()


async def _shutdown(core: CoreHandle) -> None:
    """Asks core to stop (rollout flushed, children killed); bounded."""

    async def drain() -> None:
        await core.submit(Shutdown())
        while not isinstance((await core.next_event()).msg, ShutdownComplete):
            pass

    try:
        async with asyncio.timeout(SHUTDOWN_TIMEOUT_S):
            await drain()
    except Exception:
        # Any failure here, whether core did not confirm in time (TimeoutError), was
        # already closed (SessionClosedError) or broke, ends the same way: the exit status
        # is decided and the turn's output written, so there is nothing left to report to.
        return


def write_last_message(path: Path, text: str) -> None:
    """Atomically (same-directory temp file, then rename); no newline is added."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


async def run_exec(
    req: ExecRequest,
    *,
    out: TextIO,
    err: TextIO,
    spawn: SpawnCore | None = None,
    install_sigint: bool = True,
    interrupt_timeout: float = INTERRUPT_TIMEOUT_S,
) -> int:
    """Runs one headless turn; returns the process exit status (0, 1 or 130).

    Startup failures of core (``CodexError``: missing API key, bad provider) propagate to
    the CLI, which prints them as one line with their exit status.
    """
    core = await (spawn or default_spawn(req))()
    output = _Output(req, out)
    interrupts = _Interrupts(core, err)
    loop = asyncio.get_running_loop()
    if install_sigint:
        loop.add_signal_handler(signal.SIGINT, interrupts)
    try:
        first = await _first_event(core)
        if isinstance(first.msg, Error):
            err.write(f"Error: {sanitize(first.msg.message)}\n")
            return EXIT_FAILURE
        output.started(first)
        if not interrupts.requested.is_set():  # ^C while starting: no turn at all
            schema = req.output_schema.schema if req.output_schema is not None else None
            await core.submit(UserInput(text=req.prompt, images=req.images, output_schema=schema))
            # TimeoutError: interrupted and core did not confirm in time; exit anyway.
            with contextlib.suppress(TimeoutError):
                await _run_turn(core, output, interrupts, interrupt_timeout)
    finally:
        if install_sigint:
            loop.remove_signal_handler(signal.SIGINT)
        await _shutdown(core)
        if output.human is not None:
            output.human.flush()
    if interrupts.requested.is_set():
        return EXIT_INTERRUPTED
    status = EXIT_FAILURE if output.failed else EXIT_OK
    if req.output_schema is not None and status == EXIT_OK:
        from pycodex.frontends.headless.output_schema import report

        json_out = out if req.json_mode else None
        status = report(req.output_schema, output.last_message, json_out=json_out, err=err)
    if req.output_last_message is not None:
        text = output.last_message
        if text is None:
            err.write(
                f"Warning: no agent message in this turn; {req.output_last_message} is empty\n"
            )
        try:
            write_last_message(req.output_last_message, text or "")
        except OSError as exc:
            err.write(f"Error: cannot write {req.output_last_message}: {exc.strerror}\n")
            return EXIT_FAILURE
    return status
