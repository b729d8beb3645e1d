"""A scripted OAuth issuer on loopback, standing in for ``https://auth.openai.com``.

Real HTTP on 127.0.0.1 (stdlib ``ThreadingHTTPServer`` in a thread), one instance per test::

    with ScriptedIssuer() as issuer:
        run(["codex", "login", "--experimental_issuer", issuer.url, ...])
        assert issuer.grants() == ["authorization_code", "token-exchange"]

Endpoints:

* ``GET /oauth/authorize?response_type=code&client_id&redirect_uri&code_challenge&
  code_challenge_method=S256&state…``: plays the user who signs in. Checks the query
  (a bad one is answered 400 with the reason), remembers the challenge under a new code,
  and redirects (302) to ``redirect_uri?code=…&state=…``. With ``deny="reason"`` it
  redirects with ``error=access_denied&error_description=reason`` instead.
* ``POST /oauth/token``:
  - ``grant_type=authorization_code`` (form): the code must be known and unused, the
    ``redirect_uri`` and ``client_id`` the ones authorized, and the PKCE ``code_verifier``
    must hash (SHA-256, base64url) to the challenge; answers ``id_token``, ``access_token``,
    ``refresh_token``.
  - token exchange (form, ``requested_token=openai-api-key``): answers ``access_token`` =
    an API key, unless ``api_key=None``.
  - ``grant_type=refresh_token`` (JSON, as Codex sends it; form accepted too): the refresh
    token must be the current one (they rotate); answers three new tokens.
  Errors are ``400 {"error": "invalid_grant", "error_description": …}``.

Tokens are JWT-shaped (unsigned: ``alg`` "none"), as Codex needs the id_token to be: the
id_token carries ``email`` and the ``https://api.openai.com/auth`` claim with
``chatgpt_account_id`` and ``chatgpt_plan_type``; access tokens carry ``exp`` =
now + ``access_ttl`` (negative: already expired). ``issued`` lists every token set handed
out; ``requests`` records every request (method, path, query, headers, form or JSON body).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
ACCOUNT_ID = "acct-0123-test"
EMAIL = "signed.in@example.com"
API_KEY = "sk-exchanged-4f1d2c3b4a5e6f708192a3b4"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}.c2lnbmF0dXJl"


def id_token_for(email: str = EMAIL, account_id: str = ACCOUNT_ID, n: int = 0) -> str:
    return make_jwt(
        {
            "email": email,
            "iat": int(time.time()),
            "nonce": n,
            "https://api.openai.com/auth": {
                "chatgpt_account_id": account_id,
                "chatgpt_plan_type": "plus",
            },
        }
    )


def access_token_for(ttl: float, n: int = 0) -> str:
    return make_jwt({"exp": int(time.time() + ttl), "n": n, "scope": "openid"})


@dataclass(frozen=True)
class IssuerRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]
    json: dict[str, Any] | None


@dataclass
class TokenSet:
    id_token: str
    access_token: str
    refresh_token: str


@dataclass
class _Pending:
    challenge: str
    redirect_uri: str
    client_id: str
    used: bool = False


@dataclass
class ScriptedIssuer:
    """See the module docstring."""

    access_ttl: float = 3600.0
    api_key: str | None = API_KEY
    deny: str | None = None
    email: str = EMAIL
    account_id: str = ACCOUNT_ID
    requests: list[IssuerRequest] = field(default_factory=list)
    issued: list[TokenSet] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, _Pending] = {}
        self._counter = itertools.count(1)
        self._current_refresh: str | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> ScriptedIssuer:
        owner = self

        class Handler(_Handler):
            issuer = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedIssuer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    # --- inspection ---------------------------------------------------------------------

    def snapshot(self) -> list[IssuerRequest]:
        with self._lock:
            return list(self.requests)

    def grants(self) -> list[str]:
        """The ``grant_type`` of every token request, in order (the exchange shortened)."""
        out = []
        for req in self.snapshot():
            if req.path == "/oauth/token":
                grant = (req.json or req.form).get("grant_type", "")
                out.append("token-exchange" if grant.endswith("token-exchange") else grant)
        return out

    def issue_refreshable(self) -> TokenSet:
        """A token set whose refresh token this issuer accepts (for a hand-made auth.json)."""
        with self._lock:
            return self._issue()

    # --- behaviour ----------------------------------------------------------------------

    def _issue(self) -> TokenSet:
        n = next(self._counter)
        tokens = TokenSet(
            id_token_for(self.email, self.account_id, n),
            access_token_for(self.access_ttl, n),
            f"rt-{n}-{b64url(hashlib.sha256(str(n).encode()).digest())[:12]}",
        )
        self._current_refresh = tokens.refresh_token
        self.issued.append(tokens)
        return tokens

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """``(status, headers, body)`` for ``GET /oauth/authorize``."""
        for name, want in (("response_type", "code"), ("code_challenge_method", "S256")):
            if query.get(name) != want:
                return 400, {}, f"{name} must be {want}"
        for name in ("client_id", "redirect_uri", "code_challenge", "state"):
            if not query.get(name):
                return 400, {}, f"missing {name}"
        redirect = urlsplit(query["redirect_uri"])
        if redirect.hostname not in ("localhost", "127.0.0.1") or redirect.path != "/auth/callback":
            return 400, {}, "redirect_uri is not a local callback"
        if self.deny is not None:
            params = {"error": "access_denied", "error_description": self.deny}
        else:
            code = f"code-{next(self._counter)}"
            with self._lock:
                self._codes[code] = _Pending(
                    query["code_challenge"], query["redirect_uri"], query["client_id"]
                )
            params = {"code": code}
        params["state"] = query["state"]
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(params)}"}, ""

    def token(self, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = body.get("grant_type", "")
        with self._lock:
            if grant == "authorization_code":
                return self._code_grant(body)
            if grant.endswith("token-exchange"):
                if self.api_key is None or body.get("requested_token") != "openai-api-key":
                    return 400, _err("invalid_request", "no API key for this account")
                return 200, {"access_token": self.api_key}
            if grant == "refresh_token":
                if not body.get("refresh_token") or body["refresh_token"] != self._current_refresh:
                    return 401, _err("refresh_token_reused", "refresh token is not current")
                if body.get("client_id") != CLIENT_ID:
                    return 400, _err("invalid_client", "unknown client")
                return 200, self._tokens_json(self._issue())
        return 400, _err("unsupported_grant_type", grant)

    def _code_grant(self, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        pending = self._codes.get(body.get("code", ""))
        if pending is None or pending.used:
            return 400, _err("invalid_grant", "unknown or used code")
        if body.get("redirect_uri") != pending.redirect_uri:
            return 400, _err("invalid_grant", "redirect_uri differs")
        if body.get("client_id") != pending.client_id:
            return 400, _err("invalid_client", "client_id differs")
        verifier = body.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != pending.challenge:
            return 400, _err("invalid_grant", "PKCE verification failed")
        pending.used = True
        return 200, self._tokens_json(self._issue())

    @staticmethod
    def _tokens_json(tokens: TokenSet) -> dict[str, Any]:
        return {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "token_type": "Bearer",
            "expires_in": 3600,
        }


def _err(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


class _Handler(BaseHTTPRequestHandler):
    issuer: ScriptedIssuer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _record(self, form: dict[str, str], body_json: dict[str, Any] | None) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.issuer._lock:
            self.issuer.requests.append(
                IssuerRequest(
                    self.command,
                    parts.path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    form,
                    body_json,
                )
            )

    def _reply(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self) -> None:
        self._record({}, None)
        parts = urlsplit(self.path)
        if parts.path != "/oauth/authorize":
            self._reply(404, {}, b"not found", "text/plain")
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        status, headers, text = self.issuer.authorize(query)
        self._reply(status, headers, text.encode(), "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        body_json: dict[str, Any] | None = None
        form: dict[str, str] = {}
        if ctype == "application/json":
            parsed = json.loads(raw or b"null")
            body_json = parsed if isinstance(parsed, dict) else None
        else:
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        self._record(form, body_json)
        if urlsplit(self.path).path != "/oauth/token":
            self._reply(404, {}, b"not found", "text/plain")
            return
        fields = {k: str(v) for k, v in (body_json or form).items()}
        status, answer = self.issuer.token(fields)
        self._reply(status, {}, json.dumps(answer).encode(), "application/json")
