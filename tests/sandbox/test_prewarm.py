"""``launch.prewarm``: a session's first sandboxed command finds the search of the writable
roots and its mount namespace already done, and a prewarmed policy still protects."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox import mountns, protected
from pycodex.sandbox.launch import prewarm
from pycodex.sandbox.policy import SandboxPolicy
from tests.sandbox.sandboxed import require_sandbox, sh

EROFS = "Read-only file system"


def _repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=30)
    return path


def test_prewarm_walks_the_roots_and_builds_the_namespace(tmp_path: Path) -> None:
    require_sandbox()
    ws = _repo(tmp_path / "ws")
    nested = ws / "vendor" / "lib"
    nested.mkdir(parents=True)
    _repo(nested)
    for i in range(30):
        (ws / "src" / f"d{i}").mkdir(parents=True)
    policy = SandboxPolicy(
        mode=SandboxMode.WORKSPACE_WRITE, workspace=ws, exclude_slash_tmp=True, codex_home=None
    )
    cached_before = set(mountns._cache)
    thread = prewarm(policy, cwd=ws, env={"PATH": "/usr/bin:/bin"})
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    new_namespaces = set(mountns._cache) - cached_before
    assert len(new_namespaces) == 1  # built for this policy before any command ran
    found = protected.tracker().find([str(ws.resolve())])
    assert str((nested / ".git").resolve()) in found.paths
    # The prewarmed namespace is the one the command enters: the nested repository is
    # read-only, and no second namespace was needed.
    r = sh(policy, "echo x >> vendor/lib/.git/config", ws)
    assert EROFS in r.stderr
    assert set(mountns._cache) - cached_before == new_namespaces


def test_nothing_to_prewarm_without_a_sandbox(tmp_path: Path) -> None:
    policy = SandboxPolicy(mode=SandboxMode.DANGER_FULL_ACCESS, workspace=tmp_path)
    assert prewarm(policy, cwd=tmp_path, env={}) is None
