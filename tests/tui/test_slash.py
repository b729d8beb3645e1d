"""Slash commands and the popups, with the real core over HTTP where a turn is involved."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from pycodex.cli.session_inputs import local_model_lister
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.choice import ChoiceScreen
from pycodex.frontends.tui.slash import INIT_PROMPT
from pycodex.protocol.policy import AskForApproval
from tests.support.model_server import ScriptedModelServer, Turn
from tests.tui.support import drive, idle, ready, tui_options, type_text, wait_until


async def _command(pilot: Pilot[int], text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("escape")  # close the popup: Enter then sends the text as typed
    await pilot.press("enter")


def _app(server_url: str, home: Path, cwd: Path, **kw: object) -> CodexApp:
    return CodexApp(tui_options(home, cwd, server_url, **kw))  # type: ignore[arg-type]


def test_popup_filters_and_tab_completes(codex_home: Path, tmp_path: Path) -> None:
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await pilot.press("/")
        assert app.popup.is_open and app.popup.option_count == 10
        await type_text(pilot, "di")
        assert app.popup.current() == "/diff" and app.popup.option_count == 1
        await pilot.press("tab")
        assert app.composer.text == "/diff " and not app.popup.is_open

    drive(app, scenario)


def test_status_card(codex_home: Path, tmp_path: Path) -> None:
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await pilot.press("/", "s", "t", "a", "enter")  # Enter on the popup runs it

    drive(app, scenario)
    text = app.transcript_text()
    for expected in (
        "📂 Workspace",
        f"Path: {tmp_path}",
        "Approval Mode: untrusted",
        "Sandbox: read-only",
        "Name: test-model",
        "Provider: Mock",
        "Total: 0",
    ):
        assert expected in text


def test_diff_shows_tracked_and_untracked_changes(codex_home: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "tracked.txt").write_text("old\n")
    subprocess.run([*git, "add", "."], check=True, timeout=30)
    subprocess.run([*git, "commit", "-qm", "init"], check=True, timeout=30)
    (repo / "tracked.txt").write_text("new\n")
    (repo / "fresh.txt").write_text("brand new\n")
    app = _app("http://127.0.0.1:9/v1", codex_home, repo)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await _command(pilot, "/diff")
        await wait_until(pilot, lambda: "+brand new" in app.transcript_text(), "diff")

    drive(app, scenario)
    text = app.transcript_text()
    assert "-old\n+new" in text and "+++ b/fresh.txt" in text


def test_diff_outside_a_repository(codex_home: Path, tmp_path: Path) -> None:
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await _command(pilot, "/diff")
        await wait_until(pilot, lambda: "not inside a git" in app.transcript_text(), "note")

    drive(app, scenario)


def test_model_switch_keeps_the_conversation(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="first answer"), Turn(text="second answer"))
    app = _app(model_server.base_url, codex_home, tmp_path, prompt="one")

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "first answer" in app.transcript_text(), "answer 1")
        await idle(pilot, app)
        await _command(pilot, "/model other-model")
        await ready(pilot, app)
        await type_text(pilot, "two")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "second answer" in app.transcript_text(), "answer 2")

    drive(app, scenario)
    first, second = (r.body for r in model_server.model_requests)
    assert first is not None and second is not None
    assert first["model"] == "test-model" and second["model"] == "other-model"
    texts = [str(item.get("content")) for item in second["input"]]
    assert any("first answer" in t for t in texts)  # the same conversation continued
    assert "Model set to other-model" in app.transcript_text()


def test_approvals_picker_switches_policy(codex_home: Path, tmp_path: Path) -> None:
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await _command(pilot, "/approvals")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "picker")
        await pilot.press("down", "down", "down", "enter")  # untrusted -> never
        await wait_until(pilot, lambda: app.config.approval_policy == AskForApproval.NEVER)
        await ready(pilot, app)

    drive(app, scenario)
    assert "Approval policy set to never" in app.transcript_text()


def test_new_starts_an_empty_conversation(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="answer one"), Turn(text="answer two"))
    app = _app(model_server.base_url, codex_home, tmp_path, prompt="remember me")

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: "answer one" in app.transcript_text(), "answer 1")
        await idle(pilot, app)
        first_session = app.link.session_id if app.link else None
        await _command(pilot, "/new")
        await ready(pilot, app)
        assert app.link is not None and app.link.session_id != first_session
        assert not any("answer one" in c.plain() for c in app.transcript.cells)
        await type_text(pilot, "fresh")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "answer two" in app.transcript_text(), "answer 2")

    drive(app, scenario)
    second = model_server.model_requests[1].body
    assert second is not None and "remember me" not in str(second["input"])


def test_init_and_compact_send_their_requests(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="wrote AGENTS.md"), Turn(text="the summary"))
    app = _app(model_server.base_url, codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await _command(pilot, "/init")
        await wait_until(pilot, lambda: "wrote AGENTS.md" in app.transcript_text(), "init")
        await idle(pilot, app)
        await _command(pilot, "/compact")
        await wait_until(pilot, lambda: "Compact task completed" in app.transcript_text())

    drive(app, scenario)
    init, compact = (r.body for r in model_server.model_requests)
    assert init is not None and compact is not None
    assert init["input"][-1]["content"][0]["text"] == INIT_PROMPT
    assert compact["tools"] == []


def test_quit_command_exits(codex_home: Path, tmp_path: Path) -> None:
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await _command(pilot, "/quit")
        await wait_until(pilot, lambda: app.return_code is not None, "exit")

    drive(app, scenario)
    assert app.return_code == 0


def test_at_opens_the_file_picker_and_inserts_the_path(codex_home: Path, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello_world.py").write_text("print()\n")
    (tmp_path / "notes.txt").write_text("x\n")
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await type_text(pilot, "look at @hel")
        await wait_until(pilot, lambda: app.popup.current() == "src/hello_world.py", "match")
        await pilot.press("enter")
        assert app.composer.text == "look at src/hello_world.py "
        assert not app.popup.is_open

    drive(app, scenario)


def test_mention_command_starts_a_file_mention(codex_home: Path, tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("x\n")
    app = _app("http://127.0.0.1:9/v1", codex_home, tmp_path)

    async def scenario(pilot: Pilot[int]) -> None:
        await ready(pilot, app)
        await _command(pilot, "/mention")
        assert app.composer.text == "@"
        await type_text(pilot, "read")
        await wait_until(pilot, lambda: app.popup.current() == "readme.md", "match")

    drive(app, scenario)


def test_model_picker_lists_what_a_local_server_offers(codex_home: Path, tmp_path: Path) -> None:
    """`/model` on a local provider shows the models its server lists at /v1/models (the
    lister the CLI builds, over real HTTP to the scripted server's Ollama endpoints)."""
    with ScriptedModelServer(ollama_models=["qwen3:4b", "llama3.2:1b"]) as server:
        options = tui_options(codex_home, tmp_path, server.base_url)
        config = dataclasses.replace(
            options.config,
            model_provider_id="oss",
            model_provider=dataclasses.replace(
                options.config.model_provider, id="oss", base_url=server.base_url
            ),
        )
        services = dataclasses.replace(
            options.services, list_models=local_model_lister(config, options.env)
        )
        app = CodexApp(dataclasses.replace(options, config=config, services=services))
        seen: list[str] = []

        async def scenario(pilot: Pilot[int]) -> None:
            await ready(pilot, app)
            await _command(pilot, "/model")
            await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "picker")
            listed = app.screen.query_one(OptionList)
            seen.extend(str(listed.get_option_at_index(i).id) for i in range(listed.option_count))
            await pilot.press("escape")

        drive(app, scenario)
        assert any(r.path.endswith("/models") for r in server.requests)
    assert seen[:3] == ["test-model", "qwen3:4b", "llama3.2:1b"]
