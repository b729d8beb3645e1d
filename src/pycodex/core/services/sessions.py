"""What the user keeps between sessions, as a front end sees it: prompt history, the saved
sessions (list, replay) and the trust answer for a project.

Over ``pycodex.storage`` (the only writer under ``$CODEX_HOME``), which front ends may not
import. The config's ``[history]`` table decides whether prompts are kept. A failure to
read or write loses one entry or shows nothing; it never stops the session (core never
prints, so a failure worth telling goes to ``warn``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.protocol.errors import CodexError

if TYPE_CHECKING:
    from pycodex.config.schema import Config
    from pycodex.storage.rollout_list import SessionSummary

__all__ = ["SessionStore"]


def _ignore(message: str) -> None:
    del message


@dataclass(frozen=True)
class SessionStore:
    """The sessions and history under ``config.codex_home``; ``warn`` hears what failed."""

    config: Config
    warn: Callable[[str], None] = _ignore

    @property
    def _keeps_history(self) -> bool:
        return self.config.history.persistence != "none"

    def load_history(self) -> Sequence[str]:
        """Earlier prompts, oldest first (none when history is off)."""
        if not self._keeps_history:
            return ()
        from pycodex.storage.history import read_history

        return [e.text for e in read_history(self.config.codex_home)]

    def append_history(self, session_id: str, text: str) -> None:
        """Record a submitted prompt; a busy or unwritable history loses this one entry."""
        if not self._keeps_history:
            return
        from pycodex.storage.history import append_history

        try:
            append_history(self.config.codex_home, session_id, text, self.config.history.max_bytes)
        except (OSError, CodexError):
            return

    def list_sessions(self) -> Sequence[SessionSummary]:
        """The saved sessions, newest first (for a picker; may take a while: use a thread)."""
        from pycodex.storage.rollout import list_sessions

        return list_sessions(self.config.codex_home)

    def replay(self, path: Path) -> Sequence[tuple[str, str]]:
        """What resuming the session file ``path`` shows (``services.replay``); nothing when
        the file cannot be read."""
        from pycodex.core.services.replay import replay_entries
        from pycodex.storage.rollout import read_rollout

        try:
            items = read_rollout(path).items
        except (OSError, CodexError):
            return ()
        return replay_entries(items)

    def set_trust(self, cwd: Path, trusted: bool) -> None:
        """Persist the onboarding answer for ``cwd``; on failure the session goes on (and
        the question comes again next time)."""
        from pycodex.storage.config_edit import set_project_trust

        try:
            set_project_trust(self.config.codex_home, cwd, trusted)
        except (OSError, CodexError) as exc:
            self.warn(f"could not save the trust setting: {exc}")
