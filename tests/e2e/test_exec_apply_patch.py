"""apply_patch end to end: the real `codex exec` against the scripted model server.

The model edits a git work tree through ``shell`` (bash heredoc) and through the
``apply_patch`` function tool; the tests check the files on disk, the JSONL ``file_change``
items (schema-validated by the harness), the human transcript, and the
``function_call_output`` the server received in the next request.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import codex, function_outputs, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

HEREDOC_PATCH = (
    "*** Begin Patch\n"
    "*** Update File: src/app.py\n"
    "@@ def greet(name):\n"
    '-    return "hi " + name\n'
    '+    return f"Hello, {name}!"\n'
    "*** Add File: docs/NOTES.md\n"
    "+greeting changed\n"
    "*** End Patch\n"
)
TOOL_PATCH = (
    "*** Begin Patch\n"
    "*** Update File: docs/NOTES.md\n"
    "*** Move to: docs/CHANGES.md\n"
    "@@\n"
    " greeting changed\n"
    "+and the notes were renamed\n"
    "*** Delete File: old.txt\n"
    "*** End Patch\n"
)
APP = 'def greet(name):\n    return "hi " + name\n'


def _seed(repo: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "app.py").write_text(APP)
    (repo / "old.txt").write_text("obsolete\n")


def _script(server: ScriptedModelServer) -> None:
    heredoc = f"apply_patch <<'EOF'\n{HEREDOC_PATCH}EOF\n"
    server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["bash", "-lc", heredoc]}, "p1")]),
        Turn(tool_calls=[ToolCall("apply_patch", {"input": TOOL_PATCH}, "p2")]),
        Turn(text="edited"),
    )


def test_exec_json_applies_patches_from_shell_and_from_the_tool(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    _seed(repo)
    _script(model_server)
    res = codex(["exec", "-s", "workspace-write", "--json", "edit"], cwd=repo, env=env)
    assert res.rc == 0, res.err

    assert (repo / "src" / "app.py").read_text() == (
        'def greet(name):\n    return f"Hello, {name}!"\n'
    )
    assert (repo / "docs" / "CHANGES.md").read_text() == (
        "greeting changed\nand the notes were renamed\n"
    )
    assert not (repo / "docs" / "NOTES.md").exists() and not (repo / "old.txt").exists()

    # The tool is offered, and each output reached the model in the next request.
    reqs = model_server.model_requests
    assert len(reqs) == 3
    first, second, third = (r.body for r in reqs)
    assert first is not None and second is not None and third is not None
    assert [t["name"] for t in first["tools"]] == ["shell", "update_plan", "apply_patch"]
    out1 = json.loads(function_outputs(second)[-1])
    assert out1["output"] == (
        "Success. Updated the following files:\nA docs/NOTES.md\nM src/app.py\n"
    )
    assert out1["metadata"]["exit_code"] == 0
    out2 = json.loads(function_outputs(third)[-1])
    assert out2["output"] == (
        "Success. Updated the following files:\nM docs/CHANGES.md\nD old.txt\n"
    )

    started = [e["item"] for e in res.events if e["type"] == "item.started"]
    assert [i["type"] for i in started] == ["file_change", "file_change"]
    assert all(i["status"] == "in_progress" for i in started)
    changes = res.items("file_change")
    assert [c["status"] for c in changes] == ["completed", "completed"]
    assert changes[0]["id"] == started[0]["id"] and changes[1]["id"] == started[1]["id"]
    assert sorted(map(tuple, (c.values() for c in changes[0]["changes"]))) == [
        (str(repo / "docs" / "NOTES.md"), "add"),
        (str(repo / "src" / "app.py"), "update"),
    ]
    assert sorted(map(tuple, (c.values() for c in changes[1]["changes"]))) == [
        (str(repo / "docs" / "NOTES.md"), "update"),
        (str(repo / "old.txt"), "delete"),
    ]
    assert not res.items("command_execution")  # nothing was spawned for the heredoc
    assert res.items("agent_message")[-1]["text"] == "edited"


def test_exec_human_transcript_shows_patches_and_the_turn_diff(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    _seed(repo)
    _script(model_server)
    res = codex(["exec", "-s", "workspace-write", "--color", "never", "edit"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    out = res.out
    assert "apply_patch auto_approved=true:\nM " + str(repo / "src" / "app.py") in out
    assert '+    return f"Hello, {name}!"\n' in out
    assert "apply_patch exited 0 in " in out
    last_diff = out[out.rindex("turn diff:\n") :]
    assert "diff --git a/src/app.py b/src/app.py\n" in last_diff
    assert "diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n" in last_diff
    assert "diff --git a/docs/CHANGES.md b/docs/CHANGES.md\nnew file mode 100644\n" in last_diff
    assert "NOTES.md" not in last_diff  # added then moved within the turn: only the result
    assert "\x1b[" not in out


def test_exec_failed_patch_changes_nothing_and_the_model_sees_why(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url)
    _seed(repo)
    bad = (
        "*** Begin Patch\n"
        "*** Add File: new.txt\n+new\n"
        "*** Delete File: old.txt\n"
        "*** Update File: src/app.py\n@@\n-    return 'hi ' + name\n+    return name\n"
        "*** End Patch\n"
    )
    model_server.push(
        Turn(tool_calls=[ToolCall("apply_patch", {"input": bad}, "bad")]),
        Turn(text="could not"),
    )
    res = codex(["exec", "-s", "workspace-write", "--json", "edit"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert (repo / "src" / "app.py").read_text() == APP
    assert (repo / "old.txt").read_text() == "obsolete\n"
    assert not (repo / "new.txt").exists()
    second = model_server.model_requests[1].body
    assert second is not None
    (output,) = function_outputs(second)
    assert output.startswith("error: ") and "src/app.py" in output
    assert 'return "hi " + name' in output  # the nearest actual line
    assert "No files were changed" in output
    (failed,) = res.items("file_change")  # never applied, but shown with the reason
    assert failed["status"] == "failed" and failed["changes"] == []
    assert failed["error"]["message"] == output


def test_exec_chat_wire_apply_patch_tool(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    write_config(codex_home, model_server.base_url, wire="chat")
    _seed(repo)
    model_server.push(
        Turn(tool_calls=[ToolCall("apply_patch", {"input": HEREDOC_PATCH}, "p1")]),
        Turn(text="done"),
    )
    res = codex(["exec", "-s", "workspace-write", "--json", "edit"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert (repo / "docs" / "NOTES.md").read_text() == "greeting changed\n"
    first, second = (r.body for r in model_server.model_requests)
    assert first is not None and second is not None
    offered = [t["function"]["name"] for t in first["tools"]]
    assert offered == ["shell", "update_plan", "apply_patch"]
    (tool_message,) = [m for m in second["messages"] if m.get("role") == "tool"]
    assert tool_message["tool_call_id"] == "p1"
    assert json.loads(tool_message["content"])["output"].startswith("Success.")
    assert [c["status"] for c in res.items("file_change")] == ["completed"]
