"""A patch that is never applied is shown, not only told to the model (issue 14, bug 3).

The real `codex exec` against the scripted model server: a patch whose context is not in the
file, and a patch under the read-only sandbox (exec's default). The human transcript has a
``patch failed:`` / ``patch rejected:`` cell with the reason before the model's final answer;
``--json`` has a failed ``file_change`` item carrying the reason (schema-validated by the
harness). A read-only rejection says the sandbox is read-only, not that the file is outside
the project.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import ExecResult, codex, function_outputs, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

APP = 'def greet(name):\n    return "hi " + name\n'
BAD_PATCH = (
    "*** Begin Patch\n"
    "*** Update File: src/app.py\n"
    "@@\n"
    "-    return 'bonjour ' + name\n"
    "+    return name\n"
    "*** End Patch\n"
)
ADD_PATCH = "*** Begin Patch\n*** Add File: notes.txt\n+hello\n*** End Patch\n"


def _run(
    server: ScriptedModelServer,
    home: Path,
    repo: Path,
    env: dict[str, str],
    patch: str,
    *flags: str,
) -> ExecResult:
    write_config(home, server.base_url)
    (repo / "src").mkdir(exist_ok=True)
    (repo / "src" / "app.py").write_text(APP)
    server.push(
        Turn(tool_calls=[ToolCall("apply_patch", {"input": patch}, "p1")]),
        Turn(text="All done: the file is updated."),
    )
    return codex(["exec", *flags, "edit it"], cwd=repo, env=env)


def _model_saw(server: ScriptedModelServer) -> str:
    body = server.model_requests[-1].body
    assert body is not None
    (output,) = function_outputs(body)
    return output


def test_human_output_shows_a_patch_that_failed_before_the_answer(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    res = _run(
        model_server, codex_home, repo, env, BAD_PATCH, "-s", "workspace-write", "--color", "never"
    )
    assert res.rc == 0, res.err
    told = _model_saw(model_server)
    assert told.startswith("error: ") and "src/app.py" in told
    lines = res.out.splitlines()
    (title,) = [i for i, line in enumerate(lines) if line.endswith("] patch failed:")]
    assert lines[title + 1] == told.splitlines()[0]  # the reason the model was given
    answer = next(i for i, line in enumerate(lines) if line.endswith("] codex"))
    assert title < answer  # seen before the (wrong) claim of success
    assert (repo / "src" / "app.py").read_text() == APP


def test_json_output_has_a_failed_file_change_with_the_reason(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    res = _run(model_server, codex_home, repo, env, BAD_PATCH, "-s", "workspace-write", "--json")
    assert res.rc == 0, res.err
    (change,) = res.items("file_change")
    assert change["status"] == "failed"
    assert change["error"]["message"] == _model_saw(model_server)
    kinds = [(e["type"], e.get("item", {}).get("type")) for e in res.events]
    assert kinds.index(("item.completed", "file_change")) < kinds.index(
        ("item.completed", "agent_message")
    )


def test_read_only_rejection_is_shown_and_says_read_only(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    res = _run(model_server, codex_home, repo, env, ADD_PATCH, "--color", "never")
    assert res.rc == 0, res.err
    told = _model_saw(model_server)
    assert told.startswith("patch rejected: ") and "read-only" in told
    assert "outside" not in told  # notes.txt is inside the project
    lines = res.out.splitlines()
    (title,) = [i for i, line in enumerate(lines) if line.endswith("] patch rejected:")]
    assert lines[title + 1] == told
    assert not (repo / "notes.txt").exists()


def test_read_only_rejection_in_json(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    res = _run(model_server, codex_home, repo, env, ADD_PATCH, "--json")
    assert res.rc == 0, res.err
    (change,) = res.items("file_change")
    assert change["status"] == "failed"
    message = change["error"]["message"]
    assert message == _model_saw(model_server)
    assert message.startswith("patch rejected: ") and "read-only" in message
