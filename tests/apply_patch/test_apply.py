"""Planning and applying: atomicity, preconditions, preservation, summaries, messages."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pycodex.apply_patch import (
    AmbiguousMatch,
    ChunkConflict,
    ContextNotFound,
    FileExists,
    FileMissing,
    FileWrite,
    PlannedChanges,
    StaleFile,
    WriteFailed,
    apply_patch_text,
    apply_planned,
    parse_patch,
    plan_patch,
)
from pycodex.apply_patch.apply import _commit
from pycodex.protocol.events import FileChange
from tests.apply_patch.support import patch, snapshot, write_tree

TREE = {
    "a.txt": "a1\na2\na3\n",
    "b.txt": "b1\nb2\n",
    "crlf.txt": "c1\r\nc2\r\n",
    "dir/old.txt": "o1\no2\n",
    "gone.txt": "bye\n",
}


def _plan(text: str, cwd: Path) -> PlannedChanges:
    return plan_patch(parse_patch(text), cwd)


@pytest.mark.parametrize("failing", ["context", "ambiguous", "missing", "exists", "clobber"])
def test_last_hunk_failing_leaves_every_byte_unchanged(tmp_path: Path, failing: str) -> None:
    write_tree(tmp_path, {**TREE, "dup.txt": "z\nz\n", "taken.txt": "t\n"})
    last = {
        "context": ["*** Update File: b.txt", "-not there", "+x"],
        "ambiguous": ["*** Update File: dup.txt", "-z", "+y"],
        "missing": ["*** Update File: nope.txt", "-x", "+y"],
        "exists": ["*** Add File: taken.txt", "+t2"],
        "clobber": ["*** Update File: b.txt", "*** Move to: taken.txt"],
    }[failing]
    before = snapshot(tmp_path)
    text = patch(
        "*** Add File: new/deep/file.txt",
        "+n",
        "*** Update File: a.txt",
        "-a1",
        "+A1",
        "*** Update File: dir/old.txt",
        "*** Move to: dir2/new.txt",
        "-o1",
        "+O1",
        "*** Delete File: gone.txt",
        "*** Update File: crlf.txt",
        "+c3",
        *last,
    )
    result = apply_patch_text(text, tmp_path)
    assert not result.success
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == result.output
    assert "No files were changed" in result.output
    assert snapshot(tmp_path) == before  # no new dirs, no temp files either


def test_successful_multi_file_patch_and_summary(tmp_path: Path) -> None:
    write_tree(tmp_path, TREE)
    text = patch(
        "*** Add File: hello.txt",
        "+hi",
        "*** Delete File: gone.txt",
        "*** Update File: a.txt",
        "@@",
        " a1",
        "-a2",
        "+A2",
        " a3",
        "*** Update File: dir/old.txt",
        "*** Move to: sub/moved.txt",
        "-o2",
        "+O2",
    )
    planned = _plan(text, tmp_path)
    assert snapshot(tmp_path)["a.txt"] == b"a1\na2\na3\n"  # planning writes nothing
    root = str(tmp_path)
    assert planned.changes == {
        f"{root}/hello.txt": FileChange("add", content="hi\n"),
        f"{root}/gone.txt": FileChange("delete"),
        f"{root}/a.txt": FileChange("update", unified_diff="@@ -1,3 +1,3 @@\n a1\n-a2\n+A2\n a3\n"),
        f"{root}/dir/old.txt": FileChange(
            "update",
            unified_diff="@@ -1,2 +1,2 @@\n o1\n-o2\n+O2\n",
            move_path=f"{root}/sub/moved.txt",
        ),
    }
    assert set(planned.paths) >= {tmp_path / "hello.txt", tmp_path / "sub/moved.txt"}
    result = apply_planned(planned)
    assert result.success
    assert result.exit_code == 0
    assert result.stdout == result.output
    assert result.output == (
        "Success. Updated the following files:\nA hello.txt\nM a.txt\nM sub/moved.txt\nD gone.txt\n"
    )
    assert result.changes == planned.changes
    after = snapshot(tmp_path)
    assert after["a.txt"] == b"a1\nA2\na3\n"
    assert after["sub/moved.txt"] == b"o1\nO2\n"
    assert "dir/old.txt" not in after
    assert "gone.txt" not in after
    assert not [name for name in after if name.endswith(".tmp")]


def test_unified_diff_groups_distant_changes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "".join(f"{i}\n" for i in range(1, 21))})
    planned = _plan(
        patch("*** Update File: f.txt", "-2", "+two", "@@", "-18", "+eighteen", "+x"), tmp_path
    )
    diff = planned.changes[str(tmp_path / "f.txt")].unified_diff
    assert (
        diff
        == "@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n@@ -17,3 +17,4 @@\n 17\n-18\n+eighteen\n+x\n 19\n"
    )


def test_crlf_and_missing_final_newline_are_preserved(tmp_path: Path) -> None:
    write_tree(tmp_path, {"w.txt": b"one\r\ntwo\r\nthree", "m.txt": b"lf\ncrlf\r\nlf2\n"})
    result = apply_patch_text(
        patch(
            "*** Update File: w.txt",
            "-three",
            "+3",
            "+4",
            "*** Update File: m.txt",
            " crlf",
            "-lf2",
            "+LF2",
        ),
        tmp_path,
    )
    assert result.success, result.output
    assert (tmp_path / "w.txt").read_bytes() == b"one\r\ntwo\r\n3\r\n4"
    assert (tmp_path / "m.txt").read_bytes() == b"lf\ncrlf\r\nLF2\n"  # each kept line its ending


def test_undecodable_bytes_survive(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bin.txt": b"\xff\xfe odd\nchange me\n"})
    result = apply_patch_text(patch("*** Update File: bin.txt", "-change me", "+changed"), tmp_path)
    assert result.success, result.output
    assert (tmp_path / "bin.txt").read_bytes() == b"\xff\xfe odd\nchanged\n"


def test_permissions_kept_and_symlinks_written_through(tmp_path: Path) -> None:
    write_tree(tmp_path, {"run.sh": "echo 1\n", "real.txt": "r\n"})
    (tmp_path / "run.sh").chmod(0o755)
    (tmp_path / "link.txt").symlink_to("real.txt")
    result = apply_patch_text(
        patch(
            "*** Update File: run.sh",
            "-echo 1",
            "+echo 2",
            "*** Update File: link.txt",
            "-r",
            "+R",
            "*** Update File: run.sh",
            "*** Move to: bin/run2.sh",
        ),
        tmp_path,
    )
    assert result.success, result.output
    assert stat.S_IMODE((tmp_path / "bin/run2.sh").stat().st_mode) == 0o755
    assert (tmp_path / "bin/run2.sh").read_text() == "echo 2\n"
    assert (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() == "R\n"


def test_absolute_paths_and_dotdot_resolve(tmp_path: Path) -> None:
    work = tmp_path / "work"
    write_tree(tmp_path, {"outside.txt": "o\n", "work/in.txt": "i\n"})
    text = patch(
        f"*** Update File: {tmp_path / 'outside.txt'}",
        "-o",
        "+O",
        "*** Update File: ../work/./in.txt",
        "-i",
        "+I",
    )
    planned = _plan(text, work)
    assert set(planned.changes) == {str(tmp_path / "outside.txt"), str(work / "in.txt")}
    assert apply_planned(planned).success
    assert (tmp_path / "outside.txt").read_text() == "O\n"


def test_stale_file_between_plan_and_apply(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "a\n", "b.txt": "b\n"})
    planned = _plan(
        patch("*** Update File: a.txt", "-a", "+A", "*** Add File: c.txt", "+c"), tmp_path
    )
    (tmp_path / "b.txt").write_text("unrelated change\n")
    (tmp_path / "c.txt").write_text("appeared\n")
    before = snapshot(tmp_path)
    result = apply_planned(planned)
    assert isinstance(result.error, StaleFile)
    assert "c.txt changed on disk" in result.output
    assert snapshot(tmp_path) == before


def test_file_below_a_file_is_refused_when_planning(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "a\n", "blocker": "I am a file\n"})
    before = snapshot(tmp_path)
    result = apply_patch_text(
        patch("*** Update File: a.txt", "-a", "+A", "*** Add File: blocker/x/new.txt", "+n"),
        tmp_path,
    )
    assert isinstance(result.error, FileExists)
    assert "Cannot create blocker/x/new.txt" in result.output
    assert "blocker is a file, not a directory" in result.output
    assert snapshot(tmp_path) == before


def test_write_failure_in_first_phase_removes_temporaries(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "a\n", "blocker": "I am a file\n"})
    before = snapshot(tmp_path)
    writes = (
        FileWrite(tmp_path / "a.txt", b"A\n", b"a\n"),
        FileWrite(tmp_path / "new/dir/n.txt", b"n\n", None),
        FileWrite(tmp_path / "blocker/x/new.txt", b"n\n", None),
    )
    with pytest.raises(WriteFailed) as caught:
        _commit(writes)
    assert caught.value.nothing_changed
    assert "Failed to write" in caught.value.render()
    assert snapshot(tmp_path) == before  # no temp files, no created directories


def test_failure_in_second_phase_restores_replaced_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "a\n", "d/inner.txt": "x\n"})
    (tmp_path / "a.txt").chmod(0o640)
    before = snapshot(tmp_path)
    writes = (
        FileWrite(tmp_path / "a.txt", b"A\n", b"a\n", 0o640),
        FileWrite(tmp_path / "new.txt", b"n\n", None),
        FileWrite(tmp_path / "d", None, b""),  # unlinking a directory fails
    )
    with pytest.raises(WriteFailed) as caught:
        _commit(writes)
    assert caught.value.nothing_changed
    assert snapshot(tmp_path) == before
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("tree", "body", "error", "phrases"),
    [
        ({"a": "x\n"}, ["*** Add File: a", "+y"], FileExists, ["Cannot add a", "already exists"]),
        ({}, ["*** Update File: a", "-x"], FileMissing, ["Failed to read file to update a"]),
        ({}, ["*** Delete File: a"], FileMissing, ["Failed to delete a", "no such file"]),
        ({"d/f": "x\n"}, ["*** Update File: d", "-x"], FileMissing, ["d is not a regular file"]),
        ({"d/f": "x\n"}, ["*** Delete File: d"], FileMissing, ["d is not a regular file"]),
        (
            {"a": "x\n", "b": "y\n"},
            ["*** Update File: a", "*** Move to: b"],
            FileExists,
            ["Cannot move a to b", "b already exists"],
        ),
        (
            {"a": "x\n"},
            ["*** Delete File: a", "*** Update File: a", "-x"],
            FileMissing,
            ["hunk 2 '*** Update File: a' at patch line 3"],
        ),
    ],
)
def test_preconditions(
    tmp_path: Path, tree: dict[str, str], body: list[str], error: type, phrases: list[str]
) -> None:
    write_tree(tmp_path, tree)
    before = snapshot(tmp_path)
    result = apply_patch_text(patch(*body), tmp_path)
    assert isinstance(result.error, error)
    for phrase in phrases:
        assert phrase in result.output
    assert snapshot(tmp_path) == before


CLASSES = "".join(
    f"class {name}:\n    def run(self):\n        x = 1\n        return x\n\n" for name in "ABC"
)


def test_uniqueness_failure_names_every_place(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.txt": CLASSES})
    result = apply_patch_text(
        patch("*** Update File: m.txt", "-        x = 1", "+        x = 2"), tmp_path
    )
    assert isinstance(result.error, AmbiguousMatch)
    assert "match 3 places (starting at lines 3, 8, 13)" in result.output
    assert "'@@ <line>' header" in result.output


def test_identical_chunks_take_identical_places_in_order(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "x = 1\ny\nx = 1\nz\n"})
    two = ["@@", "-x = 1", "+x = 2", "@@", "-x = 1", "+x = 3"]
    result = apply_patch_text(patch("*** Update File: f.txt", *two), tmp_path)
    assert result.success, result.output
    assert (tmp_path / "f.txt").read_text() == "x = 2\ny\nx = 3\nz\n"
    write_tree(tmp_path, {"g.txt": "x = 1\nx = 1\nx = 1\n"})
    result = apply_patch_text(patch("*** Update File: g.txt", *two), tmp_path)
    assert isinstance(result.error, AmbiguousMatch)
    assert "match 3 places (with 1 identical chunk after it, 2 places were expected)" in (
        result.output
    )


def test_header_scope_disambiguates_and_nests(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.txt": CLASSES})
    result = apply_patch_text(
        patch(
            "*** Update File: m.txt",
            "@@ class B:",
            "@@ def run(self):",
            "-        x = 1",
            "+        x = 2",
        ),
        tmp_path,
    )
    assert result.success, result.output
    assert (tmp_path / "m.txt").read_text() == CLASSES.replace(
        "class B:\n    def run(self):\n        x = 1", "class B:\n    def run(self):\n        x = 2"
    )


def test_lost_indentation_is_restored_consistently(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "def f():\n    if x:\n        return 1\n"})
    result = apply_patch_text(
        patch("*** Update File: f.txt", " if x:", "-    return 1", "+    return 2", "+log()"),
        tmp_path,
    )
    assert result.success, result.output
    assert (tmp_path / "f.txt").read_text() == "def f():\n    if x:\n        return 2\n    log()\n"


def test_over_indented_patch_is_shifted_back(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "a:\n  b\n"})
    result = apply_patch_text(
        patch("*** Update File: f.txt", "     a:", "-      b", "+      c"), tmp_path
    )
    assert result.success, result.output
    assert (tmp_path / "f.txt").read_text() == "a:\n  c\n"


def test_ambiguity_inside_a_header_scope_is_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.txt": "class A:\n    y = 0\n    y = 0\nclass B:\n    y = 0\n"})
    result = apply_patch_text(
        patch("*** Update File: m.txt", "@@ class A:", "-    y = 0", "+    y = 1"), tmp_path
    )
    assert isinstance(result.error, AmbiguousMatch)
    assert "match 2 places after '@@ class A:' (starting at lines 2, 3)" in result.output


def test_missing_context_reports_nearest_lines_with_numbers(tmp_path: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(1, 40))
    write_tree(tmp_path, {"f.txt": body.replace("line 21\n", "line twenty-one\n")})
    result = apply_patch_text(
        patch("*** Update File: f.txt", "@@", " line 20", "-line 21", "+LINE 21", " line 22"),
        tmp_path,
    )
    assert isinstance(result.error, ContextNotFound)
    out = result.output
    assert "Failed to find expected lines in f.txt (hunk 1 '*** Update File: f.txt'" in out
    assert "chunk 1 at patch line 3" in out
    assert "Nearest lines in f.txt (lines 20-22; 2 of 3 match" in out
    assert "      20 | line 20\n  !    21 | line twenty-one\n       22 | line 22" in out


def test_nearest_lines_prefer_the_headers_scope(tmp_path: Path) -> None:
    write_tree(tmp_path, {"m.txt": CLASSES})
    result = apply_patch_text(
        patch("*** Update File: m.txt", "@@ class C:", "     def run(self):", "-        x = 3"),
        tmp_path,
    )
    assert isinstance(result.error, ContextNotFound)
    assert "Nearest lines in m.txt (lines 12-13; 1 of 2 match" in result.output
    assert "!    13 |         x = 1" in result.output


def test_missing_header_lists_similar_lines(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.py.txt": "def compute_total(items):\n    pass\n"})
    result = apply_patch_text(
        patch(
            "*** Update File: f.py.txt",
            "@@ def compute_totals(items):",
            "-    pass",
            "+    return 0",
        ),
        tmp_path,
    )
    assert isinstance(result.error, ContextNotFound)
    assert "Failed to find the context line '@@ def compute_totals(items):'" in result.output
    assert "1 | def compute_total(items):" in result.output


def test_overlapping_chunks_are_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "a\nb\nc\n"})
    result = apply_patch_text(
        patch("*** Update File: f.txt", "@@", " b", "-c", "@@", "-a", "+A", " b"), tmp_path
    )
    assert isinstance(result.error, ChunkConflict)
    assert "chunks 2 and 1" in result.output or "chunks 1 and 2" in result.output


def test_trailing_blank_context_is_tolerated(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "a\nb"})
    result = apply_patch_text(patch("*** Update File: f.txt", " a", "-b", "+B", "", ""), tmp_path)
    assert result.success, result.output
    assert (tmp_path / "f.txt").read_text() == "a\nB"


def test_cwd_may_be_a_string(tmp_path: Path) -> None:
    result = apply_patch_text(patch("*** Add File: x.txt", "+x"), os.fspath(tmp_path))
    assert result.success
    assert (tmp_path / "x.txt").read_text() == "x\n"
