"""The storage edit behind `codex mcp add/remove`, on real files: what it writes, and when
it refuses (nothing written)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pycodex.protocol.errors import ConfigError
from pycodex.storage.mcp_servers_edit import (
    McpServerEntry,
    add_mcp_server,
    remove_mcp_server,
    valid_server_name,
)


def test_values_that_need_escaping_round_trip(tmp_path: Path) -> None:
    entry = McpServerEntry(
        command='C:\\tools\\"srv".exe',
        args=("line\nbreak", "tab\there", "dé\x7f"),
        env={"WEIRD KEY": 'quote " and \\ back'},
    )
    add_mcp_server(tmp_path, "w", entry)
    data = tomllib.loads((tmp_path / "config.toml").read_text(encoding="utf-8"))
    assert data == {"mcp_servers": {"w": entry.as_table()}}


def test_crlf_files_stay_crlf_and_round_trip(tmp_path: Path) -> None:
    original = b'# c\r\nmodel = "m"\r\n'
    (tmp_path / "config.toml").write_bytes(original)
    add_mcp_server(tmp_path, "s", McpServerEntry(command="x", env={"A": "1"}))
    text = (tmp_path / "config.toml").read_bytes()
    assert text.startswith(original) and b"\n" not in text.replace(b"\r\n", b"")
    assert remove_mcp_server(tmp_path, "s") is not None
    assert (tmp_path / "config.toml").read_bytes() == original


def test_a_symlinked_config_is_edited_at_its_target_and_keeps_its_mode(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "codex.toml"
    real.parent.mkdir()
    real.write_text('model = "m"\n')
    real.chmod(0o640)
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").symlink_to(real)
    written, replaced = add_mcp_server(home, "u", McpServerEntry(url="http://h/mcp"))
    assert written == real and not replaced
    assert (home / "config.toml").is_symlink()
    assert real.stat().st_mode & 0o777 == 0o640
    assert tomllib.loads(real.read_text())["mcp_servers"]["u"] == {"url": "http://h/mcp"}


def test_missing_name_writes_nothing(tmp_path: Path) -> None:
    assert remove_mcp_server(tmp_path, "none") is None
    assert not (tmp_path / "config.toml").exists()


def test_mcp_servers_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('mcp_servers = "oops"\n')
    with pytest.raises(ConfigError, match="not a table"):
        add_mcp_server(tmp_path, "s", McpServerEntry(command="x"))
    assert (tmp_path / "config.toml").read_text() == 'mcp_servers = "oops"\n'


def test_an_inline_mcp_servers_table_is_refused_not_broken(tmp_path: Path) -> None:
    text = 'mcp_servers = { a = { command = "x" } }\n'
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match="edit the file by hand"):
        add_mcp_server(tmp_path, "b", McpServerEntry(command="y"))
    assert (tmp_path / "config.toml").read_text() == text


@pytest.mark.parametrize(("name", "ok"), [("a-b_9", True), ("", False), ("a.b", False)])
def test_server_names(name: str, ok: bool) -> None:
    assert valid_server_name(name) is ok
