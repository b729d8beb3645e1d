"""The TUI never sends the model's or its commands' control sequences to the terminal.

Rich strips only BEL, BS, VT, FF and CR from text; ESC and the C1 controls go through it,
and through Textual, to the terminal (and the transcript printed on exit is written raw).
Here a scripted core sends OSC 52 (clipboard), OSC 0 (title) and ``ESC [ 2 J`` in every
kind of text, and the test reads back what Textual would write to the terminal for the
whole screen (its compositor's full update, the bytes the driver sends), for the Ctrl+T
pager, and the exit transcript. The real-terminal check (tmux: window title and clipboard
buffer unchanged) is in ``test_tmux_terminal_safe``.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from pycodex.config.schema import Config
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.approval import ApprovalScreen
from pycodex.frontends.tui.options import TuiOptions
from pycodex.frontends.tui.pager import TranscriptPager
from pycodex.protocol.events import (
    AgentMessage,
    AgentMessageDelta,
    AgentReasoning,
    Error,
    EventMsg,
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
    McpInvocation,
    McpToolCallBegin,
    McpToolCallEnd,
    PlanUpdate,
)
from pycodex.protocol.items import PlanStep
from pycodex.protocol.policy import ReviewDecision
from pycodex.protocol.scripted_core import ScriptedCore, turn
from tests.e2e.harness import make_repo
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn
from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until
from tests.tui.tmux_support import (
    NO_TMUX,
    PROMPT,
    START_TIMEOUT,
    TMUX,
    Tmux,
    last_line,
    trusted_home,
)

OSC52 = "\x1b]52;c;SGVsbG8=\x07"
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
HOSTILE = f"{OSC52}{TITLE}{CLEAR}\x9b2J\x9d0;t\x9c"
SHOWN = "␛]52;c;SGVsbG8=␇␛]0;pwned␇"
OUTPUT = f"out {HOSTILE}\r\nmore\n".encode()

# What Textual itself writes: SGR colours and cursor positioning (CSI ... m / H), and the
# OSC 8 hyperlinks of links it renders. Anything else with ESC, BEL or C1 is foreign.
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;]*[mH]|\x1b\]8;[^\x07\x1b]*\x1b\\")
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _assert_safe(terminal_bytes: str, where: str) -> None:
    rest = TEXTUAL_OWN.sub("", terminal_bytes)
    bad = CONTROLS.search(rest)
    assert bad is None, f"{where}: {bad.group()!r} in {rest[max(0, bad.start() - 60) :][:140]!r}"
    assert CLEAR not in terminal_bytes and "\x1b]52" not in terminal_bytes


def _screen_bytes(app: CodexApp) -> str:
    """The bytes Textual's driver would write to repaint the whole current screen."""
    update = app.screen._compositor.render_full_update()  # private: the driver's input
    return update.render_segments(app.console)


def _turn() -> list[EventMsg]:
    half = len(OUTPUT) // 2 + 1  # the chunks split the sequences between them
    return [
        AgentReasoning(f"thinking {HOSTILE}"),
        PlanUpdate((PlanStep(f"step {HOSTILE}", "in_progress"),), f"plan {TITLE}"),
        ExecCommandBegin("c1", ("bash", "-lc", f"printf {OSC52}"), "/work/demo"),
        ExecCommandOutputDelta("c1", "stdout", OUTPUT[:half]),
        ExecCommandOutputDelta("c1", "stdout", OUTPUT[half:]),
        ExecApprovalRequest("c\x1b9", ("bash", "-lc", f"echo {HOSTILE}"), "/w", f"why {TITLE}"),
        ExecCommandEnd("c1", OUTPUT.decode(), "", OUTPUT.decode(), 0, 0.5),
        McpToolCallBegin("m1", McpInvocation("srv", "tool", {"q": HOSTILE})),
        McpToolCallEnd("m1", McpInvocation("srv", "tool"), 0.1, error=f"failed {HOSTILE}"),
        Error(f"boom {HOSTILE}"),
        AgentMessageDelta(f"answer {OSC52}"),
        AgentMessage(f"answer {HOSTILE}\n\n```\ncode {TITLE}\n```"),
    ]


def test_hostile_text_never_reaches_the_terminal() -> None:
    core = ScriptedCore([turn(*_turn())])
    config = Config(codex_home=Path("/nonexistent/home"), cwd=Path("/work/demo"))
    app = CodexApp(TuiOptions(config=config, env={}, spawn=core.spawner(), clock=lambda: 1.0))

    async def scenario(pilot: Pilot[Any]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "go")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen), "approval")
        await pilot.pause()
        running = _screen_bytes(app)  # the modal over the running command's tail
        _assert_safe(running, "approval")
        assert f"run echo {SHOWN}" in TEXTUAL_OWN.sub("", running)
        # the streamed chunks (split inside a sequence) as the running command shows them
        assert app.router.execs["c1"].text == f"out {SHOWN}<U+009D>0;t<U+009C>\nmore\n"
        await pilot.press("n")
        await idle(pilot, app)
        await pilot.pause()
        _assert_safe(_screen_bytes(app), "finished turn")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptPager), "pager")
        await pilot.pause()
        _assert_safe(_screen_bytes(app), "pager")

    drive(app, scenario)
    # the answer reached core under its real call id (ids are matched, not shown)
    assert [op.decision for op in core.ops if hasattr(op, "decision")] == [ReviewDecision.DENIED]
    text = app.transcript_text()  # printed raw into the terminal's scrollback on exit
    _assert_safe(text, "exit transcript")
    for shown in (f"thinking {SHOWN}", f"step {SHOWN}", f"out {SHOWN}", f"answer {SHOWN}"):
        assert shown in text, shown


# --- a real terminal --------------------------------------------------------------------


@pytest.mark.skipif(TMUX is None, reason=NO_TMUX)
def test_tmux_terminal_safe(
    tmux: Callable[[Path, dict[str, str]], Tmux],
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> None:
    """In tmux, which turns OSC 0 into the pane title and (``set-clipboard on``) OSC 52
    into a paste buffer: neither happens, while the TUI runs nor from the transcript it
    prints on exit, and the sequences are on screen as visible text."""
    script = r"printf 'out \033]52;c;SGVsbG8=\007\033]0;pwned\007\033[2J end\n'"
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", script]}, "c1")]),
        Turn(text=f"answer {OSC52}{TITLE}{CLEAR} done"),
    )
    top = 'approval_policy = "never"\nsandbox_mode = "danger-full-access"'
    work, env = trusted_home(tmp_path, model_server.base_url, top=top)
    term = tmux(work, env)
    term.run("set-option", "-g", "set-clipboard", "on")
    term.keys(f"PS1={shlex.quote(PROMPT)}; printf 'sanity \\033]0;probe\\007\\n'", "Enter")
    term.wait(lambda: term.fmt("#{pane_title}") == "probe", "tmux to take an OSC 0 title")
    term.keys(f"{shlex.quote(sys.executable)} -m pycodex", "Enter")
    term.wait_text("Ctrl+C quit", START_TIMEOUT)
    term.keys("run it", literal=True)
    term.keys("Enter")
    term.wait_text(" done", START_TIMEOUT)  # the answer's last word: the turn is over
    assert term.fmt("#{pane_title}") == "probe"  # not "pwned"
    assert "Hello" not in term.run("list-buffers")  # the clipboard was not written
    assert f"answer {SHOWN}" in term.screen()  # shown instead
    assert "␛[2J" not in term.screen()  # a CSI is dropped, not shown
    shown = term.run("capture-pane", "-p", "-e", "-t", "e2e")  # with the attributes
    assert f"answer {SHOWN}" in shown and "\x1b]" not in shown

    term.keys("C-c")
    term.wait_text("again to quit")
    term.keys("C-c")
    term.wait(lambda: last_line(term.screen()) == PROMPT.strip(), "the shell prompt")
    history = term.screen(history=True)
    assert f"answer {SHOWN}" in history  # the exit transcript, harmless
    assert term.fmt("#{pane_title}") == "probe"
    assert "Hello" not in term.run("list-buffers")


def test_popup_labels_are_terminal_safe() -> None:
    """File names (the model creates files) and local model names are shown safe; the
    value inserted on accept stays the real name."""
    from pycodex.frontends.tui.popup import Popup

    popup = Popup()
    popup.show("file", [(f"f{TITLE}.txt", f"d{OSC52}")])
    option = popup.get_option_at_index(0)
    assert str(option.prompt) == "f␛]0;pwned␇.txt  d␛]52;c;SGVsbG8=␇"
    assert option.id == f"f{TITLE}.txt"


def test_a_hostile_file_name_is_mentioned_and_diffed_safely(
    codex_home: Path, tmp_path: Path
) -> None:
    """The model can create a file whose name holds escape sequences: the ``@`` picker,
    the composer (Textual's TextArea shows text raw) and ``/diff`` show it harmless."""
    work = make_repo(tmp_path / "work")
    (work / f"evil{TITLE}.txt").write_text(f"content {OSC52}\n")
    options = tui_options(codex_home, work, "http://127.0.0.1:9/v1")
    app = CodexApp(options)

    async def scenario(pilot: Pilot[Any]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "see @evil")
        await wait_until(pilot, lambda: app.popup.current() is not None, "the file match")
        await pilot.pause()
        _assert_safe(_screen_bytes(app), "file picker")
        await pilot.press("enter")
        assert app.composer.text == "see evil␛]0;pwned␇.txt "
        await pilot.pause()
        _assert_safe(_screen_bytes(app), "composer")
        app.composer.load_text("")
        await type_text(pilot, "/diff")
        await pilot.press("escape")  # close the popup: Enter sends the text as typed
        await pilot.press("enter")
        await wait_until(pilot, lambda: "+content" in app.transcript_text(), "the diff")
        await pilot.pause()
        _assert_safe(_screen_bytes(app), "/diff")

    drive(app, scenario)
    assert f"+content {SHOWN[:16]}" in app.transcript_text()
