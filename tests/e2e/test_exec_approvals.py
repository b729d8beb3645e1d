"""The approval policy through the real `codex exec` (always ``never``): nothing is asked,
the sandbox decides, and the model is told (reference §5.1 ``never`` row, §6).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycodex.core.approval_policy import PATCH_READ_ONLY_REJECTED
from tests.core.test_approvals_e2e import needs_sandbox
from tests.e2e.harness import codex, function_outputs, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

PATCH = "*** Begin Patch\n*** Add File: added.txt\n+added\n*** End Patch\n"


def _script(server: ScriptedModelServer) -> None:
    server.push(
        Turn(
            tool_calls=[
                ToolCall("shell", {"command": ["touch", "marker"]}, "c1"),
                ToolCall("shell", {"command": ["grep", "NoNewPrivs:", "/proc/self/status"]}, "c2"),
                ToolCall("apply_patch", {"input": PATCH}, "p1"),
            ]
        ),
        Turn(text="done"),
    )


def _outputs(server: ScriptedModelServer) -> list[str]:
    body = server.model_requests[-1].body
    assert body is not None
    return function_outputs(body)


@needs_sandbox
@pytest.mark.parametrize(
    "mode",
    [
        (("-s", "read-only"), False),  # exec's default sandbox: nothing may be written
        (("--full-auto",), True),  # = workspace-write under never
    ],
)
def test_exec_never_asks_and_the_sandbox_decides(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    env: dict[str, str],
    mode: tuple[tuple[str, ...], bool],
) -> None:
    flags, writes = mode
    write_config(codex_home, model_server.base_url)
    _script(model_server)
    res = codex(["exec", *flags, "--json", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert "approval" not in res.out  # no question was ever emitted
    touched, safe, patched = _outputs(model_server)
    assert (json.loads(touched)["metadata"]["exit_code"] == 0) is writes
    assert (repo / "marker").exists() is writes
    assert "NoNewPrivs:\t1" in json.loads(safe)["output"]  # known-safe, still sandboxed
    if writes:
        assert json.loads(patched)["output"].startswith("Success.")
        assert (repo / "added.txt").read_text() == "added\n"
    else:  # read-only: no writable root, and never rejects without asking
        assert patched == PATCH_READ_ONLY_REJECTED
        assert not (repo / "added.txt").exists()


def test_exec_header_says_approval_never(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url, top='approval_policy = "untrusted"')
    model_server.push(Turn(text="hi"))
    res = codex(["exec", "--color", "never", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert "approval: never\n" in res.out
