"""The ``*** Begin Patch`` grammar (reference §3.4): every element, tolerances, and errors."""

from __future__ import annotations

import pytest

from pycodex.apply_patch import (
    AddFile,
    Chunk,
    ChunkLine,
    DeleteFile,
    ParseError,
    UpdateFile,
    parse_patch,
)
from tests.apply_patch.support import patch


def test_every_grammar_element() -> None:
    parsed = parse_patch(
        patch(
            "*** Add File: new.txt",
            "+line one",
            "+",
            "*** Delete File: old.txt",
            "*** Update File: src/a.py",
            "*** Move to: src/b.py",
            "@@ class A:",
            "@@     def run(self):",
            " keep",
            "-drop",
            "+add",
            "@@",
            " tail",
            "+more",
            "*** End of File",
        )
    )
    add, delete, update = parsed.hunks
    assert add == AddFile("new.txt", ("line one", ""), line_number=2)
    assert delete == DeleteFile("old.txt", line_number=5)
    assert isinstance(update, UpdateFile)
    assert update.path == "src/a.py"
    assert update.move_to == "src/b.py"
    assert update.line_number == 6
    first, second = update.chunks
    assert first.headers == ("class A:", "def run(self):")
    assert first.lines == (ChunkLine(" ", "keep"), ChunkLine("-", "drop"), ChunkLine("+", "add"))
    assert first.old_lines == ("keep", "drop")
    assert first.new_lines == ("keep", "add")
    assert not first.end_of_file
    assert second == Chunk((), (ChunkLine(" ", "tail"), ChunkLine("+", "more")), True, 13)


def test_first_chunk_may_omit_at_at_and_empty_line_is_context() -> None:
    (update,) = parse_patch(patch("*** Update File: a", " x", "", "-y", "+z")).hunks
    assert isinstance(update, UpdateFile)
    assert update.chunks[0].lines == (
        ChunkLine(" ", "x"),
        ChunkLine(" ", ""),
        ChunkLine("-", "y"),
        ChunkLine("+", "z"),
    )


def test_tolerant_envelope() -> None:
    text = (
        "\n  \n   *** Begin Patch   \r\n*** Update File:   a.txt  \r\n\n"
        "@@\r\n-x\r\n+y\r\n  *** End Patch \n\n"
    )
    (update,) = parse_patch(text).hunks
    assert isinstance(update, UpdateFile)
    assert update.path == "a.txt"
    assert update.chunks[0].lines == (ChunkLine("-", "x"), ChunkLine("+", "y"))


@pytest.mark.parametrize("opener", ["<<'EOF'", '<<"EOF"', "<<EOF", "<< 'PATCH'"])
def test_heredoc_wrapper_is_stripped(opener: str) -> None:
    delimiter = opener.strip("<' \"")
    text = f"{opener}\n{patch('*** Delete File: a')}{delimiter}\n"
    assert parse_patch(text).hunks == (DeleteFile("a", line_number=3),)


def test_heredoc_opener_without_terminator_is_tolerated() -> None:
    assert parse_patch("<<'EOF'\n" + patch("*** Delete File: a")).hunks == (
        DeleteFile("a", line_number=3),
    )


def test_blank_lines_between_hunks_and_chunks_are_skipped() -> None:
    parsed = parse_patch(
        patch(
            "",
            "*** Update File: a",
            "",
            "@@",
            "-x",
            "+y",
            "@@ ctx",
            "-p",
            "",
            "",
            "*** Delete File: b",
        )
    )
    update, delete = parsed.hunks
    assert isinstance(update, UpdateFile)
    assert len(update.chunks) == 2
    assert update.chunks[1].headers == ("ctx",)
    assert delete == DeleteFile("b", line_number=12)


def test_blank_line_inside_added_file_is_an_empty_line() -> None:
    (add,) = parse_patch(patch("*** Add File: a", "+one", "", "+three", "")).hunks
    assert add == AddFile("a", ("one", "", "three"), line_number=2)


def test_indented_markers_inside_a_chunk_are_content() -> None:
    (update,) = parse_patch(patch("*** Update File: a.diff", " @@ -1 +1 @@", "-x", "+y")).hunks
    assert isinstance(update, UpdateFile)
    assert len(update.chunks) == 1
    assert update.chunks[0].lines[0] == ChunkLine(" ", "@@ -1 +1 @@")


def test_git_style_range_header_is_a_bare_marker() -> None:
    (update,) = parse_patch(
        patch("*** Update File: a", "@@ -1,3 +1,4 @@", "-x", "@@ -9 +9 @@ def f():", "-y")
    ).hunks
    assert isinstance(update, UpdateFile)
    assert [c.headers for c in update.chunks] == [(), ("def f():",)]


def test_git_file_header_lines_are_skipped() -> None:
    (update,) = parse_patch(
        patch("*** Update File: a", "--- a/a", "+++ b/a", "@@ -1 +1 @@", "-x", "+y")
    ).hunks
    assert isinstance(update, UpdateFile)
    assert update.chunks[0].lines == (ChunkLine("-", "x"), ChunkLine("+", "y"))
    (kept,) = parse_patch(patch("*** Update File: a", "--- sql comment", "+++ more")).hunks
    assert isinstance(kept, UpdateFile)
    assert kept.chunks[0].lines == (ChunkLine("-", "-- sql comment"), ChunkLine("+", "++ more"))


def test_move_only_update_is_allowed() -> None:
    (update,) = parse_patch(patch("*** Update File: a", "*** Move to: b")).hunks
    assert update == UpdateFile("a", (), move_to="b", line_number=2)


def test_unprefixed_line_becomes_context() -> None:
    (update,) = parse_patch(patch("*** Update File: a", "def f():", "-x")).hunks
    assert isinstance(update, UpdateFile)
    assert update.chunks[0].lines[0] == ChunkLine(" ", "def f():")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the patch is empty"),
        ("   \n\n", "the patch is empty"),
        ("*** Update File: a\n-x\n*** End Patch", "The first line of the patch must be"),
        ("*** Begin Patch\n*** Delete File: a\n", "The last line of the patch must be"),
        ("*** Begin Patch", "The last line of the patch must be"),
        ("*** Begin Patch\n*** End Patch", "the patch contains no hunks"),
        (patch("*** Frobnicate File: a"), "line 2: '*** Frobnicate File: a' is not a valid"),
        (patch("garbage"), "line 2: 'garbage' is not a valid hunk header"),
        (patch("*** Add File:"), "line 2: '*** Add File:' needs a file path"),
        (patch("*** Delete File:   "), "needs a file path"),
        (patch("*** Update File: a"), "line 2: Update File hunk for 'a' has no changes"),
        (patch("*** Update File: a", "@@ x"), "line 3: a chunk of 'a' has no lines"),
        (patch("*** Update File: a", "-x", "*** Move to: b"), "line 4: unexpected marker"),
        (
            patch("*** Update File: a", "-x", "*** End of File", " y"),
            "line 5: expected '@@' to start the next chunk",
        ),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_patch(text)
    assert message in caught.value.message
    assert caught.value.render().startswith("error: invalid patch: ")
