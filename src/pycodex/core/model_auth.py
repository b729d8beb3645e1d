"""Which credential a session's model client gets: an API key, or the ChatGPT sign-in.

The glue between ``storage.auth`` (auth.json and the choice rule, ``choose_auth``) and
``models.chatgpt_tokens`` (refreshing the sign-in): models never write under
``$CODEX_HOME``, so refreshed tokens are stored through the callbacks made here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.config.schema import Config
from pycodex.protocol.auth import ChatgptTokens
from pycodex.protocol.errors import AuthError
from pycodex.storage.auth import CHATGPT, choose_auth, load_auth, update_chatgpt_tokens

if TYPE_CHECKING:
    from pycodex.models.chatgpt_tokens import ChatgptCredentials


def _epoch(stamp: datetime | None) -> float | None:
    return stamp.timestamp() if stamp is not None else None


def session_auth(
    config: Config, env: Mapping[str, str]
) -> tuple[str | None, ChatgptCredentials | None]:
    """``(api_key, chatgpt)`` for ``create_model_client``: at most one is set.

    Raises ``AuthError`` for an unreadable auth.json and ``UsageError`` (exit 2) for a
    ``CODEX_REFRESH_TOKEN_URL_OVERRIDE`` that is not a loopback URL.
    """
    home: Path = config.codex_home
    choice = choose_auth(load_auth(home), env, config.preferred_auth_method)
    if choice.method != CHATGPT or choice.tokens is None:
        return choice.api_key, None
    if not config.model_provider.requires_openai_auth:
        return None, None
    from pycodex.models.chatgpt_tokens import ChatgptCredentials, refresh_url

    def persist(tokens: ChatgptTokens) -> None:
        update_chatgpt_tokens(home, tokens)

    def reload() -> tuple[ChatgptTokens, float | None] | None:
        try:
            stored = load_auth(home)
        except AuthError:  # unreadable now (say, hand-edited): keep the tokens we have
            return None
        if stored is None or stored.tokens is None:
            return None
        return stored.tokens, _epoch(stored.last_refresh)

    credentials = ChatgptCredentials(
        choice.tokens,
        last_refresh=_epoch(choice.last_refresh),
        refresh_url=refresh_url(env),
        env=env,
        persist=persist,
        reload=reload,
    )
    return None, credentials
