"""Slash commands: the list the popup filters, and the texts some of them produce.

Running them needs the app (core, screens), so the actions live in ``app``; this module is
the data: names, descriptions, the ``/init`` prompt, the ``/status`` card.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from pycodex.config.schema import Config
from pycodex.protocol.items import TokenUsage


@dataclass(frozen=True)
class SlashCommand:
    name: str
    description: str


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("new", "start a new chat during a conversation"),
    SlashCommand("compact", "summarize the conversation to free context"),
    SlashCommand("diff", "show git diff, including untracked files"),
    SlashCommand("init", "create an AGENTS.md file with instructions for Codex"),
    SlashCommand("status", "show the session configuration and token usage"),
    SlashCommand("model", "choose the model for the next turns"),
    SlashCommand("approvals", "choose when Codex asks for approval"),
    SlashCommand("mention", "mention a file (opens the file picker)"),
    SlashCommand("resume", "continue a saved session"),
    SlashCommand("quit", "exit Codex"),
)
NAMES = frozenset(c.name for c in COMMANDS)

MODEL_CHOICES = ("gpt-5", "gpt-5-codex", "o3", "o4-mini", "gpt-4.1", "codex-mini-latest")

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


def matching(prefix: str) -> list[tuple[str, str]]:
    """Commands starting with ``prefix`` (no slash), then those merely containing it."""
    starts = [c for c in COMMANDS if c.name.startswith(prefix)]
    contains = [c for c in COMMANDS if prefix in c.name and c not in starts]
    return [(f"/{c.name}", c.description) for c in (*starts, *contains)]


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
