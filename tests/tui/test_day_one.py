"""Day-one TUI polish (issue 14, bugs 5, 6 and the TUI parts of 7), under Pilot with the real
core talking HTTP to the scripted server.

- a model that accepts the request and never answers: the status line says it is waiting,
  with the retry plan (bug 5);
- "No, ask me to approve edits and commands" runs ``untrusted``, the default every other
  place reports (bug 6);
- ``/new`` starts the token counter over; a resumed session shows its commands and
  patches, not only its messages; a command's output shows its first and last lines, each
  bounded (bug 7).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from pycodex.cli.tui_cmd import _services
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.cells import ExecCell
from pycodex.frontends.tui.onboarding import TrustOnboarding
from pycodex.protocol.items import TokenUsage
from pycodex.protocol.policy import AskForApproval, SandboxMode
from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn, Usage
from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until

NEW_FILE_PATCH = "*** Begin Patch\n*** Add File: notes.txt\n+first note\n*** End Patch\n"


def _status(app: CodexApp) -> str:
    return str(app.status.render())


def test_silent_model_shows_waiting_status_with_retry_plan(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    # accepted and never answered; a 10 s idle timeout: the wait is reported from 1 s on
    model_server.push(Fault.no_answer(hold_seconds=60), Fault.no_answer(hold_seconds=60))
    options = tui_options(
        codex_home,
        tmp_path,
        model_server.base_url,
        prompt="hello?",
        config_overrides=("model_providers.mock.stream_idle_timeout_ms=10000",),
    )
    app = CodexApp(options)

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "Waiting for the model" in _status(app), "waiting")
        status = _status(app)
        assert "no response yet; will retry 1 more time, timeout 10s" in status
        assert "Ctrl+C to interrupt" in status
        await pilot.press("ctrl+c")
        await idle(pilot, app)
        assert not app.status.display and app.status.waiting_text is None

    drive(app, scenario)
    assert "Turn interrupted" in app.transcript_text()


def test_onboarding_no_means_untrusted(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    base = tui_options(codex_home, tmp_path, model_server.base_url)
    app = CodexApp(dataclasses.replace(base, ask_trust=True))

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustOnboarding), "onboarding")
        await pilot.press("2")  # "No, ask me to approve edits and commands"
        await ready(pilot, app)

    drive(app, scenario)
    assert app.config.approval_policy is AskForApproval.UNTRUSTED
    assert app.link is not None and app.link.config.approval_policy is AskForApproval.UNTRUSTED
    assert app.config.sandbox_mode is SandboxMode.READ_ONLY


def test_new_starts_the_token_counter_over(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="counted", usage=Usage(input_tokens=90, output_tokens=10)))
    app = CodexApp(tui_options(codex_home, tmp_path, model_server.base_url, prompt="count"))

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "counted" in app.transcript_text(), "answer")
        await idle(pilot, app)
        await wait_until(pilot, lambda: "100 tokens used" in str(app.footer_bar.render()))
        await type_text(pilot, "/new")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "New chat started" in app.transcript_text(), "/new")
        await ready(pilot, app)
        footer = str(app.footer_bar.render())
        assert "0 tokens used" in footer and "100 tokens used" not in footer
        assert app.total == TokenUsage()

    drive(app, scenario)


def test_resumed_session_shows_its_commands_and_patches(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["echo", "replayed-output"]})]),
        Turn(tool_calls=[ToolCall("apply_patch", {"input": NEW_FILE_PATCH})]),
        Turn(text="first answer"),
        Turn(text="second answer"),
    )
    first = CodexApp(
        tui_options(
            codex_home,
            tmp_path,
            model_server.base_url,
            prompt="first q",
            approval_policy=AskForApproval.NEVER,
            sandbox_mode=SandboxMode.WORKSPACE_WRITE,
        )
    )
    paths: list[Path] = []

    async def run_first(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "first answer" in first.transcript_text(), "answer")
        await idle(pilot, first)
        assert first.link is not None and first.link.rollout_path is not None
        paths.append(first.link.rollout_path)
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: first.return_code is not None, "exit")

    drive(first, run_first)
    assert (tmp_path / "notes.txt").read_text() == "first note\n"
    base = tui_options(codex_home, tmp_path, model_server.base_url)
    options = dataclasses.replace(
        base, resume_path=paths[0], services=_services(base.config), prompt="second q"
    )
    second = CodexApp(options)

    async def run_second(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "second answer" in second.transcript_text(), "answer")

    drive(second, run_second)
    text = second.transcript_text()
    resumed = text.index("Resumed session")
    assert text.index("first q") < text.index("$ echo replayed-output  (exit 0)") < resumed
    assert text.index("replayed-output\n") < resumed  # the command's output too
    assert text.index("notes.txt") < text.index("first answer") < resumed
    assert "+first note" in text[:resumed]


def test_command_output_shows_first_and_last_lines_each_bounded(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    script = "seq 1 50; head -c 5000 /dev/zero | tr '\\0' y; echo"
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-lc", script]})]),
        Turn(text="done"),
    )
    options = tui_options(
        codex_home,
        tmp_path,
        model_server.base_url,
        prompt="count",
        approval_policy=AskForApproval.NEVER,
    )
    app = CodexApp(options)
    shown: list[str] = []

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "done" in app.transcript_text(), "answer")
        (cell,) = [c for c in app.transcript.cells if isinstance(c, ExecCell)]
        assert cell.exit_code == 0
        shown.append(str(cell.query_one(".exec-output", Static).render()))

    drive(app, scenario)
    lines = shown[0].splitlines()
    assert lines[:4] == ["1", "2", "3", "… +45 lines"]
    assert lines[4:6] == ["49", "50"]
    assert lines[6].startswith("y" * 100) and "bytes omitted" in lines[6]
    assert len(lines[6]) < 300
    text = app.transcript_text()
    assert "… +45 lines" in text and "y" * 1000 not in text


def test_interrupted_command_says_so_not_exit_minus_one(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    script = "echo started; sleep 60"
    model_server.push(Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-lc", script]})]))
    options = tui_options(
        codex_home,
        tmp_path,
        model_server.base_url,
        prompt="wait",
        approval_policy=AskForApproval.NEVER,
    )
    app = CodexApp(options)
    cells: list[ExecCell] = []
    headers: list[str] = []

    async def scenario(pilot: Pilot[int]) -> None:
        def running() -> bool:
            cells[:] = [c for c in app.transcript.cells if isinstance(c, ExecCell)]
            return bool(cells) and "started" in cells[0].text

        await wait_until(pilot, running, "command output")
        await pilot.press("ctrl+c")
        await idle(pilot, app)
        await wait_until(pilot, lambda: cells[0].exit_code is not None, "command end")
        headers.append(str(cells[0].query_one(".exec-header", Static).render()))

    drive(app, scenario)
    (cell,) = cells
    assert cell.interrupted
    (header,) = headers
    assert "interrupted after" in header and "exit -1" not in header
    assert f"$ {script}  (interrupted)" in app.transcript_text()
