"""Which first words are prompts: the edit distance and the decision (cli/words.py)."""

from __future__ import annotations

import pytest

from pycodex.cli.parser import COMMANDS
from pycodex.cli.words import check_help_topic, check_prompt_word, closest
from pycodex.config.typos import edit_distance
from pycodex.protocol.errors import UsageError


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("exec", "exec", 0),
        ("exce", "exec", 1),
        ("mpc", "mcp", 1),
        ("hello", "help", 2),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("sandbx", "sandbox", 1),
    ],
)
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d
    assert edit_distance(b, a) == d


def test_closest_respects_the_limit_per_length() -> None:
    assert closest("exce", COMMANDS) == "exec"
    assert closest("hello", COMMANDS) is None  # 2 edits from `help`: too far for 4 letters
    assert closest("confgi", COMMANDS) == "config"
    assert closest("ok", COMMANDS) is None  # aliases like `e` are not candidates


@pytest.mark.parametrize("word", ["hello", "Apply", "fix the bug", "refactor", "./x.py", "e2e"])
def test_prompts_pass(word: str) -> None:
    check_prompt_word(word, COMMANDS)


@pytest.mark.parametrize("word", ["apply", "proto", "cloud", "app-server", "exce", "logn"])
def test_non_prompts_raise(word: str) -> None:
    with pytest.raises(UsageError):
        check_prompt_word(word, COMMANDS)


def test_a_command_pycodex_gains_is_no_longer_refused() -> None:
    check_prompt_word("review", COMMANDS | {"review"})


def test_help_topic() -> None:
    check_help_topic("exec", COMMANDS)
    with pytest.raises(UsageError, match="did you mean `login`"):
        check_help_topic("logn", COMMANDS)
