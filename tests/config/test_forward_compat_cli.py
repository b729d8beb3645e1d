"""Issue 13, findings 1 and 7, through the real `codex exec` and the scripted model server.

A current Codex user's config.toml (newer effort level, newer tables) must start; the newer
value reaches the model as written; a bad value that a flag or ``-c`` overrides is only a
warning; an unknown key in a security table still stops the run before any request; and
"did you mean" is not offered for keys that merely look alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import codex, write_config
from tests.support.model_server import ScriptedModelServer, Turn

NEWER = (
    'model_reasoning_effort = "xhigh"\n'
    "model_supports_reasoning_summaries = true\n"
    'service_tier = "flex"\n'
)
NEWER_TABLES = (
    "\n[features]\nweb_search_request = true\n"
    "\n[notice]\nhide_full_access_warning = true\n"
    '\n[[skills]]\nname = "triage"\n'
)


def _bodies(server: ScriptedModelServer) -> list[dict[str, Any]]:
    bodies = [r.body for r in server.model_requests]
    assert all(isinstance(b, dict) for b in bodies)
    return [b for b in bodies if isinstance(b, dict)]


def test_a_newer_effort_and_newer_tables_start_and_reach_the_model_as_written(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    config = write_config(codex_home, model_server.base_url, top=NEWER)
    config.write_text(config.read_text() + NEWER_TABLES)
    model_server.push(Turn(text="done"))
    res = codex(["exec", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    (body,) = _bodies(model_server)
    assert body["reasoning"]["effort"] == "xhigh"  # the server decides, not pycodex
    assert "flex" not in str(body)  # a newer key is ignored, not sent
    assert 'config.toml:3: `model_reasoning_effort` = "xhigh" is not a value' in res.err
    for key in ("service_tier", "features", "notice", "skills"):
        assert f"`{key}` is a newer Codex key, ignored by pycodex" in res.err
    assert "Traceback" not in res.err


def test_a_bad_value_overridden_on_the_command_line_is_a_warning(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    top = (
        'model_reasoning_effort = "bogus"\n'
        "model_supports_reasoning_summaries = true\n"
        'sandbox_mode = "workspace-writ"\n'
    )
    write_config(codex_home, model_server.base_url, top=top)
    model_server.push(Turn(text="done"))
    args = ["exec", "-c", "model_reasoning_effort=high", "-s", "read-only", "hi"]
    res = codex(args, cwd=repo, env=env)
    assert res.rc == 0, res.err
    (body,) = _bodies(model_server)
    assert body["reasoning"]["effort"] == "high"
    assert "overridden by -c model_reasoning_effort=high, so ignored" in res.err
    assert '"workspace-writ"; overridden by flag --sandbox, so ignored' in res.err


def test_an_unknown_key_in_a_security_table_stops_before_any_request(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    config = write_config(codex_home, model_server.base_url, top='sandbox_mode = "read-only"\n')
    config.write_text(config.read_text() + "\n[sandbox_workspace_write]\nnetwork_acess = false\n")
    model_server.push(Turn(text="done"))
    res = codex(["exec", "hi"], cwd=repo, env=env)
    assert res.rc == 2
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert (
        "`sandbox_workspace_write.network_acess`: unknown key in [sandbox_workspace_write]"
        in (lines[0])
    )
    assert "may be a protection you believe is on" in lines[0]
    assert model_server.requests == []  # nothing reached the model


def test_look_alike_keys_get_no_wrong_suggestion(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    config = write_config(codex_home, model_server.base_url, top='model_verbosity = "low"\n')
    # (model_verbosity is read now; it once drew "did you mean `model_providers`?")
    config.write_text(config.read_text() + "\n[notice]\nhide_gpt5_1_migration_prompt = true\n")
    model_server.push(Turn(text="done"))
    res = codex(["exec", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert "did you mean `notify`" not in res.err
    assert "did you mean `model_providers`" not in res.err
    assert "`notice` is a newer Codex key, ignored by pycodex" in res.err
    assert "model_verbosity" not in res.err
    (body,) = _bodies(model_server)
    assert "text" not in body  # test-model is no GPT-5 model: verbosity is not sent to it
    model_server.push(Turn(text="done"))
    res = codex(["exec", "-m", "gpt-5", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    assert _bodies(model_server)[-1]["text"] == {"verbosity": "low"}
