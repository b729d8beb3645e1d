"""The server's Codex sessions: one core each, keyed by session id, several at once.

``codex`` loads the configuration with the call's overrides (layered over CODEX_HOME's
config.toml exactly like the command line's flags and ``-c``), spawns a core and runs the
first turn; ``codex-reply`` runs the next turn of a session it started. One turn at a time
per session: a reply to a session that is still working is refused, not queued (the
client could not tell which events belong to which call), unless that work is a cancelled
call's turn being interrupted, which the reply waits for. All sessions are shut down
(running commands killed) when the server stops.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import anyio

from pycodex.config.loader import load_config
from pycodex.config.schema import Config
from pycodex.core.terminal_text import sanitize
from pycodex.frontends.mcp_server.relay import Peer, RequestId, Turn, TurnResult
from pycodex.frontends.mcp_server.tools import CodexArgs, ReplyArgs
from pycodex.protocol.errors import CodexError
from pycodex.protocol.events import SessionConfigured, ShutdownComplete
from pycodex.protocol.handle import CoreHandle
from pycodex.protocol.ops import Shutdown

SHUTDOWN_TIMEOUT_S = 5.0
SESSION_START_TIMEOUT_S = 120.0

SpawnCore = Callable[[Config, Mapping[str, str]], Awaitable[CoreHandle]]


async def spawn_codex(config: Config, env: Mapping[str, str]) -> CoreHandle:
    """The real core (imported on first use: listing tools must stay cheap)."""
    from pycodex.core.codex import Codex

    core: CoreHandle = await Codex.spawn(config, env=env)
    return core


@dataclass(frozen=True)
class ServerContext:
    """Where the server runs: what the command line would read from the process."""

    codex_home: Path
    cwd: Path
    env: Mapping[str, str]
    spawn: SpawnCore = spawn_codex
    log: TextIO = sys.stderr


@dataclass
class _Session:
    core: CoreHandle
    lock: anyio.Lock = dataclasses.field(default_factory=anyio.Lock)
    stopping: bool = False  # its call was cancelled; the turn is being interrupted

    def cancelled(self) -> None:
        self.stopping = True

    async def run(self, turn: Turn, prompt: str) -> TurnResult:
        async with self.lock:
            self.stopping = False
            return await turn.run(prompt)


class Sessions:
    def __init__(self, context: ServerContext) -> None:
        self.context = context
        self._sessions: dict[str, _Session] = {}
        self._warned: set[str] = set()

    def __len__(self) -> int:
        return len(self._sessions)

    def _config(self, args: CodexArgs) -> Config:
        ctx = self.context
        loaded = load_config(
            codex_home=ctx.codex_home, cwd=ctx.cwd, env=ctx.env, overrides=args.overrides
        )
        for warning in loaded.warnings:
            if warning not in self._warned:
                self._warned.add(warning)
                ctx.log.write(f"warning: {sanitize(warning)}\n")
                ctx.log.flush()
        config = loaded.config
        if args.base_instructions is not None:
            config = dataclasses.replace(config, base_instructions=args.base_instructions)
        if args.include_plan_tool is not None:
            config = dataclasses.replace(config, include_plan_tool=args.include_plan_tool)
        return config

    async def start(self, args: CodexArgs, peer: Peer, request_id: RequestId) -> TurnResult:
        """A new session and its first turn. Configuration and startup failures are
        results with ``is_error`` (one line), like every failure of the call itself."""
        try:
            config = self._config(args)
            with anyio.fail_after(SESSION_START_TIMEOUT_S):
                core = await self.context.spawn(config, self.context.env)
        except CodexError as exc:
            return TurnResult(text=str(exc), is_error=True)
        except TimeoutError:
            return TurnResult(text="the session did not start in time", is_error=True)
        session = _Session(core)
        turn = Turn(core, peer, request_id, on_cancel=session.cancelled)
        first = await core.next_event()
        await turn.forward(first)
        if not isinstance(first.msg, SessionConfigured):
            await _shutdown(core)
            return TurnResult(text=f"the session did not start: {first.msg.type}", is_error=True)
        session_id = first.msg.session_id
        self._sessions[session_id] = session
        result = await session.run(turn, args.prompt)
        result.session_id = session_id
        return result

    async def reply(self, args: ReplyArgs, peer: Peer, request_id: RequestId) -> TurnResult:
        session = self._sessions.get(args.session_id)
        if session is None:
            return TurnResult(text=f"no session with id {args.session_id!r}", is_error=True)
        if session.lock.locked() and not session.stopping:
            return TurnResult(
                text=f"session {args.session_id} is still working on another call",
                is_error=True,
            )
        # A cancelled call's turn is still being interrupted (bounded): wait for it.
        turn = Turn(session.core, peer, request_id, on_cancel=session.cancelled)
        result = await session.run(turn, args.prompt)
        result.session_id = args.session_id
        return result

    async def close_all(self) -> None:
        """Shut every session down at once (each bounded); their commands are killed."""
        sessions, self._sessions = list(self._sessions.values()), {}
        with anyio.CancelScope(shield=True):
            async with anyio.create_task_group() as tg:
                for session in sessions:
                    tg.start_soon(_shutdown, session.core)


async def _shutdown(core: CoreHandle) -> None:
    with anyio.move_on_after(SHUTDOWN_TIMEOUT_S):
        try:
            await core.submit(Shutdown())
            while not isinstance((await core.next_event()).msg, ShutdownComplete):
                pass
        except CodexError:
            pass  # already closed
