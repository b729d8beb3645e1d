"""The sandbox for an ordinary user: a user namespace gives the mount rights root has.

Runs when the tests run as root (as in CI here): a Python that user 65534 can execute runs
a script that builds the sandbox as that user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.sandboxed import require_sandbox

NOBODY = 65534
SRC = str(Path(__file__).resolve().parents[2] / "src")

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


def _python_for_nobody() -> str | None:
    for candidate in (sys.executable, shutil.which("python3") or "", "/usr/bin/python3"):
        if not candidate:
            continue
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info >= (3, 11)"],
                user=NOBODY,
                group=NOBODY,
                extra_groups=[],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except OSError:  # not executable by that user (a Python under /root)
            continue
        if probe.returncode == 0:
            return candidate
    return None


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
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    python = _python_for_nobody()
    if python is None:
        pytest.skip("no Python >= 3.11 that user 65534 can run")
    probe = subprocess.run(
        [python, "-c", f"import os; os.listdir({SRC!r})"], user=NOBODY, timeout=30, check=False
    )
    if probe.returncode != 0:
        pytest.skip("the source tree is not readable by user 65534")
    ws, outside = shared_tmp / "ws", shared_tmp / "outside"
    (ws / ".git").mkdir(parents=True)
    outside.mkdir()
    for p in (ws, ws / ".git", outside):
        os.chown(p, NOBODY, NOBODY)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC, "HOME": str(ws)}
    r = subprocess.run(
        [python, "-c", _SCRIPT, str(ws), str(outside)],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        env=env,
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
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
