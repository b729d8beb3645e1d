"""``max_tool_timeout_sec``: the ceiling on a model-chosen command timeout (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.schema import DEFAULT_MAX_TOOL_TIMEOUT_SEC
from pycodex.protocol.errors import ConfigError
from tests.config._support import flags, load


def test_default_is_ten_minutes(tmp_path: Path) -> None:
    assert load(tmp_path).config.max_tool_timeout_sec == DEFAULT_MAX_TOOL_TIMEOUT_SEC == 600.0


@pytest.mark.parametrize(("text", "expected"), [("1", 1.0), ("0.5", 0.5), ("3600", 3600.0)])
def test_numbers_are_seconds(tmp_path: Path, text: str, expected: float) -> None:
    config = load(tmp_path, f"max_tool_timeout_sec = {text}\n").config
    assert config.max_tool_timeout_sec == expected


def test_profile_and_override_set_it(tmp_path: Path) -> None:
    text = 'profile = "p"\n[profiles.p]\nmax_tool_timeout_sec = 5\n'
    assert load(tmp_path, text).config.max_tool_timeout_sec == 5.0
    over = load(tmp_path, text, overrides=flags("max_tool_timeout_sec=7"))
    assert over.config.max_tool_timeout_sec == 7.0


@pytest.mark.parametrize("value", ["0", "-1", '"600"', "true"])
def test_a_bad_value_is_a_one_line_located_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"\nmax_tool_timeout_sec = {value}\n")
    err = info.value
    assert (err.file, err.line, err.key) == ("config.toml", 2, "max_tool_timeout_sec")
    message = str(err)
    assert "\n" not in message.strip()
    assert "a positive number of seconds" in message
