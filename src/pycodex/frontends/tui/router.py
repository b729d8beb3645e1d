"""Core events → transcript cells.

Keeps the cells still being written (the streaming answer, the reasoning, running
commands by call id) and routes each event to a new or existing cell. Turn state,
tokens and approvals are the app's; this is only what the transcript shows.
"""

from __future__ import annotations

import json

from pycodex.core.terminal_text import OutputSanitizer
from pycodex.frontends.tui.cells import (
    AssistantCell,
    ExecCell,
    MarkdownFilter,
    ReasoningCell,
    StreamCell,
    notice_cell,
    patch_cell,
    plan_cell,
    web_search_cell,
)
from pycodex.frontends.tui.render import duration_text
from pycodex.frontends.tui.transcript import Transcript
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    AgentReasoningDelta,
    AgentReasoningRawContent,
    AgentReasoningRawContentDelta,
    BackgroundEvent,
    Error,
    EventMsg,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    McpToolCallBegin,
    McpToolCallEnd,
    PatchApplyBegin,
    PatchApplyEnd,
    PlanUpdate,
    StreamError,
    TaskComplete,
    TurnAborted,
    WebSearchEnd,
)

INTERRUPTED = "🖐  Turn interrupted"


class EventRouter:
    def __init__(
        self,
        transcript: Transcript,
        *,
        hide_reasoning: bool,
        show_raw_reasoning: bool,
        md_filter: MarkdownFilter,
    ) -> None:
        self.transcript = transcript
        self.hide_reasoning = hide_reasoning
        self.show_raw_reasoning = show_raw_reasoning
        self.md_filter = md_filter
        self.assistant: AssistantCell | None = None
        self.reasoning: ReasoningCell | None = None
        self.execs: dict[str, ExecCell] = {}
        # raw output chunks -> terminal-safe text, per running command and stream
        self.decoders: dict[tuple[str, str], OutputSanitizer] = {}

    async def _assistant(self) -> AssistantCell:
        if self.assistant is None:
            self.reasoning = None  # a later reasoning part gets a cell of its own
            self.assistant = AssistantCell(self.md_filter)
            await self.transcript.add(self.assistant)
        return self.assistant

    async def _reasoning(self) -> ReasoningCell:
        if self.reasoning is None:
            self.reasoning = ReasoningCell()
            await self.transcript.add(self.reasoning)
        return self.reasoning

    async def _notice(self, text: str, style: str = "dim") -> None:
        await self.transcript.add(notice_cell(text, style))

    async def handle(self, msg: EventMsg) -> None:
        """Show ``msg`` (events the transcript does not show are ignored)."""
        if not await self._stream_event(msg):
            await self._other_event(msg)

    async def _stream_event(self, msg: EventMsg) -> bool:
        """Streaming text and commands; False when ``msg`` is none of those."""
        match msg:
            case AgentMessageDelta():
                (await self._assistant()).add(msg.delta)
            case AgentMessage():
                await (await self._assistant()).finish(msg.message)
                self.assistant = None
            case AgentReasoningDelta() if not self.hide_reasoning:
                (await self._reasoning()).add(msg.delta)
            case AgentReasoning() if not self.hide_reasoning:
                await (await self._reasoning()).finish(msg.text)
                self.reasoning = None
            case AgentReasoningRawContentDelta() if self.show_raw_reasoning:
                (await self._reasoning()).add(msg.delta)
            case AgentReasoningRawContent() if self.show_raw_reasoning:
                await (await self._reasoning()).finish(msg.text)
                self.reasoning = None
            case ExecCommandBegin():
                cell = ExecCell(msg.command)
                self.execs[msg.call_id] = cell
                await self.transcript.add(cell)
            case ExecCommandOutputDelta():
                running = self.execs.get(msg.call_id)
                if running is not None:
                    key = (msg.call_id, msg.stream)
                    decoder = self.decoders.setdefault(key, OutputSanitizer())
                    running.add(decoder.feed(msg.chunk))
            case ExecCommandEnd():
                for stream in ("stdout", "stderr"):
                    self.decoders.pop((msg.call_id, stream), None)
                done = self.execs.pop(msg.call_id, None)
                if done is not None:
                    output = msg.aggregated_output or (msg.stdout + msg.stderr)
                    await done.finish(msg.exit_code, msg.duration_seconds, output)
            case _:
                return False
        return True

    async def _other_event(self, msg: EventMsg) -> None:
        match msg:
            case PatchApplyBegin():
                header = (
                    "✎ Applying patch to" if msg.auto_approved else "✎ Applying approved patch to"
                )
                await self.transcript.add(patch_cell(msg.changes, header))
            case PatchApplyEnd():
                if msg.success:
                    await self._notice("✓ Patch applied", "green")
                else:
                    await self._notice(f"✗ Patch failed: {msg.stderr or msg.stdout}".strip(), "red")
            case PlanUpdate():
                await self.transcript.add(plan_cell(msg.plan, msg.explanation))
            case McpToolCallBegin():
                inv = msg.invocation
                args = json.dumps(inv.arguments, ensure_ascii=False) if inv.arguments else ""
                await self._notice(f"🔧 {inv.server}.{inv.tool}({args})", "")
            case McpToolCallEnd():
                inv = msg.invocation
                failed = msg.is_error or msg.error is not None
                mark, style = ("✗", "red") if failed else ("✓", "green")
                extra = f": {msg.error}" if msg.error else ""
                took = duration_text(msg.duration_seconds)
                await self._notice(f"{mark} {inv.server}.{inv.tool} · {took}{extra}", style)
            case WebSearchEnd():
                await self.transcript.add(web_search_cell(msg.query))
            case BackgroundEvent():
                await self._notice(msg.message)
            case StreamError():
                await self._drop_partial()
                await self._notice(f"⚠ stream error: {msg.message}", "yellow")
            case Error():
                await self._notice(f"■ {msg.message}", "bold red")
            case TurnAborted():
                await self._close_streams()
                await self._notice(INTERRUPTED, "bold yellow")
            case TaskComplete():
                await self._close_streams()
            case _:
                pass

    async def _drop_partial(self) -> None:
        """A retried response starts over: its half-streamed cells go."""
        for cell in (self.assistant, self.reasoning):
            if cell is not None:
                await self.transcript.discard(cell)
        self.assistant = self.reasoning = None

    async def _close_streams(self) -> None:
        """The turn ended: streaming cells show what they got; running commands stop."""
        cells: list[StreamCell | None] = [self.assistant, self.reasoning]
        for cell in cells:
            if cell is not None:
                await cell.render_pending()
        if self.assistant is not None and not self.assistant.done:
            await self.assistant.finish(self.assistant.text)
        self.assistant = self.reasoning = None
        for call_id, running in list(self.execs.items()):
            await running.finish(-1, 0.0, running.text)
            del self.execs[call_id]
        self.decoders.clear()
