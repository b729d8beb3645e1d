"""auth.json: Codex's layout, private, atomic; keys only ever shown masked."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pycodex.protocol.errors import AuthError
from pycodex.storage.auth import (
    delete_auth,
    has_chatgpt_tokens,
    load_api_key,
    mask_secret,
    save_api_key,
)

KEY = "sk-proj-Abc123Def456Ghi789Jkl012Mno345wxyz"


def test_save_writes_codex_layout_with_private_modes(tmp_path: Path) -> None:
    home = tmp_path / "codex-home"
    path = save_api_key(home, KEY)
    assert path == home / "auth.json"
    assert json.loads(path.read_text()) == {"OPENAI_API_KEY": KEY}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert load_api_key(home) == KEY


def test_save_replaces_the_previous_key(tmp_path: Path) -> None:
    save_api_key(tmp_path, KEY)
    save_api_key(tmp_path, "  sk-second-key-000011112222  ")
    assert load_api_key(tmp_path) == "sk-second-key-000011112222"
    assert [p.name for p in tmp_path.iterdir()] == ["auth.json"]


def test_empty_key_is_refused_and_nothing_written(tmp_path: Path) -> None:
    with pytest.raises(AuthError):
        save_api_key(tmp_path, "   ")
    assert list(tmp_path.iterdir()) == []


def test_load_without_file_is_none_and_delete_reports_absence(tmp_path: Path) -> None:
    assert load_api_key(tmp_path) is None
    assert delete_auth(tmp_path) is False
    save_api_key(tmp_path, KEY)
    assert delete_auth(tmp_path) is True
    assert load_api_key(tmp_path) is None


def test_codex_chatgpt_auth_file_has_no_api_key(tmp_path: Path) -> None:
    (tmp_path / "auth.json").write_text(
        json.dumps({"OPENAI_API_KEY": None, "tokens": {"id_token": "x"}, "last_refresh": None})
    )
    assert load_api_key(tmp_path) is None
    assert has_chatgpt_tokens(tmp_path) is True


def test_corrupt_auth_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "auth.json").write_text('{"OPENAI_API_KEY": "sk-')
    with pytest.raises(AuthError, match=r"auth\.json is not valid JSON"):
        load_api_key(tmp_path)


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        (KEY, "sk-…wxyz"),
        ("sk-abcdefghijklmnopqrs", "sk-…pqrs"),
        ("abcdefghijklmnopqrstu", "…rstu"),
        ("verylongprefix-abcdefghijkl", "…ijkl"),
        ("sk-12345678", "****"),
        ("short", "****"),
        ("", "****"),
    ],
)
def test_mask_secret(secret: str, masked: str) -> None:
    assert mask_secret(secret) == masked


def test_mask_never_reveals_more_than_seven_characters() -> None:
    for n in range(60):
        secret = "sk-" + "".join(chr(ord("a") + i % 26) for i in range(n))
        shown = mask_secret(secret).replace("…", "").replace("*", "")
        assert len(shown) <= 7
        if len(secret) >= 12:
            assert len(shown) <= len(secret) - 5
