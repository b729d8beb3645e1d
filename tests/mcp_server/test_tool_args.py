"""Tool arguments: the `config` object becomes `-c` overrides that mean exactly the JSON value
given (checked against the real `-c` parser), and bad arguments are one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycodex.config.overrides import parse_override
from pycodex.frontends.mcp_server.tools import (
    ToolArgumentError,
    config_to_overrides,
    parse_codex_args,
    parse_reply_args,
)
from pycodex.protocol.policy import AskForApproval, SandboxMode

json_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_every_json_value_round_trips_through_dash_c(value: Any) -> None:
    [raw] = config_to_overrides({"some.key": value})
    override = parse_override(raw)
    assert override.path == ("some", "key")
    assert override.value == value
    assert type(override.value) is type(value)


def test_strings_stay_strings_even_when_they_look_like_toml() -> None:
    overrides = config_to_overrides({"a": "true", "b": "[1, 2]", "c": "x = 1", "d": 'q"\n\\'})
    assert [parse_override(o).value for o in overrides] == ["true", "[1, 2]", "x = 1", 'q"\n\\']


def test_quoted_key_parts_are_kept() -> None:
    [raw] = config_to_overrides({'projects."/srv/app".trust_level': "trusted"})
    assert parse_override(raw).path == ("projects", "/srv/app", "trust_level")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"a": None}, "null has no TOML form"),
        ({"a": [1, None]}, "null has no TOML form"),
        ({"": 1}, "empty key"),
    ],
)
def test_values_without_a_toml_form_are_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolArgumentError, match=message):
        config_to_overrides(config)


def test_codex_arguments_become_overrides() -> None:
    args = parse_codex_args(
        {
            "prompt": "p",
            "model": "o3",
            "profile": "fast",
            "cwd": "sub",
            "approval-policy": "on-request",
            "sandbox": "workspace-write",
            "config": {"model_reasoning_effort": "high"},
            "base-instructions": "be brief",
            "include-plan-tool": False,
        }
    )
    o = args.overrides
    assert (o.model, o.profile, o.cwd) == ("o3", "fast", Path("sub"))
    assert o.approval_policy is AskForApproval.ON_REQUEST
    assert o.sandbox_mode is SandboxMode.WORKSPACE_WRITE
    assert o.config_overrides == ('model_reasoning_effort="high"',)
    assert args.base_instructions == "be brief"
    assert args.include_plan_tool is False


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"prompt": "  "}, "`prompt` must not be empty"),
        ({"prompt": ["a"]}, "`prompt` must be a string, got an array"),
        ({"prompt": "p", "config": "a=1"}, "`config` must be an object, got a string"),
        ({"prompt": "p", "include-plan-tool": "yes"}, "must be a boolean, got a string"),
        ({"prompt": "p", "sandbox": "none"}, "`sandbox` must be one of read-only"),
        ({"prompt": "p", "approval_policy": "never"}, "unknown argument `approval_policy`"),
    ],
)
def test_bad_codex_arguments(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolArgumentError, match=message):
        parse_codex_args(arguments)


def test_reply_arguments() -> None:
    assert parse_reply_args({"sessionId": "s", "prompt": "p"}).session_id == "s"
    with pytest.raises(ToolArgumentError, match="`sessionId` must be a string, got a number"):
        parse_reply_args({"sessionId": 1, "prompt": "p"})
