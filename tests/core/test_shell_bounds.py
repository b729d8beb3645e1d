"""The shell tool's bounds (issue 12): a model-chosen timeout is clamped and the model is
told (finding 9); a known-safe command that runs without asking runs read-only with git's
program settings neutralised, so a driver git cannot be told to skip can only read
(finding 2, the part config cannot switch off).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pycodex.core.approvals import ApprovalBroker
from pycodex.core.tools.context import ToolContext
from pycodex.core.tools.shell import clamp_timeout, parse_shell_args, run_shell
from pycodex.protocol.errors import SandboxError
from pycodex.protocol.events import EventMsg, ExecApprovalRequest, ExecCommandEnd
from pycodex.protocol.policy import AskForApproval, SandboxMode
from pycodex.sandbox.policy import FULL_ACCESS, SandboxPolicy, check_supported
from tests.core.harness import ENV


def _sandbox_available() -> bool:
    try:
        check_supported()
    except SandboxError:
        return False
    return True


needs_sandbox = pytest.mark.skipif(not _sandbox_available(), reason="no OS sandbox here")


def _ctx(
    cwd: Path,
    events: list[EventMsg],
    *,
    sandbox: SandboxPolicy = FULL_ACCESS,
    policy: AskForApproval = AskForApproval.NEVER,
    max_timeout_ms: int = 600_000,
) -> ToolContext:
    return ToolContext(
        cwd=cwd,
        env=ENV,
        sandbox=sandbox,
        approval_policy=policy,
        approvals=ApprovalBroker(),
        emit=events.append,
        set_plan=lambda plan: None,
        max_timeout_ms=max_timeout_ms,
    )


def _call(ctx: ToolContext, args: dict[str, object]) -> str:
    coro = run_shell(ctx, "c", parse_shell_args(args))
    return asyncio.run(asyncio.wait_for(coro, 60))


# --- finding 9 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "default", "maximum", "expected", "noted"),
    [
        (None, 10_000, 600_000, 10_000, False),
        (None, 10_000, 1_000, 1_000, False),  # the default obeys the ceiling, silently
        (5_000, 10_000, 600_000, 5_000, False),
        (600_000, 10_000, 600_000, 600_000, False),
        (86_400_000, 10_000, 600_000, 600_000, True),
    ],
)
def test_clamp_timeout(
    requested: int | None, default: int, maximum: int, expected: int, noted: bool
) -> None:
    timeout, note = clamp_timeout(requested, default, maximum)
    assert timeout == expected
    assert (note is not None) == noted
    if note is not None:
        assert str(requested) in note and str(maximum) in note


@pytest.mark.parametrize("key", ["timeout_ms", "timeout"])
def test_a_day_long_timeout_is_clamped_and_the_model_is_told(tmp_path: Path, key: str) -> None:
    events: list[EventMsg] = []
    ctx = _ctx(tmp_path, events, max_timeout_ms=300)
    out = json.loads(_call(ctx, {"command": ["sleep", "600"], key: 86_400_000}))
    assert "command timed out after 300 ms and was killed" in out["output"]
    assert "requested timeout of 86400000 ms exceeds the maximum of 300 ms" in out["output"]
    end = [e for e in events if isinstance(e, ExecCommandEnd)]
    assert json.loads(end[0].formatted_output) == out


def test_local_shell_calls_are_clamped_too(tmp_path: Path) -> None:
    from pycodex.core.tools.router import dispatch
    from pycodex.protocol.items import LocalShellCallItem

    ctx = _ctx(tmp_path, [], max_timeout_ms=300)
    call = LocalShellCallItem("l1", ("sleep", "600"), timeout_ms=86_400_000)
    item = asyncio.run(asyncio.wait_for(dispatch(ctx, call), 60))
    out = json.loads(item.output)
    assert "command timed out after 300 ms" in out["output"]
    assert "exceeds the maximum of 300 ms" in out["output"]


def test_a_timeout_within_the_maximum_is_not_mentioned(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, [], max_timeout_ms=60_000)
    out = json.loads(_call(ctx, {"command": ["echo", "hi"], "timeout_ms": 30_000}))
    assert out["output"] == "hi\n"


# --- finding 2: what config cannot switch off runs read-only ----------------------------------


def _repo_with_clean_filter(work: Path, marker: Path) -> None:
    """A nested repository (as an archive could bring) whose config names a clean filter
    for every file: git runs it at ``git status`` and no setting turns filters off."""
    repo = work / "vendor" / "lib"
    repo.mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)

    git("init", "-q")
    git("config", "user.email", "a@b")
    git("config", "user.name", "a")
    (repo / "f").write_text("a\n", encoding="utf-8")
    git("add", "f")
    git("commit", "-qm", "1")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* filter=x\n", encoding="utf-8")
    filter_program = f"sh -c 'echo FILTER-RAN >&2; echo ran > {marker}; cat'"
    git("config", "filter.x.clean", filter_program)
    (repo / "f").write_text("b\n", encoding="utf-8")


@needs_sandbox
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(
    "mode", [SandboxMode.WORKSPACE_WRITE, SandboxMode.DANGER_FULL_ACCESS], ids=str
)
def test_known_safe_git_cannot_write_even_when_a_driver_runs(
    tmp_path: Path, mode: SandboxMode
) -> None:
    work = tmp_path / "work"
    marker = work / "marker"
    _repo_with_clean_filter(work, marker)
    events: list[EventMsg] = []
    sandbox = SandboxPolicy(mode=mode, workspace=work)
    ctx = _ctx(work, events, sandbox=sandbox, policy=AskForApproval.UNTRUSTED)
    out = json.loads(_call(ctx, {"command": ["git", "-C", "vendor/lib", "status", "--short"]}))
    assert not any(isinstance(e, ExecApprovalRequest) for e in events)  # known safe: no ask
    assert "M f" in out["output"]
    assert "FILTER-RAN" in out["output"]  # the filter ran (git rehashed the modified file) ...
    assert "Read-only file system" in out["output"]
    assert not marker.exists()  # ... but could not write into the workspace


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_filter_trap_writes_when_run_unsandboxed(tmp_path: Path) -> None:
    """The control for the test above: the same command, approved, does write the marker."""
    work = tmp_path / "work"
    marker = work / "marker"
    _repo_with_clean_filter(work, marker)
    ctx = _ctx(work, [], policy=AskForApproval.NEVER)
    _call(ctx, {"command": ["git", "-C", "vendor/lib", "status", "--short"]})
    assert marker.read_text(encoding="utf-8") == "ran\n"
