"""history.jsonl: Codex's line format, private, locked appends, bounded size."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pycodex.storage.history import (
    HistoryEntry,
    HistoryLockTimeout,
    append_history,
    history_path,
    read_history,
)


def test_append_and_read_back(tmp_path: Path) -> None:
    before = int(time.time())
    append_history(tmp_path, "s1", "first prompt")
    append_history(tmp_path, "s2", "second ✓ prompt\nwith a newline")
    path = history_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [sorted(r) for r in raw] == [["session_id", "text", "ts"]] * 2
    entries = read_history(tmp_path)
    assert [(e.session_id, e.text) for e in entries] == [
        ("s1", "first prompt"),
        ("s2", "second ✓ prompt\nwith a newline"),
    ]
    assert all(before <= e.ts <= int(time.time()) for e in entries)


def test_an_existing_open_file_is_made_private(tmp_path: Path) -> None:
    path = history_path(tmp_path)
    path.write_text('{"session_id":"old","ts":1,"text":"kept"}\n')
    path.chmod(0o644)
    append_history(tmp_path, "s", "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = read_history(tmp_path)
    assert entries[0] == HistoryEntry("old", 1, "kept")
    assert [(e.session_id, e.text) for e in entries[1:]] == [("s", "new")]


def test_read_skips_torn_and_foreign_lines(tmp_path: Path) -> None:
    history_path(tmp_path).write_text(
        '{"session_id":"a","ts":5,"text":"one"}\n'
        "not json\n"
        '{"session_id":"a","ts":6}\n'
        '{"session_id":"b","ts":7,"text":"two"}\n'
        '{"session_id":"c","ts":8,"te'
    )
    assert read_history(tmp_path) == [HistoryEntry("a", 5, "one"), HistoryEntry("b", 7, "two")]
    assert read_history(tmp_path / "nowhere") == []


def test_max_bytes_drops_the_oldest_lines(tmp_path: Path) -> None:
    for n in range(200):
        append_history(tmp_path, "s", f"prompt number {n:03d}", max_bytes=2000)
        assert history_path(tmp_path).stat().st_size <= 2000
    texts = [e.text for e in read_history(tmp_path)]
    assert texts[-1] == "prompt number 199"
    first = int(texts[0].rsplit(" ", 1)[1])
    assert first > 0
    assert texts == [f"prompt number {n:03d}" for n in range(first, 200)]
    assert stat.S_IMODE(history_path(tmp_path).stat().st_mode) == 0o600


def test_a_single_entry_larger_than_the_cap_is_still_kept(tmp_path: Path) -> None:
    append_history(tmp_path, "s", "small")
    append_history(tmp_path, "s", "z" * 500, max_bytes=100)
    assert [e.text for e in read_history(tmp_path)] == ["z" * 500]


APPENDER = """
import sys
from pathlib import Path
from pycodex.storage.history import append_history
home, name, cap = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(60):
    append_history(home, name, f"{name}-{i:02d}-" + "p" * 200, int(cap) if cap != "-" else None)
"""


@pytest.mark.parametrize("cap", ["-", "6000"])
def test_concurrent_writers_never_interleave(tmp_path: Path, cap: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(tmp_path), f"w{k}", cap])
        for k in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    lines = history_path(tmp_path).read_text().splitlines()
    entries = read_history(tmp_path)
    assert len(entries) == len(lines)  # every line is a whole entry
    for k in range(4):
        mine = [int(e.text.split("-")[1]) for e in entries if e.session_id == f"w{k}"]
        assert mine == sorted(mine)
        if cap == "-":
            assert mine == list(range(60))
    if cap != "-":
        assert history_path(tmp_path).stat().st_size <= int(cap)


def test_a_held_lock_times_out_without_writing(tmp_path: Path) -> None:
    append_history(tmp_path, "s", "before")
    fd = os.open(history_path(tmp_path), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(HistoryLockTimeout, match="could not lock"):
            append_history(tmp_path, "s", "blocked")
    finally:
        os.close(fd)
    assert [e.text for e in read_history(tmp_path)] == ["before"]
    append_history(tmp_path, "s", "after")
    assert [e.text for e in read_history(tmp_path)] == ["before", "after"]
