"""ChatGPT sign-in tokens: the calls to the issuer's token endpoint, and the refreshing
token source the model client asks for its ``Authorization`` and account-id headers.

As Codex does: the issuer is ``https://auth.openai.com`` with Codex's public OAuth client
id; ``/oauth/token`` takes the authorization code (form-encoded, with the PKCE verifier) and
refreshes (JSON ``grant_type=refresh_token``). The refresh endpoint can be pointed elsewhere
with ``CODEX_REFRESH_TOKEN_URL_OVERRIDE`` (Codex's variable), and the sign-in issuer with
``codex login --experimental_issuer URL`` (Codex's hidden option). pycodex accepts only
loopback URLs for both: a switch that sends sign-in or refresh tokens to another host would
be a phishing aid, and the only legitimate use is a test issuer on this machine.

When is a refresh due: the access token is a JWT whose ``exp`` is read (see ``chatgpt_jwt``
for why unsigned); it is refreshed a minute before it expires. A token without ``exp``
is refreshed when ``last_refresh`` is older than 8 days (Codex's interval). If the issuer
cannot be reached (or fails with 5xx) the old token is used while it has not expired; a
refusal (revoked or reused refresh token) is an error that says to sign in again. A 401 from the
backend triggers one more: first auth.json is re-read (another process may have refreshed
it already), and only if it still holds the same token is the issuer asked.

Secrets never appear in messages: errors quote only the issuer's error code/description.
Writing auth.json is not done here (models never write under ``$CODEX_HOME``): a ``persist``
callback given by the caller stores refreshed tokens.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from pycodex.models import chatgpt_jwt
from pycodex.protocol.auth import ChatgptTokens
from pycodex.protocol.errors import AuthError, ModelError, UsageError

ISSUER = "https://auth.openai.com"
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
REFRESH_URL_ENV = "CODEX_REFRESH_TOKEN_URL_OVERRIDE"
ACCOUNT_HEADER = "chatgpt-account-id"
REFRESH_INTERVAL_SECONDS = 8 * 24 * 3600.0
EXPIRY_MARGIN_SECONDS = 60.0
TOKEN_TIMEOUT_SECONDS = 30.0
API_KEY_TOKEN_TYPE = "openai-api-key"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
RELOGIN = "run `codex login` to sign in again"


class IssuerUnavailable(AuthError):
    """The token endpoint could not be reached or failed (5xx): maybe better later."""


def effective_account_id(tokens: ChatgptTokens) -> str | None:
    """The stored account id, else the one the id_token names."""
    return tokens.account_id or chatgpt_jwt.account_id(tokens.id_token)


def loopback_only(url: str, what: str) -> str:
    """``url`` if it is http(s) on 127.0.0.1, localhost or [::1]; else a usage error."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise UsageError(
            f"{what} must be a loopback URL (http://127.0.0.1, localhost or [::1]), "
            f"got {url.strip()!r}: sign-in and refresh go to {ISSUER} only"
        )
    return url.strip().rstrip("/")


def token_endpoint(issuer: str) -> str:
    return issuer.rstrip("/") + "/oauth/token"


def refresh_url(env: Mapping[str, str]) -> str:
    """Where refreshes go: ``CODEX_REFRESH_TOKEN_URL_OVERRIDE`` (loopback only), else the issuer."""
    override = env.get(REFRESH_URL_ENV, "").strip()
    if override:
        return loopback_only(override, REFRESH_URL_ENV)
    return token_endpoint(ISSUER)


def _issuer_error(status: int, raw: bytes) -> str:
    """The issuer's error code/description (never the raw body: it could echo a token)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return f"HTTP {status}"
    if not isinstance(data, dict):
        return f"HTTP {status}"
    err = data.get("error")
    code = err.get("code") if isinstance(err, dict) else err
    detail = data.get("error_description")
    if isinstance(err, dict) and not detail:
        detail = err.get("message")
    words = [str(w)[:200] for w in (code, detail) if isinstance(w, str) and w]
    return f"HTTP {status}: " + ": ".join(words) if words else f"HTTP {status}"


async def _post(
    url: str, body: bytes, content_type: str, env: Mapping[str, str]
) -> tuple[int, dict[str, object], bytes]:
    from pycodex.models.http import open_request

    try:
        resp = await open_request(
            "POST",
            url,
            headers={"Content-Type": content_type, "Accept": "application/json"},
            body=body,
            connect_timeout=TOKEN_TIMEOUT_SECONDS,
            read_timeout=TOKEN_TIMEOUT_SECONDS,
            env=env,
        )
        try:
            raw = await resp.read(1 << 20)
        finally:
            resp.close()
    except ModelError as exc:
        raise IssuerUnavailable(f"cannot reach the sign-in server: {exc}") from None
    data: dict[str, object] = {}
    if 200 <= resp.status < 300:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise AuthError("the sign-in server answered with something other than JSON")
        data = parsed
    return resp.status, data, raw


def _token_str(data: Mapping[str, object], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


async def exchange_code(
    *,
    issuer: str,
    client_id: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    env: Mapping[str, str],
) -> ChatgptTokens:
    """The authorization code (plus its PKCE verifier) for the three tokens."""
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": code_verifier,
        }
    ).encode()
    status, data, raw = await _post(
        token_endpoint(issuer), body, "application/x-www-form-urlencoded", env
    )
    if not 200 <= status < 300:
        raise AuthError(f"the sign-in server refused the code ({_issuer_error(status, raw)})")
    id_token = _token_str(data, "id_token")
    access = _token_str(data, "access_token")
    refresh = _token_str(data, "refresh_token")
    if id_token is None or access is None or refresh is None:
        raise AuthError("the sign-in server's answer lacks id_token, access_token or refresh_token")
    return ChatgptTokens(id_token, access, refresh, chatgpt_jwt.account_id(id_token))


async def exchange_for_api_key(
    *, issuer: str, client_id: str, id_token: str, env: Mapping[str, str]
) -> str | None:
    """An API key for the signed-in organisation (RFC 8693 token exchange), as Codex stores
    it next to the tokens; ``None`` when the issuer gives none (best effort, like Codex)."""
    body = urlencode(
        {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "client_id": client_id,
            "requested_token": API_KEY_TOKEN_TYPE,
            "subject_token": id_token,
            "subject_token_type": ID_TOKEN_TYPE,
        }
    ).encode()
    try:
        status, data, _ = await _post(
            token_endpoint(issuer), body, "application/x-www-form-urlencoded", env
        )
    except AuthError:
        return None
    if not 200 <= status < 300:
        return None
    return _token_str(data, "access_token")


async def refresh_tokens(
    tokens: ChatgptTokens, *, url: str, env: Mapping[str, str], client_id: str = CLIENT_ID
) -> ChatgptTokens:
    """New tokens for ``tokens.refresh_token``; fields the issuer leaves out are kept."""
    body = json.dumps(
        {
            "client_id": client_id,
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
        }
    ).encode()
    status, data, raw = await _post(url, body, "application/json", env)
    if not 200 <= status < 300:
        kind = IssuerUnavailable if status >= 500 else AuthError
        raise kind(
            f"the ChatGPT sign-in could not be refreshed ({_issuer_error(status, raw)}); {RELOGIN}"
        )
    id_token = _token_str(data, "id_token") or tokens.id_token
    return ChatgptTokens(
        id_token=id_token,
        access_token=_token_str(data, "access_token") or tokens.access_token,
        refresh_token=_token_str(data, "refresh_token") or tokens.refresh_token,
        account_id=tokens.account_id or chatgpt_jwt.account_id(id_token),
    )


Persist = Callable[[ChatgptTokens], None]
Reload = Callable[[], tuple[ChatgptTokens, float | None] | None]


class ChatgptCredentials:
    """The signed-in ChatGPT account as the model client uses it: ``headers()`` before each
    request (refreshing first when due), ``after_unauthorized()`` once after a 401.

    ``persist`` stores refreshed tokens (auth.json, atomically, 0600); ``reload`` re-reads
    them (``(tokens, last_refresh)`` or ``None``). Both come from the caller, so this module
    never touches ``$CODEX_HOME`` itself.
    """

    def __init__(
        self,
        tokens: ChatgptTokens,
        *,
        last_refresh: float | None,
        refresh_url: str,
        env: Mapping[str, str],
        persist: Persist,
        reload: Reload | None = None,
        client_id: str = CLIENT_ID,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._last_refresh = last_refresh
        self._url = refresh_url
        self._env = env
        self._persist = persist
        self._reload = reload
        self._client_id = client_id
        self._clock = clock
        self._lock: asyncio.Lock | None = None
        self.refreshes = 0  # issuer refreshes done by this object (for diagnostics and tests)

    @property
    def tokens(self) -> ChatgptTokens:
        return self._tokens

    def is_due(self, tokens: ChatgptTokens | None = None, last: float | None = None) -> bool:
        """Whether the access token expires within a minute (or, without ``exp``, was last
        refreshed more than 8 days ago)."""
        tokens = tokens or self._tokens
        last = self._last_refresh if tokens is self._tokens else last
        now = self._clock()
        exp = chatgpt_jwt.expires_at(tokens.access_token)
        if exp is not None:
            return exp - EXPIRY_MARGIN_SECONDS <= now
        return last is not None and now - last > REFRESH_INTERVAL_SECONDS

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._tokens.access_token}"}
        account = effective_account_id(self._tokens)
        if account:
            headers[ACCOUNT_HEADER] = account
        return headers

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def headers(self) -> dict[str, str]:
        """``Authorization`` and ``chatgpt-account-id``, refreshed first when due."""
        async with self._guard():
            if self.is_due() and not self._adopt_reloaded(require_fresh=True):
                try:
                    await self._refresh()
                except IssuerUnavailable:
                    # As Codex: go on with a token that has not expired yet (or whose
                    # expiry is unknown); a refusal by the issuer is final, this is not.
                    exp = chatgpt_jwt.expires_at(self._tokens.access_token)
                    if exp is not None and exp <= self._clock():
                        raise
            return self._headers()

    async def after_unauthorized(self) -> None:
        """The backend said 401: take tokens another process refreshed, else refresh."""
        async with self._guard():
            if not self._adopt_reloaded(require_fresh=False):
                await self._refresh()

    def _adopt_reloaded(self, *, require_fresh: bool) -> bool:
        """Use auth.json's tokens if they changed since loaded (same account only)."""
        if self._reload is None:
            return False
        found = self._reload()
        if found is None:
            return False
        tokens, last = found
        same_account = effective_account_id(tokens) == effective_account_id(self._tokens)
        if not same_account or tokens.access_token == self._tokens.access_token:
            return False
        if require_fresh and self.is_due(tokens, last):
            return False
        self._tokens, self._last_refresh = tokens, last
        return True

    async def _refresh(self) -> None:
        tokens = await refresh_tokens(
            self._tokens, url=self._url, env=self._env, client_id=self._client_id
        )
        self.refreshes += 1
        try:
            self._persist(tokens)
        except OSError as exc:
            raise AuthError(
                f"the refreshed ChatGPT sign-in could not be saved: {exc.strerror or exc}"
            ) from None
        self._tokens, self._last_refresh = tokens, self._clock()
