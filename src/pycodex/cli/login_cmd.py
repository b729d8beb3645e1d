"""`codex login [--api-key KEY | --with-api-key]`, `codex login status`, `codex logout`.

Without a key option, `codex login` signs in with ChatGPT in the browser, as Codex does
(``models.chatgpt_login``: PKCE, a callback server on 127.0.0.1:1455, the issuer
``https://auth.openai.com``); the tokens go to ``$CODEX_HOME/auth.json`` in Codex's layout
(mode 0600, atomic). With a key option the key is stored instead. Which credential a session
uses is ``storage.auth.choose_auth`` (a ChatGPT sign-in unless ``preferred_auth_method =
"apikey"`` finds a key; among keys ``OPENAI_API_KEY`` first), and ``status`` names it.
No output ever contains a key or a token in full (keys are masked, tokens never shown).

Hidden options (Codex's names where Codex has them): ``--experimental_issuer URL`` and
``--experimental_client-id ID`` for a sign-in server on this machine (loopback URLs only:
a switch that sends sign-ins elsewhere would be a phishing aid), ``--experimental_port``
and ``--experimental_timeout SECONDS`` (default 600) for tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.config.loader import codex_home_from_env
from pycodex.protocol.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CodexError,
    UsageError,
)
from pycodex.storage.auth import (
    APIKEY,
    CHATGPT,
    auth_path,
    choose_auth,
    delete_auth,
    has_chatgpt_tokens,
    load_auth,
    mask_secret,
    save_api_key,
    save_chatgpt_login,
)

if TYPE_CHECKING:
    from pycodex.models.chatgpt_login import SignIn

ENV_KEY = "OPENAI_API_KEY"

_HOW_TO = (
    "no API key given: run `codex login --api-key KEY`, "
    "or pipe it in with `printenv OPENAI_API_KEY | codex login --with-api-key` "
    "(`codex login` alone signs in with ChatGPT)"
)


def _env_key(env: Mapping[str, str]) -> str | None:
    value = env.get(ENV_KEY, "").strip()
    return value or None


def _read_key_from_stdin() -> str:
    if sys.stdin is None:
        raise UsageError(_HOW_TO)
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Paste your API key (input hidden), then press Enter: ")
    return sys.stdin.read()


def _check_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise UsageError(_HOW_TO)
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise UsageError("the API key contains spaces or control characters; check what you pasted")
    return key


def run_login(args: argparse.Namespace) -> int:
    api_key: str | None = getattr(args, "api_key", None)
    with_stdin = bool(getattr(args, "with_api_key", False))
    if api_key is not None and with_stdin:
        raise UsageError("give the key either with --api-key KEY or on stdin (--with-api-key)")
    if api_key is None and not with_stdin:
        return _chatgpt_login(args)
    key = _check_key(_read_key_from_stdin() if with_stdin else api_key or "")
    home = codex_home_from_env(os.environ)
    try:
        path = save_api_key(home, key)
    except OSError as exc:
        raise CodexError(f"cannot write {auth_path(home)}: {exc.strerror or exc}") from exc
    sys.stdout.write(f"Successfully logged in (API key {mask_secret(key)} saved to {path})\n")
    env_key = _env_key(os.environ)
    if env_key is not None and env_key != key:
        sys.stderr.write(
            f"Note: {ENV_KEY} is set in your environment ({mask_secret(env_key)}) "
            "and takes precedence over the stored key\n"
        )
    return EXIT_OK


def _can_open_browser(env: Mapping[str, str]) -> bool:
    """False on Linux without a display (and no ``$BROWSER``): Python's ``webbrowser`` would
    fall back to a console browser that takes over this terminal."""
    return not sys.platform.startswith("linux") or any(
        env.get(name) for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY")
    )


def _open_browser(url: str) -> None:
    """Open ``url`` in the user's browser, in the background, never failing the sign-in."""

    def target() -> None:
        try:
            import webbrowser

            webbrowser.open(url)
        except Exception:  # best effort: the URL is printed anyway
            return

    threading.Thread(target=target, name="open-browser", daemon=True).start()


def _positive(value: float | None, default: float, flag: str) -> float:
    if value is None:
        return default
    if value <= 0:
        raise UsageError(f"{flag} must be greater than 0")
    return value


def _chatgpt_login(args: argparse.Namespace) -> int:
    """The browser sign-in (see the module docstring)."""
    import asyncio

    from pycodex.models import chatgpt_jwt
    from pycodex.models.chatgpt_login import DEFAULT_PORT, DEFAULT_TIMEOUT_SECONDS, sign_in
    from pycodex.models.chatgpt_tokens import CLIENT_ID, ISSUER, loopback_only

    raw_issuer: str | None = getattr(args, "issuer", None)
    issuer = loopback_only(raw_issuer, "--experimental_issuer") if raw_issuer else ISSUER
    client_id = getattr(args, "client_id", None) or CLIENT_ID
    port = getattr(args, "login_port", None)
    port = DEFAULT_PORT if port is None else port
    if not 0 <= port <= 65535:
        raise UsageError("--experimental_port must be a port number (0 to 65535)")
    timeout = _positive(
        getattr(args, "login_timeout", None), DEFAULT_TIMEOUT_SECONDS, "--experimental_timeout"
    )
    env = dict(os.environ)
    home = codex_home_from_env(env)
    saved: list[Path] = []

    def on_url(url: str, actual_port: int) -> None:
        out = sys.stdout
        browser = _can_open_browser(env)
        if browser:
            out.write("Sign in with ChatGPT: your browser should open. If it does not, open:\n\n")
        else:
            out.write("Sign in with ChatGPT: open this address in a browser on this machine:\n\n")
        out.write(f"{url}\n\n")
        out.write(f"Waiting for the browser on http://localhost:{actual_port} (Ctrl-C to cancel)\n")
        out.flush()
        if browser:
            _open_browser(url)

    def persist(result: SignIn) -> None:
        saved.append(save_chatgpt_login(home, result.tokens, api_key=result.api_key))

    try:
        result = asyncio.run(
            sign_in(
                issuer=issuer,
                client_id=client_id,
                port=port,
                timeout=timeout,
                env=env,
                on_url=on_url,
                persist=persist,
            )
        )
    except KeyboardInterrupt:
        sys.stderr.write("Sign-in cancelled; nothing was saved\n")
        return EXIT_INTERRUPTED
    email = chatgpt_jwt.email(result.tokens.id_token)
    who = f" as {email}" if email else ""
    sys.stdout.write(f"Successfully logged in with ChatGPT{who} (saved to {saved[0]})\n")
    if _env_key(os.environ) is not None:
        sys.stderr.write(
            f"Note: {ENV_KEY} is set in your environment; the ChatGPT sign-in is used "
            'unless preferred_auth_method = "apikey"\n'
        )
    return EXIT_OK


def _preferred(args: argparse.Namespace) -> str:
    """``preferred_auth_method`` from config.toml, profiles and ``-c`` (default chatgpt)."""
    from pycodex.cli.common import load_from_args

    return load_from_args(args).config.preferred_auth_method


def run_status(args: argparse.Namespace) -> int:
    home = codex_home_from_env(os.environ)
    path = auth_path(home)
    stored = load_auth(home)
    preferred = _preferred(args)
    choice = choose_auth(stored, os.environ, preferred)
    out = sys.stdout
    if choice.method == CHATGPT and choice.tokens is not None:
        from pycodex.models import chatgpt_jwt

        email = chatgpt_jwt.email(choice.tokens.id_token)
        out.write("Logged in using ChatGPT" + (f" - {email}" if email else "") + "\n")
        out.write(f"  source: {path}\n")
        if _env_key(os.environ) is not None:
            out.write(
                f"  ({ENV_KEY} is set but not used: the ChatGPT sign-in wins unless "
                'preferred_auth_method = "apikey")\n'
            )
        return EXIT_OK
    if choice.method == APIKEY and choice.api_key is not None:
        out.write(f"Logged in using an API key - {mask_secret(choice.api_key)}\n")
        if choice.key_source == "env":
            out.write(f"  source: the {ENV_KEY} environment variable\n")
            if stored is not None and stored.api_key is not None:
                out.write(
                    f"  ({path} also holds a key, {mask_secret(stored.api_key)}; "
                    "the environment variable takes precedence)\n"
                )
        else:
            out.write(f"  source: {path}\n")
        if stored is not None and stored.tokens is not None:
            why = (
                'preferred_auth_method = "apikey"'
                if preferred == APIKEY
                else 'its "auth_mode": "apikey"'
            )
            out.write(f"  ({path} also holds a ChatGPT sign-in; {why} selects the key)\n")
        return EXIT_OK
    out.write("Not logged in\n")
    if has_chatgpt_tokens(home):
        sys.stderr.write(
            f"{path} holds an incomplete ChatGPT sign-in; run `codex login` to sign in again\n"
        )
    return EXIT_FAILURE


def run_logout(args: argparse.Namespace) -> int:
    home = codex_home_from_env(os.environ)
    try:
        removed = delete_auth(home)
    except OSError as exc:
        raise CodexError(f"cannot remove {auth_path(home)}: {exc.strerror or exc}") from exc
    if not removed:
        sys.stdout.write("Not logged in\n")
        return EXIT_FAILURE
    sys.stdout.write("Successfully logged out\n")
    if _env_key(os.environ) is not None:
        sys.stderr.write(f"Note: {ENV_KEY} is still set in your environment\n")
    return EXIT_OK
