"""The stored credentials: ``$CODEX_HOME/auth.json``, in the layout the Codex CLI uses.

An API key is ``{"OPENAI_API_KEY": "sk-..."}``. A ChatGPT sign-in is, as Codex writes it::

    {"auth_mode": "chatgpt", "OPENAI_API_KEY": <key from the token exchange, or null>,
     "tokens": {"id_token": JWT, "access_token": JWT, "refresh_token": "...",
                "account_id": "..." | null},
     "last_refresh": "2026-01-02T03:04:05.123456Z"}

so a user can switch between Codex (v0.20 and current) and pycodex with the same
``$CODEX_HOME``. Fields pycodex does not know are kept when it rewrites the file (a token
refresh). The file holds secrets: it is written atomically with mode 0600 (see
:func:`pycodex.storage.files.write_atomic`), secrets are only ever shown masked, and
:func:`choose_auth` is the one rule for which credential a session uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pycodex.protocol.auth import ChatgptTokens
from pycodex.protocol.errors import AuthError
from pycodex.storage.files import ensure_private_dir, write_atomic

AUTH_FILE = "auth.json"
API_KEY_FIELD = "OPENAI_API_KEY"
TOKENS_FIELD = "tokens"
LAST_REFRESH_FIELD = "last_refresh"
AUTH_MODE_FIELD = "auth_mode"
ENV_KEY = "OPENAI_API_KEY"
CHATGPT: Literal["chatgpt"] = "chatgpt"
APIKEY: Literal["apikey"] = "apikey"

_MIN_MASKABLE = 12  # shorter secrets would be half revealed by prefix + last four
_MAX_PREFIX = 4  # "sk-" is kept; "sk-proj-" is cut down to "sk-"


def auth_path(codex_home: Path) -> Path:
    return codex_home / AUTH_FILE


def _read_auth(codex_home: Path) -> dict[str, Any] | None:
    path = auth_path(codex_home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuthError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AuthError(f"{path} is not valid JSON; run `codex logout` and log in again") from exc
    if not isinstance(data, dict):
        raise AuthError(f"{path}: expected a JSON object")
    return data


def load_api_key(codex_home: Path) -> str | None:
    """The stored key, or ``None`` when there is no auth.json or it holds no API key.

    A Codex auth.json from a ChatGPT sign-in (``"OPENAI_API_KEY": null`` plus ``tokens``)
    holds no API key, so it gives ``None``; see :func:`has_chatgpt_tokens`.
    """
    data = _read_auth(codex_home)
    if data is None:
        return None
    key = data.get(API_KEY_FIELD)
    if isinstance(key, str) and key.strip():
        return key.strip()
    return None


def has_chatgpt_tokens(codex_home: Path) -> bool:
    """Whether auth.json holds a ``tokens`` object (a ChatGPT sign-in, maybe incomplete)."""
    data = _read_auth(codex_home)
    return bool(data and isinstance(data.get("tokens"), dict))


def save_api_key(codex_home: Path, key: str) -> Path:
    """Store ``key`` as the only credential; returns the auth.json path."""
    key = key.strip()
    if not key:
        raise AuthError("the API key is empty")
    ensure_private_dir(codex_home)
    path = auth_path(codex_home)
    payload = json.dumps({API_KEY_FIELD: key}, indent=2) + "\n"
    write_atomic(path, payload.encode("utf-8"))
    return path


def delete_auth(codex_home: Path) -> bool:
    """Remove auth.json; ``False`` when there was none."""
    try:
        auth_path(codex_home).unlink()
    except FileNotFoundError:
        return False
    return True


def mask_secret(secret: str) -> str:
    """A recognisable but unusable form of a secret: ``sk-…abcd``.

    Keeps a short vendor prefix (the first ``-``-separated group, when it is short) and the
    last four characters. Secrets too short for that to hide most of them are masked fully.
    """
    secret = secret.strip()
    if len(secret) < _MIN_MASKABLE:
        return "****"
    head, sep, _ = secret.partition("-")
    prefix = head + sep if sep and len(head) + 1 <= _MAX_PREFIX else ""
    return f"{prefix}…{secret[-4:]}"


@dataclass(frozen=True, slots=True)
class StoredAuth:
    """What auth.json holds. ``tokens`` is ``None`` unless all three tokens are strings."""

    api_key: str | None
    tokens: ChatgptTokens | None
    last_refresh: datetime | None
    auth_mode: str | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse_timestamp(value: object) -> datetime | None:
    """An RFC 3339 time as Codex writes it (``…Z``, up to nanoseconds); ``None`` if not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    head, dot, rest = text.partition(".")
    if dot:  # Python takes at most 6 fractional digits; Codex may write 9
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[: min(digits, 6)] + rest[digits:]
        text = f"{head}.{rest}"
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def format_timestamp(stamp: datetime) -> str:
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_auth(codex_home: Path) -> StoredAuth | None:
    """auth.json as data; ``None`` when there is none. Raises ``AuthError`` when unreadable."""
    data = _read_auth(codex_home)
    if data is None:
        return None
    tokens = None
    raw = data.get(TOKENS_FIELD)
    if isinstance(raw, dict):
        id_token, access, refresh = (
            _text(raw.get(k)) for k in ("id_token", "access_token", "refresh_token")
        )
        if id_token and access and refresh:
            tokens = ChatgptTokens(id_token, access, refresh, _text(raw.get("account_id")))
    key = _text(data.get(API_KEY_FIELD))
    mode = data.get(AUTH_MODE_FIELD)
    return StoredAuth(
        api_key=key.strip() if key else None,
        tokens=tokens,
        last_refresh=parse_timestamp(data.get(LAST_REFRESH_FIELD)),
        auth_mode=mode if isinstance(mode, str) else None,
    )


def _tokens_json(tokens: ChatgptTokens) -> dict[str, Any]:
    return {
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "account_id": tokens.account_id,
    }


def _write(codex_home: Path, data: Mapping[str, Any]) -> Path:
    ensure_private_dir(codex_home)
    path = auth_path(codex_home)
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    return path


def save_chatgpt_login(
    codex_home: Path,
    tokens: ChatgptTokens,
    *,
    api_key: str | None,
    now: datetime | None = None,
) -> Path:
    """Replace auth.json with a fresh ChatGPT sign-in (Codex's layout, see the module)."""
    payload = {
        AUTH_MODE_FIELD: CHATGPT,
        API_KEY_FIELD: api_key,
        TOKENS_FIELD: _tokens_json(tokens),
        LAST_REFRESH_FIELD: format_timestamp(now or datetime.now(UTC)),
    }
    return _write(codex_home, payload)


def update_chatgpt_tokens(
    codex_home: Path, tokens: ChatgptTokens, *, now: datetime | None = None
) -> Path:
    """Store refreshed tokens and ``last_refresh``; every other field of the file is kept."""
    data = dict(_read_auth(codex_home) or {})
    data.setdefault(API_KEY_FIELD, None)
    data[TOKENS_FIELD] = {**(data.get(TOKENS_FIELD) or {}), **_tokens_json(tokens)}
    data[LAST_REFRESH_FIELD] = format_timestamp(now or datetime.now(UTC))
    return _write(codex_home, data)


Method = Literal["chatgpt", "apikey"]


@dataclass(frozen=True, slots=True)
class AuthChoice:
    """The credential a session uses. ``key_source`` is ``"env"`` or ``"file"`` for a key."""

    method: Method | None
    api_key: str | None = None
    key_source: str | None = None
    tokens: ChatgptTokens | None = None
    last_refresh: datetime | None = None


def choose_auth(
    stored: StoredAuth | None, env: Mapping[str, str], preferred: str = CHATGPT
) -> AuthChoice:
    """Which credential to use, for providers with ``requires_openai_auth``.

    - A ChatGPT sign-in in auth.json is used, as Codex does (a present auth.json wins over
      ``OPENAI_API_KEY``), unless ``preferred_auth_method = "apikey"`` and an API key exists
      (the environment variable, else the key stored next to the tokens), or auth.json says
      ``"auth_mode": "apikey"`` and holds a key.
    - Otherwise an API key: ``OPENAI_API_KEY`` when set (pycodex's rule: the more specific
      setting wins over the stored key), else auth.json's.
    """
    env_key = _text(env.get(ENV_KEY))
    env_key = env_key.strip() if env_key else None
    file_key = stored.api_key if stored else None
    tokens = stored.tokens if stored else None
    key_choice = (
        AuthChoice(APIKEY, env_key, "env")
        if env_key
        else AuthChoice(APIKEY, file_key, "file")
        if file_key
        else None
    )
    if tokens is not None and stored is not None:
        wants_key = preferred == APIKEY or (stored.auth_mode == APIKEY and file_key)
        if not (wants_key and key_choice is not None):
            return AuthChoice(CHATGPT, tokens=tokens, last_refresh=stored.last_refresh)
    return key_choice or AuthChoice(None)
