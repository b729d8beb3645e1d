"""The stored API key: ``$CODEX_HOME/auth.json``, in the layout the Codex CLI uses.

The file is ``{"OPENAI_API_KEY": "sk-..."}`` so a user can switch between Codex and pycodex
with the same ``$CODEX_HOME``. It holds a secret: it is written atomically with mode 0600
(see :func:`pycodex.storage.files.write_atomic`) and the key is only ever shown masked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycodex.protocol.errors import AuthError
from pycodex.storage.files import ensure_private_dir, write_atomic

AUTH_FILE = "auth.json"
API_KEY_FIELD = "OPENAI_API_KEY"

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
    """Whether auth.json holds Codex ChatGPT sign-in tokens (which pycodex cannot use)."""
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
