"""`codex exec` without ``--json``: a timestamped transcript for people (SPEC §6).

A header describing the run (workdir, model, provider, approval, sandbox, reasoning), then
one cell per notable event, each starting with ``[timestamp]``. Deltas are not shown: the
final text of a message or a reasoning summary is printed once it is complete. Command
output is cut to its first lines, and one long line to its start and end
(``core.display_text``); an output too large to capture whole says so (the model still sees
everything it is given). A ``bash -lc SCRIPT`` command is shown as SCRIPT. A patch that was
never applied (invalid, or refused by the approval settings) is a ``patch failed:`` or
``patch rejected:`` cell with the reason.

Everything shown comes from the model, its commands or MCP tools and passes through
``core.terminal_text`` first (one call per event, in ``on_event``): escape sequences are
shown, never obeyed; our own colours are added after that.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from pycodex.config.schema import Config
from pycodex.core.approval_policy import PATCH_REJECTED_PREFIX
from pycodex.core.display_text import LINE_LIMIT, bound_line, bound_lines, command_text
from pycodex.core.exec_output import capture_cut, timed_out, truncation_note
from pycodex.core.terminal_text import sanitize, sanitize_tree
from pycodex.frontends.headless.waiting import write_waiting
from pycodex.protocol.events import (
    AgentMessage,
    AgentReasoning,
    AgentReasoningRawContent,
    BackgroundEvent,
    Error,
    Event,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    McpToolCallBegin,
    McpToolCallEnd,
    ModelWaiting,
    PatchApplyBegin,
    PatchApplyEnd,
    PlanUpdate,
    StreamError,
    TokenCount,
    TurnAborted,
    TurnDiff,
    WebSearchEnd,
)
from pycodex.protocol.policy import SandboxMode

MAX_OUTPUT_LINES = 20
INTERRUPTED_OUTPUT = "aborted by user"  # what core reports for a command cut by ^C
_PLAN_MARKS = {"completed": "[x]", "in_progress": "[~]", "pending": "[ ]"}


def use_color(choice: str, stream: TextIO, env: Mapping[str, str]) -> bool:
    """``--color``: always, never, or auto (a terminal, and ``NO_COLOR`` unset)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if "NO_COLOR" in env:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Styles:
    """ANSI SGR sequences; all empty when colour is off."""

    bold: str = ""
    dim: str = ""
    italic: str = ""
    red: str = ""
    green: str = ""
    magenta: str = ""
    cyan: str = ""
    reset: str = ""

    @classmethod
    def create(cls, enabled: bool) -> Styles:
        if not enabled:
            return cls()
        return cls(
            bold="\x1b[1m",
            dim="\x1b[2m",
            italic="\x1b[3m",
            red="\x1b[31m",
            green="\x1b[32m",
            magenta="\x1b[35m",
            cyan="\x1b[36m",
            reset="\x1b[0m",
        )


def describe_sandbox(config: Config) -> str:
    """The sandbox line of the header, with the writable roots of workspace-write."""
    mode = config.sandbox_mode
    if mode is not SandboxMode.WORKSPACE_WRITE:
        return str(mode)
    ws = config.sandbox_workspace_write
    roots = ["workdir", *(str(r) for r in ws.writable_roots)]
    if not ws.exclude_slash_tmp:
        roots.append("/tmp")
    if not ws.exclude_tmpdir_env_var:
        roots.append("$TMPDIR")
    net = " (network access enabled)" if ws.network_access else ""
    return f"workspace-write [{', '.join(roots)}]{net}"


def head_lines(text: str, limit: int = MAX_OUTPUT_LINES) -> str:
    """The first ``limit`` lines of ``text`` (each bounded: ``bound_line``) and a count of
    what was left out; where capture dropped the middle of the output, the count includes
    the dropped lines and a note says the output was truncated and how large it was."""
    cut = capture_cut(text)
    if cut is None:
        lines = text.splitlines()
        total, note = len(lines), ""
    else:  # what follows the cut is not the next line: show lines before it only
        lines = cut.before.splitlines()
        total, note = cut.total_lines, truncation_note(cut)
    shown = [bound_line(line) for line in lines[:limit]]
    if cut is not None and len(shown) == len(lines) and shown and not cut.lines:
        after = cut.after.splitlines()
        if after and not cut.before.endswith("\n"):  # the cut is inside the last line
            shown[-1] = _across_cut(lines[-1], after[0], cut.omitted_bytes)
    rest = total - len(shown)
    parts = [f"+{rest} lines" if rest else "", note]
    if rest or note:
        shown.append(f"... ({'; '.join(p for p in parts if p)})")
    return "\n".join(shown)


def _across_cut(start: str, end: str, omitted_bytes: int, limit: int = LINE_LIMIT) -> str:
    """One line whose middle capture dropped (``start`` and ``end`` are what was kept):
    bounded like ``bound_line``, the dropped bytes counted in the marker."""
    half = limit // 2
    if len(start) < half or len(end) < half:
        return bound_line(start, limit)  # too short to stand for the line's two ends
    gone = len(start[half:].encode("utf-8")) + omitted_bytes + len(end[:-half].encode("utf-8"))
    return f"{start[:half]}[… {gone} bytes omitted …]{end[-half:]}"


def took(seconds: float) -> str:
    """A duration: ``8ms`` under a second (v0.20's unit), else ``2.5s``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    return f"{seconds:.1f}s"


class HumanRenderer:
    """Writes the transcript of one run to ``out`` (stdout)."""

    def __init__(
        self,
        out: TextIO,
        *,
        color: bool,
        version: str,
        hide_reasoning: bool = False,
        show_raw_reasoning: bool = False,
        now: type[datetime] = datetime,
    ) -> None:
        self.out = out
        self.s = Styles.create(color)
        self.version = version
        self.hide_reasoning = hide_reasoning
        self.show_raw_reasoning = show_raw_reasoning
        self._now = now
        self._commands: dict[str, tuple[tuple[str, ...], datetime]] = {}
        self._pending_message: str | None = None
        self._mcp_started: dict[str, str] = {}
        self._patch_started: dict[str, datetime] = {}
        self.err: TextIO = sys.stderr  # a silent model's progress (headless.waiting)

    # --- helpers -------------------------------------------------------------------------

    def _ts(self) -> str:
        stamp = self._now.now().strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self.s.dim}[{stamp}]{self.s.reset} "

    def _cell(self, title: str, body: str | None = None) -> None:
        self.out.write(self._ts() + title + "\n")
        if body:
            self.out.write(body if body.endswith("\n") else body + "\n")
        self.out.flush()

    # --- header --------------------------------------------------------------------------

    def header(self, config: Config, prompt: str, *, resumed_from: str | None = None) -> None:
        s = self.s
        rows: list[tuple[str, str]] = [
            ("workdir", str(config.cwd)),
            ("model", config.model),
            ("provider", config.model_provider_id),
            ("approval", str(config.approval_policy)),
            ("sandbox", describe_sandbox(config)),
        ]
        if config.model_supports_reasoning_summaries or config.model.startswith(
            ("o3", "o4", "codex-", "gpt-5")
        ):
            rows.append(("reasoning effort", str(config.model_reasoning_effort)))
            rows.append(("reasoning summaries", str(config.model_reasoning_summary)))
        if resumed_from is not None:
            rows.append(("resumed from", resumed_from))
        lines = [f"{self._ts()}{s.bold}pycodex v{self.version}{s.reset}", "--------"]
        lines += [f"{s.bold}{k}:{s.reset} {sanitize(v)}" for k, v in rows]
        lines.append("--------")
        self.out.write("\n".join(lines) + "\n")
        self._cell(f"{s.bold}{s.cyan}User instructions:{s.reset}", sanitize(prompt))

    # --- events --------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Renders one event. An agent message waits for the next event other than a token
        count, so a turn's final answer is the last thing printed (after its token line).
        Every string of the event is made terminal-safe here, before anything is styled."""
        event = dataclasses.replace(event, msg=sanitize_tree(event.msg))
        msg = event.msg
        if isinstance(msg, ModelWaiting):  # progress on stderr; a held message stays held
            write_waiting(self.err, msg)
            return
        if isinstance(msg, TokenCount):
            self._on_tool_event(event)
            return
        self.flush()
        if isinstance(msg, AgentMessage):
            self._pending_message = msg.message
            return
        self._on_item_event(event)

    def flush(self) -> None:
        """Prints a held agent message (called at the end of the run too)."""
        if self._pending_message is not None:
            text, self._pending_message = self._pending_message, None
            self._cell(f"{self.s.bold}{self.s.magenta}codex{self.s.reset}", text)

    def _on_item_event(self, event: Event) -> None:
        s = self.s
        msg = event.msg
        match msg:
            case AgentReasoning():
                if not self.hide_reasoning:
                    self._cell(
                        f"{s.italic}{s.magenta}thinking{s.reset}", f"{s.italic}{msg.text}{s.reset}"
                    )
            case AgentReasoningRawContent():
                if self.show_raw_reasoning and not self.hide_reasoning:
                    self._cell(f"{s.italic}{s.magenta}thinking (raw){s.reset}", msg.text)
            case ExecCommandBegin():
                self._commands[msg.call_id] = (msg.command, self._now.now())
                cmd = command_text(msg.command)
                self._cell(f"{s.magenta}{s.bold}exec{s.reset} {s.bold}{cmd}{s.reset} in {msg.cwd}")
            case ExecCommandEnd():
                self._exec_end(msg)
            case ExecApprovalRequest():
                self._cell(
                    f"{s.red}declined{s.reset} {command_text(msg.command)} (approval: never)"
                )
            case PatchApplyBegin():
                self._patch_started[msg.call_id] = self._now.now()
                approved = str(msg.auto_approved).lower()
                self._cell(
                    f"{s.magenta}{s.bold}apply_patch{s.reset} auto_approved={approved}:",
                    self._changes(msg),
                )
            case PatchApplyEnd():
                self._patch_end(msg)
            case TurnDiff():
                diff = bound_lines(msg.unified_diff)
                diff = self._color_diff(diff) if diff else "(no changes)"
                self._cell(f"{s.magenta}{s.bold}turn diff:{s.reset}", diff)
            case _:
                self._on_tool_event(event)

    def _on_tool_event(self, event: Event) -> None:
        s = self.s
        msg = event.msg
        match msg:
            case PlanUpdate():
                self._plan(msg)
            case McpToolCallBegin():
                inv = msg.invocation
                self._mcp_started[msg.call_id] = f"{inv.server}.{inv.tool}"
                call = f"{inv.server}.{inv.tool}({_args(inv.arguments)})"
                self._cell(f"{s.magenta}{s.bold}tool{s.reset} {call}")
            case McpToolCallEnd():
                name = self._mcp_started.pop(msg.call_id, msg.invocation.tool)
                ok = msg.error is None and not msg.is_error
                verdict = f"{s.green}succeeded{s.reset}" if ok else f"{s.red}failed{s.reset}"
                ms = round(msg.duration_seconds * 1000)
                body = msg.error or "\n".join(_block_summary(c) for c in msg.content)
                self._cell(f"{s.bold}{name}{s.reset} {verdict} in {ms}ms:", head_lines(body))
            case WebSearchEnd():
                what = msg.query or str((msg.action or {}).get("type") or "")
                self._cell(f"{s.magenta}{s.bold}web search{s.reset} {what}".rstrip())
            case TokenCount():
                estimated = " (estimated)" if msg.total.estimated else ""
                used = msg.total.total_tokens or _sum(msg)
                self._cell(f"{s.bold}tokens used:{s.reset} {used}{estimated}")
            case StreamError():
                self._cell(f"{s.dim}stream error: {msg.message}{s.reset}")
            case Error():
                self._cell(f"{s.red}{s.bold}ERROR:{s.reset} {msg.message}")
            case TurnAborted():
                self._cell(f"{s.red}turn interrupted{s.reset}")
            case BackgroundEvent():
                self._cell(f"{s.dim}{msg.message}{s.reset}")
            case _:
                pass

    def _exec_end(self, msg: ExecCommandEnd) -> None:
        s = self.s
        command, started = self._commands.pop(msg.call_id, ((), None))
        cmd = command_text(command) if command else "command"
        seconds = msg.duration_seconds
        if not seconds and started is not None:  # an interrupted command reports no time
            seconds = (self._now.now() - started).total_seconds()
        ms = round(seconds * 1000)
        output = head_lines(msg.aggregated_output)
        if msg.exit_code == 0:
            title = f"{s.green}{s.bold}{cmd}{s.reset} {s.green}succeeded in {ms}ms:{s.reset}"
        elif msg.exit_code == -1 and msg.stderr == INTERRUPTED_OUTPUT:
            title = (
                f"{s.red}{s.bold}{cmd}{s.reset} {s.red}interrupted after {took(seconds)}{s.reset}"
            )
            output = ""  # the body would only repeat "aborted by user"
        elif timed_out(msg.formatted_output):
            title = (
                f"{s.red}{s.bold}{cmd}{s.reset} {s.red}timed out after {took(seconds)}:{s.reset}"
            )
        else:
            title = (
                f"{s.red}{s.bold}{cmd}{s.reset} {s.red}exited {msg.exit_code} in {ms}ms:{s.reset}"
            )
        self._cell(title, f"{s.dim}{output}{s.reset}" if output else None)

    def _changes(self, msg: PatchApplyBegin) -> str:
        """Per file: ``A``/``D``/``M`` and the path, then the new content or the diff."""
        s = self.s
        lines: list[str] = []
        for path, change in msg.changes.items():
            if change.kind == "add":
                lines.append(f"{s.bold}A {path}{s.reset}")
                content = head_lines(change.content or "")
                lines += [f"{s.green}+{line}{s.reset}" for line in content.splitlines()]
            elif change.kind == "delete":
                lines.append(f"{s.bold}D {path}{s.reset}")
            else:
                moved = f" -> {change.move_path}" if change.move_path else ""
                lines.append(f"{s.bold}M {path}{moved}{s.reset}")
                if change.unified_diff:
                    diff = bound_lines(change.unified_diff)
                    lines.append(self._color_diff(diff).rstrip("\n"))
        return "\n".join(lines)

    def _color_diff(self, diff: str) -> str:
        s = self.s
        if not s.reset:
            return diff
        out: list[str] = []
        for line in diff.splitlines():
            if line.startswith(
                ("diff --git", "index ", "--- ", "+++ ", "new file", "deleted file")
            ):
                out.append(f"{s.bold}{line}{s.reset}")
            elif line.startswith("@@"):
                out.append(f"{s.cyan}{line}{s.reset}")
            elif line.startswith("+"):
                out.append(f"{s.green}{line}{s.reset}")
            elif line.startswith("-"):
                out.append(f"{s.red}{line}{s.reset}")
            else:
                out.append(line)
        return "\n".join(out) + "\n"

    def _patch_end(self, msg: PatchApplyEnd) -> None:
        s = self.s
        started = self._patch_started.pop(msg.call_id, None)
        if started is None and not msg.success:  # never applied: invalid, or refused
            reason = bound_lines((msg.stderr or msg.stdout).strip()) or "(no reason given)"
            verdict = "rejected" if reason.startswith(PATCH_REJECTED_PREFIX) else "failed"
            self._cell(f"{s.red}{s.bold}patch {verdict}:{s.reset}", f"{s.red}{reason}{s.reset}")
            return
        ms = round((self._now.now() - started).total_seconds() * 1000) if started else 0
        code = 0 if msg.success else 1
        color = s.green if msg.success else s.red
        title = f"{color}{s.bold}apply_patch{s.reset} {color}exited {code} in {ms}ms:{s.reset}"
        output = ((msg.stdout if msg.success else msg.stderr) or msg.stdout or msg.stderr).rstrip()
        output = bound_lines(output)
        self._cell(title, f"{s.dim}{output}{s.reset}" if output else None)

    def _plan(self, msg: PlanUpdate) -> None:
        s = self.s
        lines = []
        if msg.explanation:
            lines.append(f"{s.italic}{msg.explanation}{s.reset}")
        for step in msg.plan:
            mark = _PLAN_MARKS.get(step.status, "[ ]")
            text = step.step
            if step.status == "completed":
                text = f"{s.dim}{text}{s.reset}"
            elif step.status == "in_progress":
                text = f"{s.cyan}{text}{s.reset}"
            lines.append(f"  {mark} {text}")
        self._cell(f"{s.bold}plan:{s.reset}", "\n".join(lines) or "  (empty)")


def _args(arguments: object) -> str:
    if not arguments:
        return ""
    import json

    text = json.dumps(arguments, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _sum(msg: TokenCount) -> int:
    t = msg.total
    return t.input_tokens + t.output_tokens


def _block_summary(block: dict[str, Any]) -> str:
    """An MCP content block in the transcript: text as is, anything else (an image's
    base64, a resource) as a short bracketed note."""
    if block.get("type") == "text":
        return str(block.get("text", ""))
    kind = block.get("type", "content")
    detail = block.get("mimeType") or block.get("uri") or ""
    if kind == "resource" and isinstance(block.get("resource"), dict):
        detail = str(block["resource"].get("uri", ""))
    return f"[{kind}{' ' + str(detail) if detail else ''}]"
