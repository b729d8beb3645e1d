"""The slash commands: each one declared once, with its handler, in popup order.

Adding a command is one decorated function here (and its test): the popup, the dispatch
and the busy rule come from ``registry``. Handlers get a ``SessionController`` (not the
app). The ``/init`` prompt and the ``/status`` card are here too.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from rich.text import Text

from pycodex.config.schema import Config
from pycodex.frontends.tui.cells import TextCell, diff_cell
from pycodex.frontends.tui.controller import SessionController
from pycodex.frontends.tui.registry import SlashRegistry
from pycodex.protocol.items import TokenUsage
from pycodex.protocol.ops import Compact
from pycodex.protocol.policy import AskForApproval

REGISTRY = SlashRegistry()
command = REGISTRY.command

MODEL_CHOICES = ("gpt-5", "gpt-5-codex", "o3", "o4-mini", "gpt-4.1", "codex-mini-latest")
MODEL_LIST_TIMEOUT_S = 3.0
_APPROVAL_HELP = {
    AskForApproval.UNTRUSTED: "ask before any command that is not known to be safe",
    AskForApproval.ON_FAILURE: "run in the sandbox; ask when a command fails there",
    AskForApproval.ON_REQUEST: "the model decides when to ask",
    AskForApproval.NEVER: "never ask; failures go back to the model",
}

INIT_PROMPT = """\
Create a file named AGENTS.md at the root of this repository: a short guide for coding \
agents (and people) who will work here. First look around (layout, build and test \
commands, linters and formatters, CI configuration, existing docs); then write, in \
concise Markdown:

- what the project is, in two or three sentences;
- how the code is organised (the main directories and what lives where);
- how to set up, build, run the tests and the checks, as exact commands;
- the conventions you found (style, naming, typing, commit messages);
- anything a newcomer would trip over.

Keep it under about 400 words, state only what you verified in the repository, and do not \
invent commands. If an AGENTS.md already exists, improve it instead of replacing what is \
still accurate."""


@command("new", "start a new chat during a conversation", during_turn=True)
async def _new(session: SessionController, arg: str) -> None:
    await session.new_session()
    await session.note("✨ New chat started", "green")


@command("compact", "summarize the conversation to free context", during_turn=False)
async def _compact(session: SessionController, arg: str) -> None:
    await session.note("Compacting the conversation…")
    await session.submit(Compact())


@command("diff", "show git diff, including untracked files", during_turn=True)
async def _diff(session: SessionController, arg: str) -> None:
    from pycodex.core.services.workspace import git_diff

    in_repo, diff = await git_diff(session.config.cwd, session.env)
    if not in_repo:
        await session.note(f"/diff: {diff}", "yellow")
        return
    await session.show(diff_cell("/diff", diff))


@command("init", "create an AGENTS.md file with instructions for Codex", during_turn=False)
async def _init(session: SessionController, arg: str) -> None:
    if (session.config.cwd / "AGENTS.md").exists():
        await session.note("AGENTS.md exists already: asking Codex to improve it", "dim")
    await session.note("/init: asking Codex to write AGENTS.md", "dim")
    await session.submit_prompt(INIT_PROMPT)


@command("status", "show the session configuration and token usage", during_turn=True)
async def _status(session: SessionController, arg: str) -> None:
    usage = session.usage()
    card = status_text(session.config, usage.total, usage.session_id, usage.context_window)
    await session.show(TextCell(card, classes="status"))


@command("model", "choose the model for the next turns", during_turn=False)
async def _model(session: SessionController, arg: str) -> None:
    async def chosen(model: str | None) -> None:
        if model and model != session.config.model:
            config = dataclasses.replace(session.config, model=model, model_context_window=None)
            await session.switch_config(config, f"Model set to {model}")

    if arg:
        await chosen(arg)
        return
    from pycodex.frontends.tui.choice import ChoiceScreen

    try:  # what the server offers (local providers), then the usual names
        async with asyncio.timeout(MODEL_LIST_TIMEOUT_S):
            offered = await session.services.list_models()
    except TimeoutError:
        offered = ()
    current = session.config.model
    names = dict.fromkeys((current, *offered, *MODEL_CHOICES))
    choices = [(m, "offered by the server" if m in offered else "") for m in names]
    session.open_screen(ChoiceScreen("Model for the next turns", choices, current), chosen)


@command("approvals", "choose when Codex asks for approval", during_turn=False)
async def _approvals(session: SessionController, arg: str) -> None:
    async def chosen(value: str | None) -> None:
        if value and value != session.config.approval_policy:
            config = dataclasses.replace(session.config, approval_policy=AskForApproval(value))
            await session.switch_config(config, f"Approval policy set to {value}")

    if arg:
        if arg not in {p.value for p in AskForApproval}:
            await session.note(f"/approvals: one of {', '.join(p.value for p in AskForApproval)}")
            return
        await chosen(arg)
        return
    from pycodex.frontends.tui.choice import ChoiceScreen

    choices = [(p.value, _APPROVAL_HELP[p]) for p in AskForApproval]
    current = session.config.approval_policy
    session.open_screen(ChoiceScreen("When to ask", choices, current), chosen)


@command("mention", "mention a file (opens the file picker)", during_turn=True)
async def _mention(session: SessionController, arg: str) -> None:
    session.add_to_composer("@" + arg)


@command("resume", "continue a saved session", during_turn=True)
async def _resume(session: SessionController, arg: str) -> None:
    from pycodex.frontends.tui.resume_picker import ResumePicker

    async def chosen(path: Path | None) -> None:
        if path is not None:
            await session.resume_session(Path(path))

    session.open_screen(ResumePicker(session.services.list_sessions), chosen)


@command("quit", "exit Codex", during_turn=True)
async def _quit(session: SessionController, arg: str) -> None:
    await session.quit()


COMMANDS = REGISTRY.commands
NAMES = REGISTRY.names
matching = REGISTRY.matching


def status_text(
    config: Config, total: TokenUsage, session_id: str | None, window: int | None
) -> Text:
    """The ``/status`` card: workspace, model and token usage (reference §10)."""
    out = Text("/status\n", style="bold magenta")
    rows: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "📂 Workspace",
            [
                ("Path", str(config.cwd)),
                ("Approval Mode", str(config.approval_policy)),
                ("Sandbox", str(config.sandbox_mode)),
            ],
        ),
        (
            "🧠 Model",
            [
                ("Name", config.model),
                ("Provider", config.model_provider.name or config.model_provider_id),
                ("Reasoning Effort", str(config.model_reasoning_effort)),
                ("Reasoning Summaries", str(config.model_reasoning_summary)),
            ],
        ),
        (
            "📊 Token Usage",
            [
                ("Session", session_id or "(starting)"),
                (
                    "Input",
                    f"{total.input_tokens - total.cached_input_tokens}"
                    f" (+ {total.cached_input_tokens} cached)",
                ),
                ("Output", str(total.output_tokens)),
                ("Total", str(total.total_tokens)),
                ("Context window", str(window) if window else "unknown"),
            ],
        ),
    ]
    for title, fields in rows:
        out.append(title + "\n", style="bold")
        for name, value in fields:
            out.append(f"  • {name}: ", style="dim")
            out.append(value + "\n")
    out.rstrip()
    return out
