"""`codex [PROMPT]` and `codex resume`: the interactive session (the TUI issue fills this)."""

from __future__ import annotations

import argparse

from pycodex.protocol.errors import CodexError


def run_tui(args: argparse.Namespace) -> int:
    raise CodexError(
        "the interactive session is not available yet in this build; "
        'use `codex exec "task"` for a headless run'
    )


def run_resume(args: argparse.Namespace) -> int:
    raise CodexError(
        "interactive resume is not available yet; use `codex exec resume --last [PROMPT]`"
    )
