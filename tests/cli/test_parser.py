"""The argv grammar: global options anywhere, prompt vs. subcommand, exec resume."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from pycodex.cli import parser as cli_parser
from pycodex.protocol.errors import UsageError


def parsed(argv: list[str]) -> argparse.Namespace:
    return cli_parser.parse_namespace(argv)


def test_bare_prompt_opens_tui_with_prompt() -> None:
    args = parsed(["-m", "o3", "fix the bug"])
    assert (args.command, args.prompt, args.model) == (None, "fix the bug", "o3")


def test_global_options_before_and_after_subcommand() -> None:
    args = parsed(["-m", "o3", "exec", "-s", "read-only", "task"])
    assert (args.command, args.model, args.sandbox_mode, args.prompt) == (
        "exec",
        "o3",
        "read-only",
        "task",
    )


def test_image_does_not_swallow_the_prompt() -> None:
    args = parsed(["exec", "-i", "a.png", "--image", "b.png", "describe"])
    assert (args.images, args.prompt) == (["a.png", "b.png"], "describe")


def test_exec_resume_is_its_own_grammar() -> None:
    args = parsed(["exec", "--json", "resume", "--last", "next step"])
    assert (args.command, args.last, args.session_id, args.json) == (
        "exec-resume",
        True,
        "next step",
        True,
    )


def test_repeated_config_overrides_keep_order() -> None:
    args = parsed(["-c", "a=1", "config", "show", "-c", "b=2"])
    assert args.config_overrides == ["a=1", "b=2"]


def test_unknown_option_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unrecognized arguments: --bogus"):
        parsed(["exec", "--bogus"])


def test_version_is_one_line_and_exit_zero() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pycodex", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("codex-cli ") and out.stdout.count("\n") == 1


def test_bad_usage_exits_2_with_one_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pycodex", "exec", "--nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
