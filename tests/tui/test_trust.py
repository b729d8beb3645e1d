"""First run in a directory: the trust question, its persistence, and what it changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from pycodex.cli.tui_cmd import _apply_trust
from pycodex.config.loader import LoadedConfig, load_config
from pycodex.config.overrides import CliOverrides
from pycodex.frontends.tui.app import CodexApp
from pycodex.frontends.tui.onboarding import TrustOnboarding
from pycodex.frontends.tui.options import TuiServices
from pycodex.protocol.policy import AskForApproval, SandboxMode
from tests.tui.support import drive, ready, tui_options, wait_until


def _loaded(home: Path, cwd: Path, toml: str, **overrides: Any) -> LoadedConfig:
    (home / "config.toml").write_text(toml)
    return load_config(codex_home=home, cwd=cwd, env={}, overrides=CliOverrides(**overrides))


def test_unknown_directory_asks(codex_home: Path, tmp_path: Path) -> None:
    config, ask = _apply_trust(_loaded(codex_home, tmp_path, ""))
    assert ask and config.approval_policy == AskForApproval.UNTRUSTED


def test_trusted_directory_runs_on_request_in_workspace_write(
    codex_home: Path, tmp_path: Path
) -> None:
    toml = f'[projects."{tmp_path.resolve()}"]\ntrust_level = "trusted"\n'
    config, ask = _apply_trust(_loaded(codex_home, tmp_path, toml))
    assert not ask
    assert config.approval_policy == AskForApproval.ON_REQUEST
    assert config.sandbox_mode == SandboxMode.WORKSPACE_WRITE


@pytest.mark.parametrize(
    ("toml", "overrides"),
    [
        ('approval_policy = "never"\n', {}),
        ("", {"sandbox_mode": SandboxMode.READ_ONLY}),
    ],
)
def test_chosen_policies_win_and_nothing_is_asked(
    codex_home: Path, tmp_path: Path, toml: str, overrides: dict[str, Any]
) -> None:
    toml += f'[projects."{tmp_path.resolve()}"]\ntrust_level = "trusted"\n'
    loaded = _loaded(codex_home, tmp_path, toml, **overrides)
    config, ask = _apply_trust(loaded)
    assert not ask and config == loaded.config


@pytest.mark.parametrize(("key", "trusted"), [("1", True), ("2", False)])
def test_onboarding_answer_is_saved_and_applied(
    codex_home: Path, tmp_path: Path, key: str, trusted: bool
) -> None:
    saved: list[tuple[Path, bool]] = []
    base = tui_options(codex_home, tmp_path, "http://127.0.0.1:9/v1")
    services = dataclasses.replace(
        base.services, set_trust=lambda cwd, value: saved.append((cwd, value))
    )
    app = CodexApp(dataclasses.replace(base, ask_trust=True, services=services))
    assert isinstance(app.options.services, TuiServices)

    async def scenario(pilot: Pilot[int]) -> None:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustOnboarding), "onboarding")
        assert app.link is None  # no session before the answer
        text = str(app.screen.query_one("#trust-text").render())
        assert "not version controlled" in text
        await pilot.press(key)
        await ready(pilot, app)

    drive(app, scenario)
    assert saved == [(tmp_path, trusted)]
    expected = SandboxMode.WORKSPACE_WRITE if trusted else SandboxMode.READ_ONLY
    assert app.config.sandbox_mode == expected
    assert app.link is not None and app.link.config.sandbox_mode == expected
