"""First run in a directory: may pycodex work here without asking for approval?

Shown by the app (or the CLI before it) when ``projects."<cwd>".trust_level`` is unset. In a
git repository the default answer is yes (changes can be reviewed and undone with git);
elsewhere the screen warns and defaults to asking. The screen only returns the answer:
persisting it (``pycodex.storage.config_edit.set_project_trust``) and applying the policies
belong to the caller, because front ends may not write the config themselves::

    app.push_screen(TrustOnboarding(cwd, is_git_repo(cwd)), on_choice)

Dismissed with a :class:`TrustChoice` (Enter on an option, ``1``/``2``, ``y``/``n``), or
``None`` on Esc (nothing persisted; the session should ask for approval).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pycodex.protocol.policy import AskForApproval, SandboxMode

__all__ = ["TrustChoice", "TrustOnboarding", "is_git_repo"]

YES = "Yes, allow pycodex to work in this folder without asking for approval"
NO = "No, ask me to approve edits and commands"
GIT_TEXT = (
    "Since this folder is version controlled, you may wish to allow pycodex to work in "
    "this folder without asking for approval."
)
NO_GIT_TEXT = (
    "Since this folder is not version controlled, we recommend requiring approval of all "
    "edits and commands."
)


@dataclass(frozen=True)
class TrustChoice:
    """The answer and what it means for the session (reference §2.2)."""

    trusted: bool

    @property
    def approval_policy(self) -> AskForApproval:
        """Trusted: the model asks when it needs to (``on-request``). Not trusted: every
        edit and every command that is not known safe asks first (``untrusted``, the default
        that ``codex config show`` reports and a later start in this folder applies)."""
        return AskForApproval.ON_REQUEST if self.trusted else AskForApproval.UNTRUSTED

    @property
    def sandbox_mode(self) -> SandboxMode:
        return SandboxMode.WORKSPACE_WRITE if self.trusted else SandboxMode.READ_ONLY

    @property
    def trust_level(self) -> str:
        """The value for ``projects."<path>".trust_level``."""
        return "trusted" if self.trusted else "untrusted"


def _label(index: int, selected: bool) -> str:
    return f"{'›' if selected else ' '} {index + 1}. {(YES, NO)[index]}"


def is_git_repo(path: Path) -> bool:
    """Whether ``path`` is inside a git work tree (a ``.git`` dir or file above it)."""
    path = Path(path).resolve()
    return any((d / ".git").exists() for d in (path, *path.parents))


class TrustOnboarding(ModalScreen[TrustChoice | None]):
    DEFAULT_CSS = """
    TrustOnboarding { align: center middle; }
    TrustOnboarding > Vertical { width: 90; max-width: 100%; height: auto;
        border: thick $accent; background: $surface; padding: 1 2; }
    TrustOnboarding OptionList { height: auto; margin: 1 0; border: none; }
    TrustOnboarding #trust-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,y", "choose(True)", "Yes", show=False),
        Binding("2,n", "choose(False)", "No", show=False),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, cwd: Path, is_git: bool) -> None:
        super().__init__()
        self.cwd = cwd
        self.is_git = is_git

    def compose(self) -> ComposeResult:
        head = Text("> ", style="bold")
        head.append("You are running pycodex in ", style="bold")
        head.append(str(self.cwd), style="bold cyan")
        with Vertical():
            yield Static(head)
            yield Static(Text(GIT_TEXT if self.is_git else NO_GIT_TEXT), id="trust-text")
            yield OptionList(
                Option(_label(0, self.is_git), id="yes"),
                Option(_label(1, not self.is_git), id="no"),
                id="trust-options",
            )
            yield Static("↑↓ select   ⏎ confirm   esc skip", id="trust-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self.is_git else 1
        options.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # The cursor is also drawn as text ("›"), so it shows without colours too.
        for index in (0, 1):
            event.option_list.replace_option_prompt_at_index(
                index, _label(index, index == event.option_index)
            )

    @property
    def highlighted_choice(self) -> bool:
        """The option under the cursor: True for "Yes"."""
        return self.query_one(OptionList).highlighted == 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(TrustChoice(trusted=event.option.id == "yes"))

    def action_choose(self, trusted: bool) -> None:
        self.dismiss(TrustChoice(trusted=trusted))

    def action_cancel(self) -> None:
        self.dismiss(None)
