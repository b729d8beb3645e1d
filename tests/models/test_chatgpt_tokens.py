"""ChatGPT sign-in pieces on their own: JWT claims, the loopback rule, the choice of
credential, and the refreshing token source against the scripted issuer (real HTTP)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from pycodex.models import chatgpt_jwt
from pycodex.models.chatgpt_login import authorize_url, new_pkce
from pycodex.models.chatgpt_tokens import ChatgptCredentials, loopback_only, refresh_url
from pycodex.protocol.auth import ChatgptTokens
from pycodex.protocol.errors import AuthError, UsageError
from pycodex.storage.auth import (
    StoredAuth,
    choose_auth,
    load_auth,
    save_chatgpt_login,
    update_chatgpt_tokens,
)
from tests.support.scripted_issuer import (
    ACCOUNT_ID,
    EMAIL,
    ScriptedIssuer,
    access_token_for,
    b64url,
    id_token_for,
    make_jwt,
)


def test_claims_are_read_and_garbage_gives_nothing() -> None:
    token = id_token_for()
    assert chatgpt_jwt.email(token) == EMAIL
    assert chatgpt_jwt.account_id(token) == ACCOUNT_ID
    assert chatgpt_jwt.plan_type(token) == "plus"
    profile = make_jwt({"https://api.openai.com/profile": {"email": "p@example.com"}})
    assert chatgpt_jwt.email(profile) == "p@example.com"
    exp = chatgpt_jwt.expires_at(access_token_for(100))
    assert exp is not None and abs(exp - (time.time() + 100)) < 5
    for bad in ("", "opaque", "a.b", "a..c", "x.!!!.y", f"h.{b64url(b'[1]')}.s"):
        assert chatgpt_jwt.decode_claims(bad) == {}
        assert chatgpt_jwt.email(bad) is None and chatgpt_jwt.expires_at(bad) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/oauth/token",
        "http://localhost:1",
        "https://[::1]:8443",
        "http://127.5.6.7",
    ],
)
def test_loopback_urls_are_accepted(url: str) -> None:
    assert loopback_only(url, "X") == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.openai.com",
        "http://localhost.evil.com",
        "http://127.0.0.1@evil.com",
        "ftp://127.0.0.1",
        "http://0.0.0.0:80",
        "127.0.0.1:80",
    ],
)
def test_other_urls_are_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError) as info:
        loopback_only(url, "CODEX_REFRESH_TOKEN_URL_OVERRIDE")
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_refresh_url_default_and_override() -> None:
    assert refresh_url({}) == "https://auth.openai.com/oauth/token"
    assert refresh_url({"CODEX_REFRESH_TOKEN_URL_OVERRIDE": "http://127.0.0.1:5/t"}) == (
        "http://127.0.0.1:5/t"
    )


def test_authorize_url_carries_pkce_and_state() -> None:
    pkce = new_pkce()
    assert len(pkce.verifier) >= 43 and pkce.verifier != new_pkce().verifier
    url = authorize_url(
        "https://auth.openai.com/",
        "cid",
        "http://localhost:1455/auth/callback",
        pkce=pkce,
        state="st",
        originator="codex_cli_rs",
    )
    assert url.startswith("https://auth.openai.com/oauth/authorize?response_type=code&")
    assert f"code_challenge={pkce.challenge}" in url and "code_challenge_method=S256" in url
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback" in url


TOKENS = ChatgptTokens("id", "access", "refresh", "acct")


@pytest.mark.parametrize(
    ("stored", "env", "preferred", "expected"),
    [
        (None, {}, "chatgpt", (None, None, None)),
        (None, {"OPENAI_API_KEY": " sk-env "}, "chatgpt", ("apikey", "sk-env", "env")),
        (StoredAuth("sk-file", None, None, None), {}, "chatgpt", ("apikey", "sk-file", "file")),
        (StoredAuth(None, TOKENS, None, None), {}, "chatgpt", ("chatgpt", None, None)),
        # a present sign-in wins over the environment variable, as in Codex
        (StoredAuth(None, TOKENS, None, None), {"OPENAI_API_KEY": "sk-e"}, "chatgpt",
         ("chatgpt", None, None)),
        (StoredAuth("sk-file", TOKENS, None, "chatgpt"), {}, "chatgpt", ("chatgpt", None, None)),
        (StoredAuth("sk-file", TOKENS, None, None), {}, "apikey", ("apikey", "sk-file", "file")),
        (StoredAuth("sk-file", TOKENS, None, None), {"OPENAI_API_KEY": "sk-e"}, "apikey",
         ("apikey", "sk-e", "env")),
        # apikey preferred but no key anywhere: the sign-in is still used
        (StoredAuth(None, TOKENS, None, None), {}, "apikey", ("chatgpt", None, None)),
        (StoredAuth("sk-file", TOKENS, None, "apikey"), {}, "chatgpt",
         ("apikey", "sk-file", "file")),
    ],
)  # fmt: skip
def test_choose_auth(
    stored: StoredAuth | None,
    env: dict[str, str],
    preferred: str,
    expected: tuple[str | None, str | None, str | None],
) -> None:
    choice = choose_auth(stored, env, preferred)
    assert (choice.method, choice.api_key, choice.key_source) == expected
    assert (choice.tokens is not None) == (choice.method == "chatgpt")


def test_storage_round_trip_keeps_unknown_fields(tmp_path: Path) -> None:
    save_chatgpt_login(tmp_path, TOKENS, api_key=None)
    first = load_auth(tmp_path)
    assert first is not None and first.tokens == TOKENS and first.api_key is None
    assert first.auth_mode == "chatgpt" and first.last_refresh is not None
    text = (tmp_path / "auth.json").read_text().replace('"auth_mode"', '"future": 1, "auth_mode"')
    (tmp_path / "auth.json").write_text(text)
    update_chatgpt_tokens(tmp_path, ChatgptTokens("id2", "access2", "refresh2", "acct"))
    again = load_auth(tmp_path)
    assert again is not None and again.tokens == ChatgptTokens("id2", "access2", "refresh2", "acct")
    assert '"future": 1' in (tmp_path / "auth.json").read_text()
    assert "refresh2" not in repr(again)


def credentials(
    issuer: ScriptedIssuer, tokens: ChatgptTokens, saved: list[ChatgptTokens], **kw: object
) -> ChatgptCredentials:
    return ChatgptCredentials(
        tokens,
        last_refresh=time.time(),
        refresh_url=issuer.token_url,
        env={},
        persist=saved.append,
        **kw,  # type: ignore[arg-type]
    )


def test_headers_refresh_only_when_due_and_persist() -> None:
    with ScriptedIssuer() as issuer:
        fresh = issuer.issue_refreshable()
        saved: list[ChatgptTokens] = []
        creds = credentials(
            issuer, ChatgptTokens(fresh.id_token, fresh.access_token, fresh.refresh_token), saved
        )
        headers = asyncio.run(creds.headers())
        assert headers == {
            "Authorization": f"Bearer {fresh.access_token}",
            "chatgpt-account-id": ACCOUNT_ID,
        }
        assert issuer.grants() == [] and saved == []

        expiring = ChatgptTokens(fresh.id_token, access_token_for(30), fresh.refresh_token)
        creds = credentials(issuer, expiring, saved)  # within the one-minute margin
        headers = asyncio.run(creds.headers())
        assert issuer.grants() == ["refresh_token"] and creds.refreshes == 1
        assert headers["Authorization"] == f"Bearer {issuer.issued[-1].access_token}"
        assert saved[-1].refresh_token == issuer.issued[-1].refresh_token


def test_after_a_401_tokens_refreshed_by_another_process_are_taken() -> None:
    with ScriptedIssuer() as issuer:
        mine = issuer.issue_refreshable()
        theirs = issuer.issue_refreshable()
        on_disk = ChatgptTokens(theirs.id_token, theirs.access_token, theirs.refresh_token)
        saved: list[ChatgptTokens] = []
        creds = credentials(
            issuer,
            ChatgptTokens(mine.id_token, mine.access_token, mine.refresh_token),
            saved,
            reload=lambda: (on_disk, time.time()),
        )
        asyncio.run(creds.after_unauthorized())
        assert issuer.grants() == [] and saved == []  # no refresh needed
        assert creds.tokens == on_disk


def test_a_refused_refresh_names_the_reason_not_the_token() -> None:
    with ScriptedIssuer() as issuer:
        issuer.issue_refreshable()
        creds = credentials(issuer, ChatgptTokens("i", "a", "rt-secret-stale"), [])
        with pytest.raises(AuthError) as info:
            asyncio.run(creds.after_unauthorized())
    assert "refresh_token_reused" in str(info.value)
    assert "rt-secret-stale" not in str(info.value)
    assert "codex login" in str(info.value)


def test_an_unreachable_issuer_leaves_a_still_valid_token_in_use(unused_port: int) -> None:
    due = ChatgptTokens(id_token_for(), access_token_for(30), "rt")  # due, not expired
    creds = ChatgptCredentials(
        due,
        last_refresh=None,
        refresh_url=f"http://127.0.0.1:{unused_port}/oauth/token",
        env={},
        persist=lambda tokens: None,
    )
    assert asyncio.run(creds.headers())["Authorization"] == f"Bearer {due.access_token}"
    expired = ChatgptTokens(id_token_for(), access_token_for(-30), "rt")
    creds = ChatgptCredentials(
        expired,
        last_refresh=None,
        refresh_url=f"http://127.0.0.1:{unused_port}/oauth/token",
        env={},
        persist=lambda tokens: None,
    )
    with pytest.raises(AuthError, match="cannot reach the sign-in server"):
        asyncio.run(creds.headers())


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
