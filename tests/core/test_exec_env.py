"""shell_environment_policy as a table (reference §9.4)."""

from __future__ import annotations

import pytest

from pycodex.config.schema import ShellEnvironmentPolicy
from pycodex.core.exec_env import create_env

PARENT = {
    "PATH": "/bin",
    "HOME": "/home/u",
    "USER": "u",
    "LANG": "C.UTF-8",
    "TERM": "xterm",
    "MY_VAR": "1",
    "MY_API_KEY": "k",
    "OPENAI_API_KEY": "k",
    "MY_SECRET_TOKEN": "t",
    "github_token": "t",
    "Private_Secret": "s",
}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            ShellEnvironmentPolicy(),
            {"PATH", "HOME", "USER", "LANG", "TERM", "MY_VAR"},
        ),
        (
            ShellEnvironmentPolicy(inherit="core"),
            {"PATH", "HOME", "USER"},
        ),
        (ShellEnvironmentPolicy(inherit="none"), set()),
        (
            ShellEnvironmentPolicy(ignore_default_excludes=True),
            set(PARENT),
        ),
        (
            ShellEnvironmentPolicy(exclude=("my_*", "TERM")),
            {"PATH", "HOME", "USER", "LANG"},
        ),
        (
            ShellEnvironmentPolicy(include_only=("PATH", "MY_*")),
            {"PATH", "MY_VAR"},
        ),
        (
            ShellEnvironmentPolicy(inherit="none", set={"NEW": "v", "API_TOKEN": "set wins"}),
            {"NEW", "API_TOKEN"},
        ),
        (
            ShellEnvironmentPolicy(set={"EXTRA": "1"}, include_only=("PATH",)),
            {"PATH"},
        ),
    ],
)
def test_policy_table(policy: ShellEnvironmentPolicy, expected: set[str]) -> None:
    assert set(create_env(policy, PARENT)) == expected


def test_set_overrides_inherited_values() -> None:
    env = create_env(ShellEnvironmentPolicy(set={"PATH": "/opt/bin"}), PARENT)
    assert env["PATH"] == "/opt/bin" and env["HOME"] == "/home/u"


def test_parent_is_not_modified() -> None:
    parent = dict(PARENT)
    create_env(ShellEnvironmentPolicy(set={"X": "1"}, exclude=("PATH",)), parent)
    assert parent == PARENT
