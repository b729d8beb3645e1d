"""``with_added_dirs``: how --add-dir joins the configured writable roots (cli/common.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.cli.common import with_added_dirs
from pycodex.config.loader import LoadedConfig
from pycodex.config.schema import Config, SandboxWorkspaceWrite
from pycodex.protocol.errors import UsageError


def test_with_added_dirs_keeps_config_roots(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ww = SandboxWorkspaceWrite(writable_roots=(tmp_path / "a",))
    loaded = LoadedConfig(
        config=Config(codex_home=tmp_path, cwd=tmp_path, sandbox_workspace_write=ww),
        origins={},
        warnings=(),
    )
    out = with_added_dirs(loaded, ["b", str(tmp_path / "a")], tmp_path)
    assert out.config.sandbox_workspace_write.writable_roots == (tmp_path / "a", tmp_path / "b")
    assert with_added_dirs(loaded, [], tmp_path) is loaded
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="no such directory"):
        with_added_dirs(loaded, ["file"], tmp_path)
