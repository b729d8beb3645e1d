"""The interactive session: transcript, popup, status line, composer, footer.

The app owns the turn state (working or idle), token counts, the approval queue and the
keys; ``router`` turns events into cells, ``link`` runs the core, ``completion`` fills the
popup, and the slash commands (``slash``, through ``registry``) act on the app as a
``controller.SessionController``, which it implements. Ctrl-C interrupts a running turn,
else clears the composer, else (twice) quits; Ctrl-D on an empty composer quits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from pycodex.config.schema import Config
from pycodex.core.terminal_text import sanitize, sanitize_tree
from pycodex.frontends.tui.approval import ApprovalScreen, ApprovalView, decision_text
from pycodex.frontends.tui.cells import (
    Cell,
    MarkdownFilter,
    notice_cell,
    user_cell,
)
from pycodex.frontends.tui.completion import Completion
from pycodex.frontends.tui.composer import Composer
from pycodex.frontends.tui.controller import SessionUsage
from pycodex.frontends.tui.footer import FooterBar, StatusLine
from pycodex.frontends.tui.link import CoreLink
from pycodex.frontends.tui.options import TuiOptions, TuiServices, default_spawn
from pycodex.frontends.tui.popup import Popup
from pycodex.frontends.tui.replay import show_replay
from pycodex.frontends.tui.router import EventRouter
from pycodex.frontends.tui.slash import REGISTRY
from pycodex.frontends.tui.transcript import Transcript
from pycodex.frontends.tui.welcome import welcome_cell
from pycodex.protocol.events import (
    ApplyPatchApprovalRequest,
    Event,
    ExecApprovalRequest,
    TaskComplete,
    TaskStarted,
    TokenCount,
    TurnAborted,
)
from pycodex.protocol.items import TokenUsage
from pycodex.protocol.ops import ExecApproval, Interrupt, Op, PatchApproval, UserInput
from pycodex.protocol.policy import ReviewDecision

if TYPE_CHECKING:
    from pycodex.frontends.tui.onboarding import TrustChoice

T = TypeVar("T")


def _citation_filter(config: Config) -> MarkdownFilter:
    """File citations in answers become editor links (``file_opener``; ``none``: as is)."""
    from pycodex.frontends.tui.citations import markdown_filter

    return markdown_filter(config.cwd, config.file_opener)


class CodexApp(App[int]):
    TITLE = "pycodex"
    CSS = """
    Screen { layout: vertical; }
    Screen:inline { height: auto; max-height: 90vh; }
    Screen:inline Transcript { height: auto; max-height: 70vh; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "ctrl_c", "interrupt / quit", priority=True, show=False),
        Binding("ctrl+d", "ctrl_d", "quit", priority=True, show=False),
        Binding("ctrl+t", "transcript", "transcript", priority=True, show=False),
    ]

    def __init__(self, options: TuiOptions) -> None:
        super().__init__()
        self.options = options
        self.config = options.config
        self.spawn = options.spawn or default_spawn(options.env)
        self.link: CoreLink | None = None
        self.popup = Popup()
        self.composer = Composer(self.popup, options.services.load_history())
        self.transcript = Transcript()
        self.status = StatusLine(options.clock)
        self.footer_bar = FooterBar()
        self.router = EventRouter(
            self.transcript,
            hide_reasoning=self.config.hide_agent_reasoning,
            show_raw_reasoning=self.config.show_raw_agent_reasoning,
            md_filter=_citation_filter(self.config),
        )
        self.working = False
        self.total = TokenUsage()
        self.approvals: deque[ApprovalView] = deque()
        self.approval_open = False
        self._queued: list[str] = []  # typed before the session was ready
        self._images = options.images
        self._quit_armed = False
        self._quitting = False
        self._typed_ahead = True  # keys queued before the app mounted (see on_event)
        self.completion = Completion(
            self.composer,
            self.popup,
            REGISTRY,
            self.config.cwd,
            schedule=self.set_timer,
            run_command=self._run_command,
        )

    def compose(self) -> ComposeResult:
        yield self.transcript
        yield self.popup
        yield self.status
        yield self.composer
        yield self.footer_bar

    async def on_mount(self) -> None:
        # Keys typed while the program started are already queued: the composer must own
        # them. ``focus()`` would take effect only after them (they went to the transcript).
        self.set_focus(self.composer)
        self.call_later(self._typed_ahead_over)  # runs after the keys queued so far
        await self.transcript.add(welcome_cell(self.options.version, self.config.cwd))
        if self.options.resume_path is not None:
            await self.replay(self.options.resume_path)
        if self.options.prompt:
            await self._send(self.options.prompt)
        if self.options.ask_trust:
            self._ask_trust()
            return
        self.call_after_refresh(self._begin)  # first frame first, then import and start core

    def _typed_ahead_over(self) -> None:
        self._typed_ahead = False

    async def on_event(self, event: events.Event) -> None:
        if (
            self._typed_ahead
            and isinstance(event, events.Key)
            and event.key == "ctrl+j"
            and self.focused is self.composer  # never to accept an onboarding or picker choice
        ):
            # Typed before the terminal left cooked mode, Enter reached us as "\n" (the tty
            # translated it): it is Enter, not Ctrl+J. Only for keys queued before mount.
            event = events.Key("enter", "\r")
        await super().on_event(event)

    def _begin(self) -> None:
        if self.options.pick_session:  # `codex resume`: cancelling starts a new session
            from pycodex.frontends.tui.resume_picker import ResumePicker

            async def chosen(path: Path | None) -> None:
                if path is None:
                    self.start_session(self.config, None)
                else:
                    await self.resume_session(Path(path))

            self.push_screen(ResumePicker(self.options.services.list_sessions), chosen)
            return
        self.start_session(self.config, self.options.resume_path)

    def _ask_trust(self) -> None:
        """First run here: may pycodex work without asking? The answer is persisted and
        sets this session's policies; the session starts once it is given."""
        from pycodex.frontends.tui.onboarding import TrustOnboarding, is_git_repo

        cwd = self.config.cwd

        async def answered(choice: TrustChoice | None) -> None:
            if choice is not None:
                self.options.services.set_trust(cwd, choice.trusted)
                self.config = replace(
                    self.config,
                    approval_policy=choice.approval_policy,
                    sandbox_mode=choice.sandbox_mode,
                )
            self._begin()

        self.push_screen(TrustOnboarding(cwd, is_git_repo(cwd)), answered)

    # --- the session -----------------------------------------------------------------

    def start_session(self, config: Config, resume_path: Path | None) -> None:
        self.config = config
        link = CoreLink(self.spawn, config, resume_path)
        self.link = link
        self.run_worker(self._run_link(link), group="core", exit_on_error=False)

    async def _run_link(self, link: CoreLink) -> None:
        try:
            await link.start()
        except Exception as exc:  # missing key, bad provider: shown, the app stays usable
            if link is self.link:
                await self.transcript.add(notice_cell(f"■ {exc}", "bold red"))
            return
        queued, self._queued = self._queued, []
        for text in queued:
            await self.submit_text(link, text)
        await link.pump(lambda event: self._on_event(link, event))

    async def replay(self, path: Path) -> None:
        """Show a saved session's messages, commands and patches (before continuing it)."""
        entries = self.options.services.replay(path)
        await show_replay(self.transcript, self.router.md_filter, entries)
        await self.transcript.add(notice_cell(f"↺ Resumed session {path.name}", "dim"))

    async def replace_session(self, config: Config, resume_path: Path | None) -> None:
        """Stop the current core and start another (``/new``, ``/model``, ``/resume``)."""
        old = self.link
        self.link = None
        if old is not None:
            await old.shutdown()
        self._set_working(False)
        self.approvals.clear()
        self.start_session(config, resume_path)

    async def switch_config(self, config: Config, what: str) -> None:
        """New settings for the next turns: the same conversation continues on a core
        started with them (resumed from this session's file)."""
        link = self.link
        path = link.rollout_path if link is not None else None
        if self.working:
            await self.note("wait for the turn to finish (or Ctrl+C) before switching", "yellow")
            return
        self._queued.clear()
        old = self.link
        self.link = None
        if old is not None:
            await old.shutdown()
        self.start_session(config, path)
        await self.note(what, "green")

    async def _on_event(self, link: CoreLink, event: Event) -> None:
        if link is not self.link:
            return
        msg = sanitize_tree(event.msg)  # shown, never obeyed: see core.terminal_text
        self.status.core_event(msg)  # a silent model: "Waiting for the model…" (footer)
        if isinstance(msg, TaskStarted):
            self.footer_bar.window = msg.model_context_window or self.footer_bar.window
            self._set_working(True)
        elif isinstance(msg, TaskComplete | TurnAborted):
            self._set_working(False)
            self._close_approvals()
        elif isinstance(msg, TokenCount):
            self.total = msg.total
            self.footer_bar.total_tokens = msg.total.total_tokens
            self.footer_bar.context_used = msg.last.total_tokens
            if msg.model_context_window:
                self.footer_bar.window = msg.model_context_window
            self.footer_bar.refresh_text()
        elif isinstance(msg, ExecApprovalRequest | ApplyPatchApprovalRequest):
            self.approvals.append(ApprovalView.from_event(msg))
            self._next_approval()
            return
        await self.router.handle(msg)

    def _set_working(self, working: bool) -> None:
        self.working = working
        self.footer_bar.working = working
        self.footer_bar.refresh_text()
        if working:
            self.status.start()
        else:
            self.status.stop()

    async def _send(self, text: str) -> None:
        """Show the prompt and submit it (queued until the session is ready)."""
        await self.transcript.add(user_cell(text))
        link = self.link
        if link is None or not link.ready.is_set():
            self._queued.append(text)
            return
        await self.submit_text(link, text)

    async def submit_text(self, link: CoreLink, text: str, *, record: bool = True) -> None:
        """Send ``text`` as the user's turn (recorded in history.jsonl unless ``record``
        is false: ``/init``'s built-in prompt is not something the user typed)."""
        if record and self.config.history.persistence != "none" and link.session_id:
            self.options.services.append_history(link.session_id, text)
        images, self._images = self._images, ()
        await link.submit(UserInput(text=text, images=images))

    async def note(self, text: str, style: str = "dim") -> None:
        await self.transcript.add(notice_cell(text, style))

    # --- what slash commands may do (controller.SessionController) ------------------

    @property
    def busy(self) -> bool:
        link = self.link
        return self.working or link is None or not link.ready.is_set()

    @property
    def services(self) -> TuiServices:
        return self.options.services

    @property
    def env(self) -> Mapping[str, str]:
        return self.options.env

    def usage(self) -> SessionUsage:
        link = self.link
        session_id = link.session_id if link else None
        return SessionUsage(session_id, self.total, self.footer_bar.window)

    async def show(self, cell: Cell) -> None:
        await self.transcript.add(cell)

    async def submit_prompt(self, text: str) -> None:
        if self.link is not None:
            await self.submit_text(self.link, text, record=False)

    async def submit(self, op: Op) -> None:
        if self.link is not None:
            await self.link.submit(op)

    async def new_session(self) -> None:
        await self.transcript.clear_cells()
        await self.replace_session(self.config, None)
        self.total = TokenUsage()  # a new conversation has used nothing yet (footer, /status)
        self.footer_bar.reset_tokens()

    async def resume_session(self, path: Path) -> None:
        await self.transcript.clear_cells()
        await self.replay(path)
        await self.replace_session(self.config, path)

    def open_screen(self, screen: Screen[T], then: Callable[[T | None], Awaitable[None]]) -> None:
        self.push_screen(screen, then)

    def add_to_composer(self, text: str) -> None:
        composer = self.composer
        composer.move_cursor(composer.document.end)
        before = composer.text
        composer.insert(("" if not before or before.endswith((" ", "\n")) else " ") + text)
        composer.focus()

    async def quit(self) -> None:
        await self.action_quit_app()

    async def _run_command(self, text: str) -> None:
        await REGISTRY.run(self, text)

    # --- approvals -------------------------------------------------------------------

    def _next_approval(self) -> None:
        if self.approval_open or not self.approvals:
            return
        view = self.approvals.popleft()
        self.approval_open = True

        async def answered(decision: ReviewDecision | None) -> None:
            self.approval_open = False
            await self._answer(view, decision or ReviewDecision.ABORT)
            self._next_approval()

        self.push_screen(ApprovalScreen(view), answered)

    async def _answer(self, view: ApprovalView, decision: ReviewDecision) -> None:
        link = self.link
        if link is None:
            return
        op = PatchApproval if view.is_patch else ExecApproval
        await link.submit(op(id=view.call_id, decision=decision))
        text, style = decision_text(view, decision)
        await self.note(text, style)  # on abort, core ends the turn (TurnAborted)

    def _close_approvals(self) -> None:
        """The turn ended: an open modal has nothing left to answer."""
        self.approvals.clear()
        if self.approval_open and isinstance(self.screen, ApprovalScreen):
            self.approval_open = False
            self.pop_screen()

    # --- composer and keys -----------------------------------------------------------

    async def on_composer_submitted(self, event: Composer.Submitted) -> None:
        self._disarm()
        self.popup.close()
        text = event.text.strip("\n")
        if REGISTRY.is_command(text):
            await self._run_command(text)
            return
        await self._send(text)

    async def on_composer_popup_accepted(self, event: Composer.PopupAccepted) -> None:
        await self.completion.accept(event.value, event.run)

    def on_text_area_changed(self, event: Composer.Changed) -> None:
        self._disarm()
        self.completion.update()

    def _disarm(self) -> None:
        if self._quit_armed:
            self._quit_armed = False
            self.footer_bar.hint = None
            self.footer_bar.refresh_text()

    async def action_ctrl_c(self) -> None:
        if self.working and self.link is not None:
            self.status.start("Interrupting")
            await self.link.submit(Interrupt())
            return
        if self.composer.text:
            self.composer.load_text("")
            self.popup.close()
            return
        if self._quit_armed:
            await self.action_quit_app()
            return
        self._quit_armed = True
        self.footer_bar.hint = "Ctrl+C again to quit"
        self.footer_bar.refresh_text()

    async def action_ctrl_d(self) -> None:
        if self.composer.text == "" and not self.approval_open:
            await self.action_quit_app()
        elif self.focused is self.composer:
            self.composer.action_delete_right()

    def action_transcript(self) -> None:
        """Ctrl+T: the whole transcript in a pager (again: close it)."""
        from pycodex.frontends.tui.pager import TranscriptPager

        if isinstance(self.screen, TranscriptPager):
            self.screen.dismiss(None)
        elif self.screen is self.screen_stack[0]:  # not over a modal (approval, picker)
            self.push_screen(self.transcript.pager())

    async def action_quit_app(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        link, self.link = self.link, None
        if link is not None:
            await link.shutdown()
        self.exit(0)

    def transcript_text(self) -> str:
        """Everything shown, as plain text (printed to the terminal after exit; the cells
        hold terminal-safe text already, this is a second net before it goes raw to the
        terminal)."""
        return sanitize(self.transcript.plain_text())
