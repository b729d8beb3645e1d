"""``[mcp_servers.NAME]`` as current Codex reads it: the keys load (and bad values are
located one-line errors), and the manager obeys them against the real demo server —
``enabled = false`` never starts the process, ``enabled_tools`` / ``disabled_tools`` filter
what is offered and callable, ``cwd`` is the process's directory, ``http_headers`` /
``env_http_headers`` reach the HTTP server, and each tool carries its approval mode.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from pycodex.config.schema import McpServerConfig, McpToolConfig
from pycodex.core.exec_env import config_secret_names
from pycodex.mcp_client.manager import McpManager
from pycodex.protocol.errors import ConfigError
from tests.config._support import load
from tests.mcp_client.conftest import DEMO, TOKEN
from tests.mcp_client.test_manager import ENV, call, demo, with_manager

FULL = """
[mcp_servers.local]
command = "python3"
args = ["server.py"]
cwd = "sub/dir"
enabled = false
startup_timeout_sec = 2.5
tool_timeout_sec = 30
enabled_tools = ["add", "fail"]
disabled_tools = ["fail"]
default_tools_approval_mode = "prompt"

[mcp_servers.local.tools.add]
approval_mode = "approve"

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
bearer_token_env_var = "REMOTE_TOKEN"
http_headers = { "X-Team" = "blue" }
env_http_headers = { "X-Key" = "REMOTE_KEY" }
"""


def test_every_current_codex_key_loads(tmp_path: Path) -> None:
    loaded = load(tmp_path, FULL)
    assert loaded.warnings == ()
    local = loaded.config.mcp_servers["local"]
    assert local.enabled is False
    assert local.cwd == Path("sub/dir")
    assert (local.startup_timeout_sec, local.tool_timeout_sec) == (2.5, 30)
    assert local.enabled_tools == ("add", "fail") and local.disabled_tools == ("fail",)
    assert local.tools == {"add": McpToolConfig(approval_mode="approve")}
    assert [local.offers(t) for t in ("add", "fail", "other")] == [True, False, False]
    assert local.approval_mode("add") == "approve"
    assert local.approval_mode("other") == "prompt"  # the server's default
    remote = loaded.config.mcp_servers["remote"]
    assert remote.enabled is True and remote.enabled_tools is None
    assert remote.http_headers == {"X-Team": "blue"}
    assert remote.env_http_headers == {"X-Key": "REMOTE_KEY"}
    assert remote.approval_mode("anything") == "auto"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'command = "x"\nenabled = "no"',
            "config.toml:3: `mcp_servers.s.enabled`: wrong type: expected a boolean",
        ),
        (
            'command = "x"\nenabled_tools = "add"',
            "config.toml:3: `mcp_servers.s.enabled_tools`: wrong type: expected an array",
        ),
        (
            'command = "x"\ndefault_tools_approval_mode = "yolo"',
            "config.toml:3: `mcp_servers.s.default_tools_approval_mode`: invalid value: "
            'expected one of auto, prompt, approve, found "yolo"',
        ),
        (
            'command = "x"\n[mcp_servers.s.tools.add]\napproval_mode = "always"',
            "config.toml:4: `mcp_servers.s.tools.add.approval_mode`: invalid value",
        ),
        (
            'command = "x"\nhttp_headers = { A = "b" }',
            "config.toml:3: `mcp_servers.s.http_headers`: not supported on this transport",
        ),
        (
            'url = "http://h"\ncwd = "/tmp"',
            "config.toml:3: `mcp_servers.s.cwd`: not supported on this transport",
        ),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"[mcp_servers.s]\n{entry}\n")
    text = str(info.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_unknown_keys_in_a_server_warn(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        '[mcp_servers.s]\ncommand = "x"\nenabeld = false\n[mcp_servers.s.tools.t]\nmode = "x"\n',
    )
    assert loaded.warnings[0].startswith(
        "config.toml:3: unknown key `mcp_servers.s.enabeld` ignored (did you mean "
        "`mcp_servers.s.enabled`?)"
    )
    assert "config.toml:5: unknown key `mcp_servers.s.tools.t.mode` ignored" in loaded.warnings[1]
    assert loaded.config.mcp_servers["s"].enabled is True


def marking(marker: Path, name: str, **fields: object) -> McpServerConfig:
    """The demo server behind a shell that writes its working directory to ``marker``
    first: the file exists if and only if the server was started."""
    script = 'pwd > "$0"; exec "$1" "$2"'
    return McpServerConfig(
        name=name,
        command="/bin/sh",
        args=("-c", script, str(marker), sys.executable, str(DEMO)),
        **fields,  # type: ignore[arg-type]
    )


def test_a_disabled_server_is_never_started(tmp_path: Path) -> None:
    off, on = tmp_path / "off.started", tmp_path / "on.started"
    servers = [marking(off, "off", enabled=False), marking(on, "on")]

    async def body(m: McpManager) -> None:
        assert {t.server for t in m.tools} == {"on"}
        assert m.tool("off__add") is None and m.failures == ()

    with_manager(servers, body)
    assert on.exists()
    assert not off.exists()


def test_all_servers_disabled_starts_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "started"

    async def body(m: McpManager) -> None:
        assert m.tools == () and m.failures == ()

    with_manager([marking(marker, "off", enabled=False)], body)
    assert not marker.exists()


def test_enabled_and_disabled_tools_filter_what_is_offered_and_callable() -> None:
    servers = [
        demo("allow", enabled_tools=("add", "pid", "no_such_tool")),
        demo("deny", disabled_tools=("add",)),
        demo("both", enabled_tools=("add", "pid"), disabled_tools=("pid",)),
    ]

    async def body(m: McpManager) -> None:
        names = {t.model_name for t in m.tools}
        assert {n for n in names if n.startswith("allow__")} == {"allow__add", "allow__pid"}
        assert "deny__add" not in names and "deny__pid" in names
        assert {n for n in names if n.startswith("both__")} == {"both__add"}
        for hidden in ("deny__add", "both__pid", "allow__fail"):
            assert m.tool(hidden) is None  # the router answers the model with an error
        result = await call(m, "allow__add", a=1, b=2)
        assert result.error is None and result.model_output("allow", "add").startswith("3")

    with_manager(servers, body)


def test_cwd_is_the_server_process_directory(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    absolute, relative = tmp_path / "abs.cwd", tmp_path / "rel.cwd"
    servers = [
        marking(absolute, "a", cwd=tmp_path / "work"),
        marking(relative, "r", cwd=Path("work")),  # relative: to the session's cwd
    ]

    async def main() -> None:
        m = await McpManager.start({s.name: s for s in servers}, env=ENV, cwd=tmp_path)
        try:
            assert m.failures == ()
        finally:
            await m.shutdown()

    asyncio.run(main())
    assert absolute.read_text().strip() == str(tmp_path / "work")
    assert relative.read_text().strip() == str(tmp_path / "work")


@pytest.mark.parametrize(
    ("fields", "env"),
    [
        ({"http_headers": {"Authorization": f"Bearer {TOKEN}"}}, {}),
        ({"env_http_headers": {"Authorization": "DEMO_AUTH"}}, {"DEMO_AUTH": f"Bearer {TOKEN}"}),
    ],
)
def test_static_and_environment_headers_reach_the_http_server(
    http_demo: str, fields: dict[str, object], env: dict[str, str]
) -> None:
    server = McpServerConfig(name="h", url=http_demo, **fields)  # type: ignore[arg-type]

    async def body(m: McpManager) -> None:
        assert m.failures == ()  # the server answers 401 without the header
        assert (await call(m, "h__add", a=2, b=3)).model_output("h", "add").startswith("5")

    with_manager([server], body, env={**ENV, **env})


def test_an_unset_header_variable_leaves_the_header_out(http_demo: str) -> None:
    server = McpServerConfig(name="h", url=http_demo, env_http_headers={"Authorization": "UNSET"})

    async def body(m: McpManager) -> None:
        assert m.tools == ()
        assert len(m.failures) == 1 and "401" in m.failures[0]

    with_manager([server], body)


def test_each_tool_carries_its_approval_mode() -> None:
    server = demo(
        "d",
        default_tools_approval_mode="prompt",
        tools={"add": McpToolConfig("approve"), "pid": McpToolConfig()},
    )

    async def body(m: McpManager) -> None:
        modes = {t.name: t.approval_mode for t in m.tools}
        assert (modes["add"], modes["pid"], modes["fail"]) == ("approve", "prompt", "prompt")

    with_manager([server], body)


def test_startup_timeout_ms_is_read_and_sec_wins(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        '[mcp_servers.a]\ncommand = "x"\nstartup_timeout_ms = 2500\n'
        '[mcp_servers.b]\ncommand = "x"\nstartup_timeout_ms = 2500\nstartup_timeout_sec = 7\n',
    )
    assert loaded.warnings == ()
    servers = loaded.config.mcp_servers
    assert (servers["a"].startup_timeout_sec, servers["b"].startup_timeout_sec) == (2.5, 7)


def test_header_variables_count_as_secrets(tmp_path: Path) -> None:
    """Like ``bearer_token_env_var``, an ``env_http_headers`` variable holds a credential:
    it is kept out of the environment of the commands the model runs."""
    loaded = load(
        tmp_path,
        '[mcp_servers.r]\nurl = "http://h"\nenv_http_headers = { "X-Key" = "R_KEY" }\n',
    )
    assert "R_KEY" in config_secret_names(loaded.config)
