"""Sign in with ChatGPT: the browser OAuth flow of ``codex login``, as Codex runs it.

1. A PKCE pair (S256) and a random ``state`` are made; a callback server listens on
   ``127.0.0.1:1455`` (Codex's registered port; if it is taken, a leftover sign-in server
   there is asked to stop with ``GET /cancel``, then Codex's fallback port 1457 is tried for
   the default port; otherwise the error says the port is busy, in one line).
2. The authorize URL (``{issuer}/oauth/authorize?response_type=code&client_id=…&
   redirect_uri=http://localhost:PORT/auth/callback&scope=…&code_challenge=…&
   code_challenge_method=S256&state=…``) goes to ``on_url`` (the CLI prints it and opens a
   browser).
3. The browser comes back to ``/auth/callback?code=…&state=…``. A wrong ``state`` is
   answered 400 and ignored (a stray or forged request must not end the wait); an
   ``error=`` ends the sign-in with the issuer's reason. The code is exchanged at
   ``{issuer}/oauth/token`` with the verifier, then (best effort, as Codex does) the id_token
   is exchanged for an API key; ``persist`` stores the result; only then does the browser get
   the success page (tokens never travel in a URL).
4. The wait is bounded (``timeout``); Ctrl-C cancels the task and the server closes.

Only this package opens sockets; storage (``persist``) and the browser (``on_url``) are the
caller's.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import hashlib
import html
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from pycodex.models.chatgpt_tokens import exchange_code, exchange_for_api_key
from pycodex.protocol.auth import ChatgptTokens
from pycodex.protocol.errors import AuthError

DEFAULT_PORT = 1455
FALLBACK_PORT = 1457  # the other port registered for Codex's client id
CALLBACK_PATH = "/auth/callback"
SCOPE = "openid profile email offline_access"
DEFAULT_TIMEOUT_SECONDS = 600.0
BIND_ATTEMPTS = 5
BIND_RETRY_SECONDS = 0.2
CANCEL_TIMEOUT_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_HEAD_BYTES = 16384


class SignInCancelled(AuthError):
    """Another sign-in asked this one to stop (``GET /cancel``)."""


@dataclass(frozen=True, slots=True)
class Pkce:
    verifier: str
    challenge: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_pkce() -> Pkce:
    """RFC 7636 S256: a 64-byte random verifier and its SHA-256, both base64url."""
    verifier = _b64url(secrets.token_bytes(64))
    return Pkce(verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest()))


def new_state() -> str:
    return _b64url(secrets.token_bytes(32))


def authorize_url(
    issuer: str, client_id: str, redirect_uri: str, *, pkce: Pkce, state: str, originator: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": state,
        "originator": originator,
    }
    return f"{issuer.rstrip('/')}/oauth/authorize?{urlencode(query)}"


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a completed sign-in gives: the tokens and, if the issuer made one, an API key."""

    tokens: ChatgptTokens
    api_key: str | None


Persist = Callable[[SignIn], None]

_SUCCESS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Signed in to pycodex</title></head>
<body style="font-family: sans-serif; margin: 4em auto; max-width: 32em">
<h1>Signed in</h1>
<p>pycodex is signed in with your ChatGPT account. You can close this tab and go back to
the terminal.</p>
</body></html>
"""

_ERROR_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Sign-in failed</title></head>
<body style="font-family: sans-serif; margin: 4em auto; max-width: 32em">
<h1>Sign-in failed</h1>
<p>{message}</p>
<p>Go back to the terminal and run <code>codex login</code> again.</p>
</body></html>
"""


async def _send(
    writer: asyncio.StreamWriter,
    status: str,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
) -> None:
    data = body.encode("utf-8")
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(data)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode("ascii") + data)
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            await writer.drain()


async def _read_target(reader: asyncio.StreamReader) -> tuple[str, str] | None:
    """``(method, target)`` of one request; its headers are read and dropped."""
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            line = await reader.readline()
        size = len(line)
        while True:
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                header = await reader.readline()
            size += len(header)
            if header in (b"\r\n", b"\n", b"") or size > MAX_HEAD_BYTES:
                break
    except (TimeoutError, OSError, ValueError):
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        return None
    return parts[0], parts[1]


class _Flow:
    """One sign-in: the state the callback handler checks, and the outcome future."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        redirect_uri: str,
        pkce: Pkce,
        state: str,
        env: Mapping[str, str],
        persist: Persist,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.pkce = pkce
        self.state = state
        self.env = env
        self.persist = persist
        self.done: asyncio.Future[SignIn] = asyncio.get_running_loop().create_future()
        self.busy = False  # a code is being exchanged: later callbacks are refused

    def fail(self, exc: AuthError) -> None:
        if not self.done.done():
            self.done.set_exception(exc)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_target(reader)
            if request is None:
                return
            method, target = request
            parts = urlsplit(target)
            if method != "GET":
                await _send(writer, "405 Method Not Allowed", "Method Not Allowed")
            elif parts.path == CALLBACK_PATH:
                await self._callback(writer, parse_qs(parts.query))
            elif parts.path == "/cancel":
                await _send(writer, "200 OK", "Sign-in cancelled")
                self.fail(SignInCancelled("sign-in cancelled by another `codex login`"))
            else:
                await _send(writer, "404 Not Found", "Not Found")
        finally:
            writer.close()

    async def _callback(self, writer: asyncio.StreamWriter, query: dict[str, list[str]]) -> None:
        def arg(name: str) -> str:
            values = query.get(name) or [""]
            return values[0]

        if not secrets.compare_digest(arg("state").encode(), self.state.encode()):
            await _send(writer, "400 Bad Request", "State mismatch")
            return
        if self.busy or self.done.done():
            await _send(writer, "409 Conflict", "This sign-in is already being completed")
            return
        if arg("error"):
            reason = arg("error_description") or arg("error")
            message = f"the sign-in was refused: {reason[:300]}"
            await self._error_page(writer, message)
            self.fail(AuthError(message))
            return
        if not arg("code"):
            message = "the browser came back without an authorization code"
            await self._error_page(writer, message)
            self.fail(AuthError(message))
            return
        self.busy = True
        try:
            tokens = await exchange_code(
                issuer=self.issuer,
                client_id=self.client_id,
                redirect_uri=self.redirect_uri,
                code=arg("code"),
                code_verifier=self.pkce.verifier,
                env=self.env,
            )
            api_key = await exchange_for_api_key(
                issuer=self.issuer, client_id=self.client_id, id_token=tokens.id_token, env=self.env
            )
            result = SignIn(tokens, api_key)
            try:
                self.persist(result)
            except OSError as exc:
                raise AuthError(
                    f"signed in, but the sign-in could not be saved: {exc.strerror or exc}"
                ) from None
        except AuthError as exc:
            await self._error_page(writer, str(exc))
            self.fail(exc)
            return
        await _send(writer, "200 OK", _SUCCESS_PAGE, "text/html; charset=utf-8")
        if not self.done.done():
            self.done.set_result(result)

    async def _error_page(self, writer: asyncio.StreamWriter, message: str) -> None:
        page = _ERROR_PAGE.format(message=html.escape(message))
        await _send(writer, "400 Bad Request", page, "text/html; charset=utf-8")


async def _ask_to_cancel(port: int) -> None:
    """``GET /cancel`` to whatever holds ``port`` (a leftover sign-in server stops)."""
    try:
        async with asyncio.timeout(CANCEL_TIMEOUT_SECONDS):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (OSError, TimeoutError):
        return
    try:
        writer.write(f"GET /cancel HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        async with asyncio.timeout(CANCEL_TIMEOUT_SECONDS):
            await writer.drain()
            await reader.read(64)
    except (OSError, TimeoutError):
        pass
    finally:
        writer.close()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _listen(port: int, handler: Handler) -> asyncio.Server:
    """Listen on 127.0.0.1:``port``; see the module docstring for a busy port."""
    candidates = [port, FALLBACK_PORT] if port == DEFAULT_PORT else [port]
    for candidate in candidates:
        for attempt in range(BIND_ATTEMPTS):
            try:
                return await asyncio.start_server(handler, "127.0.0.1", candidate)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise AuthError(
                        f"cannot listen on 127.0.0.1:{candidate}: {exc.strerror or exc}"
                    ) from None
            if attempt == 0 and candidate == port:
                await _ask_to_cancel(candidate)
            await asyncio.sleep(BIND_RETRY_SECONDS)
    raise AuthError(
        f"port 127.0.0.1:{port} is already in use (another `codex login` or another program); "
        "stop it and run `codex login` again"
    )


async def sign_in(
    *,
    issuer: str,
    client_id: str,
    port: int,
    timeout: float,
    env: Mapping[str, str],
    on_url: Callable[[str, int], None],
    persist: Persist,
    originator: str = "codex_cli_rs",
) -> SignIn:
    """Run the flow of the module docstring; raises ``AuthError`` (timeout, refusal, busy
    port, cancelled). ``on_url(authorize_url, port)`` is called once the server listens."""
    pkce, state = new_pkce(), new_state()
    holder: list[_Flow] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not holder:  # a request before the flow exists (the port was just bound)
            writer.close()
            return
        await holder[0].handle(reader, writer)

    server = await _listen(port, handler)
    try:
        actual = server.sockets[0].getsockname()[1]
        redirect_uri = f"http://localhost:{actual}{CALLBACK_PATH}"
        flow = _Flow(
            issuer=issuer,
            client_id=client_id,
            redirect_uri=redirect_uri,
            pkce=pkce,
            state=state,
            env=env,
            persist=persist,
        )
        holder.append(flow)
        url = authorize_url(
            issuer, client_id, redirect_uri, pkce=pkce, state=state, originator=originator
        )
        on_url(url, actual)
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(flow.done)
        except TimeoutError:
            raise AuthError(
                f"no sign-in arrived within {timeout:g} s; run `codex login` again"
            ) from None
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                await server.wait_closed()
