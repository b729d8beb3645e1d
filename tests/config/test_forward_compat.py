"""Forward-compatible configuration (issue 13, findings 1 and 7), piece by piece.

Newer enum values and keys of newer Codex versions load with a warning; the security tables
stay strict; a bad value that a stronger layer overrides is a warning; "did you mean" only
for a likely typo.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.keys import NEWER_CODEX_KEYS, suggest
from pycodex.config.typos import edit_distance
from pycodex.core.model_info import request_options
from pycodex.protocol.errors import ConfigError
from pycodex.protocol.policy import ReasoningEffort, ReasoningSummary, SandboxMode
from tests.config._support import flags, load


@pytest.mark.parametrize("effort", ["xhigh", "max", "ultra"])
def test_a_newer_reasoning_effort_loads_and_is_sent_as_written(tmp_path: Path, effort: str) -> None:
    loaded = load(tmp_path, f'model = "gpt-5"\n\nmodel_reasoning_effort = "{effort}"\n')
    assert loaded.config.model_reasoning_effort == effort
    assert not isinstance(loaded.config.model_reasoning_effort, ReasoningEffort)
    (warning,) = loaded.warnings
    assert warning.startswith(f'config.toml:3: `model_reasoning_effort` = "{effort}" is not')
    assert "sent as written" in warning
    assert request_options(loaded.config).reasoning_effort == effort


def test_known_values_stay_enum_members(tmp_path: Path) -> None:
    loaded = load(
        tmp_path, 'model_reasoning_effort = "minimal"\nmodel_reasoning_summary = "none"\n'
    )
    assert loaded.config.model_reasoning_effort is ReasoningEffort.MINIMAL
    assert loaded.config.model_reasoning_summary is ReasoningSummary.NONE
    assert loaded.warnings == ()


def test_a_newer_reasoning_summary_is_sent_as_written(tmp_path: Path) -> None:
    loaded = load(tmp_path, 'model = "o3"\nmodel_reasoning_summary = "brief"\n')
    assert request_options(loaded.config).reasoning_summary == "brief"
    assert loaded.warnings[0].startswith("config.toml:2: `model_reasoning_summary`")


def test_a_newer_value_warns_once_even_from_a_profile(tmp_path: Path) -> None:
    text = 'profile = "deep"\n[profiles.deep]\nmodel_reasoning_effort = "xhigh"\n'
    loaded = load(tmp_path, text)
    assert len(loaded.warnings) == 1
    assert "config.toml:3" in loaded.warnings[0]
    assert loaded.config.model_reasoning_effort == "xhigh"


def test_a_wrong_type_of_an_open_enum_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^config.toml:1: `model_reasoning_effort`: wrong"):
        load(tmp_path, "model_reasoning_effort = 3\n")


def test_an_overridden_bad_value_is_a_warning_not_an_error(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        'model_reasoning_effort = "bogus"\nsandbox_mode = "workspace-writ"\n',
        overrides=flags("model_reasoning_effort=high", sandbox_mode=SandboxMode.READ_ONLY),
    )
    assert loaded.config.model_reasoning_effort is ReasoningEffort.HIGH
    assert loaded.config.sandbox_mode is SandboxMode.READ_ONLY
    assert loaded.warnings == (
        'config.toml:1: `model_reasoning_effort` = "bogus" is not a value pycodex knows'
        " (minimal, low, medium, high, none); overridden by -c model_reasoning_effort=high,"
        " so ignored",
        "config.toml:2: `sandbox_mode`: invalid value: expected one of read-only,"
        ' workspace-write, danger-full-access, found "workspace-writ";'
        " overridden by flag --sandbox, so ignored",
    )


def test_a_bad_security_value_that_takes_effect_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^config.toml:1: `sandbox_mode`: invalid value"):
        load(tmp_path, 'sandbox_mode = "workspace-writ"\n')


def test_a_selected_profile_value_overridden_by_a_flag_is_a_warning(tmp_path: Path) -> None:
    text = 'profile = "p"\n[profiles.p]\nsandbox_mode = "full"\n'
    loaded = load(tmp_path, text, overrides=flags(sandbox_mode=SandboxMode.WORKSPACE_WRITE))
    assert loaded.config.sandbox_mode is SandboxMode.WORKSPACE_WRITE
    assert all("overridden by flag --sandbox" in w for w in loaded.warnings)
    assert loaded.warnings


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("[sandbox_workspace_write]\nnetwork_acess = false\n", "network_acess", 2),
        ('[shell_environment_policy]\ninherit = "core"\nexclude_secrets = true\n', "", 3),
        ('[profiles.x.sandbox_workspace_write]\ndeny_read = ["/etc"]\n', "", 2),
    ],
)
def test_an_unknown_key_in_a_security_table_is_an_error(
    tmp_path: Path, text: str, key: str, line: int
) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    message = str(err.value)
    assert message.startswith(f"config.toml:{line}: `")
    assert "unknown key in [" in message
    assert "may be a protection you believe is on" in message
    assert "\n" not in message
    if key:
        assert f"found `{key}`" in message


@pytest.mark.parametrize("table", ["features", "notice", "otel"])
def test_newer_codex_tables_warn_as_newer_and_are_ignored(tmp_path: Path, table: str) -> None:
    loaded = load(tmp_path, f'model = "o3"\n[{table}]\nsome_flag = true\n')
    assert loaded.warnings == (
        f"config.toml:2: `{table}` is a newer Codex key, ignored by pycodex",
    )
    assert loaded.config.model == "o3"


def test_tools_web_search_is_read_and_other_tools_keys_warn_as_newer(tmp_path: Path) -> None:
    loaded = load(tmp_path, 'model = "o3"\n[tools]\nweb_search = true\nsome_flag = true\n')
    assert loaded.warnings == (
        "config.toml:4: `tools.some_flag` is a newer Codex key, ignored by pycodex",
    )
    assert loaded.config.tools.web_search is True


def test_an_array_of_tables_of_newer_codex_is_ignored(tmp_path: Path) -> None:
    loaded = load(tmp_path, '[[skills]]\nname = "a"\n[[skills]]\nname = "b"\n')
    assert loaded.warnings == ("config.toml:1: `skills` is a newer Codex key, ignored by pycodex",)


def test_a_newer_key_in_a_profile_is_a_newer_key(tmp_path: Path) -> None:
    loaded = load(tmp_path, '[profiles.p]\nservice_tier = "flex"\n')
    assert loaded.warnings == (
        "config.toml:2: `profiles.p.service_tier` is a newer Codex key, ignored by pycodex",
    )


@pytest.mark.parametrize(
    ("typo", "known"),
    [
        ("modle", "model"),
        ("approval_polcy", "approval_policy"),
        ("model_reasoning_efort", "model_reasoning_effort"),
        ("Sandbox_Mode", "sandbox_mode"),
        ("mcpServers", "mcp_servers"),
    ],
)
def test_a_likely_typo_gets_a_suggestion(typo: str, known: str) -> None:
    from pycodex.config.keys import SETTINGS

    assert suggest(typo, SETTINGS) == known


@pytest.mark.parametrize(
    "word", ["notice", "service_tier", "model_verbose_x", "zzz", "sandbox", "history_x1"]
)
def test_a_distant_word_gets_no_suggestion(word: str) -> None:
    from pycodex.config.keys import SETTINGS

    assert suggest(word, SETTINGS) is None


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("modle", "model") == 1
    assert edit_distance("notice", "notify") == 2
    assert edit_distance("", "abc") == 3
    assert edit_distance("abc", "abc") == 0


def test_an_unknown_word_near_no_key_is_reported_without_suggestion(tmp_path: Path) -> None:
    loaded = load(tmp_path, "notic = 1\n")
    assert loaded.warnings == ("config.toml:1: unknown key `notic` ignored",)


def test_newer_keys_are_not_known_keys() -> None:
    from pycodex.config.keys import SETTINGS

    assert not NEWER_CODEX_KEYS & set(SETTINGS)
