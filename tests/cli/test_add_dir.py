"""`--add-dir DIR`: one more writable root for this run, through the real `codex exec`.

The model (scripted) writes into the added directory and into a sibling that was not added;
on the host afterwards the first file exists and the second does not. /tmp and $TMPDIR are
excluded from the writable roots so that tmp_path (under /tmp) is not writable anyway.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.test_approvals_e2e import needs_sandbox
from tests.e2e.harness import base_env, codex, function_outputs, make_repo, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

NO_TMP = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"


def _script(server: ScriptedModelServer, added: Path, other: Path) -> None:
    server.push(
        Turn(
            tool_calls=[
                ToolCall("shell", {"command": ["touch", str(added / "in.txt")]}, "c1"),
                ToolCall("shell", {"command": ["touch", str(other / "out.txt")]}, "c2"),
            ]
        ),
        Turn(text="done"),
    )


@needs_sandbox
@pytest.mark.parametrize("before_command", [False, True])
def test_exec_can_write_in_the_added_dir_only(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path, before_command: bool
) -> None:
    repo = make_repo(tmp_path / "repo")
    added, other = tmp_path / "added", tmp_path / "other"
    added.mkdir()
    other.mkdir()
    write_config(codex_home, model_server.base_url, top=NO_TMP)
    _script(model_server, added, other)
    flags = ["--add-dir", str(added)]
    argv = [*flags, "exec", "--full-auto"] if before_command else ["exec", "--full-auto", *flags]
    res = codex([*argv, "--json", "go"], cwd=repo, env=base_env(codex_home))
    assert res.rc == 0, res.err
    body = model_server.model_requests[-1].body
    assert body is not None
    inside, outside = (json.loads(o)["metadata"]["exit_code"] for o in function_outputs(body))
    assert inside == 0 and outside != 0
    assert (added / "in.txt").exists()
    assert not (other / "out.txt").exists()


def test_a_missing_added_dir_is_one_line(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="done"))
    res = codex(
        ["exec", "--add-dir", "nowhere", "go"], cwd=repo, env=base_env(codex_home), timeout=30
    )
    assert res.rc == 2
    assert res.err == "Error: --add-dir nowhere: no such directory\n"
    assert model_server.requests == []


def test_config_show_names_the_flag(codex_home: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    res = codex(
        ["config", "show", "--add-dir", "extra"], cwd=tmp_path, env=base_env(codex_home), timeout=30
    )
    assert res.rc == 0, res.err
    assert f'writable_roots = ["{extra}"]  # flag --add-dir' in res.out
