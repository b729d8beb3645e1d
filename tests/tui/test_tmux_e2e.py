"""`codex` in a real terminal: tmux runs it, keys are typed, the screen is read back.

The TUI talks HTTP to the scripted model server. After quitting (Ctrl-C twice on the idle
composer) the terminal must be restored: the alternate screen is off, the shell prompt is
back, the tty settings equal those from before the launch, and the transcript is left in
the scrollback. Each tmux runs on its own socket and is killed at the end. Every wait is a
bounded poll of the screen.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.model_server import ScriptedModelServer, Turn
from tests.tui.tmux_support import (
    NO_TMUX,
    PROMPT,
    START_TIMEOUT,
    TMUX,
    Tmux,
    last_line,
    trusted_home,
)

pytestmark = pytest.mark.skipif(TMUX is None, reason=NO_TMUX)


def test_prompt_answer_quit_restores_terminal(
    tmux: Callable[[Path, dict[str, str]], Tmux],
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> None:
    model_server.push(Turn(text="The answer is 42."))
    work, env = trusted_home(tmp_path, model_server.base_url)
    term = tmux(work, env)
    term.keys(f"PS1={shlex.quote(PROMPT)}; stty -g > {tmp_path}/before", "Enter")
    term.wait((tmp_path / "before").exists, "the shell")

    term.keys(f"{shlex.quote(sys.executable)} -m pycodex", "Enter")
    term.wait_text("Ctrl+C quit", START_TIMEOUT)  # the footer: the composer is up
    assert term.fmt("#{alternate_on}") == "1"

    term.keys("what is the answer", literal=True)
    term.wait_text("what is the answer")
    term.keys("Enter")
    term.wait_text("The answer is 42.")
    (request,) = model_server.wait_for_requests(1, timeout=5)
    assert request.body is not None and "what is the answer" in str(request.body["input"][-1])

    term.keys("C-t")  # the transcript pager takes the screen, q gives it back
    term.wait_text("q or Esc close")
    assert "The answer is 42." in term.screen()
    term.keys("q")
    term.wait(lambda: "q or Esc close" not in term.screen(), "the pager to close")
    term.wait_text("Ctrl+C quit")

    term.keys("C-c")
    term.wait_text("again to quit")
    term.keys("C-c")
    term.wait(lambda: last_line(term.screen()) == PROMPT.strip(), "the shell prompt")
    assert term.fmt("#{alternate_on}") == "0"
    assert term.fmt("#{pane_current_command}") == "bash"
    assert "The answer is 42." in term.screen(history=True)  # left in the scrollback

    term.keys(f"stty -g > {tmp_path}/after; stty -a > {tmp_path}/after.txt", "Enter")
    term.wait((tmp_path / "after.txt").exists, "stty")
    term.wait(lambda: "icanon" in (tmp_path / "after.txt").read_text(), "stty -a output")
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()
    flags = (tmp_path / "after.txt").read_text().split()
    assert {"icanon", "echo", "icrnl", "isig"} <= set(flags)
