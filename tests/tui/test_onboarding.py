"""Trust onboarding under Pilot: defaults by git status, keys, and persisting the answer."""

from __future__ import annotations

import asyncio
import subprocess
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from pycodex.frontends.tui.onboarding import (
    GIT_TEXT,
    NO,
    NO_GIT_TEXT,
    YES,
    TrustChoice,
    TrustOnboarding,
    is_git_repo,
)
from pycodex.protocol.policy import AskForApproval, SandboxMode
from pycodex.storage.config_edit import set_project_trust


class Host(App[None]):
    def __init__(self, screen: TrustOnboarding) -> None:
        super().__init__()
        self.onboarding = screen
        self.results: list[TrustChoice | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self.onboarding, self.results.append)


def run(screen: TrustOnboarding, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> Host:
    host = Host(screen)

    async def main() -> None:
        async with host.run_test(size=(100, 24)) as pilot:
            await pilot.pause()
            await scenario(pilot)
            for _ in range(200):
                if host.results:
                    break
                await pilot.pause(0.02)

    asyncio.run(asyncio.wait_for(main(), 30))
    return host


def _options(screen: TrustOnboarding) -> list[str]:
    ol = screen.query_one(OptionList)
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


def _text(screen: TrustOnboarding) -> str:
    return " ".join(str(s.render()) for s in screen.query(Static))


def test_git_repo_defaults_to_trust(tmp_path: Path) -> None:
    screen = TrustOnboarding(tmp_path, is_git=True)

    async def scenario(pilot: Pilot[None]) -> None:
        assert screen.highlighted_choice is True
        assert GIT_TEXT in _text(screen) and str(tmp_path) in _text(screen)
        assert _options(screen) == ["› 1. " + YES, "  2. " + NO]
        await pilot.press("down")
        assert _options(screen) == ["  1. " + YES, "› 2. " + NO]
        await pilot.press("up")
        await pilot.press("enter")

    (choice,) = run(screen, scenario).results
    assert choice == TrustChoice(trusted=True)
    assert choice.approval_policy is AskForApproval.ON_REQUEST
    assert choice.sandbox_mode is SandboxMode.WORKSPACE_WRITE
    assert choice.trust_level == "trusted"


def test_not_a_repo_warns_and_defaults_to_asking(tmp_path: Path) -> None:
    screen = TrustOnboarding(tmp_path, is_git=False)

    async def scenario(pilot: Pilot[None]) -> None:
        assert screen.highlighted_choice is False
        assert NO_GIT_TEXT in _text(screen)
        assert _options(screen) == ["  1. " + YES, "› 2. " + NO]
        await pilot.press("enter")

    (choice,) = run(screen, scenario).results
    assert choice is not None and not choice.trusted
    assert choice.sandbox_mode is SandboxMode.READ_ONLY
    assert choice.approval_policy is AskForApproval.UNTRUSTED


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (("1",), True),
        (("y",), True),
        (("2",), False),
        (("n",), False),
        (("down", "enter"), False),
        (("escape",), None),
    ],
)
def test_keys(tmp_path: Path, keys: tuple[str, ...], expected: bool | None) -> None:
    screen = TrustOnboarding(tmp_path, is_git=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press(*keys)

    (choice,) = run(screen, scenario).results
    assert (None if choice is None else choice.trusted) is expected


def test_choice_is_persisted_by_the_caller(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "sub").mkdir()
    assert is_git_repo(repo / "sub") and not is_git_repo(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    screen = TrustOnboarding(repo, is_git=is_git_repo(repo))

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter")

    (choice,) = run(screen, scenario).results
    assert choice is not None
    set_project_trust(home, repo, choice.trusted)
    data = tomllib.loads((home / "config.toml").read_text())
    assert data["projects"][str(repo.resolve())]["trust_level"] == "trusted"
