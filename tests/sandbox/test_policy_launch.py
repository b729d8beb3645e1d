"""Policy plumbing: roots, config, what is enforced, and the refusal when it cannot be."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pycodex.config.schema import Config, SandboxWorkspaceWrite
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox import landlock
from pycodex.sandbox.launch import NETWORK_DISABLED_VAR, exit_status, prepare_launch
from pycodex.sandbox.policy import (
    SandboxPolicy,
    enforced_mode,
    policy_from_config,
    writable_roots_for,
)
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import PY, policy, require_sandbox, run, sh

WW = SandboxMode.WORKSPACE_WRITE
RO = SandboxMode.READ_ONLY


def test_writable_roots() -> None:
    ws, extra = Path("/w"), Path("/x")
    pol = SandboxPolicy(mode=WW, writable_roots=(extra,), workspace=ws)
    env = {"TMPDIR": "/t"}
    assert writable_roots_for(pol, Path("/elsewhere"), env) == (ws, extra, Path("/t"), Path("/tmp"))
    excluded = SandboxPolicy(
        mode=WW, workspace=ws, exclude_slash_tmp=True, exclude_tmpdir_env_var=True
    )
    assert writable_roots_for(excluded, ws, env) == (ws,)
    assert writable_roots_for(SandboxPolicy(mode=WW), Path("/c"), {}) == (Path("/c"), Path("/tmp"))
    assert writable_roots_for(SandboxPolicy(mode=RO, workspace=ws), ws, env) == ()


def test_policy_from_config(tmp_path: Path) -> None:
    config = Config(
        codex_home=tmp_path,
        cwd=tmp_path / "ws",
        sandbox_mode=WW,
        sandbox_workspace_write=SandboxWorkspaceWrite(
            writable_roots=(Path("/x"),), network_access=True, exclude_slash_tmp=True
        ),
    )
    pol = policy_from_config(config)
    assert pol == SandboxPolicy(
        mode=WW,
        writable_roots=(Path("/x"),),
        network_access=True,
        exclude_slash_tmp=True,
        workspace=tmp_path / "ws",
        codex_home=tmp_path,
    )
    assert policy_from_config(config, RO).mode is RO


def test_enforced_mode_is_truthful() -> None:
    require_sandbox()
    assert enforced_mode(SandboxPolicy(mode=RO)) is RO
    assert enforced_mode(SandboxPolicy(mode=WW)) is WW
    full = SandboxPolicy(mode=SandboxMode.DANGER_FULL_ACCESS)
    assert enforced_mode(full) is SandboxMode.DANGER_FULL_ACCESS


def test_danger_full_access_launch_is_plain(tmp_path: Path) -> None:
    launch = prepare_launch(SandboxPolicy(), ["ls"], cwd=tmp_path, env={"A": "1"})
    assert launch.argv == ("ls",)
    assert launch.env == {"A": "1"}
    assert launch.preexec_fn is None


def test_sandboxed_launch_marks_network(tmp_path: Path) -> None:
    require_sandbox()
    launch = prepare_launch(SandboxPolicy(mode=RO), ["ls"], cwd=tmp_path, env={})
    assert launch.env == {NETWORK_DISABLED_VAR: "1"}
    assert launch.preexec_fn is not None
    assert launch.mode is RO


def test_exit_status() -> None:
    assert exit_status(3) == 3
    assert exit_status(-9) == 137


def test_landlock_rights_per_abi() -> None:
    assert landlock.fs_rights(1) == (1 << 13) - 1
    assert landlock.fs_rights(2) & landlock.FS_REFER
    assert not landlock.fs_rights(2) & landlock.FS_TRUNCATE
    assert landlock.fs_rights(5) & landlock.FS_IOCTL_DEV
    assert landlock.fs_rights(7) == (1 << 16) - 1


def test_a_workspace_made_again_is_writable_again(tree: Tree) -> None:
    require_sandbox()
    pol = policy(WW, tree.ws)
    assert sh(pol, "echo 1 > a.txt", tree.ws).returncode == 0
    shutil.rmtree(tree.ws)
    tree.ws.mkdir()
    r = sh(pol, "echo 2 > a.txt", tree.ws)
    assert r.returncode == 0, r.stderr
    assert (tree.ws / "a.txt").read_text() == "2\n"


def test_refuses_with_one_line_when_namespaces_are_blocked(tree: Tree) -> None:
    """Inside the sandbox (as in a locked-down container) the sandbox cannot be built again:
    the refusal is one line naming what is missing and the way out."""
    require_sandbox()
    code = (
        "import os\nfrom pathlib import Path\n"
        "from pycodex.protocol.policy import SandboxMode\n"
        "from pycodex.protocol.errors import SandboxError\n"
        "from pycodex.sandbox.launch import prepare_launch\n"
        "from pycodex.sandbox.policy import SandboxPolicy\n"
        "try:\n"
        "    prepare_launch(SandboxPolicy(mode=SandboxMode.READ_ONLY), ['true'],"
        " cwd=Path('.'), env={})\n"
        "except SandboxError as e:\n"
        "    print(e)\n"
    )
    r = run(policy(RO, tree.ws), [PY, "-c", code], tree.ws)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout + r.stderr
    assert "mount namespace: unshare: Operation not permitted" in lines[0]
    assert "--sandbox danger-full-access" in lines[0]


@pytest.mark.parametrize("mode", [RO, WW])
def test_prepare_is_cheap_after_the_first(tree: Tree, mode: SandboxMode) -> None:
    require_sandbox()
    pol = policy(mode, tree.ws)
    first = prepare_launch(pol, ["true"], cwd=tree.ws, env={})
    second = prepare_launch(pol, ["true"], cwd=tree.ws, env={})
    assert first.preexec_fn is not None
    assert second.preexec_fn is not None
    assert first.env == second.env
