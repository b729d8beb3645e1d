"""The first cell: who is running where, and four slash commands to start with.

The hints are worded for a first look (as v0.20's welcome does), not the popup's
descriptions; the commands themselves are declared in ``slash``.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from pycodex.frontends.tui.cells import TextCell

HINTS = (
    ("/init", "create an AGENTS.md file with instructions for Codex"),
    ("/status", "show current session configuration and token usage"),
    ("/diff", "show git diff (including untracked files)"),
    ("/model", "choose the model"),
)


def welcome_cell(version: str, cwd: Path) -> TextCell:
    out = Text(">_ ", style="bold")
    out.append("You are using pycodex", style="bold")
    if version:
        out.append(f" {version}", style="dim")
    out.append(f" in {cwd}\n\n")
    out.append(" To get started, describe a task or try one of these commands:\n", style="dim")
    for name, help_text in HINTS:
        out.append(f"  {name}", style="bold")
        out.append(f" - {help_text}\n", style="dim")
    out.rstrip()
    return TextCell(out, classes="welcome")
