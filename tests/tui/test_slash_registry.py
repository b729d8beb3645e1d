"""The slash-command registry and the commands, driven through a ``SessionController``
without a UI: a small recording implementation stands in for the app."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen

from pycodex.config.schema import Config
from pycodex.frontends.tui.cells import Cell
from pycodex.frontends.tui.choice import ChoiceScreen
from pycodex.frontends.tui.controller import SessionController, SessionUsage
from pycodex.frontends.tui.options import TuiServices
from pycodex.frontends.tui.registry import SlashRegistry
from pycodex.frontends.tui.slash import INIT_PROMPT, REGISTRY
from pycodex.frontends.tui.welcome import HINTS
from pycodex.protocol.items import TokenUsage
from pycodex.protocol.ops import Compact, Op
from pycodex.protocol.policy import AskForApproval
from tests.tui.support import tui_options

NOT_DURING_A_TURN = {"compact", "init", "model", "approvals"}


class Session:
    """Records what the commands ask of the session."""

    def __init__(self, config: Config, *, busy: bool = False) -> None:
        self.config = config
        self.busy = busy
        self.services = TuiServices()
        self.env: Mapping[str, str] = {"PATH": "/usr/bin:/bin"}
        self.notes: list[tuple[str, str]] = []
        self.cells: list[Cell] = []
        self.prompts: list[str] = []
        self.ops: list[Op] = []
        self.switched: list[tuple[Config, str]] = []
        self.screens: list[tuple[Screen[Any], Callable[[Any], Awaitable[None]]]] = []
        self.composed: list[str] = []
        self.calls: list[str] = []

    def usage(self) -> SessionUsage:
        return SessionUsage("sess-1", TokenUsage(input_tokens=7, total_tokens=9), 1000)

    async def note(self, text: str, style: str = "dim") -> None:
        self.notes.append((text, style))

    async def show(self, cell: Cell) -> None:
        self.cells.append(cell)

    async def submit_prompt(self, text: str) -> None:
        self.prompts.append(text)

    async def submit(self, op: Op) -> None:
        self.ops.append(op)

    async def switch_config(self, config: Config, what: str) -> None:
        self.switched.append((config, what))

    async def new_session(self) -> None:
        self.calls.append("new_session")

    async def resume_session(self, path: Path) -> None:
        self.calls.append(f"resume {path}")

    def open_screen(self, screen: Screen[Any], then: Callable[[Any], Awaitable[None]]) -> None:
        self.screens.append((screen, then))

    def add_to_composer(self, text: str) -> None:
        self.composed.append(text)

    async def quit(self) -> None:
        self.calls.append("quit")


@pytest.fixture
def session(codex_home: Path, tmp_path: Path) -> Session:
    config = tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1").config
    return Session(config)


def answer(then: Callable[[Any], Awaitable[None]], value: object) -> None:
    """What a screen's callback does with the value the screen was dismissed with."""

    async def call() -> None:
        await then(value)

    asyncio.run(call())


def run(session: Session, text: str, registry: SlashRegistry = REGISTRY) -> None:
    controller: SessionController = session  # the fake has the app's narrow face
    asyncio.run(registry.run(controller, text))


# --- the registry ------------------------------------------------------------------


def test_every_command_is_declared_once_with_a_description() -> None:
    names = [c.name for c in REGISTRY.commands]
    assert names == [
        "new",
        "compact",
        "diff",
        "init",
        "status",
        "model",
        "approvals",
        "mention",
        "resume",
        "quit",
    ]  # declaration order is the popup's order
    assert len(set(names)) == len(names) and REGISTRY.names == frozenset(names)
    for c in REGISTRY.commands:
        assert c.description.strip() and c.name.isalpha() and c.name.islower()


def test_a_name_declared_twice_is_refused() -> None:
    registry = SlashRegistry()

    @registry.command("x", "first", during_turn=True)
    async def first(session: SessionController, arg: str) -> None: ...

    with pytest.raises(ValueError, match="/x is declared twice"):
        registry.command("x", "second", during_turn=True)(first)


def test_the_popup_lists_prefix_matches_then_substring_matches() -> None:
    assert [v for v, _ in REGISTRY.matching("")] == [f"/{c.name}" for c in REGISTRY.commands]
    assert REGISTRY.matching("di") == [("/diff", "show git diff, including untracked files")]
    assert [v for v, _ in REGISTRY.matching("n")] == ["/new", "/init", "/mention"]
    assert REGISTRY.matching("zz") == []


def test_what_counts_as_a_command() -> None:
    assert REGISTRY.is_command("/diff")
    assert REGISTRY.is_command("/model gpt-5")
    assert not REGISTRY.is_command("/usr/bin/ls is missing")  # a prompt about a path
    assert not REGISTRY.is_command("diff")
    assert not REGISTRY.is_command("/")


def test_busy_rule_refuses_only_commands_not_available_during_a_turn(session: Session) -> None:
    assert {c.name for c in REGISTRY.commands if not c.during_turn} == NOT_DURING_A_TURN
    session.busy = True
    for name in sorted(NOT_DURING_A_TURN):
        run(session, f"/{name} o3")
        assert session.notes[-1] == (f"/{name}: wait for the turn to finish", "yellow")
    assert session.prompts == [] and session.ops == [] and session.switched == []
    assert session.screens == []
    run(session, "/status")  # available during a turn
    run(session, "/mention src")
    assert len(session.cells) == 1 and session.composed == ["@src"]


def test_unknown_command(session: Session) -> None:
    run(session, "/nope now")
    assert session.notes == [("unknown command /nope", "red")]


# --- the commands, without a UI -----------------------------------------------------


def test_status_card(session: Session) -> None:
    run(session, "/status")
    (cell,) = session.cells
    text = cell.plain()
    for expected in ("Session: sess-1", "Input: 7 (+ 0 cached)", "Total: 9", "window: 1000"):
        assert expected in text
    assert f"Path: {session.config.cwd}" in text


def test_compact_and_init_submit(session: Session) -> None:
    run(session, "/compact")
    run(session, "/init")
    assert session.ops == [Compact()]
    assert session.prompts == [INIT_PROMPT]
    assert ("/init: asking Codex to write AGENTS.md", "dim") in session.notes
    assert not any("exists already" in t for t, _ in session.notes)
    (session.config.cwd / "AGENTS.md").write_text("# guide\n")
    run(session, "/init")
    assert any("exists already" in t for t, _ in session.notes)


def test_model_with_an_argument_switches_and_forgets_the_window(session: Session) -> None:
    session.config = dataclasses.replace(session.config, model_context_window=5000)
    run(session, "/model  o3 ")
    ((config, what),) = session.switched
    assert config.model == "o3" and config.model_context_window is None
    assert what == "Model set to o3"
    run(session, f"/model {session.config.model}")  # the same model: nothing to do
    assert len(session.switched) == 1


def test_model_without_an_argument_opens_the_picker(session: Session) -> None:
    async def offered() -> list[str]:
        return ["local-a"]

    session.services = TuiServices(list_models=offered)
    run(session, "/model")
    ((screen, then),) = session.screens
    assert isinstance(screen, ChoiceScreen)
    answer(then, "gpt-5")  # what the picker returns
    assert session.switched[0][0].model == "gpt-5"
    answer(then, None)  # cancelled
    assert len(session.switched) == 1


def test_approvals(session: Session) -> None:
    run(session, "/approvals sometimes")
    assert session.notes[-1][0].startswith("/approvals: one of untrusted, ")
    run(session, "/approvals never")
    ((config, what),) = session.switched
    assert config.approval_policy == AskForApproval.NEVER
    assert what == "Approval policy set to never"


def test_new_mention_resume_quit(session: Session) -> None:
    run(session, "/new")
    assert session.calls == ["new_session"] and session.notes == [("✨ New chat started", "green")]
    run(session, "/mention")
    assert session.composed == ["@"]
    run(session, "/resume")
    ((_, chosen),) = session.screens
    answer(chosen, None)  # cancelled: nothing happens
    answer(chosen, Path("/tmp/rollout.jsonl"))
    run(session, "/quit")
    assert session.calls == ["new_session", "resume /tmp/rollout.jsonl", "quit"]


def test_diff_outside_a_repository(session: Session) -> None:
    run(session, "/diff")
    ((text, style),) = session.notes
    assert text.startswith("/diff: ") and "not inside a git" in text and style == "yellow"
    assert session.cells == []


def test_adding_a_command_is_one_declaration(session: Session) -> None:
    """What a new command takes: one decorated handler; popup, dispatch and busy rule follow."""
    registry = SlashRegistry()

    @registry.command("pwd", "show the session's working directory", during_turn=True)
    async def pwd(session: SessionController, arg: str) -> None:
        await session.note(str(session.config.cwd))

    assert registry.matching("pw") == [("/pwd", "show the session's working directory")]
    assert registry.is_command("/pwd")
    session.busy = True
    run(session, "/pwd", registry)
    assert session.notes == [(str(session.config.cwd), "dim")]


def test_the_welcome_suggests_only_registered_commands() -> None:
    assert {name for name, _ in HINTS} <= {f"/{n}" for n in REGISTRY.names}
