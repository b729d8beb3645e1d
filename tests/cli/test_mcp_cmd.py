"""`codex mcp list|get|add|remove` as a user runs them: real subprocesses, a real CODEX_HOME.

The config.toml they edit is the user's: every test that writes checks the other bytes of the
file are unchanged (comments included), and every refusal checks nothing was written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "sk-live-0123456789abcdefWXYZ"
ORIGINAL = (
    "# my settings, keep this comment\n"
    'model = "o3"  # trailing comment\n'
    "\n"
    "[sandbox_workspace_write]\n"
    "network_access = false\n"
    "\n"
    '[projects."/srv/app"]\n'
    'trust_level = "trusted"\n'
)


def codex(
    home: Path, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CODEX_", "OPENAI_"))}
    clean.update(CODEX_HOME=str(home), HOME=str(home.parent))
    return subprocess.run(
        [sys.executable, "-m", "pycodex", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=home.parent,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "codex-home"
    h.mkdir()
    (h / "config.toml").write_text(ORIGINAL, encoding="utf-8")
    return h


def config_text(home: Path) -> str:
    return (home / "config.toml").read_text(encoding="utf-8")


def one_error_line(res: subprocess.CompletedProcess[str]) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def test_add_list_get_remove_round_trip_keeps_the_rest_of_the_file(home: Path) -> None:
    res = codex(
        home, "mcp", "add", "docs", "--env", f"API_TOKEN={SECRET}", "--", "npx", "-y", "@x/d"
    )
    assert res.returncode == 0, res.stderr
    assert "Added MCP server 'docs'" in res.stdout
    res = codex(home, "mcp", "add", "web", "--url", "http://127.0.0.1:9/mcp",
                "--bearer-token-env-var", "WEB_TOKEN")  # fmt: skip
    assert res.returncode == 0, res.stderr
    text = config_text(home)
    assert text.startswith(ORIGINAL)  # appended: not one byte of the user's file moved
    assert "[mcp_servers.docs]" in text and "[mcp_servers.web]" in text

    listed = codex(home, "mcp", "list")
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0].split() == ["Name", "Command", "Args", "Env", "Status"]
    assert rows[1].split()[:4] == ["docs", "npx", "-y", "@x/d"]
    assert "API_TOKEN=" in rows[1] and SECRET[-4:] in rows[1]
    assert rows[1].split()[-1] == "enabled"
    assert any(r.split()[:2] == ["web", "http://127.0.0.1:9/mcp"] for r in rows)

    as_json = json.loads(codex(home, "mcp", "list", "--json").stdout)
    assert [s["name"] for s in as_json] == ["docs", "web"]
    assert as_json[0]["transport"] == {
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "@x/d"],
        "env": {"API_TOKEN": as_json[0]["transport"]["env"]["API_TOKEN"]},
    }
    assert as_json[1]["transport"] == {
        "type": "streamable_http",
        "url": "http://127.0.0.1:9/mcp",
        "bearer_token_env_var": "WEB_TOKEN",
    }

    got = codex(home, "mcp", "get", "docs")
    assert got.returncode == 0, got.stderr
    assert got.stdout.splitlines()[0] == "docs"
    assert "  command: npx" in got.stdout and "  args: -y @x/d" in got.stdout
    got_json = json.loads(codex(home, "mcp", "get", "web", "--json").stdout)
    assert got_json["name"] == "web" and got_json["transport"]["url"] == "http://127.0.0.1:9/mcp"

    for out in (listed.stdout, json.dumps(as_json), got.stdout):
        assert SECRET not in out  # env values are masked everywhere they are shown

    assert codex(home, "mcp", "remove", "docs").returncode == 0
    res = codex(home, "mcp", "remove", "web")
    assert res.returncode == 0 and "Removed MCP server 'web'" in res.stdout
    assert config_text(home) == ORIGINAL  # byte for byte, comments included
    empty = codex(home, "mcp", "list")
    assert empty.returncode == 0 and "No MCP servers configured" in empty.stdout


def test_remove_keeps_the_comment_of_the_next_table_and_other_servers(home: Path) -> None:
    text = (
        "# header\n"
        "[mcp_servers.gone]\n"
        'command = "a"\n'
        "\n"
        "[mcp_servers.gone.env]\n"
        'K = "v"\n'
        "\n"
        "# the kept server\n"
        "[mcp_servers.kept]\n"
        'command = "b"  # why b\n'
        "\n"
        "[history]\n"
        'persistence = "none"\n'
    )
    (home / "config.toml").write_text(text, encoding="utf-8")
    res = codex(home, "mcp", "remove", "gone")
    assert res.returncode == 0, res.stderr
    assert config_text(home) == (
        "# header\n"
        "\n"
        "# the kept server\n"
        "[mcp_servers.kept]\n"
        'command = "b"  # why b\n'
        "\n"
        "[history]\n"
        'persistence = "none"\n'
    )


def test_remove_an_inline_entry(home: Path) -> None:
    (home / "config.toml").write_text(
        '[mcp_servers]\na = { command = "x" }  # first\nb = { command = "y" }  # second\n',
        encoding="utf-8",
    )
    assert codex(home, "mcp", "remove", "a").returncode == 0
    assert config_text(home) == '[mcp_servers]\nb = { command = "y" }  # second\n'


def test_add_of_an_existing_name_replaces_it(home: Path) -> None:
    assert codex(home, "mcp", "add", "tool", "--", "old-cmd", "--old").returncode == 0
    res = codex(home, "mcp", "add", "tool", "--", "new-cmd", "x y")
    assert res.returncode == 0, res.stderr
    assert "Replaced MCP server 'tool'" in res.stdout
    text = config_text(home)
    assert text.count("[mcp_servers.tool]") == 1 and "old-cmd" not in text
    got = json.loads(codex(home, "mcp", "get", "tool", "--json").stdout)
    assert got["transport"]["command"] == "new-cmd" and got["transport"]["args"] == ["x y"]


def test_add_creates_a_missing_file_privately(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    home.mkdir()
    res = codex(home, "mcp", "add", "t", "--env", "A=1", "--env", "B=two=2", "--", "cmd")
    assert res.returncode == 0, res.stderr
    assert (home / "config.toml").stat().st_mode & 0o777 == 0o600
    got = json.loads(codex(home, "mcp", "get", "t", "--json").stdout)
    assert set(got["transport"]["env"]) == {"A", "B"}


def test_options_after_the_name_and_a_command_without_dashes(home: Path) -> None:
    res = codex(home, "mcp", "add", "t", "--env", "A=1", "python3", "-m", "srv")
    assert res.returncode == 0, res.stderr
    got = json.loads(codex(home, "mcp", "get", "t", "--json").stdout)
    assert got["transport"]["command"] == "python3"
    assert got["transport"]["args"] == ["-m", "srv"]


def test_remove_or_get_of_a_missing_name_is_one_line_and_status_1(home: Path) -> None:
    before = (home / "config.toml").stat()
    res = codex(home, "mcp", "remove", "nope")
    assert res.returncode == 1
    assert "no MCP server named 'nope'" in one_error_line(res)
    res = codex(home, "mcp", "get", "nope")
    assert res.returncode == 1
    assert "no MCP server named 'nope'" in one_error_line(res)
    after = (home / "config.toml").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert config_text(home) == ORIGINAL


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("add", "bad name", "--", "x"), "invalid MCP server name"),
        (("add", "bad.name", "--", "x"), "invalid MCP server name"),
        (("add", "t"), "missing the server"),
        (("add", "t", "--url", "http://h/mcp", "--", "x"), "not both"),
        (("add", "t", "--bearer-token-env-var", "V", "--", "x"), "for --url servers"),
        (("add", "t", "--env", "NOEQUALS", "--", "x"), "KEY=VALUE"),
        (("add", "t", "--bogus", "x"), "unknown option --bogus"),
        (("remove", "bad name"), "invalid MCP server name"),
    ],
)
def test_usage_errors_write_nothing(home: Path, args: tuple[str, ...], needle: str) -> None:
    res = codex(home, "mcp", *args)
    assert res.returncode == 2
    assert needle in one_error_line(res)
    assert config_text(home) == ORIGINAL


def test_a_file_that_is_not_toml_is_not_touched(home: Path) -> None:
    (home / "config.toml").write_text("model = \n", encoding="utf-8")
    res = codex(home, "mcp", "add", "t", "--", "x")
    assert res.returncode == 2
    assert "not valid TOML" in one_error_line(res)
    assert config_text(home) == "model = \n"


def test_an_unsafe_edit_is_refused(home: Path) -> None:
    text = 'mcp_servers.d.command = "x"\nmcp_servers.d.args = ["y"]\n'
    (home / "config.toml").write_text(text, encoding="utf-8")
    res = codex(home, "mcp", "remove", "d")
    assert res.returncode == 2
    assert "edit the file by hand" in one_error_line(res)
    assert config_text(home) == text


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}


@pytest.mark.parametrize("argv", [("mcp",), ("mcp-server",)])
def test_mcp_without_a_subcommand_still_serves_mcp(home: Path, argv: tuple[str, ...]) -> None:
    res = codex(home, *argv, stdin=json.dumps(INITIALIZE) + "\n")  # then EOF: the server exits
    assert res.returncode == 0, res.stderr
    replies = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    assert replies and replies[0]["id"] == 1
    assert "serverInfo" in replies[0]["result"]


def test_list_shows_which_servers_are_disabled(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        '[mcp_servers.on]\ncommand = "srv"\n\n[mcp_servers.off]\ncommand = "srv"\nenabled = false\n'
        '\n[mcp_servers.web]\nurl = "http://127.0.0.1:9/mcp"\nenabled = false\n'
    )
    rows = codex(home, "mcp", "list").stdout.splitlines()
    status = {r.split()[0]: r.split()[-1] for r in rows if r and not r.startswith("Name")}
    assert status == {"on": "enabled", "off": "disabled", "web": "disabled"}
