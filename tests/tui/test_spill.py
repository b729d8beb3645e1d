"""SpilledStrings: the transcript's on-disk list."""

from __future__ import annotations

import errno
import gc
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycodex.frontends.tui.spill import SpilledStrings


def test_strings_come_back_in_order_with_newlines_and_unicode() -> None:
    spilled = SpilledStrings()
    texts = ["", "one line", "two\nlines\n", "ünïcødé ✓ 【F:a.py†L1】", "\x1b[1mbold\x1b[0m"]
    spilled.extend(texts)
    assert len(spilled) == len(texts)
    assert list(spilled) == texts
    assert spilled[3] == texts[3] and spilled[-1] == texts[-1]
    with pytest.raises(IndexError):
        spilled[len(texts)]
    spilled.close()


def test_the_text_lives_in_an_unlinked_file_not_in_memory() -> None:
    spilled = SpilledStrings()
    big = "x" * 100_000
    for _ in range(20):
        spilled.append(big)
    file = spilled._file
    assert file is not None
    stat = os.fstat(file.fileno())
    assert stat.st_size == 20 * len(big)  # on disk
    assert stat.st_nlink == 0  # no name anyone else could open
    assert stat.st_mode & 0o077 == 0  # and private
    assert spilled[19] == big


def test_clear_starts_over_and_close_releases_the_file() -> None:
    spilled = SpilledStrings()
    spilled.extend(["a", "b"])
    spilled.clear()
    assert len(spilled) == 0 and list(spilled) == []
    spilled.append("c")
    assert list(spilled) == ["c"]
    file = spilled._file
    assert file is not None
    spilled.close()
    assert file.closed and len(spilled) == 0


def test_an_abandoned_list_closes_its_file() -> None:
    spilled = SpilledStrings()
    spilled.append("x")
    file = spilled._file
    assert file is not None
    del spilled
    gc.collect()
    assert file.closed


@given(st.lists(st.text()))
def test_any_strings_round_trip(texts: list[str]) -> None:
    spilled = SpilledStrings()
    spilled.extend(texts)
    assert list(spilled) == texts
    spilled.close()


def test_without_a_usable_temp_dir_the_list_stays_in_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    spilled = SpilledStrings()
    spilled.extend(["a", "b\nc"])
    assert not spilled.on_disk
    assert list(spilled) == ["a", "b\nc"] and spilled[-1] == "b\nc"


def test_a_write_failing_midway_keeps_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    spilled = SpilledStrings()
    spilled.extend(["first", "second"])
    file = spilled._file
    assert file is not None

    def disk_full(data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(file, "write", disk_full)
    spilled.append("third")
    assert not spilled.on_disk and file.closed
    assert list(spilled) == ["first", "second", "third"]
