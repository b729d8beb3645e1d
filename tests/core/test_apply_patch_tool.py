"""apply_patch through the real Codex handle: every invocation form edits real files.

A scripted model sends the patch; the tests check the files in ``tmp_path``, the output the
model got in the next request, the events in order and the turn diff.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from pycodex.apply_patch import parse_patch, plan_patch
from pycodex.core.approvals import ApprovalBroker
from pycodex.core.tools.apply_patch import PatchVerdict, write_patch
from pycodex.core.tools.context import ToolContext
from pycodex.core.tools.specs import default_tools
from pycodex.models.base import Completed, Created, FunctionTool, OutputItemDone
from pycodex.models.scripted import Step, function_call, reply, shell_call, usage
from pycodex.protocol.events import (
    EventMsg,
    FileChange,
    PatchApplyBegin,
    PatchApplyEnd,
    TurnDiff,
    file_changes_to_codex_json,
    msg_to_json,
)
from pycodex.protocol.items import LocalShellCallItem
from pycodex.protocol.policy import AskForApproval, SandboxMode
from pycodex.sandbox.policy import SandboxPolicy
from tests.core.harness import ENV, kinds, make_config, outputs, run, start, turn
from tests.core.test_approvals_e2e import needs_sandbox

PATCH = (
    "*** Begin Patch\n"
    "*** Update File: app.py\n"
    "@@ def greet():\n"
    "-    return 'hi'\n"
    "+    return 'hello'\n"
    "*** Add File: notes/new.txt\n"
    "+fresh\n"
    "*** End Patch\n"
)
APP = "def greet():\n    return 'hi'\n"
APP_AFTER = "def greet():\n    return 'hello'\n"
SUCCESS = "Success. Updated the following files:\nA notes/new.txt\nM app.py\n"


def _work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return work


def _local_shell(command: list[str], call_id: str, workdir: str | None = None) -> Step:
    item = LocalShellCallItem(call_id=call_id, command=tuple(command), workdir=workdir)
    return Step((Created("r"), OutputItemDone(item), Completed("r", usage())))


def _drive(tmp_path: Path, steps: list[Step]) -> tuple[list[EventMsg], Any]:
    async def scenario() -> tuple[list[EventMsg], Any]:
        codex, model = await start(make_config(tmp_path), [*steps, reply("done")])
        msgs = await turn(codex, "edit the files")
        return msgs, model

    return run(scenario)


FORMS: dict[str, Any] = {
    "function_tool": lambda cid: function_call("apply_patch", {"input": PATCH}, call_id=cid),
    "function_tool_bare": lambda cid: function_call("apply_patch", PATCH, call_id=cid),
    "argv": lambda cid: shell_call(["apply_patch", PATCH], call_id=cid),
    "argv_applypatch": lambda cid: shell_call(["applypatch", PATCH], call_id=cid),
    "argv_lenient_heredoc": lambda cid: shell_call(
        ["apply_patch", f"<<'EOF'\n{PATCH}EOF\n"], call_id=cid
    ),
    "bash_heredoc": lambda cid: shell_call(
        ["bash", "-lc", f"apply_patch <<'EOF'\n{PATCH}EOF\n"], call_id=cid
    ),
    "local_shell": lambda cid: _local_shell(["apply_patch", PATCH], cid),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_applies_the_patch(tmp_path: Path, form: str) -> None:
    work = _work(tmp_path)
    (work / "app.py").write_text(APP)
    msgs, model = _drive(tmp_path, [FORMS[form]("p1")])

    assert (work / "app.py").read_text() == APP_AFTER
    assert (work / "notes" / "new.txt").read_text() == "fresh\n"
    output = json.loads(outputs(model.prompts[1])["p1"])
    assert output["output"] == SUCCESS
    assert output["metadata"]["exit_code"] == 0
    assert isinstance(output["metadata"]["duration_seconds"], float)
    assert kinds(msgs) == [
        "task_started",
        "token_count",
        "patch_apply_begin",
        "patch_apply_end",
        "turn_diff",
        "agent_message",
        "token_count",
        "task_complete",
    ]
    begin = next(m for m in msgs if isinstance(m, PatchApplyBegin))
    assert begin.call_id == "p1" and begin.auto_approved is True
    assert begin.changes == {
        str(work / "app.py"): FileChange(
            "update",
            unified_diff="@@ -1,2 +1,2 @@\n def greet():\n-    return 'hi'\n+    return 'hello'\n",
        ),
        str(work / "notes" / "new.txt"): FileChange("add", content="fresh\n"),
    }
    end = next(m for m in msgs if isinstance(m, PatchApplyEnd))
    assert (end.call_id, end.stdout, end.stderr, end.success) == ("p1", SUCCESS, "", True)


@pytest.mark.parametrize(
    "step",
    [
        lambda: shell_call(["apply_patch", PATCH], workdir="sub", call_id="p1"),
        lambda: shell_call(
            ["bash", "-lc", f"cd sub && apply_patch <<'EOF'\n{PATCH}EOF\n"], call_id="p1"
        ),
        lambda: _local_shell(["apply_patch", PATCH], "p1", workdir="sub"),
    ],
    ids=["shell_workdir", "cd_in_script", "local_shell_workdir"],
)
def test_paths_resolve_against_the_call_workdir(tmp_path: Path, step: Any) -> None:
    sub = _work(tmp_path) / "sub"
    sub.mkdir()
    (sub / "app.py").write_text(APP)
    _, model = _drive(tmp_path, [step()])
    assert json.loads(outputs(model.prompts[1])["p1"])["output"] == SUCCESS
    assert (sub / "app.py").read_text() == APP_AFTER
    assert (sub / "notes" / "new.txt").is_file()
    assert not (tmp_path / "work" / "notes").exists()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_failing_multi_file_patch_changes_nothing_and_shows_nearest_lines(
    tmp_path: Path,
) -> None:
    work = _work(tmp_path)
    (work / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    (work / "b.py").write_text("def f():\n    return compute(1)\n")
    (work / "gone.txt").write_text("bye\n")
    before = _snapshot(work)
    bad = (
        "*** Begin Patch\n"
        "*** Update File: a.txt\n-one\n+ONE\n"
        "*** Add File: c.txt\n+c\n"
        "*** Delete File: gone.txt\n"
        "*** Update File: b.py\n@@ def f():\n-    return compute(2)\n+    return 0\n"
        "*** End Patch\n"
    )
    msgs, model = _drive(tmp_path, [shell_call(["apply_patch", bad], call_id="bad")])

    assert _snapshot(work) == before
    text = outputs(model.prompts[1])["bad"]
    assert text.startswith("error: ")
    assert "b.py" in text and "return compute(1)" in text  # the nearest actual line
    assert "No files were changed" in text
    # Nothing was applied: no begin, no turn diff, no command; one failed end says why.
    assert kinds(msgs) == [
        "task_started",
        "token_count",
        "patch_apply_end",
        "agent_message",
        "token_count",
        "task_complete",
    ]
    (end,) = [m for m in msgs if isinstance(m, PatchApplyEnd)]
    assert (end.success, end.stdout, end.stderr) == (False, "", text)


def test_bad_envelope_and_bad_arguments_reach_the_model(tmp_path: Path) -> None:
    steps = [
        shell_call(["apply_patch", "just some text"], call_id="env"),
        function_call("apply_patch", "{not json", call_id="json"),
        function_call("apply_patch", {"input": "*** Begin Patch\n*** End Patch\n"}, call_id="e"),
    ]
    _, model = _drive(tmp_path, steps)
    got = outputs(model.prompts[-1])
    assert got["env"].startswith("error: invalid patch")
    assert got["json"].startswith("error: invalid patch: apply_patch arguments must be JSON")
    assert got["e"].startswith("error: ")
    assert not any((tmp_path / "work").iterdir())


def test_turn_diff_is_cumulative_over_the_turn_and_follows_moves(tmp_path: Path) -> None:
    work = _work(tmp_path)
    (work / ".git").mkdir()  # the git root: diff paths are relative to it
    (work / "pkg").mkdir()
    (work / "pkg" / "old.py").write_text("a = 1\nb = 2\n")
    (work / "doomed.txt").write_text("x\n")
    first = (
        "*** Begin Patch\n*** Update File: old.py\n*** Move to: new.py\n@@\n-a = 1\n+a = 10\n"
        "*** Delete File: ../doomed.txt\n*** End Patch\n"
    )
    second = "*** Begin Patch\n*** Update File: new.py\n@@\n-b = 2\n+b = 20\n*** End Patch\n"
    msgs, _ = _drive(
        tmp_path,
        [
            shell_call(["apply_patch", first], workdir="pkg", call_id="m1"),
            function_call("apply_patch", {"input": second.replace("new.py", "pkg/new.py")}),
        ],
    )
    diffs = [m.unified_diff for m in msgs if isinstance(m, TurnDiff)]
    assert len(diffs) == 2
    assert diffs[1] == (
        "diff --git a/doomed.txt b/doomed.txt\n"
        "deleted file mode 100644\n"
        "index 587be6b..0000000\n"
        "--- a/doomed.txt\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-x\n"
        "diff --git a/pkg/old.py b/pkg/new.py\n"
        "rename from pkg/old.py\n"
        "rename to pkg/new.py\n"
        "index 223ca50..6550cd1 100644\n"
        "--- a/pkg/old.py\n"
        "+++ b/pkg/new.py\n"
        "@@ -1,2 +1,2 @@\n"
        "-a = 1\n"
        "-b = 2\n"
        "+a = 10\n"
        "+b = 20\n"
    )
    assert "b = 20" not in diffs[0] and "+a = 10\n" in diffs[0]


def test_turn_diff_baseline_is_per_turn(tmp_path: Path) -> None:
    work = _work(tmp_path)
    (work / "f.txt").write_text("v1\n")

    def bump(old: str, new: str) -> Step:
        patch = f"*** Begin Patch\n*** Update File: f.txt\n-{old}\n+{new}\n*** End Patch\n"
        return function_call("apply_patch", {"input": patch})

    async def scenario() -> tuple[list[EventMsg], list[EventMsg]]:
        codex, _ = await start(
            make_config(tmp_path), [bump("v1", "v2"), reply("one"), bump("v2", "v3"), reply("two")]
        )
        return await turn(codex, "first"), await turn(codex, "second")

    first, second = run(scenario)
    (diff1,) = [m.unified_diff for m in first if isinstance(m, TurnDiff)]
    (diff2,) = [m.unified_diff for m in second if isinstance(m, TurnDiff)]
    assert "-v1\n+v2\n" in diff1
    assert "-v2\n+v3\n" in diff2 and "v1" not in diff2


def test_apply_patch_is_offered_to_every_model() -> None:
    for policy in AskForApproval:
        names = [t.name for t in default_tools(policy)]
        assert names == ["shell", "update_plan", "apply_patch"]
    tool = default_tools(AskForApproval.NEVER)[2]
    assert isinstance(tool, FunctionTool)
    assert tool.parameters["required"] == ["input"]
    assert "*** Begin Patch" in tool.description


def test_commands_that_only_mention_apply_patch_still_run(tmp_path: Path) -> None:
    work = _work(tmp_path)
    msgs, _ = _drive(
        tmp_path,
        [
            shell_call(["bash", "-lc", "echo apply_patch > said.txt"], call_id="c1"),
            shell_call(["bash", "-lc", "cat <<'EOF' > here.txt\n*** Begin Patch\nEOF"]),
        ],
    )
    assert (work / "said.txt").read_text() == "apply_patch\n"
    assert (work / "here.txt").read_text() == "*** Begin Patch\n"
    assert kinds(msgs).count("exec_command_begin") == 2
    assert "patch_apply_begin" not in kinds(msgs)


def test_changes_in_codex_wire_shape() -> None:
    changes = {
        "/w/a.txt": FileChange("add", content="hi\n"),
        "/w/b.txt": FileChange("delete"),
        "/w/c.txt": FileChange("update", unified_diff="@@ -1 +1 @@\n-x\n+y\n"),
        "/w/d.txt": FileChange("update", unified_diff="", move_path="/w/e.txt"),
    }
    assert file_changes_to_codex_json(changes) == {
        "/w/a.txt": {"add": {"content": "hi\n"}},
        "/w/b.txt": "delete",
        "/w/c.txt": {"update": {"unified_diff": "@@ -1 +1 @@\n-x\n+y\n", "move_path": None}},
        "/w/d.txt": {"update": {"unified_diff": "", "move_path": "/w/e.txt"}},
    }
    # The default event JSON keeps its flat form.
    flat = msg_to_json(PatchApplyBegin("c", True, {"/w/b.txt": FileChange("delete")}))
    assert flat["changes"] == {
        "/w/b.txt": {"kind": "delete", "content": None, "unified_diff": None, "move_path": None}
    }


# ------------------------------------------- the sandboxed writer reads under the rule too


@needs_sandbox
def test_the_sandboxed_writer_child_refuses_what_the_agent_refuses(tmp_path: Path) -> None:
    """The child re-plans inside the sandbox and its text goes to the model: a file swapped
    for a link to the child's own /proc/self/environ after the parent planned is refused
    there too, and the child's environment (a secret in it) is not quoted."""
    work = _work(tmp_path)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    secret = "sk-child-" + "0123456789abcdef"
    env = {**ENV, "CHILD_SECRET": secret}
    (work / "a.txt").write_text("x\n")
    near = "\0".join(f"{k}={v}" for k, v in env.items()).replace(secret, secret[:-1] + "x")
    text = f"*** Begin Patch\n*** Update File: a.txt\n@@\n {near}\n-x\n+y\n*** End Patch\n"
    policy = SandboxPolicy(mode=SandboxMode.WORKSPACE_WRITE, workspace=work, codex_home=home)
    ctx = ToolContext(
        cwd=work,
        env=env,
        sandbox=policy,
        approval_policy=AskForApproval.NEVER,
        approvals=ApprovalBroker(),
        emit=lambda msg: None,
        set_plan=lambda plan: None,
    )
    planned = plan_patch(
        parse_patch("*** Begin Patch\n*** Update File: a.txt\n-x\n+y\n*** End Patch\n"), work
    )
    (work / "a.txt").unlink()
    (work / "a.txt").symlink_to("/proc/self/environ")
    verdict = PatchVerdict(approved=True, auto_approved=True, sandboxed=True)
    result = asyncio.run(write_patch(ctx, planned, text, verdict))
    assert not result.success
    assert "refused" in result.output, result.output
    assert secret not in result.output
    assert (work / "a.txt").is_symlink()


def test_a_refused_path_reaches_the_model_as_a_plain_error(tmp_path: Path) -> None:
    """Through the real handle under danger-full-access: /proc/self/environ, and a link to
    it in the workspace, are refused before anything is read."""
    (_work(tmp_path) / "env").symlink_to("/proc/self/environ")
    steps = [
        function_call(
            "apply_patch",
            {"input": f"*** Begin Patch\n*** Update File: {name}\n@@\n PATH=\n-x\n*** End Patch\n"},
            call_id=name,
        )
        for name in ("/proc/self/environ", "env")
    ]
    msgs, model = _drive(tmp_path, steps)
    seen = outputs(model.prompts[-1])
    for name in ("/proc/self/environ", "env"):
        assert seen[name].startswith(f"error: Failed to read {name} "), seen[name]
        assert "refused" in seen[name] and "PATH=/" not in seen[name]
    assert "patch_apply_begin" not in kinds(msgs)
