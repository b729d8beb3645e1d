"""Escape attempts on the file system: each must fail, checked on the host afterwards."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from pycodex.protocol.policy import SandboxMode
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import policy, py, require_sandbox, sh

WW = SandboxMode.WORKSPACE_WRITE
RO = SandboxMode.READ_ONLY

pytestmark = pytest.mark.usefixtures("sandbox_available")


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


@pytest.mark.parametrize("mode", [RO, WW])
def test_new_file_outside(tree: Tree, mode: SandboxMode) -> None:
    r = sh(policy(mode, tree.ws), f"echo x > {tree.out}/new.txt", tree.ws)
    assert r.returncode != 0
    assert not (tree.out / "new.txt").exists()


@pytest.mark.parametrize("mode", [RO, WW])
def test_overwrite_outside(tree: Tree, mode: SandboxMode) -> None:
    r = sh(policy(mode, tree.ws), f"echo pwned > {tree.victim}", tree.ws)
    assert r.returncode != 0
    assert tree.victim_intact()


def test_truncate_outside(tree: Tree) -> None:
    code = f"import os\nos.truncate({str(tree.victim)!r}, 0)"
    r = py(policy(WW, tree.ws), code, tree.ws)
    assert "Error" in r.stderr
    r = sh(policy(WW, tree.ws), f"truncate -s 0 {tree.victim}; : > {tree.victim}", tree.ws)
    assert tree.victim_intact()


def test_rename_out_of_workspace(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), f"mv file.txt {tree.out}/moved.txt", tree.ws)
    assert r.returncode != 0
    assert not (tree.out / "moved.txt").exists()
    assert (tree.ws / "file.txt").read_text() == "in workspace\n"


def test_rename_outside_file_into_workspace(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), f"mv {tree.victim} stolen.txt", tree.ws)
    assert r.returncode != 0
    assert tree.victim_intact()


def test_write_through_symlink(tree: Tree) -> None:
    (tree.ws / "link").symlink_to(tree.victim)
    r = sh(policy(WW, tree.ws), "echo pwned > link", tree.ws)
    assert r.returncode != 0
    assert tree.victim_intact()


def test_write_through_symlinked_directory(tree: Tree) -> None:
    (tree.ws / "dirlink").symlink_to(tree.out)
    r = sh(
        policy(WW, tree.ws), "echo x > dirlink/new.txt; echo pwned > dirlink/victim.txt", tree.ws
    )
    assert r.returncode != 0
    assert not (tree.out / "new.txt").exists()
    assert tree.victim_intact()


def test_symlink_made_inside(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), f"ln -s {tree.victim} s && echo pwned > s", tree.ws)
    assert r.returncode != 0
    assert tree.victim_intact()


def test_hardlink_made_inside(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), f"ln {tree.victim} hard; echo pwned >> hard", tree.ws)
    assert "ln:" in r.stderr
    assert tree.victim_intact()
    assert tree.victim.stat().st_nlink == 1


def test_chmod_outside(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), f"chmod 4777 {tree.victim}", tree.ws)
    assert r.returncode != 0
    assert tree.victim_intact()


def test_chown_outside(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), f"chown 65534:65534 {tree.victim}", tree.ws)
    assert r.returncode != 0
    assert tree.victim.stat().st_uid == os.getuid()


@pytest.mark.parametrize("mode", [RO, WW])
def test_utime_outside(tree: Tree, mode: SandboxMode) -> None:
    r = sh(policy(mode, tree.ws), f"touch {tree.victim}", tree.ws)
    assert r.returncode != 0
    assert tree.victim_intact()


def test_xattr_outside(tree: Tree) -> None:
    code = f"import os\nos.setxattr({str(tree.victim)!r}, 'user.pwned', b'1')"
    r = py(policy(WW, tree.ws), code, tree.ws)
    assert "Error" in r.stderr
    assert "user.pwned" not in os.listxattr(tree.victim)


def test_git_config(tree: Tree) -> None:
    before = (tree.ws / ".git/config").read_bytes()
    r = sh(policy(WW, tree.ws), "printf '[core]\\n\\tfsmonitor = evil\\n' >> .git/config", tree.ws)
    assert r.returncode != 0
    assert (tree.ws / ".git/config").read_bytes() == before


def test_git_hooks(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), "echo 'rm -rf ~' > .git/hooks/pre-commit", tree.ws)
    assert r.returncode != 0
    assert not (tree.ws / ".git/hooks/pre-commit").exists()


def test_git_rename(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), "mv .git moved-git || mv .git/config .git/config2", tree.ws)
    assert r.returncode != 0
    assert (tree.ws / ".git/config").is_file()
    assert not (tree.ws / "moved-git").exists()


def test_git_delete(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), "rm -rf .git; rm -f .git/HEAD", tree.ws)
    assert r.returncode != 0
    assert (tree.ws / ".git/HEAD").is_file()


def test_git_of_extra_writable_root(tree: Tree, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    (extra / ".git").mkdir(parents=True)
    pol = policy(WW, tree.ws, roots=(extra,))
    r = sh(pol, f"echo ok > {extra}/a.txt && echo x > {extra}/.git/config", tree.ws)
    assert (extra / "a.txt").read_text() == "ok\n"
    assert r.returncode != 0
    assert not (extra / ".git/config").exists()


def test_unmount_git_inside(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), "umount .git || umount -l .git; echo x > .git/pwned", tree.ws)
    assert r.returncode != 0
    assert not (tree.ws / ".git/pwned").exists()


def test_slash_tmp_when_excluded(tree: Tree) -> None:
    target = Path("/tmp") / f"pycodex-escape-{uuid.uuid4().hex}"
    try:
        r = sh(policy(WW, tree.ws, tmp=False), f"echo x > {target}", tree.ws)
        assert r.returncode != 0
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


def test_tmpdir_when_excluded(tree: Tree, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    from tests.sandbox.sandboxed import run

    r = run(policy(WW, tree.ws, tmp=False), ["bash", "-c", 'echo x > "$TMPDIR/f"'], tree.ws, env)
    assert r.returncode != 0
    assert not (tmpdir / "f").exists()


def test_dev_shm_read_only(tree: Tree) -> None:
    target = Path("/dev/shm") / f"pycodex-escape-{uuid.uuid4().hex}"
    try:
        r = sh(policy(RO, tree.ws, tmp=True), f"echo x > {target}", tree.ws)
        assert r.returncode != 0
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


def test_dev_shm_workspace_write_is_private(tree: Tree) -> None:
    """Writable inside (its own tmpfs, for POSIX semaphores), never the host's /dev/shm."""
    target = Path("/dev/shm") / f"pycodex-escape-{uuid.uuid4().hex}"
    host_file = Path("/dev/shm") / f"pycodex-host-{uuid.uuid4().hex}"
    host_file.write_text("host\n")
    try:
        r = sh(
            policy(WW, tree.ws, tmp=True),
            f"echo x > {target} && cat {target}; echo pwned > {host_file}; rm -f {host_file}",
            tree.ws,
        )
        assert r.stdout.startswith("x\n")
        assert not target.exists()
        assert host_file.read_text() == "host\n"
    finally:
        target.unlink(missing_ok=True)
        host_file.unlink(missing_ok=True)


def test_read_only_mode_writes_nothing_in_workspace(tree: Tree) -> None:
    r = sh(policy(RO, tree.ws), "echo x > new.txt; echo x >> file.txt; rm -f file.txt", tree.ws)
    assert r.returncode != 0
    assert not (tree.ws / "new.txt").exists()
    assert (tree.ws / "file.txt").read_text() == "in workspace\n"


def test_model_workdir_outside_workspace_is_not_writable(tree: Tree) -> None:
    """The command's cwd is not a root: the session workspace is."""
    r = sh(policy(WW, tree.ws), "echo x > new.txt", tree.out)
    assert r.returncode != 0
    assert not (tree.out / "new.txt").exists()


def test_git_made_after_an_earlier_command(tmp_path: Path) -> None:
    """The namespace is reused between commands: a .git that appeared since gets its own."""
    ws = tmp_path / "late"
    ws.mkdir()
    pol = policy(WW, ws)
    assert sh(pol, "echo 1 > a.txt", ws).returncode == 0
    r = sh(pol, "git init -q . && echo made", ws)  # made inside: writable while it runs
    assert r.stdout == "made\n", r.stderr
    before = (ws / ".git/config").read_bytes()
    r = sh(pol, "echo '[core] hooksPath = /tmp' >> .git/config", ws)
    assert r.returncode != 0
    assert (ws / ".git/config").read_bytes() == before
