"""The matcher on its own: tier order, uniqueness, end-of-file, header scopes, nearest lines."""

from __future__ import annotations

from pycodex.apply_patch.seek import (
    Found,
    LineIndex,
    block_end,
    fold,
    nearest,
    seek,
    seek_header,
)


def _seek(lines: list[str], pattern: list[str], **kwargs: bool) -> Found | None:
    return seek(LineIndex(lines), pattern, 0, len(lines), **kwargs)


def test_exact_match_wins_over_fuzzy_ones() -> None:
    lines = ["value  ", "value"]
    assert _seek(lines, ["value"]) == Found((1,), 0)


def test_each_tier_in_turn() -> None:
    assert _seek(["  return 1   "], ["  return 1"]) == Found((0,), 1)
    assert _seek(["\treturn 1"], ["    return 1"]) == Found((0,), 2)
    text = "print(\u201chi\u201d)\u00a0\u2014 it\u2019s\u2026"
    assert _seek([text], ['print("hi") - it\'s...']) == Found((0,), 3)
    assert _seek(["a"], ["b"]) is None


def test_fold_covers_dashes_quotes_and_spaces() -> None:
    assert fold("\u2010\u2011\u2012\u2013\u2014\u2015\u2212") == "-------"
    assert fold("\u2018x\u2019 \u201cy\u201d") == "'x' \"y\""
    assert fold("a\u00a0b\u2009c\u202fd\u3000e") == "a b c d e"
    assert fold("\u200bzero\ufeff") == "zero"
    assert fold("cafe\u0301") == fold("caf\u00e9")  # decomposed vs composed


def test_all_matches_are_reported_for_uniqueness() -> None:
    lines = ["x", "y", "x", "y", "x"]
    assert _seek(lines, ["x", "y"]) == Found((0, 2), 0)
    assert seek(LineIndex(lines), ["x", "y"], 1, len(lines)) == Found((2,), 0)
    assert seek(LineIndex(lines), ["x"], 0, 5, limit=2) == Found((0, 2), 0)


def test_region_end_is_exclusive() -> None:
    lines = ["a", "b", "a", "b"]
    assert seek(LineIndex(lines), ["a", "b"], 0, 3) == Found((0,), 0)
    assert seek(LineIndex(lines), ["a", "b"], 1, 3) is None


def test_at_end_only_matches_the_tail_allowing_trailing_blank_lines() -> None:
    lines = ["end", "mid", "end"]
    assert _seek(lines, ["end"], at_end=True) == Found((2,), 0)
    assert _seek([*lines, "", ""], ["end"], at_end=True) == Found((2,), 0)
    assert _seek(["end", "mid"], ["end"], at_end=True) is None


def test_header_is_first_match_after_start_with_prefix_fallback() -> None:
    index = LineIndex(["def a():", "def b(x):", "def b(y):"])
    assert seek_header(index, "def b(y):", 0) == 2
    assert seek_header(index, "def b", 0) == 1
    assert seek_header(index, "def b", 2) == 2
    assert seek_header(index, "def c", 0) is None


def test_block_end_follows_indentation() -> None:
    lines = ["class A:", "    def f():", "        pass", "", "    x = 1", "class B:", "    y"]
    assert block_end(lines, 0) == 6  # through the next line at the same depth
    assert block_end(lines, 1) == 5
    assert block_end(lines, 5) == 7
    assert block_end(["# Title", "text", "# Next"], 0) is None  # flat: no block
    assert block_end(["int f() {", "  return 1;", "}"], 0) == 3  # includes the brace


def test_nearest_prefers_the_window_with_most_equal_lines() -> None:
    lines = ["a", "b", "c", "x", "y", "zz", "q"]
    found = nearest(LineIndex(lines), ["x", "y", "z"])
    assert found is not None
    assert (found.start, found.lines, found.matching) == (3, ("x", "y", "zz"), 2)


def test_nearest_falls_back_to_the_most_similar_line() -> None:
    lines = ["first", "    return compute(value)", "last"]
    found = nearest(LineIndex(lines), ["return compute(values)"])
    assert found is not None
    assert found.start == 1
    assert found.matching == 0
    assert nearest(LineIndex(lines), ["zzzzzzzzzzzzzzzz"]) is None
