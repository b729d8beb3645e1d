"""A stdio server's environment: harmless variables only, then its own ``env``."""

from __future__ import annotations

from pycodex.mcp_client.env import server_environment


def test_secrets_stay_home_and_the_servers_env_wins() -> None:
    parent = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "LANG": "C.UTF-8",
        "OPENAI_API_KEY": "sk-secret",
        "GITHUB_TOKEN": "ghp_secret",
        "AWS_SECRET_ACCESS_KEY": "x",
        "TERM": "() { :; }",  # a shell function smuggled in a variable
    }
    env = server_environment(parent, {"API_KEY": "given", "LANG": "de_DE.UTF-8"})
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "LANG": "de_DE.UTF-8",
        "API_KEY": "given",
    }


def test_the_default_secret_rules_of_commands_hold_for_servers_too() -> None:
    """Issue 12, finding 8: what commands lose by default, servers never inherit."""
    from pycodex.core.exec_env import DEFAULT_EXCLUDES, drop_default_secrets
    from pycodex.mcp_client.env import SAFE_VARIABLES

    inherited = dict.fromkeys(SAFE_VARIABLES, "/x")
    assert drop_default_secrets(inherited) == inherited  # no allowed name is a secret name
    parent = {
        "PATH": "/usr/bin",
        "OPENROUTER": "sk-or-secret",  # a provider env_key without KEY in its name
        "HTTPS_PROXY": "http://user:pass@proxy:8080",
        "DATABASE_URL": "postgres://u:secret@db/x",
        "DB_PASSWORD": "pw",
        "GIT_CREDENTIALS": "c",
    }
    assert server_environment(parent, {}) == {"PATH": "/usr/bin"}
    assert DEFAULT_EXCLUDES  # the list the docstring of mcp_client.env names
