"""The PID-namespace fallback that scopes signals on kernels before Landlock ABI 6.

This kernel has ABI >= 6, so the fallback is forced here to prove it on its own: the
signal tests below would pass through Landlock scoping too, except for ``kill`` by number
of a process that is outside — which the namespace answers with ``ESRCH`` (no such
process) instead of Landlock's ``EPERM``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pycodex.sandbox import linux
from tests.sandbox.conftest import Tree
from tests.sandbox.sandboxed import outside_process, require_sandbox


@pytest.fixture
def preexec(tree: Tree) -> Callable[[], Callable[[], None]]:
    require_sandbox()

    def make() -> Callable[[], None]:
        return linux.build_preexec(
            linux.support(),
            writable_roots=(str(tree.ws),),
            cwd=str(tree.ws),
            network=False,
            pid_namespace=True,
        )

    return make


def _run(argv: list[str], cwd: Path, pre: Callable[[], None]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, preexec_fn=pre, capture_output=True, text=True, timeout=30, check=False
    )


def test_outside_process_cannot_be_named(
    tree: Tree, preexec: Callable[[], Callable[[], None]]
) -> None:
    with outside_process() as proc:
        r = _run(["bash", "-c", f"echo $$; kill -KILL {proc.pid}"], tree.ws, preexec())
        assert r.stdout.strip() == "2"  # the command is pid 2; pid 1 waits for it
        assert "No such process" in r.stderr
        assert proc.poll() is None


def test_status_is_mirrored(tree: Tree, preexec: Callable[[], Callable[[], None]]) -> None:
    assert _run(["sh", "-c", "exit 7"], tree.ws, preexec()).returncode == 7
    assert _run(["sh", "-c", "kill -KILL $$"], tree.ws, preexec()).returncode == 137
    with pytest.raises(FileNotFoundError):
        _run(["no-such-program-xyz"], tree.ws, preexec())


def test_group_signal_reaches_the_command(
    tree: Tree, preexec: Callable[[], Callable[[], None]]
) -> None:
    proc = subprocess.Popen(
        ["bash", "-c", "echo ready; exec sleep 30"],
        cwd=tree.ws,
        preexec_fn=preexec(),  # noqa: PLW1509 - what is tested
        start_new_session=True,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    proc.stdout.close()


def test_background_children_do_not_hold_the_pipes(
    tree: Tree, preexec: Callable[[], Callable[[], None]]
) -> None:
    r = _run(["bash", "-c", "sleep 30 & echo started"], tree.ws, preexec())
    assert r.returncode == 0
    assert r.stdout == "started\n"  # returned at once: the namespace ended with its init


def test_still_confined(tree: Tree, preexec: Callable[[], Callable[[], None]]) -> None:
    r = _run(["bash", "-c", f"echo x > {tree.victim}; echo x > .git/config"], tree.ws, preexec())
    assert r.returncode != 0
    assert tree.victim_intact()
