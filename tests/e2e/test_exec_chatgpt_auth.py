"""`codex exec` with a ChatGPT sign-in in auth.json (issue 13, finding 6), end to end.

The scripted model server plays the ChatGPT backend (``chatgpt_base_url`` points at it, so
the default ``openai`` provider sends to ``{chatgpt_base_url}/codex/responses``), and the
scripted issuer the token endpoint (``CODEX_REFRESH_TOKEN_URL_OVERRIDE``).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pycodex.models import chatgpt_jwt
from tests.e2e.harness import base_env, codex, function_outputs
from tests.support.model_server import Fault, ScriptedModelServer, ToolCall, Turn
from tests.support.scripted_issuer import ACCOUNT_ID, ScriptedIssuer, TokenSet

STORED_KEY = "sk-stored-next-to-tokens-0123456789abcd"


@pytest.fixture
def issuer() -> Iterator[ScriptedIssuer]:
    with ScriptedIssuer() as started:
        yield started


def setup_home(
    home: Path,
    server: ScriptedModelServer,
    tokens: TokenSet,
    *,
    last_refresh: datetime | None = None,
    api_key: str | None = None,
    top: str = "",
) -> Path:
    (home / "config.toml").write_text(
        f'model = "test-model"\nchatgpt_base_url = "{server.root_url}/backend-api/"\n{top}\n'
    )
    auth = home / "auth.json"
    data: dict[str, Any] = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": api_key,
        "tokens": {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "account_id": ACCOUNT_ID,
        },
        "last_refresh": (last_refresh or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "agent_identity_extra": {"kept": True},  # a field of a newer Codex: must survive
    }
    auth.write_text(json.dumps(data, indent=2))
    auth.chmod(0o600)
    return auth


def env_for(home: Path, issuer: ScriptedIssuer, **extra: str) -> dict[str, str]:
    env = base_env(home, CODEX_REFRESH_TOKEN_URL_OVERRIDE=issuer.token_url, **extra)
    env.pop("MOCK_KEY", None)
    return env


def check_refreshed_file(auth: Path, issuer: ScriptedIssuer, before: datetime) -> None:
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    data = json.loads(auth.read_text())
    new = issuer.issued[-1]
    assert data["tokens"] == {
        "id_token": new.id_token,
        "access_token": new.access_token,
        "refresh_token": new.refresh_token,
        "account_id": ACCOUNT_ID,
    }
    assert chatgpt_jwt.is_jwt(data["tokens"]["id_token"])
    assert data["auth_mode"] == "chatgpt" and data["agent_identity_extra"] == {"kept": True}
    stamp = datetime.fromisoformat(data["last_refresh"].replace("Z", "+00:00"))
    assert stamp >= before - timedelta(seconds=1)
    assert [p.name for p in auth.parent.iterdir() if p.name.startswith(".auth")] == []


def test_requests_go_to_the_chatgpt_backend_with_the_account_header(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    tokens = issuer.issue_refreshable()
    auth = setup_home(codex_home, model_server, tokens, api_key=STORED_KEY)
    before = auth.read_text()
    model_server.push(Turn(text="hello from the backend"))
    env = env_for(codex_home, issuer, OPENAI_API_KEY="sk-env-is-not-used-0123456789")
    res = codex(["exec", "--json", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    (req,) = model_server.model_requests
    assert req.path == "/backend-api/codex/responses"
    assert req.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert req.headers["chatgpt-account-id"] == ACCOUNT_ID
    assert res.items("agent_message")[0]["text"] == "hello from the backend"
    assert issuer.grants() == []  # not due: no refresh
    assert auth.read_text() == before


def test_an_expired_access_token_is_refreshed_before_the_request(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path
) -> None:
    with ScriptedIssuer(access_ttl=-300) as issuer:
        old = issuer.issue_refreshable()
        issuer.access_ttl = 3600
        auth = setup_home(codex_home, model_server, old)
        model_server.push(Turn(text="fresh"))
        started = datetime.now(UTC)
        res = codex(["exec", "--json", "hi"], cwd=repo, env=env_for(codex_home, issuer))
        assert res.rc == 0, res.err
        assert issuer.grants() == ["refresh_token"]
        refresh = issuer.snapshot()[-1]
        assert refresh.json == {
            "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
            "grant_type": "refresh_token",
            "refresh_token": old.refresh_token,
        }
        (req,) = model_server.model_requests
        assert req.headers["authorization"] == f"Bearer {issuer.issued[-1].access_token}"
        check_refreshed_file(auth, issuer, started)
        for secret in (old.access_token, old.refresh_token, issuer.issued[-1].refresh_token):
            assert secret not in res.out + res.err


def test_an_old_last_refresh_without_exp_is_refreshed(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    old = issuer.issue_refreshable()
    opaque = TokenSet(old.id_token, "opaque-access-token-without-claims", old.refresh_token)
    auth = setup_home(
        codex_home, model_server, opaque, last_refresh=datetime.now(UTC) - timedelta(days=9)
    )
    model_server.push(Turn(text="ok"))
    started = datetime.now(UTC)
    res = codex(["exec", "hi"], cwd=repo, env=env_for(codex_home, issuer))
    assert res.rc == 0, res.err
    assert issuer.grants() == ["refresh_token"]
    check_refreshed_file(auth, issuer, started)


def test_a_401_refreshes_once_and_retries(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    old = issuer.issue_refreshable()
    auth = setup_home(codex_home, model_server, old)
    model_server.push(Fault.http_status(401, body='{"error":{"message":"token expired"}}'))
    model_server.push(Turn(text="after refresh"))
    started = datetime.now(UTC)
    res = codex(["exec", "--json", "hi"], cwd=repo, env=env_for(codex_home, issuer))
    assert res.rc == 0, res.err
    assert issuer.grants() == ["refresh_token"]
    first, second = model_server.model_requests
    assert first.headers["authorization"] == f"Bearer {old.access_token}"
    assert second.headers["authorization"] == f"Bearer {issuer.issued[-1].access_token}"
    assert second.headers["chatgpt-account-id"] == ACCOUNT_ID
    assert first.body == second.body
    assert res.items("agent_message")[0]["text"] == "after refresh"
    check_refreshed_file(auth, issuer, started)


def test_a_second_401_is_an_error_after_one_refresh(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    setup_home(codex_home, model_server, issuer.issue_refreshable())
    model_server.push(Fault.http_status(401), Fault.http_status(401), Turn(text="never"))
    res = codex(["exec", "hi"], cwd=repo, env=env_for(codex_home, issuer))
    assert res.rc != 0
    assert issuer.grants() == ["refresh_token"]
    assert len(model_server.model_requests) == 2
    assert "401" in res.out + res.err


def test_a_refused_refresh_says_to_sign_in_again(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    stale = TokenSet(issuer.issue_refreshable().id_token, "opaque", "rt-revoked")
    setup_home(codex_home, model_server, stale, last_refresh=datetime(2020, 1, 1, tzinfo=UTC))
    res = codex(["exec", "hi"], cwd=repo, env=env_for(codex_home, issuer))
    assert res.rc != 0
    said = res.out + res.err
    assert "refresh_token_reused" in said and "run `codex login` to sign in again" in said
    assert "rt-revoked" not in res.err + res.out
    assert model_server.model_requests == []


def test_preferred_auth_method_apikey_uses_the_stored_key(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    setup_home(
        codex_home,
        model_server,
        issuer.issue_refreshable(),
        api_key=STORED_KEY,
        top='preferred_auth_method = "apikey"',
    )
    model_server.push(Turn(text="billed to the key"))
    env = env_for(codex_home, issuer, OPENAI_BASE_URL=model_server.base_url)
    res = codex(["exec", "hi"], cwd=repo, env=env)
    assert res.rc == 0, res.err
    (req,) = model_server.model_requests
    assert req.path == "/v1/responses"
    assert req.headers["authorization"] == f"Bearer {STORED_KEY}"
    assert "chatgpt-account-id" not in req.headers


def test_a_non_loopback_refresh_override_is_refused(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    setup_home(codex_home, model_server, issuer.issue_refreshable())
    env = base_env(codex_home, CODEX_REFRESH_TOKEN_URL_OVERRIDE="https://evil.example.com/t")
    res = codex(["exec", "hi"], cwd=repo, env=env)
    assert res.rc == 2
    assert len(res.err.strip().splitlines()) == 1
    assert "CODEX_REFRESH_TOKEN_URL_OVERRIDE must be a loopback URL" in res.err
    assert model_server.model_requests == []


def test_tokens_never_reach_a_command_the_model_or_the_session_files(
    model_server: ScriptedModelServer, issuer: ScriptedIssuer, codex_home: Path, repo: Path
) -> None:
    tokens = issuer.issue_refreshable()
    setup_home(codex_home, model_server, tokens, top='approval_policy = "never"')
    auth = codex_home / "auth.json"
    model_server.push(
        Turn(
            tool_calls=[
                ToolCall("shell", {"command": ["env"]}),
                ToolCall("shell", {"command": ["cat", str(auth)]}),  # the sandbox hides it
            ]
        ),
        Turn(text="done"),
    )
    res = codex(["exec", "show env"], cwd=repo, env=env_for(codex_home, issuer))
    assert res.rc == 0, res.err
    second = model_server.model_requests[1].body
    assert second is not None
    output, cat_output = function_outputs(second)
    assert "PATH=" in output  # the command ran and its environment came back
    assert "auth.json" in cat_output and "refresh_token" not in cat_output, cat_output
    secrets = (tokens.id_token, tokens.access_token, tokens.refresh_token)
    for secret in secrets:
        assert secret not in output and secret not in cat_output
        assert secret not in json.dumps(second)
        assert secret not in res.out + res.err
    assert "CODEX_REFRESH_TOKEN_URL_OVERRIDE" not in output
    for path in codex_home.rglob("*"):
        if path.is_file() and path.name != "auth.json":
            text = path.read_text(errors="replace")
            assert all(secret not in text for secret in secrets), path
