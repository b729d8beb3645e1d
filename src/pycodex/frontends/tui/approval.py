"""The approval modal (reference §5.1, §10): a command or a patch, the reason, and keys
``y`` approve, ``a`` approve for the session, ``n`` deny, ``Esc`` abort the turn.

Dismissed with the ``ReviewDecision``; the app turns it into ``ExecApproval`` or
``PatchApproval`` and a transcript line saying what was decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pycodex.core.display_text import command_text
from pycodex.frontends.tui.render import changes_text
from pycodex.protocol.events import ApplyPatchApprovalRequest, ExecApprovalRequest, FileChange
from pycodex.protocol.policy import ReviewDecision


@dataclass(frozen=True)
class ApprovalView:
    """What the modal shows, from either request event."""

    call_id: str
    is_patch: bool
    subject: Text
    reason: str | None
    command: str = ""
    changes: Mapping[str, FileChange] | None = None

    @classmethod
    def from_event(cls, msg: ExecApprovalRequest | ApplyPatchApprovalRequest) -> ApprovalView:
        if isinstance(msg, ExecApprovalRequest):
            cmd = command_text(msg.command)
            subject = Text("? Codex wants to run ", style="bold")
            subject.append(cmd, style="bold yellow")
            subject.append(f"\n  in {msg.cwd}", style="dim")
            return cls(msg.call_id, False, subject, msg.reason, command=cmd)
        subject = changes_text(msg.changes, "? Codex wants to edit")
        return cls(msg.call_id, True, subject, msg.reason, changes=msg.changes)


def decision_text(view: ApprovalView, decision: ReviewDecision) -> tuple[str, str]:
    """The transcript line after the answer, and its style."""
    what = f"run {view.command}" if not view.is_patch else "apply the patch"
    if decision == ReviewDecision.APPROVED:
        return f"✓ You approved codex to {what} this time", "green"
    if decision == ReviewDecision.APPROVED_FOR_SESSION:
        return f"✓ You approved codex to {what} every time this session", "green"
    if decision == ReviewDecision.DENIED:
        return f"✗ You did not approve codex to {what}", "red"
    return f"✗ You canceled the request to {what}", "red"


class ApprovalScreen(ModalScreen[ReviewDecision]):
    DEFAULT_CSS = """
    ApprovalScreen { align: center bottom; }
    ApprovalScreen > Vertical { width: 100%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1; }
    ApprovalScreen VerticalScroll { height: auto; max-height: 30; }
    ApprovalScreen Static { height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide('approved')", "Yes"),
        Binding("a", "decide('approved_for_session')", "Always"),
        Binding("n", "decide('denied')", "No"),
        Binding("escape", "decide('abort')", "Cancel"),
    ]

    def __init__(self, view: ApprovalView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical():
            with VerticalScroll():
                yield Static(view.subject, id="approval-subject")
            if view.reason:
                yield Static(Text(view.reason, style="italic"), id="approval-reason")
            question = "Apply changes?" if view.is_patch else "Allow command?"
            yield Static(Text(f"▌{question}", style="bold"))
            yield Static(self._choices(), id="approval-choices")

    def _choices(self) -> Text:
        noun = "changes" if self.view.is_patch else "command"
        out = Text()
        for key, label, help_text in (
            ("y", "Yes", "approve and run this time" if not self.view.is_patch else "apply"),
            ("a", "Always", f"approve this {noun} for the rest of the session"),
            ("n", "No", "do not run it; the model is told" if not self.view.is_patch else "skip"),
            ("Esc", "Cancel", "deny and interrupt the turn"),
        ):
            out.append(f"  {key} ", style="bold reverse")
            out.append(f" {label}", style="bold")
            out.append(f"  {help_text}\n", style="dim")
        out.rstrip()
        return out

    def action_decide(self, decision: str) -> None:
        self.dismiss(ReviewDecision(decision))
