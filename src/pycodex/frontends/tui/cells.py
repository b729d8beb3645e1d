"""Transcript cells: one widget per thing that happened, each able to say itself as plain
text (for the transcript printed on exit and for cells evicted from the screen).

Streaming cells (assistant text, reasoning, command output) buffer their deltas and
re-render at most ``FLUSH_SECONDS`` apart, so 1,000 tokens/s costs ~15 renders a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from pycodex.core.display_text import command_text
from pycodex.core.terminal_text import sanitize
from pycodex.frontends.tui.render import (
    changes_text,
    colored_diff,
    duration_text,
    plan_text,
    tail,
)
from pycodex.protocol.events import FileChange
from pycodex.protocol.items import PlanStep

FLUSH_SECONDS = 1 / 15
OUTPUT_HEAD_LINES = 3  # of a finished command's output: its first lines,
OUTPUT_TAIL_LINES = 3  # "… +N lines", and its last lines
OUTPUT_LINE_CHARS = 240  # of one line of output: its start and end around a marker
INTERRUPTED_OUTPUT = "aborted by user"  # what core reports for a command cut by Ctrl+C

MarkdownFilter = Callable[[str], str]
"""Rewrites the model's markdown before display (citations become links)."""


def _identity(text: str) -> str:
    return text


def bound_line(line: str, limit: int = OUTPUT_LINE_CHARS) -> str:
    """One line as shown: whole when it fits, else its first and last ``limit // 2``
    characters around ``[… N bytes omitted …]`` (a 1 MiB line of minified JSON must not
    fill the screen, nor cost a wrap of a million characters)."""
    if len(line) <= limit:
        return line
    half = limit // 2
    omitted = len(line[half:-half].encode("utf-8", "surrogatepass"))
    return f"{line[:half]}[… {omitted} bytes omitted …]{line[-half:]}"


def head_tail(
    output: str, head: int = OUTPUT_HEAD_LINES, tail_lines: int = OUTPUT_TAIL_LINES
) -> str:
    """A command's output as the transcript shows it: the first ``head`` and the last
    ``tail_lines`` lines around ``… +N lines`` (all of it when that is no longer), each
    line bounded (``bound_line``); trailing blank lines dropped."""
    lines = output.rstrip("\n").splitlines()
    if len(lines) > head + tail_lines + 1:
        hidden = len(lines) - head - tail_lines
        lines = [*lines[:head], f"… +{hidden} lines", *lines[-tail_lines:]]
    return "\n".join(bound_line(line) for line in lines)


class Cell(Vertical):
    """Base of every cell: auto height, one blank line below."""

    DEFAULT_CSS = """
    Cell { height: auto; margin: 0 0 1 0; padding: 0 1; }
    Cell > Static { height: auto; }
    Cell > Static.answer { padding: 0 1; }
    Cell > Static.exec-output { padding: 0 0 0 3; }
    """

    def plain(self) -> str:
        raise NotImplementedError

    def history_renderable(self) -> RenderableType:
        """What the cell looks like once scrolled out of the mounted window (rendered
        once into the transcript's history); by default its plain text."""
        return Text(self.plain())


class TextCell(Cell):
    """A cell that is one block of (styled) text: user messages, notices, status, plans."""

    def __init__(self, content: Text, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self._content = content

    def compose(self) -> ComposeResult:
        yield Static(self._content)

    def plain(self) -> str:
        return self._content.plain

    def history_renderable(self) -> RenderableType:
        return self._content


def user_cell(text: str) -> TextCell:
    content = Text("user\n", style="bold cyan")
    content.append(sanitize(text))
    return TextCell(content, classes="user")


def notice_cell(text: str, style: str = "dim") -> TextCell:
    return TextCell(Text(sanitize(text), style=style), classes="notice")


def plan_cell(steps: Sequence[PlanStep], explanation: str | None) -> TextCell:
    return TextCell(plan_text(steps, explanation), classes="plan")


def diff_cell(title: str, diff: str) -> TextCell:
    """``/diff``: the workspace's files (which the model writes) as git shows them."""
    diff = sanitize(diff)
    content = Text(title + "\n", style="bold")
    content.append_text(colored_diff(diff) if diff.strip() else Text("(no changes)", style="dim"))
    return TextCell(content, classes="diff")


def web_search_cell(query: str) -> TextCell:
    """The model searched the web (hosted ``web_search``, ``--search``): one line."""
    content = Text("🌐 Searched the web", style="bold")
    if query:
        content.append(": ", style="bold")
        content.append(sanitize(query))
    return TextCell(content, classes="web-search")


def patch_cell(changes: Mapping[str, FileChange], header: str) -> TextCell:
    return TextCell(changes_text(changes, header), classes="patch")


class StreamCell(Cell):
    """Shared throttling: ``add`` buffers, a one-shot timer calls ``render_pending``."""

    def __init__(self, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.text = ""
        self._timer: Timer | None = None

    def add(self, delta: str) -> None:
        self.text += delta
        if self._timer is None and self.is_mounted:
            self._timer = self.set_timer(FLUSH_SECONDS, self._flush)

    async def _flush(self) -> None:
        self._timer = None
        await self.render_pending()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def render_pending(self) -> None:
        raise NotImplementedError


class AssistantCell(StreamCell):
    """The model's answer as markdown.

    While it streams, Textual's ``Markdown`` widget appends blocks as they complete; once
    the message is final it is replaced by one ``Static`` holding a Rich rendering (code
    highlighted, citations linked): a finished answer is then a single widget whose render
    is cached, so a long transcript does not multiply widgets (layout and scrolling stay
    cheap however many answers are mounted)."""

    def __init__(self, md_filter: MarkdownFilter = _identity) -> None:
        super().__init__(classes="assistant")
        self._shown = 0
        self._filter = md_filter
        self.done = False
        self.source = ""  # the final markdown as displayed (citations rewritten)

    def compose(self) -> ComposeResult:
        yield Static(Text("codex", style="bold magenta"))

    async def render_pending(self) -> None:
        pending = self.text[self._shown :]
        self._shown = len(self.text)
        if not pending or self.done:
            return
        from textual.widgets import Markdown  # markdown-it: not on the start-up path

        streaming = self.query(Markdown)
        if streaming:
            await streaming.first().append(pending)
        else:
            await self.mount(Markdown(pending))

    async def finish(self, message: str) -> None:
        self._stop_timer()
        self.done = True
        self.text = message
        self._shown = len(message)
        self.source = self._filter(message)
        await self.query("Markdown").remove()
        await self.mount(Static(self._final_body(), classes="answer"))

    def _final_body(self) -> RenderableType:
        """The finished answer: a Rich rendering, code highlighted, citations linked."""
        from rich.markdown import Markdown as RichMarkdown  # not on the start-up path

        return RichMarkdown(self.source, code_theme="monokai", hyperlinks=True)

    def history_renderable(self) -> RenderableType:
        header = Text("codex", style="bold magenta")
        if not self.done:  # still streaming when it scrolled out: its text so far
            return Group(header, Padding(Text(self.text), (0, 1)))
        return Group(header, Padding(self._final_body(), (0, 1)))

    def plain(self) -> str:
        return "codex\n" + self.text


class ReasoningCell(StreamCell):
    """A reasoning summary (or raw reasoning), dimmed."""

    def __init__(self) -> None:
        super().__init__(classes="reasoning")

    def compose(self) -> ComposeResult:
        yield Static(self._content(), id="reasoning-body")

    def _content(self) -> Text:
        out = Text("thinking\n", style="italic magenta dim")
        out.append(self.text.strip(), style="italic dim")
        return out

    async def render_pending(self) -> None:
        self.query_one("#reasoning-body", Static).update(self._content())

    async def finish(self, text: str) -> None:
        self._stop_timer()
        self.text = text
        await self.render_pending()

    def history_renderable(self) -> RenderableType:
        return self._content()

    def plain(self) -> str:
        return "thinking\n" + self.text.strip()


class ExecCell(StreamCell):
    """A command: its line, the last lines of output while it runs, then exit status and
    duration above its output's first and last lines (``head_tail``), as Codex shows them."""

    def __init__(self, command: Sequence[str]) -> None:
        super().__init__(classes="exec")
        self.command = command_text(command)
        self.exit_code: int | None = None
        self.duration = 0.0
        self.interrupted = False
        self._started = time.monotonic()  # for a command the turn's end cut short

    def compose(self) -> ComposeResult:
        yield Static(self._header(), classes="exec-header")
        yield Static("", classes="exec-tail")

    def _header(self) -> Text:
        if self.exit_code is None:
            out = Text("⚡ Running ", style="bold yellow")
        elif self.exit_code == 0:
            out = Text("✓ Ran ", style="bold green")
        else:
            out = Text("✗ Ran ", style="bold red")
        out.append(bound_line(self.command), style="bold")
        if self.interrupted:
            took = f" after {duration_text(self.duration)}" if self.duration else ""
            out.append(f"  · interrupted{took}", style="dim")
        elif self.exit_code is not None:
            out.append(f"  · exit {self.exit_code} · {duration_text(self.duration)}", style="dim")
        return out

    async def render_pending(self) -> None:
        if self.exit_code is None:
            running = "\n".join(bound_line(line) for line in tail(self.text).split("\n"))
            self.query_one(".exec-tail", Static).update(Text(running, style="dim"))

    async def finish(
        self, exit_code: int, duration: float, output: str, *, replayed: bool = False
    ) -> None:
        """The command ended. ``-1`` with core's "aborted by user" (or with no duration: the
        turn ended while it ran) is an interrupt, shown as one with the time it ran (unknown
        for a ``replayed`` one without a duration)."""
        self._stop_timer()
        self.interrupted = exit_code == -1 and (
            output.strip() == INTERRUPTED_OUTPUT or (duration == 0.0 and not replayed)
        )
        if self.interrupted:
            if not duration and not replayed:
                duration = time.monotonic() - self._started
            if output.strip() == INTERRUPTED_OUTPUT:
                output = ""  # it would only repeat the header
        self.exit_code = exit_code
        self.duration = duration
        self.text = output
        self.query_one(".exec-header", Static).update(self._header())
        await self.query_one(".exec-tail", Static).remove()
        body = head_tail(output)
        if body:
            await self.mount(Static(Text(body, style="dim"), classes="exec-output"))

    def history_renderable(self) -> RenderableType:
        body = head_tail(self.text)
        if not body:
            return self._header()
        return Group(self._header(), Padding(Text(body, style="dim"), (0, 0, 0, 3)))

    def plain(self) -> str:
        if self.exit_code is None:
            status = "running"
        elif self.interrupted:
            status = "interrupted"
        else:
            status = f"exit {self.exit_code}"
        body = head_tail(self.text)
        return f"$ {bound_line(self.command)}  ({status})" + (f"\n{body}" if body else "")
