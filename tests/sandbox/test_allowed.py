"""What the sandbox must still allow: reading, working in the workspace, local IPC."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

from pycodex.protocol.policy import SandboxMode
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import listener, policy, py, require_sandbox, run, sh

WW = SandboxMode.WORKSPACE_WRITE
RO = SandboxMode.READ_ONLY

pytestmark = pytest.mark.usefixtures("sandbox_available")


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


def test_read_anything_in_read_only(tree: Tree, tmp_path: Path) -> None:
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    key = ssh / "id_ed25519"
    key.write_text("PRIVATE KEY MATERIAL\n")
    key.chmod(0o600)
    r = sh(
        policy(RO, tree.ws), f"cat {key} {tree.victim}; ls {ssh}; head -c 0 /etc/passwd", tree.ws
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "PRIVATE KEY MATERIAL\noriginal\nid_ed25519\n"


def test_write_in_workspace(tree: Tree) -> None:
    script = (
        "set -e; mkdir -p src/pkg; echo new > src/pkg/a.txt; mv src/pkg/a.txt b.txt;"
        " ln b.txt hard.txt; ln -s b.txt soft.txt; echo more >> soft.txt;"
        " printf '#!/bin/sh\\necho run\\n' > run.sh; chmod +x run.sh; ./run.sh;"
        " truncate -s 2 file.txt; touch -d 2001-01-01 file.txt; rm -r src;"
        " mkfifo fifo; rm fifo"
    )
    r = sh(policy(WW, tree.ws), script, tree.ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "run\n"
    assert (tree.ws / "b.txt").read_text() == "new\nmore\n"
    assert (tree.ws / "hard.txt").stat().st_ino == (tree.ws / "b.txt").stat().st_ino
    assert (tree.ws / "file.txt").read_text() == "in"
    assert os.access(tree.ws / "run.sh", os.X_OK)
    assert not (tree.ws / "src").exists()


def test_git_works_read_only_where_it_must(tree: Tree) -> None:
    r = sh(policy(WW, tree.ws), "git status --porcelain && git diff --stat", tree.ws)
    assert r.returncode == 0, r.stderr
    assert "file.txt" in r.stdout


def test_slash_tmp_and_tmpdir_writable_unless_excluded(tree: Tree, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    target = Path("/tmp") / f"pycodex-allowed-{uuid.uuid4().hex}"
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    try:
        r = run(
            policy(WW, tree.ws, tmp=True),
            ["bash", "-c", f'echo a > {target} && echo b > "$TMPDIR/f"'],
            tree.ws,
            env,
        )
        assert r.returncode == 0, r.stderr
        assert target.read_text() == "a\n"
        assert (tmpdir / "f").read_text() == "b\n"
    finally:
        target.unlink(missing_ok=True)


def test_extra_writable_root(tree: Tree, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    r = sh(policy(WW, tree.ws, roots=(extra,)), f"echo ok > {extra}/f", tree.ws)
    assert r.returncode == 0, r.stderr
    assert (extra / "f").read_text() == "ok\n"


def test_devices_and_pty(tree: Tree) -> None:
    code = (
        "import os, pty\n"
        "open('/dev/null', 'w').write('x')\n"
        "assert len(open('/dev/urandom', 'rb').read(4)) == 4\n"
        "m, s = pty.openpty()\n"
        "os.write(s, b'hi')\n"
        "print(os.read(m, 2).decode(), os.isatty(s))\n"
    )
    r = py(policy(RO, tree.ws), code, tree.ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "hi True"


def test_unix_socketpair_and_threads(tree: Tree) -> None:
    code = (
        "import socket, threading, subprocess\n"
        "a, b = socket.socketpair()\n"
        "t = threading.Thread(target=lambda: a.sendall(b'ping'))\n"
        "t.start(); t.join()\n"
        "print(b.recv(4).decode(), subprocess.run(['true']).returncode)\n"
    )
    r = py(policy(RO, tree.ws), code, tree.ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ping 0"


def test_multiprocessing_in_workspace_write(tree: Tree) -> None:
    code = (
        "import multiprocessing as mp\n"
        "if __name__ == '__main__':\n"
        "    with mp.Pool(2) as pool:\n"
        "        print(pool.map(abs, [-1, -2]), mp.Lock().acquire())\n"
    )
    (tree.ws / "mp.py").write_text(code)
    r = run(policy(WW, tree.ws), [sys.executable, "mp.py"], tree.ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[1, 2] True"


def test_network_with_network_access(tree: Tree) -> None:
    with listener() as lst:
        code = (
            "import socket\n"
            f"s = socket.create_connection(('127.0.0.1', {lst.port}), timeout=3)\n"
            "s.sendall(b'hello')\n"
        )
        r = py(policy(WW, tree.ws, network=True), code, tree.ws)
        assert r.returncode == 0, r.stderr
        assert lst.reached()


@pytest.mark.parametrize(("network", "expected"), [(False, "1"), (True, "")])
def test_network_disabled_variable(tree: Tree, network: bool, expected: str) -> None:
    r = sh(
        policy(WW, tree.ws, network=network), 'printf %s "$CODEX_SANDBOX_NETWORK_DISABLED"', tree.ws
    )
    assert r.stdout == expected


def test_danger_full_access_is_no_sandbox(tree: Tree) -> None:
    r = sh(
        policy(SandboxMode.DANGER_FULL_ACCESS, tree.ws), "grep Seccomp: /proc/self/status", tree.ws
    )
    assert r.stdout.split() == ["Seccomp:", "0"]


def test_exit_status_and_signal(tree: Tree) -> None:
    assert sh(policy(RO, tree.ws), "exit 7", tree.ws).returncode == 7
    assert sh(policy(RO, tree.ws), "kill -TERM $$", tree.ws).returncode == 128 + 15
