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
