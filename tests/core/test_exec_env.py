"""shell_environment_policy as a table (reference §9.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.schema import ShellEnvironmentPolicy
from pycodex.core.exec_env import (
    GIT_NEUTRAL_CONFIG,
    config_secret_names,
    create_env,
    known_safe_env,
)
from tests.config._support import load

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


# --- issue 12, finding 8: secrets the v0.20 name patterns miss ------------------------------


@pytest.mark.parametrize(
    "name",
    ["DB_PASSWORD", "pgpassword", "MYSQL_PWD_PASSWD", "AWS_CREDENTIALS", "Credential_File"],
)
def test_password_and_credential_names_are_dropped(name: str) -> None:
    env = create_env(ShellEnvironmentPolicy(), {name: "s3cret", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}


def test_config_named_secrets_are_dropped_whatever_their_names() -> None:
    parent = {"OPENROUTER": "sk-or-1", "openrouter": "sk-or-2", "PATH": "/bin"}
    env = create_env(ShellEnvironmentPolicy(), parent, secret_names={"OPENROUTER"})
    assert env == {"PATH": "/bin"}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HTTPS_PROXY", "http://user:pass@proxy:8080", "http://proxy:8080"),
        ("https_proxy", "http://user:pass@proxy:8080/", "http://proxy:8080/"),
        ("DATABASE_URL", "postgres://u:secret@db/x", "postgres://db/x"),
        (
            "DATABASE_URL",
            "postgres://u:p@ss@db:5432/x?sslmode=require",
            "postgres://db:5432/x?sslmode=require",
        ),
        ("PIP_INDEX_URL", "https://ghp_abc@pypi.corp/simple", "https://pypi.corp/simple"),
        (
            "PIP_EXTRA_INDEX_URL",
            "https://a:b@one/simple https://two/simple",
            "https://one/simple https://two/simple",
        ),
        ("ALL_PROXY", "user:pass@proxy:1080", "proxy:1080"),  # curl accepts no scheme
        ("REPO", "https://github.com/o/r", "https://github.com/o/r"),  # nothing to strip
        ("EMAIL", "me@example.com", "me@example.com"),  # not a URL
        ("GIT_URL", "git@github.com:o/r.git", "git@github.com:o/r.git"),  # scp form, no secret
        # an @ after a / : a path, or a password with a / in it: the variable is dropped
        ("DATABASE_URL", "postgres://u:pa/ss@db/x", None),
        ("NPM_URL", "https://registry/@scope/pkg", None),
    ],
)
def test_url_userinfo_is_cut_out(name: str, value: str, expected: str | None) -> None:
    env = create_env(ShellEnvironmentPolicy(), {name: value})
    assert env.get(name) == expected
    assert all("pass" not in v and "secret" not in v for v in env.values())


def test_ignore_default_excludes_restores_everything() -> None:
    parent = {
        "OPENROUTER": "k",
        "HTTPS_PROXY": "http://u:p@proxy:1",
        "DB_PASSWORD": "p",
        "DATABASE_URL": "postgres://u:pa/ss@db/x",
    }
    policy = ShellEnvironmentPolicy(ignore_default_excludes=True)
    assert create_env(policy, parent, secret_names={"OPENROUTER"}) == parent


def test_set_values_are_kept_as_written() -> None:
    policy = ShellEnvironmentPolicy(set={"DATABASE_URL": "postgres://u:p@db/x"})
    assert create_env(policy, {})["DATABASE_URL"] == "postgres://u:p@db/x"


def test_config_secret_names(tmp_path: Path) -> None:
    text = (
        'model_provider = "router"\n'
        "[model_providers.router]\n"
        'name = "R"\nbase_url = "http://x/v1"\nenv_key = "OPENROUTER"\n'
        'env_http_headers = { "X-Org" = "ROUTER_ORG" }\n'
        "[mcp_servers.docs]\n"
        'url = "http://x/mcp"\nbearer_token_env_var = "DOCS_BEARER"\n'
    )
    config = load(tmp_path, text).config
    names = config_secret_names(config)
    assert {"OPENROUTER", "ROUTER_ORG", "DOCS_BEARER", "OPENAI_API_KEY"} <= names


# --- issue 12, finding 2: git's program-running settings for known-safe commands ------------


def test_known_safe_env_overrides_git_config_and_program_variables() -> None:
    parent = {
        "PATH": "/bin",
        "GIT_PAGER": "evil",
        "PAGER": "evil",
        "GIT_EXTERNAL_DIFF": "evil",
        "GIT_SSH_COMMAND": "evil",
        "GIT_CONFIG_PARAMETERS": "'core.fsmonitor'='evil'",
        "GIT_CONFIG_COUNT": "9",
        "GIT_CONFIG_KEY_8": "core.fsmonitor",
        "GIT_CONFIG_VALUE_8": "evil",
    }
    env = known_safe_env(parent)
    assert "evil" not in " ".join(env.values())
    assert (env["GIT_PAGER"], env["PAGER"], env["PATH"]) == ("cat", "cat", "/bin")
    count = int(env["GIT_CONFIG_COUNT"])
    pairs = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(count)}
    assert pairs["safe.bareRepository"] == "explicit"
    assert pairs["core.fsmonitor"] == "false"
    assert pairs["protocol.allow"] == "never"
    assert set(env) - set(parent) <= {
        f"GIT_CONFIG_{k}_{i}" for k in ("KEY", "VALUE") for i in range(count)
    }


def _pairs(env: dict[str, str]) -> list[tuple[str, str]]:
    count = int(env["GIT_CONFIG_COUNT"])
    return [(env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"]) for i in range(count)]


def test_the_users_git_config_entries_are_kept_and_ours_come_last() -> None:
    parent = {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
        "GIT_CONFIG_KEY_1": "core.fsmonitor",
        "GIT_CONFIG_VALUE_1": "/usr/bin/watchman-hook",
    }
    pairs = _pairs(known_safe_env(parent))
    assert pairs[:2] == [("safe.directory", "*"), ("core.fsmonitor", "/usr/bin/watchman-hook")]
    assert dict(pairs)["core.fsmonitor"] == "false"  # the later entry wins, in git as here
    assert len(pairs) == 2 + len(GIT_NEUTRAL_CONFIG)


@pytest.mark.parametrize("count", ["x", "-1", "3", "99999"])
def test_a_broken_user_git_config_count_is_replaced(count: str) -> None:
    parent = {"GIT_CONFIG_COUNT": count, "GIT_CONFIG_KEY_0": "a.b", "GIT_CONFIG_VALUE_0": "c"}
    assert _pairs(known_safe_env(parent)) == list(GIT_NEUTRAL_CONFIG)
