"""The sandbox for an ordinary user: a user namespace gives the mount rights root has.

Runs when the tests run as root (as in CI here): a Python that user 65534 can execute runs
a script that builds the sandbox as that user.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.sandboxed import NOBODY, python_for_nobody, require_sandbox, run_as_nobody

_SCRIPT = """
import os, sys
from pathlib import Path
from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.launch import prepare_launch, run_foreground
from pycodex.sandbox.policy import SandboxPolicy
ws, outside = Path(sys.argv[1]), sys.argv[2]
pol = SandboxPolicy(mode=SandboxMode.WORKSPACE_WRITE, workspace=ws, exclude_slash_tmp=True,
                    exclude_tmpdir_env_var=True)
script = ("id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; echo ok > new.txt; "
          "echo x > .git/config; echo x > " + outside + "/f; chmod 777 " + outside)
launch = prepare_launch(pol, ["bash", "-c", script], cwd=ws, env=os.environ)
sys.exit(run_foreground(launch, cwd=ws))
"""


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory user 65534 can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="pycodex-nobody-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def test_user_namespace_sandbox_as_nobody(shared_tmp: Path) -> None:
    require_sandbox()
    python = python_for_nobody()
    ws, outside = shared_tmp / "ws", shared_tmp / "outside"
    (ws / ".git").mkdir(parents=True)
    outside.mkdir()
    for p in (ws, ws / ".git", outside):
        os.chown(p, NOBODY, NOBODY)
    r = run_as_nobody(python, _SCRIPT, [str(ws), str(outside)], ws)
    assert r.stdout.splitlines()[:3] == [
        str(NOBODY),
        "CapEff:\t0000000000000000",
        "NoNewPrivs:\t1",
    ], r.stderr
    assert (ws / "new.txt").read_text() == "ok\n"
    assert not (ws / ".git/config").exists()
    assert not (outside / "f").exists()
    assert outside.stat().st_mode & 0o777 == 0o755
    assert r.returncode != 0
