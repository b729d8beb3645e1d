"""Claims of the JWTs a ChatGPT sign-in returns, read without checking their signature.

Why no signature check: pycodex reads claims only to label the account (email, plan), to
fill the account-id header, and to decide when to refresh the access token. Nothing is
granted on the strength of a claim. The tokens come straight from the issuer (over TLS) or
from the user's own 0600 ``auth.json``, and the ChatGPT backend verifies the signature of
the access token on every request: a forged token could only mislead pycodex about its own
user, and would be refused by the server. Checking here would also need the issuer's keys
(a network fetch) for no gain.

Pure functions, no I/O. A malformed token gives empty claims, never an exception.
"""

from __future__ import annotations

import base64
import json
from typing import Any

AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"


def decode_claims(token: str) -> dict[str, Any]:
    """The payload of ``header.payload.signature``; ``{}`` when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return {}
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def is_jwt(token: str) -> bool:
    """Whether ``token`` has the JWT shape with a JSON object payload (Codex needs that
    of the ``id_token`` it reads back from auth.json)."""
    return bool(decode_claims(token))


def _auth(claims: dict[str, Any]) -> dict[str, Any]:
    auth = claims.get(AUTH_CLAIM)
    return auth if isinstance(auth, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def expires_at(token: str) -> float | None:
    """The ``exp`` claim (seconds since the epoch), if the token has one."""
    exp = decode_claims(token).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return float(exp)


def account_id(id_token: str) -> str | None:
    """The ChatGPT account (workspace) id: the ``chatgpt_account_id`` auth claim."""
    return _str(_auth(decode_claims(id_token)).get("chatgpt_account_id"))


def email(id_token: str) -> str | None:
    """The account email: the ``email`` claim, else the profile claim's."""
    claims = decode_claims(id_token)
    found = _str(claims.get("email"))
    if found is None:
        profile = claims.get(PROFILE_CLAIM)
        if isinstance(profile, dict):
            found = _str(profile.get("email"))
    return found


def plan_type(id_token: str) -> str | None:
    """The ChatGPT plan (``plus``, ``pro``, ``team``, …) if the token names it."""
    return _str(_auth(decode_claims(id_token)).get("chatgpt_plan_type"))
