"""Fails loudly: optional protections the sandbox could not mount are named, once a session.

The failure is forced through the real mount plan: a plan whose private /dev/shm and
/dev/pts targets cannot take a mount (a missing directory, a regular file) builds a real
namespace that lacks both; the session's shell tool then tells each missing protection once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycodex.core.approvals import ApprovalBroker
from pycodex.core.tools.context import ToolContext
from pycodex.core.tools.shell import parse_shell_args, run_shell
from pycodex.protocol.events import BackgroundEvent, EventMsg
from pycodex.protocol.policy import AskForApproval, SandboxMode
from pycodex.sandbox import mountns, namespaces, notices
from pycodex.sandbox.policy import FULL_ACCESS, SandboxPolicy
from tests.sandbox.sandboxed import require_sandbox

pytestmark = pytest.mark.usefixtures("sandbox_available", "notices_restored")


@pytest.fixture
def notices_restored() -> Iterator[None]:
    """The record is per process: lines these tests force must not reach the sessions of
    later tests in the same worker (they would see unexpected background events)."""
    before = dict(notices._recorded)
    yield
    with notices._lock:
        notices._recorded.clear()
        notices._recorded.update(before)


@pytest.fixture
def sandbox_available() -> None:
    require_sandbox()


def _forced_failure(tmp_path: Path) -> mountns.Namespace:
    not_a_dir = tmp_path / "pts-file"
    not_a_dir.write_text("")
    plan = namespaces.plan((), private_shm=True, terminal=False)
    plan = dataclasses.replace(
        plan, shm=str(tmp_path / "no-such-dir").encode(), pts=str(not_a_dir).encode()
    )
    return mountns.namespace_for(plan)


def test_missing_shm_and_pts_are_reported(tmp_path: Path) -> None:
    ns = _forced_failure(tmp_path)
    assert not ns.shm  # so Landlock does not grant /dev/shm either
    assert len(ns.missing) == 2
    shm, pts = ns.missing
    assert shm.startswith(namespaces.MISSING_SHM + " (")
    assert "No such file or directory" in shm
    assert pts.startswith(namespaces.MISSING_PTS + " (")
    assert "Not a directory" in pts
    lines = notices.recorded()
    assert notices.describe_missing(shm) in lines
    assert notices.describe_missing(pts) in lines
    assert "multiprocessing" in notices.describe_missing(shm)
    assert "host's terminals" in notices.describe_missing(pts)


def test_a_working_namespace_reports_nothing_missing(tmp_path: Path) -> None:
    plan = namespaces.plan((str(tmp_path),), private_shm=True, terminal=False)
    ns = mountns.namespace_for(plan)
    assert ns.missing == ()
    assert ns.shm


def _context(tmp_path: Path, sandbox: SandboxPolicy, events: list[EventMsg]) -> ToolContext:
    return ToolContext(
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        sandbox=sandbox,
        approval_policy=AskForApproval.NEVER,
        approvals=ApprovalBroker(),
        emit=events.append,
        set_plan=lambda plan: None,
    )


def _run(ctx: ToolContext, command: list[str]) -> None:
    asyncio.run(asyncio.wait_for(run_shell(ctx, "c", parse_shell_args({"command": command})), 30))


def _told(events: list[EventMsg]) -> list[str]:
    return [e.message for e in events if isinstance(e, BackgroundEvent)]


def test_the_session_is_told_once(tmp_path: Path) -> None:
    ns = _forced_failure(tmp_path)
    expected = {notices.describe_missing(m) for m in ns.missing}
    policy = SandboxPolicy(
        mode=SandboxMode.WORKSPACE_WRITE,
        workspace=tmp_path,
        exclude_slash_tmp=True,
        exclude_tmpdir_env_var=True,
    )
    events: list[EventMsg] = []
    ctx = _context(tmp_path, policy, events)
    _run(ctx, ["touch", "a"])
    first = _told(events)
    assert expected <= set(first)
    _run(ctx, ["touch", "b"])
    _run(ctx, ["touch", "c"])
    assert _told(events) == first  # nothing said twice in the session
    assert (tmp_path / "c").exists()

    other: list[EventMsg] = []  # another session in the same process is told too
    _run(_context(tmp_path, policy, other), ["true"])
    assert expected <= set(_told(other))


def test_unsandboxed_commands_tell_nothing(tmp_path: Path) -> None:
    _forced_failure(tmp_path)
    events: list[EventMsg] = []
    _run(_context(tmp_path, FULL_ACCESS, events), ["true"])
    assert _told(events) == []


def test_a_search_that_stopped_is_reported(tmp_path: Path) -> None:
    plan = namespaces.plan((str(tmp_path),), private_shm=True, terminal=False)
    where = f"{tmp_path}/deep (50000 dirs)"
    mountns.namespace_for(dataclasses.replace(plan, search_skipped=where))
    line = notices.describe_skipped(where)
    assert line in notices.recorded()
    assert "repositories beyond are writable" in line
