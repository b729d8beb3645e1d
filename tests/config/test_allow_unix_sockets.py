"""``sandbox_workspace_write.allow_unix_sockets``: "all", or absolute socket paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.policy import policy_from_config
from tests.config._support import flags, load

EXPECTED = 'expected "all" or an array of absolute socket paths'


def test_default_is_none(tmp_path: Path) -> None:
    config = load(tmp_path, "").config
    assert config.sandbox_workspace_write.allow_unix_sockets == ()
    assert policy_from_config(config, SandboxMode.WORKSPACE_WRITE).unix_sockets == ()


def test_all_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/u")
    text = '[sandbox_workspace_write]\nallow_unix_sockets = "all"\n'
    assert load(tmp_path, text).config.sandbox_workspace_write.allow_unix_sockets == "all"
    text = '[sandbox_workspace_write]\nallow_unix_sockets = ["/run/a.sock", "~/.ssh/agent"]\n'
    config = load(tmp_path, text).config
    paths = (Path("/run/a.sock"), Path("/home/u/.ssh/agent"))
    assert config.sandbox_workspace_write.allow_unix_sockets == paths
    assert policy_from_config(config, SandboxMode.WORKSPACE_WRITE).unix_sockets == paths
    # the key belongs to workspace-write: other modes have no socket to allow
    assert policy_from_config(config, SandboxMode.READ_ONLY).unix_sockets == ()


def test_cli_override(tmp_path: Path) -> None:
    loaded = load(tmp_path, "", overrides=flags('sandbox_workspace_write.allow_unix_sockets="all"'))
    assert loaded.config.sandbox_workspace_write.allow_unix_sockets == "all"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("true", "true"),
        ('"none"', '"none"'),
        ('["relative.sock"]', '"relative.sock"'),
        ("[1]", "an array"),
        ('"*"', '"*"'),
    ],
)
def test_bad_values_are_located(tmp_path: Path, value: str, found: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"[sandbox_workspace_write]\nallow_unix_sockets = {value}\n")
    message = str(info.value)
    assert message.startswith("config.toml:2: `sandbox_workspace_write.allow_unix_sockets`: ")
    assert EXPECTED in message
    assert message.endswith(f"found {found}"), message
    assert "\n" not in message
