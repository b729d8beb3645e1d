"""Model-facing tool names: ``server__tool``, charset, 64-character limit, stable hashes."""

from __future__ import annotations

import re

from pycodex.mcp_client.naming import (
    MAX_NAME_LENGTH,
    assign_names,
    qualified_name,
    sanitize,
    split_qualified_name,
)

VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_short_names_are_server_double_underscore_tool() -> None:
    assert qualified_name("demo", "echo") == "demo__echo"
    assert split_qualified_name("demo__echo") == ("demo", "echo")


def test_split_is_on_the_first_double_underscore() -> None:
    assert split_qualified_name("a__b__c") == ("a", "b__c")
    assert split_qualified_name("shell") is None
    assert split_qualified_name("__x") is None


def test_names_are_sanitized_to_the_tool_name_charset() -> None:
    assert sanitize("my.server") == "my_server"
    assert sanitize("") == "_"
    name = qualified_name("git hub", "list/issues:all")
    assert name == "git_hub__list_issues_all"
    assert VALID.match(name)


def test_long_names_are_shortened_with_a_stable_hash() -> None:
    tool = "summarize_the_quarterly_engineering_metrics_for_every_team_in_the_org"
    name = qualified_name("demo", tool)
    assert len(name) == MAX_NAME_LENGTH and VALID.match(name)
    assert name.startswith("demo__summarize_the_quarterly")
    assert name == qualified_name("demo", tool)  # stable: same input, same name
    other = qualified_name("demo", tool + "_v2")
    assert other != name and other[:40] == name[:40]  # same head, different hash


def test_assign_names_keeps_names_unique() -> None:
    table = assign_names([("a.b", "t"), ("a_b", "t"), ("x", "y")])
    assert len(table) == 3
    assert table["a_b__t"] == ("a.b", "t")
    assert sorted(table.values()) == [("a.b", "t"), ("a_b", "t"), ("x", "y")]
    assert all(VALID.match(n) for n in table)
