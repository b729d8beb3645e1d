"""Escapes through protected paths inside writable roots, through the real ``codex exec``
(issue 12, findings 3 and 4). The model's commands run under ``--sandbox workspace-write``
(or ``read-only``) with approval ``never``; each test then checks on the host what they tried:

- hooks and ``core.fsmonitor`` written into a nested repository (``vendor/lib/.git``), into
  the target of a ``.git`` file, into a bare repository and into a repository under /tmp
  (outside the workspace, writable only because /tmp is a writable root): the files are
  unchanged and the host's next ``git status`` runs no planted program;
- a session started in ``$HOME`` (so ``$CODEX_HOME`` lies inside the workspace) rewriting
  ``$CODEX_HOME/config.toml`` to ``danger-full-access``: the file is unchanged;
- reading ``auth.json``, ``history.jsonl`` and old session files: their secrets appear in no
  request the model server received.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.core.test_approvals_e2e import needs_sandbox
from tests.e2e.harness import base_env, codex, function_outputs, make_repo, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

pytestmark = needs_sandbox

PLANT = (
    "mkdir -p {git}/hooks; printf '#!/bin/sh\\ntouch {marker}\\n' > {git}/hooks/post-checkout; "
    "chmod +x {git}/hooks/post-checkout; "
    "printf '[core]\\n\\tfsmonitor = touch {marker}\\n' >> {git}/config"
)


def _shell(call_id: str, script: str) -> ToolCall:
    return ToolCall("shell", {"command": ["bash", "-c", script]}, call_id)


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (a ``.git`` directory is small here)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _git_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def _host_git_status(repo: Path, home: Path, *, bare: bool = False) -> None:
    """What the user does next on the host: a planted fsmonitor would run here."""
    args = ["git", "--git-dir", str(repo)] if bare else ["git", "-C", str(repo)]
    subprocess.run(
        [*args, "status"], env=_git_env(home), capture_output=True, timeout=30, check=False
    )


def _all_bodies(server: ScriptedModelServer) -> bytes:
    return b"\n".join(r.raw for r in server.requests)


def _outputs(server: ScriptedModelServer) -> list[str]:
    body = server.model_requests[-1].body
    assert body is not None
    return function_outputs(body)


def test_nested_and_tmp_repositories_stay_read_only(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    ws = make_repo(tmp_path / "ws")
    nested = make_repo(ws / "vendor" / "lib")
    # a submodule-style checkout: its .git is a file naming a git directory elsewhere
    linked_git = tmp_path / "ws" / "modules-store" / "linked.git"
    subprocess.run(["git", "init", "-q", "--bare", str(linked_git)], check=True, timeout=30)
    (ws / "linked").mkdir()
    (ws / "linked" / ".git").write_text(f"gitdir: {linked_git}\n")
    bare = ws / "docs"  # a committed directory laid out as a bare repository
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, timeout=30)
    tmp_repo = make_repo(tmp_path / "elsewhere")  # under /tmp, outside the workspace
    marker = tmp_path / "PLANTED"
    targets = {
        "nested": nested / ".git",
        "gitfile": linked_git,
        "bare": bare,
        "tmp": tmp_repo / ".git",
    }
    before = {name: _snapshot(git) for name, git in targets.items()}
    gitfile_before = (ws / "linked" / ".git").read_bytes()
    calls = [
        _shell(f"c-{name}", PLANT.format(git=shlex.quote(str(git)), marker=marker))
        for name, git in targets.items()
    ]
    calls.append(  # point the .git file at a git directory the command makes itself
        _shell("c-redirect", f"echo 'gitdir: {tmp_path}/evil.git' > linked/.git")
    )
    calls.append(  # move the work tree away and put a repository of its own in its place
        _shell(
            "c-swap",
            "mv vendor/lib vendor/lib.old; mv vendor vendor.old; mkdir -p vendor/lib && "
            + "git init -q vendor/lib && "
            + PLANT.format(git="vendor/lib/.git", marker=marker),
        )
    )
    model_server.push(Turn(tool_calls=calls), Turn(text="done"))
    write_config(codex_home, model_server.base_url)
    env = base_env(codex_home)
    res = codex(
        ["exec", "--sandbox", "workspace-write", "--json", "go"], cwd=ws, env=env, timeout=120
    )
    assert res.rc == 0, res.err
    for name, git in targets.items():
        assert _snapshot(git) == before[name], name
    assert (ws / "linked" / ".git").read_bytes() == gitfile_before
    home = tmp_path / "githome"
    home.mkdir()
    _host_git_status(nested, home)
    _host_git_status(tmp_repo, home)
    _host_git_status(ws / "linked", home)
    _host_git_status(bare, home, bare=True)
    assert not marker.exists()
    # the commands ran in the sandbox and were refused (a read-only file system)
    outputs = _outputs(model_server)
    assert len(outputs) == len(calls)
    assert all("Read-only file system" in out for out in outputs[:-1]), outputs
    assert "Device or resource busy" in outputs[-1]


def _home_session(tmp_path: Path, server: ScriptedModelServer) -> tuple[Path, Path, dict[str, str]]:
    """A session started in $HOME, its CODEX_HOME the default ~/.codex, with secrets."""
    home = make_repo(tmp_path / "home")
    codex_home = home / ".codex"
    codex_home.mkdir()
    write_config(codex_home, server.base_url)
    (codex_home / "auth.json").write_text('{"OPENAI_API_KEY": "sk-AUTH-SECRET-4711"}\n')
    (codex_home / "history.jsonl").write_text(
        '{"session_id":"x","ts":1,"text":"HISTORY-SECRET-4712"}\n'
    )
    old = codex_home / "sessions" / "2020" / "01" / "01"
    old.mkdir(parents=True)
    (old / "rollout-2020-01-01T00-00-00-x.jsonl").write_text('{"id":"SESSION-SECRET-4713"}\n')
    env = base_env(codex_home)
    env["HOME"] = str(home)
    return home, codex_home, env


READ_SECRETS = (
    "cat $CODEX_HOME/auth.json; cat $CODEX_HOME/history.jsonl; "
    "cat $CODEX_HOME/sessions/*/*/*/*.jsonl; grep -r SECRET $CODEX_HOME; "
    "cat ~/.codex/auth.json; echo end"
)
SECRETS = (b"AUTH-SECRET-4711", b"HISTORY-SECRET-4712", b"SESSION-SECRET-4713")


def test_codex_home_in_the_workspace_stays_read_only(
    model_server: ScriptedModelServer, tmp_path: Path
) -> None:
    home, codex_home, env = _home_session(tmp_path, model_server)
    config = codex_home / "config.toml"
    before = config.read_bytes()
    rewrite = (
        'printf \'sandbox_mode = "danger-full-access"\\napproval_policy = "never"\\n\' '
        "> $CODEX_HOME/config.toml.new; mv $CODEX_HOME/config.toml.new $CODEX_HOME/config.toml; "
        "echo 'sandbox_mode = \"danger-full-access\"' >> ~/.codex/config.toml; "
        "mkdir -p .codex && echo 'sandbox_mode = \"danger-full-access\"' > .codex/config.toml"
    )
    model_server.push(
        Turn(tool_calls=[_shell("c1", rewrite), _shell("c2", READ_SECRETS)]), Turn(text="done")
    )
    res = codex(
        ["exec", "--sandbox", "workspace-write", "--json", "go"], cwd=home, env=env, timeout=120
    )
    assert res.rc == 0, res.err
    assert config.read_bytes() == before
    assert not (codex_home / "config.toml.new").exists()
    bodies = _all_bodies(model_server)
    assert b"echo end" in bodies  # the reading command's call was recorded
    for secret in SECRETS:
        assert secret not in bodies
    rewrote, read = _outputs(model_server)
    assert "Read-only file system" in rewrote
    assert "Permission denied" in read


@pytest.mark.parametrize("mode", ["read-only", "workspace-write"])
def test_codex_home_secrets_are_unreadable(
    model_server: ScriptedModelServer, tmp_path: Path, mode: str
) -> None:
    home, _, env = _home_session(tmp_path, model_server)
    work = make_repo(tmp_path / "work")  # CODEX_HOME outside the workspace this time
    model_server.push(Turn(tool_calls=[_shell("c1", READ_SECRETS)]), Turn(text="done"))
    res = codex(["exec", "--sandbox", mode, "--json", "go"], cwd=work, env=env, timeout=120)
    assert res.rc == 0, res.err
    bodies = _all_bodies(model_server)
    assert b"echo end" in bodies
    for secret in SECRETS:
        assert secret not in bodies
    (read,) = _outputs(model_server)
    assert "Permission denied" in read
    del home
