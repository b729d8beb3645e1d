"""Slash commands, the popup's contents, and the pickers (file, session).

Functions of the app rather than methods, to keep ``app`` about the session and keys.
The file search and the session picker are sibling modules (``file_search``,
``resume_picker``).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.core.terminal_text import sanitize
from pycodex.frontends.tui.cells import TextCell, diff_cell
from pycodex.frontends.tui.slash import (
    INIT_PROMPT,
    MODEL_CHOICES,
    matching,
    status_text,
)
from pycodex.protocol.items import TokenUsage
from pycodex.protocol.ops import Compact
from pycodex.protocol.policy import AskForApproval

if TYPE_CHECKING:
    from pycodex.frontends.tui.app import CodexApp

FILE_MATCHES = 12
INDEX_POLL_S = 0.1
_MENTION = re.compile(r"(?:^|\s)@(\S*)$")
_APPROVAL_HELP = {
    AskForApproval.UNTRUSTED: "ask before any command that is not known to be safe",
    AskForApproval.ON_FAILURE: "run in the sandbox; ask when a command fails there",
    AskForApproval.ON_REQUEST: "the model decides when to ask",
    AskForApproval.NEVER: "never ask; failures go back to the model",
}


# --- popup -------------------------------------------------------------------------


def _mention_query(app: CodexApp) -> str | None:
    """The ``@word`` being typed at the cursor, without the ``@``."""
    composer = app.composer
    row, col = composer.cursor_location
    line = composer.document.get_line(row)[:col]
    found = _MENTION.search(line)
    return found.group(1) if found else None


def _search_files(app: CodexApp, query: str) -> list[tuple[str, str]] | None:
    """Matches for ``@query``; None while the index is still being built."""
    index = app.file_index
    if index is None:
        from pycodex.frontends.tui.file_search import FileIndex

        index = app.file_index = FileIndex(app.config.cwd).start()  # walks in a thread
    if not index.ready:
        return None
    return [(str(m.path), "") for m in index.search(query, FILE_MATCHES)]


def update_popup(app: CodexApp) -> None:
    """Open, filter or close the popup after each edit of the composer."""
    text = app.composer.text
    if text.startswith("/") and "\n" not in text and " " not in text:
        app.popup.show("slash", matching(text[1:]))
        return
    query = _mention_query(app)
    if query is not None:
        found = _search_files(app, query)
        if found is None:  # indexing: look again shortly
            app.popup.show("file", [("…", "indexing files")])
            app.set_timer(INDEX_POLL_S, lambda: update_popup(app))
            return
        app.popup.show("file", found)
        return
    app.popup.close()


async def accept_popup(app: CodexApp, value: str, run: bool) -> None:
    composer = app.composer
    kind = app.popup.kind
    app.popup.close()
    if kind == "slash":
        if run:
            composer.load_text("")
            await run_slash(app, value)
        else:
            composer.load_text(value + " ")
            composer.move_cursor(composer.document.end)
        return
    row, col = composer.cursor_location
    line = composer.document.get_line(row)
    start = line.rfind("@", 0, col)
    if start < 0 or value == "…":
        return
    # as shown: a file name with control characters (the model can create one) would
    # otherwise reach the terminal raw through the composer, which shows text as it is
    composer.replace(sanitize(value) + " ", (row, start), (row, col))
    app.popup.close()


# --- slash commands ----------------------------------------------------------------


async def run_slash(app: CodexApp, text: str) -> None:
    name, _, arg = text[1:].partition(" ")
    arg = arg.strip()
    handler = _HANDLERS.get(name)
    if handler is None:
        await app.note(f"unknown command /{name}", "red")
        return
    await handler(app, arg)


async def _new(app: CodexApp, arg: str) -> None:
    await app.transcript.clear_cells()
    await app.replace_session(app.config, None)
    app.total = TokenUsage()  # a new conversation has used nothing yet (footer, /status)
    app.footer_bar.reset_tokens()
    await app.note("✨ New chat started", "green")


async def _compact(app: CodexApp, arg: str) -> None:
    if app.working or app.link is None:
        await app.note("/compact: wait for the turn to finish", "yellow")
        return
    await app.note("Compacting the conversation…")
    await app.link.submit(Compact())


async def _diff(app: CodexApp, arg: str) -> None:
    from pycodex.frontends.tui.git_diff import git_diff

    in_repo, diff = await git_diff(app.config.cwd, app.options.env)
    if not in_repo:
        await app.note(f"/diff: {diff}", "yellow")
        return
    await app.transcript.add(diff_cell("/diff", diff))


async def _init(app: CodexApp, arg: str) -> None:
    if (app.config.cwd / "AGENTS.md").exists():
        await app.note("AGENTS.md exists already: asking Codex to improve it", "dim")
    await app.note("/init: asking Codex to write AGENTS.md", "dim")
    if app.link is not None and app.link.ready.is_set() and not app.working:
        await app.submit_text(app.link, INIT_PROMPT, record=False)
    else:
        await app.note("/init: the session is busy; try again when the turn ends", "yellow")


async def _status(app: CodexApp, arg: str) -> None:
    link = app.link
    card = status_text(
        app.config, app.total, link.session_id if link else None, app.footer_bar.window
    )
    await app.transcript.add(TextCell(card, classes="status"))


MODEL_LIST_TIMEOUT_S = 3.0


async def _model(app: CodexApp, arg: str) -> None:
    async def chosen(model: str | None) -> None:
        if model and model != app.config.model:
            config = app.with_config(model=model, model_context_window=None)
            await app.switch_config(config, f"Model set to {model}")

    if arg:
        await chosen(arg)
        return
    from pycodex.frontends.tui.choice import ChoiceScreen

    try:  # what the server offers (local providers), then the usual names
        async with asyncio.timeout(MODEL_LIST_TIMEOUT_S):
            offered = await app.options.services.list_models()
    except TimeoutError:
        offered = ()
    names = dict.fromkeys((app.config.model, *offered, *MODEL_CHOICES))
    choices = [(m, "offered by the server" if m in offered else "") for m in names]
    app.push_screen(ChoiceScreen("Model for the next turns", choices, app.config.model), chosen)


async def _approvals(app: CodexApp, arg: str) -> None:
    async def chosen(value: str | None) -> None:
        if value and value != app.config.approval_policy:
            policy = AskForApproval(value)
            await app.switch_config(
                app.with_config(approval_policy=policy), f"Approval policy set to {value}"
            )

    if arg:
        if arg not in {p.value for p in AskForApproval}:
            await app.note(f"/approvals: one of {', '.join(p.value for p in AskForApproval)}")
            return
        await chosen(arg)
        return
    from pycodex.frontends.tui.choice import ChoiceScreen

    choices = [(p.value, _APPROVAL_HELP[p]) for p in AskForApproval]
    app.push_screen(ChoiceScreen("When to ask", choices, app.config.approval_policy), chosen)


async def _mention(app: CodexApp, arg: str) -> None:
    composer = app.composer
    composer.move_cursor(composer.document.end)
    before = composer.text
    composer.insert(("" if not before or before.endswith((" ", "\n")) else " ") + "@" + arg)
    composer.focus()


async def _resume(app: CodexApp, arg: str) -> None:
    open_resume_picker(app, first=False)


async def _quit(app: CodexApp, arg: str) -> None:
    await app.action_quit_app()


_HANDLERS = {
    "new": _new,
    "compact": _compact,
    "diff": _diff,
    "init": _init,
    "status": _status,
    "model": _model,
    "approvals": _approvals,
    "mention": _mention,
    "resume": _resume,
    "quit": _quit,
}


def open_resume_picker(app: CodexApp, *, first: bool) -> None:
    """Show the saved sessions; the chosen one continues here. ``first``: at start-up,
    where cancelling starts a new session instead."""
    from pycodex.frontends.tui.resume_picker import ResumePicker

    async def chosen(path: Path | None) -> None:
        if path is None:
            if first:
                app.start_session(app.config, None)
            return
        await app.transcript.clear_cells()
        await app.replay(Path(path))
        await app.replace_session(app.config, Path(path))

    app.push_screen(ResumePicker(app.options.services.list_sessions), chosen)
