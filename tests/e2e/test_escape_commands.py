"""Escape tests for the commands a model runs (issue 12, findings 2, 8 and 9), through the
real CLI and the scripted model server.

Finding 2: known-safe commands ran programs the repository chose, with no approval under
``untrusted`` (unsandboxed under danger-full-access). A directory committed as a bare
repository layout (``docs/HEAD``, ``docs/objects``, ``docs/refs``, ``docs/config`` with
``core.fsmonitor``) made ``git -C docs status`` and ``bash -lc "cd docs && git diff"`` run it;
a nested repository's hooks, pager and signature program did the same, and ``cargo check``
ran ``build.rs``. Driven through ``codex mcp`` (whose client answers approvals, here always
"no"). Host-side witnesses: the trap program's marker file does not exist, and the token it
prints is absent from every request body the model server received (under read-only the
sandbox stopped the marker, but the program still ran and its output reached the model).

Finding 8: secrets reached the command environment by default. A sandboxed ``env`` run by
the model: none of the secret values appears in any request body.

Finding 9: a model-chosen ``timeout_ms`` was unbounded. With ``max_tool_timeout_sec = 1``, a
call asking a day for ``sleep 600`` ends, and the model is told its timeout was clamped.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.client.session import ClientRequestContext

from tests.core.test_approvals_e2e import needs_sandbox
from tests.e2e.harness import base_env, codex, function_outputs, write_config
from tests.mcp_server.harness import Wire, call, mcp_client
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn


def _bodies(server: ScriptedModelServer) -> str:
    return "\n".join(r.raw.decode("utf-8", "replace") for r in server.model_requests)


def _last_outputs(server: ScriptedModelServer) -> list[str]:
    body = server.model_requests[-1].body
    assert body is not None
    return function_outputs(body)


# -- finding 2: known safe cannot run what the repository chose ---------------------------


def _trap(tmp_path: Path, token: str) -> tuple[Path, Path]:
    """A program that prints ``token`` and creates ``marker`` (both outside the repo)."""
    marker = tmp_path / "marker"
    program = tmp_path / "trap.sh"
    program.write_text(f"#!/bin/sh\necho {token} >&2\ntouch {marker}\ncat\n")
    program.chmod(0o755)
    return program, marker


def _bare_layout(repo: Path, program: Path) -> None:
    docs = repo / "docs"
    (docs / "objects").mkdir(parents=True)
    (docs / "refs").mkdir()
    (docs / "HEAD").write_text("ref: refs/heads/main\n")
    (docs / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ..\n"
        f"\tfsmonitor = {program}\n"
    )


def _nested_repo(repo: Path, program: Path) -> None:
    """vendor/lib: a repository (as an archive could bring) whose config names ``program``
    for hooks, fsmonitor, pager and signature checks, with a signed commit to check."""
    lib = repo / "vendor" / "lib"
    lib.mkdir(parents=True)

    def git(*args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            ["git", *args], cwd=lib, input=stdin, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    git("init", "-q")
    git("config", "user.email", "a@b")
    git("config", "user.name", "a")
    (lib / "f").write_text("a\n")
    git("add", "f")
    git("commit", "-qm", "1")
    signed = (
        f"tree {git('rev-parse', 'HEAD^{tree}')}\nparent {git('rev-parse', 'HEAD')}\n"
        "author a <a@b> 1 +0000\ncommitter a <a@b> 1 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\ns\n"
    )
    git("update-ref", "HEAD", git("hash-object", "-t", "commit", "-w", "--stdin", stdin=signed))
    hooks = lib / ".git" / "trap-hooks"
    hooks.mkdir()
    (hooks / "post-index-change").write_text(program.read_text())
    (hooks / "post-index-change").chmod(0o755)
    for key, value in {
        "core.fsmonitor": str(program),
        "core.hooksPath": str(hooks),
        "core.pager": str(program),
        "gpg.program": str(program),
        "log.showSignature": "true",
    }.items():
        git("config", key, value)
    (lib / "f").write_text("b\n")


def _crate(repo: Path, marker: Path) -> None:
    crate = repo / "crate"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n'
    )
    (crate / "src" / "lib.rs").write_text("")
    (crate / "build.rs").write_text(f'fn main() {{ std::fs::write("{marker}", "x").unwrap(); }}\n')


SAFE_LOOKING = [
    ["git", "-C", "docs", "status"],
    ["bash", "-lc", "cd docs && git diff"],
    ["git", "-C", "vendor/lib", "status"],
    ["git", "-C", "vendor/lib", "log", "-1", "--format=%H %G?"],
    ["bash", "-lc", "cd vendor/lib && git show"],
]
CARGO = ["bash", "-lc", "cd crate && cargo check"]


def _run_untrusted(
    env: dict[str, str], repo: Path, tmp_path: Path, sandbox: str
) -> tuple[types.CallToolResult, list[dict[str, Any]]]:
    """One ``codex`` tool call through ``codex mcp`` under untrusted; every approval is
    declined. Returns the result and the raw ``elicitation/create`` params."""
    wire_box: list[Wire] = []

    async def decline(context: ClientRequestContext, params: Any) -> types.ElicitResult:
        del context, params
        return types.ElicitResult(action="decline")

    async def main() -> types.CallToolResult:
        async with mcp_client(env, repo, stderr=tmp_path / "err", elicitation=decline) as (
            session,
            wire,
            _,
        ):
            wire_box.append(wire)
            args = {"prompt": "go", "approval-policy": "untrusted", "sandbox": sandbox}
            return await call(session, "codex", args)

    result = anyio.run(main)
    return result, [r["params"] for r in wire_box[0].requests("elicitation/create")]


@needs_sandbox
@pytest.mark.parametrize("sandbox", ["read-only", "danger-full-access"])
def test_known_safe_commands_run_no_repository_program(
    model_server: ScriptedModelServer,
    codex_home: Path,
    repo: Path,
    tmp_path: Path,
    sandbox: str,
) -> None:
    token = "TRAP-RAN-" + secrets.token_hex(8)
    program, marker = _trap(tmp_path, token)
    _bare_layout(repo, program)
    _nested_repo(repo, program)
    _crate(repo, marker)
    write_config(codex_home, model_server.base_url)
    env = base_env(codex_home)
    calls = [
        ToolCall("shell", {"command": argv}, f"c{i}")
        for i, argv in enumerate([*SAFE_LOOKING, CARGO])
    ]
    model_server.push(Turn(tool_calls=calls), Turn(text="done"))
    result, asked = _run_untrusted(env, repo, tmp_path, sandbox)
    assert not result.is_error
    # Host-side witnesses: the trap neither wrote its marker nor printed to the model.
    assert not marker.exists()
    assert token not in _bodies(model_server)
    # The git commands ran without a question (they are known safe, made safe to run) and
    # cargo check was asked about (it runs build.rs), and declined.
    asked_commands = [a.get("codex_command") for a in asked]
    assert asked_commands == [CARGO]
    outputs = _last_outputs(model_server)
    assert len(outputs) == len(calls)
    assert "modified:   f" in json.loads(outputs[2])["output"]  # vendor/lib status did run
    assert outputs[-1] == "exec command rejected by user"


# -- finding 8: secrets stay out of the command environment -------------------------------


@needs_sandbox
@pytest.mark.parametrize("sandbox", ["read-only", "danger-full-access"])
def test_env_run_by_the_model_shows_no_secret(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, sandbox: str
) -> None:
    hexes = {name: secrets.token_hex(10) for name in ("key", "proxy", "db", "pw", "cred")}
    secret_env = {
        "MOCKROUTER": f"sk-router-{hexes['key']}",  # the provider's env_key: no KEY in its name
        "HTTPS_PROXY": f"http://proxyuser:pp-{hexes['proxy']}@proxy.invalid:8080",
        "NO_PROXY": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://dbuser:db-{hexes['db']}@db.invalid/app",
        "APP_DB_PASSWORD": f"pw-{hexes['pw']}",
        "CLOUD_CREDENTIALS": f"cred-{hexes['cred']}",
    }
    write_config(codex_home, model_server.base_url, env_key="MOCKROUTER")
    env = base_env(codex_home, **secret_env)
    model_server.push(
        Turn(tool_calls=[ToolCall("shell", {"command": ["env"]}, "c1")]), Turn(text="done")
    )
    res = codex(["exec", "-s", sandbox, "--json", "go"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert model_server.model_requests[0].headers["authorization"].endswith(hexes["key"])
    # Host-side witness: no secret value in any request body.
    seen = _bodies(model_server)
    for value in hexes.values():
        assert value not in seen
    (output,) = _last_outputs(model_server)
    shown = json.loads(output)["output"]
    # env did run and its output reached the model, with the harmless parts kept
    assert "HTTPS_PROXY=http://proxy.invalid:8080\n" in shown
    assert "DATABASE_URL=postgres://db.invalid/app\n" in shown
    assert "MOCKROUTER" not in shown and "APP_DB_PASSWORD" not in shown


# -- finding 9: the model cannot hang a run --------------------------------------------------


def test_a_day_long_timeout_is_clamped_and_the_model_is_told(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path
) -> None:
    write_config(codex_home, model_server.base_url, top="max_tool_timeout_sec = 1")
    sleep = {"command": ["sleep", "600"], "timeout_ms": 86_400_000}
    model_server.push(Turn(tool_calls=[ToolCall("shell", sleep, "c1")]), Turn(text="done"))
    res = codex(
        ["exec", "-s", "danger-full-access", "--json", "go"], cwd=repo, env=base_env(codex_home)
    )
    assert res.rc == 0, res.err
    (output,) = _last_outputs(model_server)
    text = json.loads(output)["output"]
    assert "command timed out after 1000 ms and was killed" in text
    assert "requested timeout of 86400000 ms exceeds the maximum of 1000 ms" in text
