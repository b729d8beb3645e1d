"""The turn diff on its own: baselines, moves, git's diff format (checked with `git apply`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycodex.apply_patch.files import PLAIN
from pycodex.core.turn_diff import (
    EXECUTABLE,
    FileState,
    TurnDiffTracker,
    blob_hash,
    file_diff,
    file_state_reader,
    hunks,
    read_file_state,
)
from pycodex.protocol.events import FileChange
from pycodex.sandbox.model_files import ModelFiles, refused_roots

ROOT = Path("/repo")


class Disk:
    """An in-memory tree: the tracker's reader over a dict."""

    def __init__(self, files: dict[str, bytes | FileState]) -> None:
        self.files: dict[Path, FileState] = {}
        for name, value in files.items():
            self[name] = value

    def __setitem__(self, name: str, value: bytes | FileState | None) -> None:
        if value is None:
            self.files.pop(ROOT / name, None)
        else:
            self.files[ROOT / name] = value if isinstance(value, FileState) else FileState(value)

    def read(self, path: Path) -> FileState | None:
        return self.files.get(path)


def _patch(
    tracker: TurnDiffTracker, disk: Disk, *names: str, moves: dict[str, str] | None = None
) -> None:
    changes = {str(ROOT / n): FileChange("update") for n in names}
    for source, target in (moves or {}).items():
        changes[str(ROOT / source)] = FileChange("update", move_path=str(ROOT / target))
    paths = [ROOT / n for n in (*names, *(moves or {}), *(moves or {}).values())]
    tracker.before_patch(paths, changes, disk.read)


def test_modify_add_delete_in_git_format() -> None:
    disk = Disk({"a.txt": b"1\n2\n3\n", "gone.txt": b"bye\n"})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, "a.txt", "gone.txt", "sub/new.txt")
    disk["a.txt"] = b"1\nTWO\n3\n"
    disk["gone.txt"] = None
    disk["sub/new.txt"] = b"hello\n"
    a1, a2 = blob_hash(b"1\n2\n3\n")[:7], blob_hash(b"1\nTWO\n3\n")[:7]
    gone, new = blob_hash(b"bye\n")[:7], blob_hash(b"hello\n")[:7]
    assert tracker.unified_diff(disk.read) == (
        "diff --git a/a.txt b/a.txt\n"
        f"index {a1}..{a2} 100644\n"
        "--- a/a.txt\n+++ b/a.txt\n"
        "@@ -1,3 +1,3 @@\n 1\n-2\n+TWO\n 3\n"
        "diff --git a/gone.txt b/gone.txt\n"
        "deleted file mode 100644\n"
        f"index {gone}..0000000\n"
        "--- a/gone.txt\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-bye\n"
        "diff --git a/sub/new.txt b/sub/new.txt\n"
        "new file mode 100644\n"
        f"index 0000000..{new}\n"
        "--- /dev/null\n+++ b/sub/new.txt\n"
        "@@ -0,0 +1 @@\n+hello\n"
    )


def test_baseline_is_the_content_before_the_first_change() -> None:
    disk = Disk({"f": b"v1\n"})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, "f")
    disk["f"] = b"v2\n"
    _patch(tracker, disk, "f")  # already tracked: the v1 baseline stays
    disk["f"] = b"v3\n"
    assert "-v1\n+v3\n" in tracker.unified_diff(disk.read)
    disk["f"] = b"v1\n"  # back to the start: no diff at all
    assert tracker.unified_diff(disk.read) == ""


def test_added_then_deleted_and_deleted_then_restored_show_nothing() -> None:
    disk = Disk({"keep": b"k\n"})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, "tmp", "keep")
    disk["tmp"] = b"t\n"
    disk["keep"] = None
    _patch(tracker, disk, "tmp", "keep")
    disk["tmp"] = None
    disk["keep"] = b"k\n"
    assert tracker.unified_diff(disk.read) == ""
    assert tracker.touched


def test_move_then_edit_is_one_rename() -> None:
    disk = Disk({"old.py": b"a\nb\n"})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, moves={"old.py": "new.py"})
    disk["old.py"] = None
    disk["new.py"] = b"a\nb\n"
    assert tracker.unified_diff(disk.read) == (
        "diff --git a/old.py b/new.py\nrename from old.py\nrename to new.py\n"
    )
    _patch(tracker, disk, "new.py")
    disk["new.py"] = b"a\nB\n"
    diff = tracker.unified_diff(disk.read)
    assert diff.startswith("diff --git a/old.py b/new.py\nrename from old.py\nrename to new.py\n")
    assert "--- a/old.py\n+++ b/new.py\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n" in diff


def test_a_new_file_at_a_moved_away_path_is_a_separate_add() -> None:
    disk = Disk({"a": b"x\n"})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, moves={"a": "b"})
    disk["a"] = None
    disk["b"] = b"x\n"
    _patch(tracker, disk, "a")
    disk["a"] = b"fresh\n"
    diff = tracker.unified_diff(disk.read)
    assert "diff --git a/a b/b\nrename from a\nrename to b\n" in diff
    assert "diff --git a/a b/a\nnew file mode 100644\n" in diff
    assert "+fresh\n" in diff


def test_added_then_moved_is_an_add_at_the_final_path() -> None:
    disk = Disk({})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, "draft.md")
    disk["draft.md"] = b"text\n"
    _patch(tracker, disk, moves={"draft.md": "final.md"})
    disk["draft.md"] = None
    disk["final.md"] = b"text\n"
    diff = tracker.unified_diff(disk.read)
    assert diff.startswith("diff --git a/final.md b/final.md\nnew file mode 100644\n")
    assert "draft" not in diff


def test_moved_then_deleted_is_a_deletion_of_the_original() -> None:
    disk = Disk({"a": b"x\n"})
    tracker = TurnDiffTracker(root=ROOT)
    _patch(tracker, disk, moves={"a": "b"})
    disk["a"] = None
    disk["b"] = b"x\n"
    _patch(tracker, disk, "b")
    disk["b"] = None
    assert tracker.unified_diff(disk.read).startswith(
        "diff --git a/a b/a\ndeleted file mode 100644\n"
    )


def test_no_final_newline_crlf_mode_and_binary() -> None:
    assert file_diff("f", "f", FileState(b"a\nb"), FileState(b"a\nc")).endswith(
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    )
    assert "-x\r\n+y\r\n" in file_diff("w", "w", FileState(b"x\r\n"), FileState(b"y\r\n"))
    mode = file_diff("s", "s", FileState(b"#!\n"), FileState(b"#!\n", EXECUTABLE))
    assert mode == "diff --git a/s b/s\nold mode 100644\nnew mode 100755\n"
    binary = file_diff("b", "b", None, FileState(b"\x00\x01"))
    assert binary.endswith("Binary files /dev/null and b/b differ\n")


def test_far_apart_changes_make_separate_hunks() -> None:
    old = [f"{n}\n" for n in range(20)]
    new = list(old)
    new[1], new[18] = "one\n", "eighteen\n"
    text = hunks(old, new)
    assert [line for line in text.splitlines() if line.startswith("@@")] == [
        "@@ -1,5 +1,5 @@",
        "@@ -16,5 +16,5 @@",
    ]


def test_paths_outside_the_root_stay_absolute() -> None:
    outside = Path("/elsewhere/x.txt")
    files = {outside: FileState(b"1\n")}
    tracker = TurnDiffTracker(root=ROOT)
    tracker.before_patch([outside], {str(outside): FileChange("update")}, files.get)
    files[outside] = FileState(b"2\n")
    assert tracker.unified_diff(files.get).startswith(
        "diff --git a//elsewhere/x.txt b//elsewhere/x.txt\n"
    )


def test_blob_hash_and_reader_match_git(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    path = tmp_path / "f"
    path.write_bytes(b"hello\r\nworld")
    path.chmod(0o755)
    out = subprocess.run(
        ["git", "hash-object", str(path)], capture_output=True, text=True, check=True, timeout=30
    )
    assert blob_hash(path.read_bytes()) == out.stdout.strip()
    files = ModelFiles()
    assert read_file_state(path, files) == FileState(b"hello\r\nworld", EXECUTABLE)
    assert read_file_state(tmp_path / "missing", files) is None
    assert read_file_state(tmp_path, files) is None


def test_the_real_reader_refuses_what_the_sandbox_rule_refuses(tmp_path: Path) -> None:
    """The turn diff reads through the agent's rule: /proc and $CODEX_HOME, even through a
    symlink in the workspace, read as absent (nothing of them reaches a diff)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "sk-secret"}')
    (tmp_path / "env").symlink_to("/proc/self/environ")
    (tmp_path / "auth").symlink_to(home / "auth.json")
    (tmp_path / "plain.txt").write_text("fine\n")
    read = file_state_reader(ModelFiles(refused_roots(home)))
    assert read(tmp_path / "env") is None
    assert read(tmp_path / "auth") is None
    assert read(home / "auth.json") is None
    assert read(tmp_path / "plain.txt") == FileState(b"fine\n")
    assert read_file_state(home / "auth.json", PLAIN) is not None  # the plain reader would


def test_git_apply_reproduces_the_turn(tmp_path: Path) -> None:
    """The diff is real git: applied to the baseline tree it gives the final tree."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    before = {
        "keep.txt": b"same\n",
        "edit.py": b"".join(b"line %d\n" % n for n in range(40)),
        "crlf.txt": b"a\r\nb\r\n",
        "tail.txt": b"no newline",
        "moved.txt": b"m1\nm2\n",
        "dead.txt": b"rip\n",
    }
    after = dict(before)
    after["edit.py"] = (
        before["edit.py"]
        .replace(b"line 3\n", b"LINE 3\n")
        .replace(b"line 30\n", b"line 30\nnew 30.5\n")
    )
    after["crlf.txt"] = b"a\r\nB\r\n"
    after["tail.txt"] = b"no newline\nnow one\n"
    del after["moved.txt"]
    after["dir/renamed.txt"] = b"m1\nm2 changed\n"
    del after["dead.txt"]
    after["dir/born.txt"] = b"new\n"

    disk = Disk(dict(before))
    tracker = TurnDiffTracker(root=ROOT)
    _patch(
        tracker,
        disk,
        "edit.py",
        "crlf.txt",
        "tail.txt",
        "dead.txt",
        "dir/born.txt",
        moves={"moved.txt": "dir/renamed.txt"},
    )
    for name in before:
        disk[name] = None
    for name, data in after.items():
        disk[name] = data
    diff = tracker.unified_diff(disk.read)

    repo = tmp_path / "repo"
    for name, data in before.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (tmp_path / "turn.diff").write_text(diff)
    subprocess.run(
        ["git", "apply", "--whitespace=nowarn", str(tmp_path / "turn.diff")],
        cwd=repo,
        check=True,
        timeout=30,
    )
    got = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    assert got == after


def _apply_hunks(old: list[str], text: str) -> list[str]:
    """A minimal hunk applier (for checking ``hunks`` against random inputs)."""
    out: list[str] = []
    cursor = 0
    last: list[str] | None = None  # the list the previous body line went to
    for line in text.splitlines(keepends=True):
        if line.startswith("@@"):
            start = int(line.split()[1][1:].split(",")[0])
            count = line.split()[1].split(",")
            old_start = start - 1 if len(count) == 1 or count[1] != "0" else start
            out += old[cursor:old_start]
            cursor = old_start
        elif line == "\\ No newline at end of file\n":
            assert last is not None and last[-1].endswith("\n")
            last[-1] = last[-1][:-1]
        elif line[0] in " -":
            assert old[cursor].rstrip("\n") == line[1:].rstrip("\n")
            cursor += 1
            if line[0] == " ":
                out.append(line[1:])
                last = out
            else:
                last = [line[1:]]
        else:
            out.append(line[1:])
            last = out
    return out + old[cursor:]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "x", "\n", "e\r\n"]), max_size=30),
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "f\n", "y", "\n", "e\r\n"]), max_size=30),
)
def test_hunks_turn_old_into_new(old: list[str], new: list[str]) -> None:
    # Only the last line may lack its newline, as in a real file.
    old = [line if line.endswith("\n") else line + "\n" for line in old[:-1]] + old[-1:]
    new = [line if line.endswith("\n") else line + "\n" for line in new[:-1]] + new[-1:]
    text = hunks(old, new)
    assert (text == "") == (old == new)
    assert "".join(_apply_hunks(old, text)) == "".join(new)
