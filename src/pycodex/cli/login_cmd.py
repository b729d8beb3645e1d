"""`codex login --api-key KEY | --with-api-key`, `codex login status`, `codex logout`.

Only API-key auth exists in pycodex (no ChatGPT sign-in). The key lives in
``$CODEX_HOME/auth.json`` (mode 0600, Codex's layout); the ``OPENAI_API_KEY`` environment
variable, when set, takes precedence over it, and ``status`` says which one is in use.
No output ever contains a key in full.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from pycodex.config.loader import codex_home_from_env
from pycodex.protocol.errors import EXIT_FAILURE, EXIT_OK, CodexError, UsageError
from pycodex.storage.auth import (
    auth_path,
    delete_auth,
    has_chatgpt_tokens,
    load_api_key,
    mask_secret,
    save_api_key,
)

ENV_KEY = "OPENAI_API_KEY"

_HOW_TO = (
    "no API key given: run `codex login --api-key KEY`, "
    "or pipe it in with `printenv OPENAI_API_KEY | codex login --with-api-key`"
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
        raise UsageError(_HOW_TO)
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


def run_status(args: argparse.Namespace) -> int:
    home = codex_home_from_env(os.environ)
    path = auth_path(home)
    stored = load_api_key(home)
    env_key = _env_key(os.environ)
    out = sys.stdout
    if env_key is not None:
        out.write(f"Logged in using an API key - {mask_secret(env_key)}\n")
        out.write(f"  source: the {ENV_KEY} environment variable\n")
        if stored is not None:
            out.write(
                f"  ({path} also holds a key, {mask_secret(stored)}; "
                "the environment variable takes precedence)\n"
            )
        return EXIT_OK
    if stored is not None:
        out.write(f"Logged in using an API key - {mask_secret(stored)}\n")
        out.write(f"  source: {path}\n")
        return EXIT_OK
    out.write("Not logged in\n")
    if has_chatgpt_tokens(home):
        sys.stderr.write(
            f"{path} holds a ChatGPT sign-in, which pycodex does not support; "
            "run `codex login --api-key KEY`\n"
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
