"""`codex sandbox` and `codex debug landlock|seatbelt` as a user runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import CODEX, listener, require_sandbox, run_cli

pytestmark = pytest.mark.usefixtures("sandbox_available")


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


def _home(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "codex-home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "CODEX_HOME": str(home)}


def test_exit_status_is_the_commands(tree: Tree, tmp_path: Path) -> None:
    env = _home(tmp_path)
    assert run_cli(["sandbox", "--", "sh", "-c", "exit 3"], tree.ws, env).returncode == 3
    assert run_cli(["sandbox", "--", "sh", "-c", "kill -9 $$"], tree.ws, env).returncode == 137
    missing = run_cli(["sandbox", "--", "no-such-program-xyz"], tree.ws, env)
    assert missing.returncode == 127
    assert "command not found: no-such-program-xyz" in missing.stderr


def test_default_is_read_only(tree: Tree, tmp_path: Path) -> None:
    r = run_cli(["sandbox", "--", "touch", "new.txt"], tree.ws, _home(tmp_path))
    assert r.returncode != 0
    assert not (tree.ws / "new.txt").exists()


def test_workspace_write_keeps_git_read_only(tree: Tree, tmp_path: Path) -> None:
    script = "touch new.txt && touch .git/pwned"
    r = run_cli(
        ["sandbox", "-s", "workspace-write", "--", "sh", "-c", script], tree.ws, _home(tmp_path)
    )
    assert r.returncode != 0
    assert (tree.ws / "new.txt").exists()
    assert not (tree.ws / ".git/pwned").exists()
    no_tmp = "sandbox_workspace_write.exclude_slash_tmp=true"  # tmp_path lives under /tmp
    outside = run_cli(
        ["sandbox", "-s", "workspace-write", "-c", no_tmp, "--", "touch", str(tree.victim)],
        tree.ws,
        _home(tmp_path),
    )
    assert outside.returncode != 0
    assert tree.victim_intact()


def test_debug_landlock_full_auto(tree: Tree, tmp_path: Path) -> None:
    env = _home(tmp_path)
    ro = run_cli(["debug", "landlock", "--", "touch", "a.txt"], tree.ws, env)
    assert ro.returncode != 0
    assert not (tree.ws / "a.txt").exists()
    rw = run_cli(["debug", "landlock", "--full-auto", "--", "touch", "a.txt"], tree.ws, env)
    assert rw.returncode == 0, rw.stderr
    assert (tree.ws / "a.txt").exists()


def test_config_network_access_is_honoured(tree: Tree, tmp_path: Path) -> None:
    env = _home(tmp_path)
    for network, reached in (("false", False), ("true", True)):
        with listener() as lst:
            run_cli(
                [
                    "sandbox",
                    "-s",
                    "workspace-write",
                    "-c",
                    f"sandbox_workspace_write.network_access={network}",
                    "--",
                    "bash",
                    "-c",
                    f"echo hi > /dev/tcp/127.0.0.1/{lst.port}",
                ],
                tree.ws,
                env,
            )
            assert lst.reached() is reached


def test_environment_policy_applies(tree: Tree, tmp_path: Path) -> None:
    env = {**_home(tmp_path), "MY_API_KEY": "sk-secret", "PLAIN_VAR": "plain"}
    r = run_cli(["sandbox", "--", "env"], tree.ws, env)
    assert "PLAIN_VAR=plain" in r.stdout
    assert "sk-secret" not in r.stdout
    assert "CODEX_SANDBOX_NETWORK_DISABLED=1" in r.stdout


def test_inherited_descriptors_are_closed(tree: Tree, tmp_path: Path) -> None:
    r, w = os.pipe()
    try:
        done = subprocess.run(
            [CODEX, "sandbox", "--", "ls", "/proc/self/fd"],
            cwd=tree.ws,
            env=_home(tmp_path),
            pass_fds=(w,),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert Path(f"/proc/self/fd/{w}").exists()
        assert sorted(int(x) for x in done.stdout.split()) == [0, 1, 2, 3]  # 3: ls's own
    finally:
        os.close(r)
        os.close(w)


def test_nested_sandbox_refuses_in_one_line(tree: Tree, tmp_path: Path) -> None:
    r = run_cli(["sandbox", "--", CODEX, "sandbox", "--", "true"], tree.ws, _home(tmp_path))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "danger-full-access" in lines[0]


def test_missing_command_is_a_usage_error(tree: Tree, tmp_path: Path) -> None:
    r = run_cli(["sandbox"], tree.ws, _home(tmp_path))
    assert r.returncode != 0
    assert "a command is required" in r.stderr
    r = run_cli(["sandbox", "--"], tree.ws, _home(tmp_path))
    assert "a command is required" in r.stderr


def test_debug_seatbelt_prints_the_profile_on_linux(tree: Tree, tmp_path: Path) -> None:
    r = run_cli(["debug", "seatbelt", "--full-auto", "--", "ls"], tree.ws, _home(tmp_path))
    assert r.returncode == 1
    assert r.stdout.startswith("(version 1)\n(deny default)")
    assert f"; -DWRITABLE_ROOT_0={tree.ws.resolve()}" in r.stdout
    assert "macOS only" in r.stderr
