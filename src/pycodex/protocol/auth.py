"""The tokens of a ChatGPT sign-in, as plain data shared by the edges that handle them:
``storage.auth`` reads and writes them in auth.json, ``models.chatgpt_tokens`` refreshes them
and sends the access token. Declared here once so neither edge converts the other's copy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatgptTokens:
    """The ``tokens`` object of a ChatGPT ``auth.json`` (Codex's field names).

    ``repr`` never shows a token, so one cannot reach a log or a traceback by accident.
    """

    id_token: str
    access_token: str
    refresh_token: str
    account_id: str | None = None

    def __repr__(self) -> str:
        return f"ChatgptTokens(account_id={self.account_id!r}, …)"
