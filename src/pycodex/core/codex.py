"""The Codex handle: ops in with ``submit``, events out with ``next_event``.

One background task reads submissions; each user turn (or compaction) runs as its own task
so that ``Interrupt`` and approval answers are handled while it works. Event order of a
turn: ``TaskStarted`` → deltas, items, ``TokenCount``, exec/plan events … → ``TaskComplete``;
a fatal error gives ``Error`` then ``TaskComplete``; an interrupt ends the turn with
``TurnAborted`` instead (children killed, every unanswered tool call given an output).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

from pycodex.config.schema import Config
from pycodex.core.approvals import ApprovalAborted, ApprovalBroker
from pycodex.core.compact import (
    COMPACT_DONE,
    NO_SUMMARY,
    compact_history,
    drop_history,
    is_context_overflow,
)
from pycodex.core.exec_env import config_secret_names, create_env
from pycodex.core.git_info import git_info
from pycodex.core.images import user_input_message
from pycodex.core.model_info import context_window, request_options
from pycodex.core.notify import Notifier
from pycodex.core.project_doc import load_user_instructions
from pycodex.core.session import Session
from pycodex.core.tools.context import ToolContext
from pycodex.core.tools.mcp import mcp_function_tools
from pycodex.core.tools.specs import default_tools
from pycodex.core.turn import TurnContext, run_turn
from pycodex.models.base import ModelClient
from pycodex.protocol.errors import CodexError, ModelError
from pycodex.protocol.events import (
    AgentMessage,
    BackgroundEvent,
    Error,
    Event,
    EventMsg,
    SessionConfigured,
    ShutdownComplete,
    TaskComplete,
    TaskStarted,
    TurnAborted,
)
from pycodex.protocol.items import Plan
from pycodex.protocol.ops import (
    Compact,
    ExecApproval,
    Interrupt,
    Op,
    PatchApproval,
    Shutdown,
    Submission,
    UserInput,
)
from pycodex.sandbox.launch import prewarm
from pycodex.sandbox.policy import policy_from_config
from pycodex.storage.rollout import RolloutWriter, SavedSession, open_for_resume, read_rollout

if TYPE_CHECKING:
    from pycodex.mcp_client.manager import McpManager

ABORTED_OUTPUT = "aborted by user"
RESUMED_UNANSWERED_OUTPUT = "aborted: the session ended before this call finished"
NOTIFY_DRAIN_SECONDS = 5.0
ABORT_RECANCEL_S = 1.0  # an interrupted task still running after this is cancelled again


class SessionClosedError(CodexError):
    """``next_event`` or ``submit`` after the session shut down."""


def _build_model_client(config: Config, env: Mapping[str, str], session_id: str) -> ModelClient:
    from pycodex.core.model_auth import session_auth
    from pycodex.models.client import create_model_client

    api_key, chatgpt = session_auth(config, env)  # an API key, or the ChatGPT sign-in
    return create_model_client(
        config.model_provider,
        request_options(config),
        env=env,
        api_key=api_key,
        chatgpt=chatgpt,
        chatgpt_base_url=config.chatgpt_base_url,
        session_id=session_id,
        originator=config.internal_originator,
    )


def _open_session(
    config: Config,
    session_id: str,
    saved: SavedSession | None,
    ephemeral: bool,
    user_instructions: str | None,
) -> Session:
    if ephemeral:
        writer = None
    elif saved is not None:  # pycodex's own file in place; another CLI's: a new linked file
        writer = open_for_resume(
            saved,
            config.codex_home,
            instructions=user_instructions,
            cwd=config.cwd,
            git=git_info(config.cwd),
            originator=config.internal_originator,
        )
    else:
        writer = RolloutWriter.create(
            config.codex_home,
            session_id,
            instructions=user_instructions,
            cwd=config.cwd,
            git=git_info(config.cwd),
            originator=config.internal_originator,
        )
    session = Session(
        config,
        session_id,
        user_instructions=user_instructions,
        rollout=writer,
        history=saved.items if saved is not None else (),
    )
    # A killed process can leave a call without its output: answer it, or the next
    # request is invalid (the Responses API rejects a function_call with no output).
    session.answer_unanswered(RESUMED_UNANSWERED_OUTPUT)
    return session


async def _start_mcp(config: Config, env: Mapping[str, str]) -> McpManager | None:
    """The configured MCP servers, started together (bounded by their startup timeouts);
    the SDK is imported only here, and only when there is a server."""
    if not config.mcp_servers:
        return None
    from pycodex.mcp_client.manager import McpManager

    return await McpManager.start(config.mcp_servers, env=env, cwd=config.cwd)


class Codex:
    """A running session. Create with ``await Codex.spawn(...)``."""

    def __init__(
        self,
        session: Session,
        model: ModelClient,
        env: Mapping[str, str],
        mcp: McpManager | None = None,
    ) -> None:
        config = session.config
        self._session = session
        self._model = model
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._submissions: asyncio.Queue[Submission] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._approvals = ApprovalBroker()
        self._shown_notices: set[str] = set()  # sandbox notices told, once per session
        self._notifier = Notifier(config.notify, cwd=config.cwd, env=env)
        self._mcp = mcp  # MCP servers' tools are offered after the built-in ones
        mcp_tools = mcp_function_tools(mcp.tools) if mcp is not None else ()
        builtin = default_tools(
            config.approval_policy,
            plan=config.include_plan_tool,
            apply_patch=config.include_apply_patch_tool,
            web_search=config.tools.web_search,
        )
        self._tools = (*builtin, *mcp_tools)
        # CODEX_SANDBOX_NETWORK_DISABLED is added per command by sandbox.launch, from the
        # policy the command actually runs under (an approved rerun outside it has network).
        self._tool_env = create_env(
            config.shell_environment_policy, env, secret_names=config_secret_names(config)
        )
        # The first sandboxed command should not wait for the search of the writable roots.
        prewarm(policy_from_config(config), cwd=config.cwd, env=self._tool_env)
        self._task: asyncio.Task[None] | None = None
        self._turn: TurnContext | None = None
        self._task_sub_id: str | None = None
        self._closed = False
        self._loop_task = asyncio.create_task(self._run_loop())

    # --- public API ------------------------------------------------------------------

    @classmethod
    async def spawn(
        cls,
        config: Config,
        *,
        env: Mapping[str, str],
        model_client: ModelClient | None = None,
        resume_path: Path | None = None,
        ephemeral: bool = False,
    ) -> Codex:
        """Start a session (new, or resumed from a rollout file); the first event is
        ``SessionConfigured`` with id ``"0"``. Raises ``AuthError`` when no model client
        is given and the provider's key is missing."""
        resume_path = resume_path or config.experimental_resume  # v0.20's `-c` form
        saved = read_rollout(resume_path) if resume_path is not None else None
        session_id = saved.session_id if saved is not None else str(uuid.uuid4())
        # The client first: a missing key must not leave an empty session file behind.
        model = model_client or _build_model_client(config, env, session_id)
        user_instructions = load_user_instructions(config)
        mcp = await _start_mcp(config, env)
        try:
            session = _open_session(config, session_id, saved, ephemeral, user_instructions)
        except BaseException:
            if mcp is not None:
                await mcp.shutdown()
            raise
        codex = cls(session, model, env, mcp)
        path = session.rollout_path
        codex._emit(
            "0", SessionConfigured(session.session_id, config.model, str(path) if path else None)
        )
        for failure in mcp.failures if mcp is not None else ():  # reported once; goes on
            codex._emit("0", BackgroundEvent(failure))
        return codex

    @property
    def session_id(self) -> str:
        return self._session.session_id

    @property
    def rollout_path(self) -> Path | None:
        return self._session.rollout_path

    async def submit(self, op: Op) -> str:
        """Queue ``op``; returns its submission id (the id of the events it causes)."""
        if self._closed:
            raise SessionClosedError("the session has shut down")
        sub_id = str(next(self._ids))
        await self._submissions.put(Submission(sub_id, op))
        return sub_id

    async def next_event(self) -> Event:
        """The next event; raises ``SessionClosedError`` once ``ShutdownComplete`` was read."""
        if self._closed and self._events.empty():
            raise SessionClosedError("the session has shut down")
        return await self._events.get()

    # --- the submission loop ---------------------------------------------------------

    def _emit(self, sub_id: str, msg: EventMsg) -> None:
        self._events.put_nowait(Event(sub_id, msg))

    async def _run_loop(self) -> None:
        while True:
            sub = await self._submissions.get()
            try:
                if await self._handle(sub):
                    return
            except Exception as exc:  # never let a bug stop the handle from answering
                self._emit(sub.id, Error(f"internal error: {type(exc).__name__}: {exc}"))

    async def _handle(self, sub: Submission) -> bool:
        """Act on one submission; True when the session is over."""
        op = sub.op
        match op:
            case UserInput():
                self._on_user_input(sub.id, op)
            case Interrupt():
                await self._abort(sub.id)
            case ExecApproval() | PatchApproval():
                self._approvals.resolve(op.id, op.decision)
            case Compact():
                self._start(sub.id, self._compact_task(sub.id), None)
            case Shutdown():
                await self._shutdown(sub.id)
                return True
            case _:
                assert_never(op)
        return False

    def _busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def _on_user_input(self, sub_id: str, op: UserInput) -> None:
        message = user_input_message(op, self._session.config.cwd)
        if message.problems:
            for problem in message.problems:
                self._emit(sub_id, BackgroundEvent(problem))
        if self._busy() and self._turn is not None:
            self._turn.inject(message.item)
            return
        turn = self._new_turn(sub_id)
        turn.output_schema = op.output_schema  # per turn, as in Codex
        turn.inject(message.item)
        self._start(sub_id, self._turn_task(sub_id, turn), turn)

    def _new_turn(self, sub_id: str) -> TurnContext:
        session = self._session
        config = session.config

        def emit(msg: EventMsg) -> None:
            self._emit(sub_id, msg)

        def set_plan(plan: Plan) -> None:
            session.plan = plan

        tool_ctx = ToolContext(
            cwd=config.cwd,
            env=self._tool_env,
            sandbox=policy_from_config(config),  # workspace = cwd, as enforced
            approval_policy=config.approval_policy,
            approvals=self._approvals,
            emit=emit,
            set_plan=set_plan,
            keep_full_output=session.record_full_output,
            mcp=self._mcp,
            shown_notices=self._shown_notices,
            max_timeout_ms=max(1, round(config.max_tool_timeout_sec * 1000)),
        )
        return TurnContext(session, self._model, self._tools, tool_ctx, emit)

    def _start(
        self, sub_id: str, coro: Coroutine[Any, Any, None], turn: TurnContext | None
    ) -> None:
        if self._busy():
            coro.close()
            self._emit(sub_id, Error("a task is already running; interrupt it first"))
            return
        self._turn = turn
        self._task_sub_id = sub_id
        self._task = asyncio.create_task(coro)

    # --- tasks -----------------------------------------------------------------------

    async def _turn_task(self, sub_id: str, turn: TurnContext) -> None:
        self._emit(sub_id, TaskStarted(context_window(self._session.config)))
        last: str | None = None
        try:
            last = await run_turn(turn)
        except ApprovalAborted:  # the user answered "abort": end the turn as an interrupt
            self._end_aborted(sub_id, turn)
            return
        except ModelError as exc:
            self._emit(sub_id, Error(str(exc)))
        except Exception as exc:  # a bug must end the turn, not hang the front end
            self._emit(sub_id, Error(f"internal error: {type(exc).__name__}: {exc}"))
        self._session.answer_unanswered("error: the turn ended before this call ran")
        turn.take_pending()  # input typed during a failed turn is kept for the next one
        self._emit(sub_id, TaskComplete(last))
        self._notifier.turn_complete(sub_id, turn.input_texts, last)

    async def _compact_task(self, sub_id: str) -> None:
        self._emit(sub_id, TaskStarted(context_window(self._session.config)))
        try:
            await compact_history(self._session, self._model)
        except ModelError as exc:
            if is_context_overflow(exc):
                drop_history(self._session)
                self._emit(sub_id, AgentMessage(f"{COMPACT_DONE} {NO_SUMMARY}"))
            else:
                self._emit(sub_id, Error(str(exc)))
        else:
            self._emit(sub_id, AgentMessage(COMPACT_DONE))
        self._emit(sub_id, TaskComplete(None))

    async def _abort(self, sub_id: str) -> None:
        """Cancel the running task (its commands are killed) and make history valid again."""
        task, turn = self._task, self._turn
        if task is None or task.done():
            return
        while not task.done():  # cancel again if a cancel was swallowed (a 3.11 wait_for race)
            task.cancel()
            await asyncio.wait({task}, timeout=ABORT_RECANCEL_S)
        self._task = None
        self._end_aborted(self._task_sub_id or sub_id, turn)

    def _end_aborted(self, sub_id: str, turn: TurnContext | None) -> None:
        """After an interrupt or an approval answered "abort": every call gets an output."""
        self._session.answer_unanswered(ABORTED_OUTPUT)
        if turn is not None:
            turn.take_pending()  # the user said it: keep it for the next turn
        self._turn = None
        self._emit(sub_id, TurnAborted("interrupted"))

    async def _shutdown(self, sub_id: str) -> None:
        await self._abort(sub_id)
        await self._notifier.drain(NOTIFY_DRAIN_SECONDS)
        if self._mcp is not None:
            await self._mcp.shutdown()
        self._session.close()
        self._closed = True
        self._emit(sub_id, ShutdownComplete())
