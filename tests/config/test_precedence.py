"""Precedence as a table: flags > -c > selected profile > config.toml > defaults (SPEC §2).

Each row writes ``KEY = FILE`` on line 1 and ``KEY = PROFILE`` on line 5 (in
``[profiles.p]``, selected by ``profile = "p"`` on line 2), adds ``-c KEY=CLI`` and the flags,
and checks the effective value and its origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pycodex.config.overrides import CliOverrides
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import AskForApproval, SandboxMode

from ._support import flags, load

FILE = "config.toml:1"
PROFILE = "profile p (config.toml:5)"
SB = SandboxMode
AP = AskForApproval


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'


ROWS: list[tuple[str, Any, Any, Any, dict[str, Any], Any, str]] = [
    # key, file, profile, -c, flags, expected value, expected origin
    ("model", None, None, None, {}, "gpt-5", "default"),
    ("model", "f", None, None, {}, "f", FILE),
    ("model", "f", "p", None, {}, "p", PROFILE),
    ("model", "f", "p", "c", {}, "c", "-c model=c"),
    ("model", "f", "p", "c", {"model": "m"}, "m", "flag --model"),
    ("model", None, "p", None, {"oss": True}, "gpt-oss:20b", "flag --oss"),
    ("model", "f", "p", "c", {"oss": True}, "gpt-oss:20b", "flag --oss"),
    ("model", None, None, "c", {"oss": True, "model": "m"}, "m", "flag --model"),
    ("sandbox_mode", None, None, None, {}, SB.READ_ONLY, "default"),
    ("sandbox_mode", "read-only", "workspace-write", None, {}, SB.WORKSPACE_WRITE, PROFILE),
    (
        "sandbox_mode",
        "read-only",
        "workspace-write",
        "danger-full-access",
        {},
        SB.DANGER_FULL_ACCESS,
        "-c sandbox_mode=danger-full-access",
    ),
    (
        "sandbox_mode",
        None,
        "workspace-write",
        "danger-full-access",
        {"sandbox_mode": SB.READ_ONLY},
        SB.READ_ONLY,
        "flag --sandbox",
    ),
    (
        "sandbox_mode",
        None,
        "read-only",
        None,
        {"full_auto": True},
        SB.WORKSPACE_WRITE,
        "flag --full-auto",
    ),
    (
        "sandbox_mode",
        None,
        None,
        None,
        {"full_auto": True, "sandbox_mode": SB.READ_ONLY},
        SB.READ_ONLY,
        "flag --sandbox",
    ),
    (
        "sandbox_mode",
        None,
        None,
        None,
        {"dangerously_bypass_approvals_and_sandbox": True, "sandbox_mode": SB.READ_ONLY},
        SB.DANGER_FULL_ACCESS,
        "flag --dangerously-bypass-approvals-and-sandbox",
    ),
    ("approval_policy", None, None, None, {}, AP.UNTRUSTED, "default"),
    ("approval_policy", "on-request", None, None, {}, AP.ON_REQUEST, FILE),
    ("approval_policy", "on-request", "never", None, {}, AP.NEVER, PROFILE),
    (
        "approval_policy",
        None,
        "never",
        "on-request",
        {},
        AP.ON_REQUEST,
        "-c approval_policy=on-request",
    ),
    (
        "approval_policy",
        None,
        None,
        "never",
        {"full_auto": True},
        AP.ON_FAILURE,
        "flag --full-auto",
    ),
    (
        "approval_policy",
        None,
        None,
        None,
        {"approval_policy": AP.UNTRUSTED, "forced_approval_policy": AP.NEVER},
        AP.NEVER,
        "forced by this command",
    ),
    ("disable_response_storage", True, None, None, {}, True, FILE),
    ("disable_response_storage", True, False, None, {}, False, PROFILE),
    (
        "disable_response_storage",
        False,
        True,
        False,
        {},
        False,
        "-c disable_response_storage=false",
    ),
    ("model_provider", None, "oss", None, {}, "oss", PROFILE),
    ("model_provider", None, None, "oss", {}, "oss", "-c model_provider=oss"),
    ("model_provider", None, None, None, {"oss": True}, "oss", "flag --oss"),
    ("model_reasoning_effort", "low", "high", None, {}, "high", PROFILE),
    ("file_opener", "cursor", None, None, {}, "cursor", FILE),
]


@pytest.mark.parametrize(("key", "file", "profile", "cli", "flag", "value", "origin"), ROWS)
def test_precedence(  # noqa: PLR0917 (pytest parameters)
    tmp_path: Path,
    key: str,
    file: Any,
    profile: Any,
    cli: Any,
    flag: dict[str, Any],
    value: Any,
    origin: str,
) -> None:
    lines = [
        f"{key} = {_toml(file)}" if file is not None else "# no file value",
        'profile = "p"',
        "",
        "[profiles.p]",
        f"{key} = {_toml(profile)}" if profile is not None else "# no profile value",
    ]
    cli_text = _toml(cli).strip('"') if cli is not None else None
    overrides = CliOverrides(
        config_overrides=(f"{key}={cli_text}",) if cli_text is not None else (), **flag
    )
    loaded = load(tmp_path, "\n".join(lines) + "\n", overrides=overrides)
    effective = (
        loaded.config.model_provider_id if key == "model_provider" else getattr(loaded.config, key)
    )
    assert (effective, loaded.origins[key]) == (value, origin)


@pytest.mark.parametrize(
    ("file", "cli", "flag", "selected", "origin"),
    [
        ("a", None, None, "a", "config.toml:1"),
        ("a", "b", None, "b", "-c profile=b"),
        ("a", "b", "c", "c", "flag --profile"),
        (None, None, "c", "c", "flag --profile"),
    ],
)
def test_profile_selection(  # noqa: PLR0917 (pytest parameters)
    tmp_path: Path, file: str | None, cli: str | None, flag: str | None, selected: str, origin: str
) -> None:
    text = (f'profile = "{file}"\n' if file else "\n") + "".join(
        f'[profiles.{name}]\nmodel = "model-{name}"\n' for name in "abc"
    )
    overrides = CliOverrides(config_overrides=(f"profile={cli}",) if cli else (), profile=flag)
    loaded = load(tmp_path, text, overrides=overrides)
    assert (loaded.config.profile, loaded.config.model) == (selected, f"model-{selected}")
    assert loaded.origins["profile"] == origin


def test_c_can_edit_the_selected_profile(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        '[profiles.p]\nmodel = "from-file"\n',
        overrides=CliOverrides(config_overrides=("profiles.p.model=edited",), profile="p"),
    )
    assert loaded.config.model == "edited"
    assert loaded.origins["model"] == "profile p (-c profiles.p.model=edited)"


def test_profile_tables_merge_with_file_tables(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        'profile = "p"\n[sandbox_workspace_write]\nnetwork_access = true\n'
        "[profiles.p.sandbox_workspace_write]\nexclude_slash_tmp = true\n",
    )
    sww = loaded.config.sandbox_workspace_write
    assert (sww.network_access, sww.exclude_slash_tmp) == (True, True)
    assert loaded.origins["sandbox_workspace_write.exclude_slash_tmp"] == (
        "profile p (config.toml:5)"
    )


def test_cd_flag_sets_the_session_cwd(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    loaded = load(tmp_path / "home", overrides=CliOverrides(cwd=Path("work")), cwd=tmp_path)
    assert loaded.config.cwd == (tmp_path / "work").resolve()
    assert loaded.origins["cwd"] == "flag --cd"


@pytest.mark.parametrize(
    ("text", "override", "where"),
    [
        (None, "approval_policy=bogus", "-c approval_policy=bogus"),
        ('approval_policy = "sometimes"\n', None, "config.toml:1"),
        ('profile = "p"\n[profiles.p]\napproval_policy = "x"\n', None, "config.toml:3"),
    ],
)
def test_a_bad_value_hidden_by_a_stronger_layer_is_a_warning(
    tmp_path: Path, text: str | None, override: str | None, where: str
) -> None:
    """`codex exec` forces approval `never`: a bad configured value has no effect, so it is
    reported as a warning (issue 13, finding 1), never passed silently."""
    forced = flags(
        *([override] if override else []),
        approval_policy=AskForApproval.ON_REQUEST,
        forced_approval_policy=AskForApproval.NEVER,
    )
    loaded = load(tmp_path, text, overrides=forced)
    assert loaded.config.approval_policy is AskForApproval.NEVER
    (warning,) = loaded.warnings
    assert warning.startswith(where)
    assert "expected one of untrusted" in warning
    assert warning.endswith("overridden by forced by this command, so ignored")


def test_a_bad_value_that_takes_effect_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected one of untrusted") as err:
        load(tmp_path, 'approval_policy = "sometimes"\n')
    assert str(err.value).startswith("config.toml:1: `approval_policy`: invalid value")
