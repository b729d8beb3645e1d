"""Escape tests for patches (issue 12, findings 1 and 6), through the real CLI.

Finding 1: the agent read files for the model that its sandbox would refuse. A patch updating
``/proc/self/environ`` with a near-miss context line failed, and the "nearest lines" hint
quoted the agent's environment (the provider key) back to the model. Host-side witness: the
secret value is absent from every request body the scripted model server received, under
read-only, workspace-write and danger-full-access, for the path named directly and through
symlinks in the workspace (to ``/proc/self/environ`` and to ``$CODEX_HOME/auth.json``).

Finding 6: approved patches followed symlinks out of the workspace, and the request showed only
the lexical path. Driven through ``codex mcp`` (the front end whose client answers approvals):
the request names the real outside path and says it is outside the writable roots; a symlink
re-pointed while the question is open, or after an "approve for the session", writes nothing
outside (host-side witness: the outside directories are unchanged).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client.session import ClientRequestContext

from tests.e2e.harness import base_env, codex, function_outputs, write_config
from tests.mcp_server.harness import Wire, call, mcp_client
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

MODES = ("read-only", "workspace-write", "danger-full-access")
# pytest's tmp_path is under /tmp: keep it out of the writable roots, so "outside" is outside.
NO_TMP = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"


def _update(path: str, context: str) -> dict[str, str]:
    """A patch updating ``path`` whose context line nearly matches a line of it."""
    body = f"*** Update File: {path}\n@@\n {context}\n-gone\n+new\n"
    return {"input": f"*** Begin Patch\n{body}*** End Patch\n"}


def _bodies(server: ScriptedModelServer) -> str:
    return "\n".join(r.raw.decode("utf-8", "replace") for r in server.model_requests)


@pytest.mark.parametrize("mode", MODES)
def test_a_patch_never_quotes_what_the_sandbox_may_not_read(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, mode: str
) -> None:
    secret = "sk-escape-" + secrets.token_hex(12)
    auth_secret = "sk-auth-" + secrets.token_hex(12)
    (codex_home / "auth.json").write_text(f'{{"OPENAI_API_KEY": "{auth_secret}"}}\n')
    (repo / "env_link").symlink_to("/proc/self/environ")
    (repo / "auth_link").symlink_to(codex_home / "auth.json")
    write_config(codex_home, model_server.base_url)
    env = base_env(codex_home, MOCK_KEY=secret)
    # Near misses, one character off the secret, so the old "nearest lines" hint quoted the
    # real line. /proc/self/environ is one line (NUL-separated) that a model can guess closely.
    near_environ = "\0".join(f"{k}={v}" for k, v in env.items()).replace(secret, secret[:-1] + "x")
    calls = [
        ToolCall("apply_patch", _update("/proc/self/environ", near_environ), "p1"),
        ToolCall("apply_patch", _update("env_link", near_environ), "p2"),
        ToolCall(
            "apply_patch",
            _update("auth_link", f'{{"OPENAI_API_KEY": "{auth_secret[:-1]}x"}}'),
            "p3",
        ),
        ToolCall(
            "apply_patch",
            _update(str(codex_home / "auth.json"), f'{{"OPENAI_API_KEY": "{auth_secret[:-1]}x"}}'),
            "p4",
        ),
    ]
    model_server.push(Turn(tool_calls=calls), Turn(text="done"))
    res = codex(["exec", "-s", mode, "--json", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    body = model_server.model_requests[-1].body
    assert body is not None
    # Host-side witness first: neither secret reached the model, in any request (the near
    # misses the model itself sent end in "x", which no hex secret does).
    seen = _bodies(model_server)
    assert secret not in seen
    assert auth_secret not in seen
    outputs = function_outputs(body)
    assert len(outputs) == 4
    for output in outputs:  # each failed and said why
        assert output.startswith("error: "), output
        assert "refused" in output, output


def test_a_project_doc_symlink_never_quotes_what_the_sandbox_may_not_read(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path
) -> None:
    """AGENTS.md is repository content read for the model: a committed link to the agent's
    environment or into $CODEX_HOME is skipped (host-side witness: no secret in any body)."""
    secret = "sk-escape-" + secrets.token_hex(12)
    auth_secret = "sk-auth-" + secrets.token_hex(12)
    (codex_home / "auth.json").write_text(f'{{"OPENAI_API_KEY": "{auth_secret}"}}\n')
    (repo / "AGENTS.md").symlink_to("/proc/self/environ")
    (repo / "sub").mkdir()
    (repo / "sub" / "AGENTS.md").symlink_to(codex_home / "auth.json")
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="done"))
    res = codex(
        ["exec", "--json", "go"], cwd=repo / "sub", env=base_env(codex_home, MOCK_KEY=secret)
    )
    assert res.rc == 0, res.err
    seen = _bodies(model_server)
    assert secret not in seen
    assert auth_secret not in seen


# -- finding 6: approvals tell the truth --------------------------------------------------


def _add(path: str, text: str = "x") -> dict[str, str]:
    return {"input": f"*** Begin Patch\n*** Add File: {path}\n+{text}\n*** End Patch\n"}


def _run_mcp(
    env: dict[str, str],
    repo: Path,
    tmp_path: Path,
    prompt_args: dict[str, Any],
    on_ask: Any,
) -> tuple[types.CallToolResult, list[dict[str, Any]]]:
    """One ``codex`` tool call through ``codex mcp``; ``on_ask(n, codex_params)`` answers the
    n-th approval. Returns the result and the raw ``elicitation/create`` params (the
    ``codex_*`` fields the SDK's models drop)."""
    wire_box: list[Wire] = []

    async def elicit(context: ClientRequestContext, params: Any) -> types.ElicitResult:
        del context, params
        (wire,) = wire_box
        asked = [r["params"] for r in wire.requests("elicitation/create")]
        result: types.ElicitResult = on_ask(len(asked), asked[-1])
        return result

    async def main() -> types.CallToolResult:
        async with mcp_client(env, repo, stderr=tmp_path / "err", elicitation=elicit) as (
            session,
            wire,
            _,
        ):
            wire_box.append(wire)
            return await call(session, "codex", {"prompt": "go", **prompt_args})

    result = anyio.run(main)
    return result, [r["params"] for r in wire_box[0].requests("elicitation/create")]


def _reasons(asked: list[dict[str, Any]]) -> list[str]:
    return [str(a.get("codex_reason", "")) for a in asked]


def test_an_approval_names_the_real_path_outside_and_says_so(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "link").symlink_to(outside, target_is_directory=True)
    write_config(codex_home, model_server.base_url, top=NO_TMP)
    env = base_env(codex_home)
    model_server.push(
        Turn(tool_calls=[ToolCall("apply_patch", _add("link/x.txt"), "p1")]), Turn(text="done")
    )
    result, asked = _run_mcp(
        env,
        repo,
        tmp_path,
        {"approval-policy": "on-request", "sandbox": "workspace-write"},
        lambda n, fields: types.ElicitResult(action="decline"),
    )
    assert not result.is_error
    assert len(asked) == 1
    (reason,) = _reasons(asked)
    assert "outside the writable roots" in reason
    assert str(outside / "x.txt") in reason  # the real path, not only repo/link/x.txt
    # a person using a generic MCP client reads only the message: it says so too
    assert f"{outside / 'x.txt'}" in asked[0]["message"]
    assert "outside the writable roots" in asked[0]["message"]
    assert not (outside / "x.txt").exists()


def test_a_symlink_re_pointed_while_the_question_is_open_writes_nothing(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    link = repo / "link"
    link.symlink_to(first, target_is_directory=True)
    write_config(codex_home, model_server.base_url, top=NO_TMP)
    env = base_env(codex_home)
    model_server.push(
        Turn(tool_calls=[ToolCall("apply_patch", _add("link/x.txt"), "p1")]), Turn(text="done")
    )

    def swap_then_approve(n: int, fields: dict[str, Any]) -> types.ElicitResult:
        del n, fields
        link.unlink()  # what a sandboxed command (or anyone) might do meanwhile
        link.symlink_to(second, target_is_directory=True)
        return types.ElicitResult(action="accept")

    result, asked = _run_mcp(
        env,
        repo,
        tmp_path,
        {"approval-policy": "untrusted", "sandbox": "workspace-write"},
        swap_then_approve,
    )
    assert not result.is_error
    # Host-side witness: nothing written at the new target, nor at the approved one.
    assert list(second.iterdir()) == [] and list(first.iterdir()) == []
    assert len(asked) == 1 and str(first / "x.txt") in _reasons(asked)[0]
    body = model_server.model_requests[-1].body
    assert body is not None
    (output,) = function_outputs(body)
    assert "now resolves to" in output and "nothing was written" in output


def test_approved_for_the_session_does_not_cover_a_re_pointed_symlink(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    link = repo / "link"
    link.symlink_to(first, target_is_directory=True)
    write_config(codex_home, model_server.base_url, top=NO_TMP)
    env = base_env(codex_home)
    # The model re-points the link between two identical patches (the user approves the
    # command; a sandboxed command could do the same inside the workspace).
    repoint = ["bash", "-c", f"ln -sfn {second} link"]
    model_server.push(
        Turn(tool_calls=[ToolCall("apply_patch", _add("link/x.txt", "one"), "p1")]),
        Turn(tool_calls=[ToolCall("shell", {"command": repoint}, "c1")]),
        Turn(tool_calls=[ToolCall("apply_patch", _add("link/x.txt", "two"), "p2")]),
        Turn(text="done"),
    )

    def answer(n: int, fields: dict[str, Any]) -> types.ElicitResult:
        if fields.get("codex_elicitation") == "exec-approval":
            return types.ElicitResult(action="accept")
        if n == 1:  # the first patch: approved for the session
            return types.ElicitResult(action="accept", content={"decision": "approved_for_session"})
        return types.ElicitResult(action="decline")

    result, asked = _run_mcp(
        env,
        repo,
        tmp_path,
        {"approval-policy": "untrusted", "sandbox": "workspace-write"},
        answer,
    )
    assert not result.is_error
    assert link.resolve() == second.resolve()
    assert list(second.iterdir()) == []  # host-side witness: nothing written there
    assert (first / "x.txt").read_text() == "one\n"
    patch_asks = [a for a in asked if a.get("codex_elicitation") == "patch-approval"]
    assert len(patch_asks) == 2  # the re-pointed link was asked about again
    assert str(second / "x.txt") in str(patch_asks[1].get("codex_reason"))


def test_an_exec_request_says_when_its_workdir_resolves_outside(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "link").symlink_to(outside, target_is_directory=True)
    write_config(codex_home, model_server.base_url, top=NO_TMP)
    env = base_env(codex_home)
    touch = {"command": ["touch", "marker"], "workdir": "link"}
    model_server.push(Turn(tool_calls=[ToolCall("shell", touch, "c1")]), Turn(text="done"))
    result, asked = _run_mcp(
        env,
        repo,
        tmp_path,
        {"approval-policy": "untrusted", "sandbox": "workspace-write"},
        lambda n, fields: types.ElicitResult(action="decline"),
    )
    assert not result.is_error
    assert not (outside / "marker").exists()
    (reason,) = _reasons(asked)
    assert f"resolves to {outside.resolve()}, outside the writable roots" in reason
