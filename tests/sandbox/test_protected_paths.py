"""Discovery of protected paths (``sandbox.protected``): what counts, and keeping it current.

Each scenario runs twice: with inotify (Linux) and with the mtime fallback (macOS, or a
refused watch). The tracker is asked again after every change on disk, as each command does.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycodex.sandbox import protected
from pycodex.sandbox.protected import Tracker, minimal, scan, secrets


def _git_init(path: Path, *, bare: bool = False) -> Path:
    args = ["git", "init", "-q", *(["--bare"] if bare else []), str(path)]
    subprocess.run(args, check=True, timeout=30)
    return path


@pytest.fixture(params=["inotify", "mtime"])
def tracker(request: pytest.FixtureRequest) -> Iterator[Tracker]:
    t = Tracker(use_inotify=request.param == "inotify")
    if request.param == "inotify" and not t.watching:  # pragma: no cover - Linux has it
        pytest.skip("no inotify here")
    yield t
    t.close()


def _find(t: Tracker, *roots: Path) -> tuple[str, ...]:
    return t.find([str(r) for r in roots]).paths


def test_what_counts_as_protected(tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    _git_init(ws / "vendor" / "lib")
    _git_init(ws / "vendor" / "lib" / "inner")  # inside a repository's work tree: found
    _git_init(ws / "docs", bare=True)  # a bare layout
    (ws / "docs" / "nested").mkdir()
    _git_init(ws / "docs" / "nested" / "x")  # inside a found repository: not searched
    (ws / "sub" / ".codex").mkdir(parents=True)
    (ws / "sub" / ".agents").mkdir()
    (ws / "plain" / "deep").mkdir(parents=True)
    t = Tracker()
    assert _find(t, ws) == tuple(
        str(p)
        for p in sorted(
            [
                ws / ".git",
                ws / "docs",
                ws / "sub" / ".agents",
                ws / "sub" / ".codex",
                ws / "vendor" / "lib" / ".git",
                ws / "vendor" / "lib" / "inner" / ".git",
            ]
        )
    )
    t.close()


def test_git_files_name_their_git_directory(tmp_path: Path) -> None:
    store = _git_init(tmp_path / "ws" / "store" / "mod.git", bare=True)
    worktree = tmp_path / "ws" / "checkout"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: ../store/mod.git\n")  # relative to the .git file
    subs, found, _ = scan(str(worktree))
    assert subs == ()
    assert found == (str(worktree / ".git"), str(store))


def test_worktree_git_file_protects_the_common_directory(tmp_path: Path) -> None:
    main = _git_init(tmp_path / "main")
    identity = ("-c", "user.name=t", "-c", "user.email=t@t")
    subprocess.run(
        ["git", "-C", str(main), *identity, "commit", "-q", "--allow-empty", "-m", "x"],
        check=True,
        timeout=30,
    )
    subprocess.run(
        ["git", "-C", str(main), "worktree", "add", "-q", str(tmp_path / "wt")],
        check=True,
        timeout=30,
    )
    _, found, _ = scan(str(tmp_path / "wt"))
    assert str(main / ".git") in found
    assert str(main / ".git" / "worktrees" / "wt") in found


def test_symlinked_git_protects_its_target(tmp_path: Path) -> None:
    real = _git_init(tmp_path / "real")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").symlink_to(real / ".git")
    assert scan(str(ws))[1] == (str(real / ".git"),)


def test_a_fifo_named_git_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".git")
    assert scan(str(tmp_path))[1] == (str(tmp_path / ".git"),)


def test_minimal_keeps_outermost_paths_inside_roots() -> None:
    paths = ["/w/a/.git", "/w/a/.git/modules/x", "/elsewhere/.git", "/w/b", "/w/bc/.git"]
    assert minimal(paths, ["/w"]) == ("/w/a/.git", "/w/b", "/w/bc/.git")
    assert minimal(["/x/.git"], ["/"]) == ("/x/.git",)


def test_new_moved_and_removed_repositories(tracker: Tracker, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "a" / "b").mkdir(parents=True)
    assert _find(tracker, ws) == ()
    _git_init(ws / "a" / "b" / "repo")  # made on the host after the first command
    assert _find(tracker, ws) == (str(ws / "a" / "b" / "repo" / ".git"),)
    (ws / "a").rename(ws / "moved")
    assert _find(tracker, ws) == (str(ws / "moved" / "b" / "repo" / ".git"),)
    subprocess.run(["rm", "-rf", str(ws / "moved")], check=True, timeout=30)
    assert _find(tracker, ws) == ()
    (ws / "c" / "d").mkdir(parents=True)  # a directory made, then a repository inside
    assert _find(tracker, ws) == ()
    _git_init(ws / "c" / "d", bare=True)
    assert _find(tracker, ws) == (str(ws / "c" / "d"),)
    (ws / "c" / "d" / "HEAD").unlink()  # no longer a repository layout
    assert _find(tracker, ws) == ()


def test_a_directory_replaced_under_the_same_name(tracker: Tracker, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "x").mkdir(parents=True)
    assert _find(tracker, ws) == ()
    (ws / "x").rmdir()
    (ws / "x" / "y").mkdir(parents=True)
    _git_init(ws / "x" / "y")
    assert _find(tracker, ws) == (str(ws / "x" / "y" / ".git"),)


def test_a_root_made_again(tracker: Tracker, tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    assert _find(tracker, ws) == (str(ws / ".git"),)
    subprocess.run(["rm", "-rf", str(ws)], check=True, timeout=30)
    ws.mkdir()
    assert _find(tracker, ws) == ()
    (ws / ".codex").mkdir()
    assert _find(tracker, ws) == (str(ws / ".codex"),)


def test_overlapping_roots(tracker: Tracker, tmp_path: Path) -> None:
    ws = _git_init(tmp_path / "ws")
    other = _git_init(tmp_path / "other")
    both = (str(other / ".git"), str(ws / ".git"))
    assert _find(tracker, ws, tmp_path) == both
    assert _find(tracker, ws) == (str(ws / ".git"),)
    _git_init(ws / "new")
    assert str(ws / "new" / ".git") in _find(tracker, tmp_path, ws)


def test_the_bound_stops_breadth_first(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    deep = ws / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    _git_init(deep)
    (ws / "z").mkdir()
    (ws / "z" / ".codex").mkdir()
    t = Tracker(max_dirs=3)  # ws, a, z
    found = t.find([str(ws)])
    assert found.paths == (str(ws / "z" / ".codex"),)  # shallow first; the deep one is beyond
    assert found.skipped == f"{ws / 'a' / 'b'} (3 dirs)"
    t.close()


def test_an_event_overflow_rebuilds(tmp_path: Path) -> None:
    t = Tracker()
    if not t.watching:  # pragma: no cover
        pytest.skip("no inotify here")
    ws = tmp_path / "ws"
    (ws / "flood").mkdir(parents=True)
    (ws / "b").mkdir()
    assert _find(t, ws) == ()
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    if limit > 20_000:  # pragma: no cover - a raised limit: too many files to make
        pytest.skip(f"max_queued_events is {limit}")
    for i in range(limit + 10):  # fills the queue: the next events are lost
        (ws / "flood" / f"f{i}").touch()
    _git_init(ws / "b" / "repo")
    assert _find(t, ws) == (str(ws / "b" / "repo" / ".git"),)
    t.close()


def test_secrets_that_exist(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "sessions").mkdir(parents=True)
    (home / "auth.json").write_text("{}")
    elsewhere = tmp_path / "hist.jsonl"
    elsewhere.write_text("")
    (home / "history.jsonl").symlink_to(elsewhere)
    (home / "config.toml").write_text("")
    found = {s.path: s.is_dir for s in secrets(str(home))}
    assert found == {
        str(home / "auth.json"): False,
        str(elsewhere): False,
        str(home / "sessions"): True,
    }
    before = {s.path: s.ident for s in secrets(str(home))}
    (home / "auth.json.tmp").write_text("{}")
    (home / "auth.json.tmp").replace(home / "auth.json")  # an atomic rewrite: a new inode
    after = {s.path: s.ident for s in secrets(str(home))}
    assert after[str(home / "auth.json")] != before[str(home / "auth.json")]
    assert secrets(None) == ()


def test_secret_names_cover_what_storage_writes() -> None:
    from pycodex.storage.auth import AUTH_FILE
    from pycodex.storage.history import HISTORY_FILE
    from pycodex.storage.rollout import SESSIONS_DIR

    assert AUTH_FILE in protected.SECRET_FILES
    assert HISTORY_FILE in protected.SECRET_FILES
    assert SESSIONS_DIR in protected.SECRET_DIRS


def test_without_inotify_the_bound_is_smaller(tmp_path: Path) -> None:
    """Every tracked directory costs a stat per command then: the search stops sooner."""
    ws = tmp_path / "ws"
    for i in range(protected.FALLBACK_MAX_DIRS + 1):
        (ws / f"d{i:05}").mkdir(parents=True)
    t = Tracker(use_inotify=False)
    found = t.find([str(ws)])
    assert len(t) == protected.FALLBACK_MAX_DIRS
    assert found.skipped is not None
    assert found.skipped.endswith(f"({protected.FALLBACK_MAX_DIRS} dirs; no inotify: not used)")
    t.close()


def test_a_repository_made_again_is_a_new_one(tracker: Tracker, tmp_path: Path) -> None:
    """Same path, maybe the same inode number again: still a different identity."""
    ws = tmp_path / "ws"
    _git_init(ws / "lib")
    first = tracker.find([str(ws)])
    subprocess.run(["rm", "-rf", str(ws / "lib" / ".git")], check=True, timeout=30)
    _git_init(ws / "lib")
    second = tracker.find([str(ws)])
    assert first.paths == second.paths == (str(ws / "lib" / ".git"),)
    assert first.idents != second.idents
    assert tracker.find([str(ws)]).idents == second.idents  # nothing changed since
