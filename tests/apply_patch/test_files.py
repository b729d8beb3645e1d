"""Every read goes through the injected ``FileAccess``; writes land on the real paths the plan
recorded, and a symlink re-pointed after planning (or approval) writes nothing anywhere."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pycodex.apply_patch import (
    FileMissing,
    FileWrite,
    StaleFile,
    apply_patch_text,
    apply_planned,
    parse_patch,
    plan_patch,
)
from pycodex.apply_patch.apply import _commit
from pycodex.apply_patch.files import PLAIN, Kind, location
from tests.apply_patch.support import patch, snapshot, write_tree


@dataclass
class Recording:
    """The plain reader, recording each call; paths under ``refused`` raise like a reader
    that may not look there."""

    refused: Path | None = None
    calls: list[tuple[str, Path]] = field(default_factory=list)

    def _guard(self, path: Path) -> None:
        if self.refused is not None and path.resolve().is_relative_to(self.refused):
            raise PermissionError(errno.EACCES, "refused by the test reader", str(path))

    def read(self, path: Path) -> tuple[bytes | None, int, Path]:
        self.calls.append(("read", path))
        self._guard(path)
        return PLAIN.read(path)

    def list_names(self, directory: Path) -> list[str]:
        self.calls.append(("list", directory))
        try:
            self._guard(directory)
        except PermissionError:
            return []
        return PLAIN.list_names(directory)

    def kind(self, path: Path) -> Kind:
        self.calls.append(("kind", path))
        self._guard(path)
        return PLAIN.kind(path)


def test_planning_hints_and_applying_all_read_through_the_reader(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "a\n", "notes.txt": "n\n"})
    files = Recording()
    result = apply_patch_text(
        patch("*** Update File: a.txt", "-a", "+A", "*** Add File: new/b.txt", "+b"),
        tmp_path,
        files,
    )
    assert result.success, result.output
    kinds = {kind for kind, _ in files.calls}
    assert kinds == {"read", "kind"}  # plan (read, parent check) and the fresh re-read
    assert [p for k, p in files.calls if k == "read"].count(tmp_path / "a.txt") == 2
    failed = apply_patch_text(patch("*** Update File: note.txt", "-n", "+N"), tmp_path, files)
    assert "Did you mean: notes.txt" in failed.output
    assert ("list", tmp_path) in files.calls


def test_a_refused_path_fails_like_an_unreadable_one_and_quotes_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    write_tree(secret, {"key.txt": "sk-very-secret-value\n"})
    work = tmp_path / "work"
    work.mkdir()
    (work / "link").symlink_to(secret / "key.txt")
    (work / "dir").symlink_to(secret, target_is_directory=True)
    files = Recording(refused=secret)
    before = snapshot(tmp_path)
    for name in ("link", str(secret / "key.txt"), "dir/key.txt", "dir/ke.txt"):
        body = patch(f"*** Update File: {name}", " sk-very-secret-valuX", "-x", "+y")
        result = apply_patch_text(body, work, files)
        assert isinstance(result.error, FileMissing), result.output
        assert "refused by the test reader" in result.output
        assert "sk-very-secret-value\n" not in result.output.replace("valuX", "")
        assert "key.txt?" not in result.output  # no "Did you mean" from a refused directory
    added = apply_patch_text(patch("*** Add File: dir/new/x.txt", "+x"), work, files)
    assert "refused by the test reader" in added.output
    assert snapshot(tmp_path) == before


def test_writes_land_on_real_paths_and_the_plan_says_where(tmp_path: Path) -> None:
    work, other = tmp_path / "work", tmp_path / "other"
    write_tree(work, {"target.txt": "t\n", "keep.txt": "k\n"})
    other.mkdir()
    (work / "alias.txt").symlink_to("target.txt")
    (work / "out").symlink_to(other, target_is_directory=True)
    (work / "gone").symlink_to("keep.txt")
    planned = plan_patch(
        parse_patch(
            patch(
                "*** Update File: alias.txt",
                "-t",
                "+T",
                "*** Add File: out/x.txt",
                "+x",
                "*** Delete File: gone",
            )
        ),
        work,
    )
    assert planned.locations == {
        work / "alias.txt": (work / "target.txt").resolve(),
        work / "out" / "x.txt": other.resolve() / "x.txt",
        work / "gone": work.resolve() / "gone",  # deleting a link removes the link
    }
    assert apply_planned(planned).success
    assert (work / "alias.txt").is_symlink() and (work / "target.txt").read_text() == "T\n"
    assert (other / "x.txt").read_text() == "x\n"
    assert not (work / "gone").is_symlink() and (work / "keep.txt").read_text() == "k\n"


def test_a_symlink_re_pointed_after_planning_writes_nothing_anywhere(tmp_path: Path) -> None:
    first, second, work = tmp_path / "first", tmp_path / "second", tmp_path / "work"
    for directory in (first, second, work):
        directory.mkdir()
    (first / "f.txt").write_text("same\n")
    (second / "f.txt").write_text("same\n")  # even identical content does not pass
    link = work / "link"
    link.symlink_to(first, target_is_directory=True)
    planned = plan_patch(
        parse_patch(
            patch("*** Add File: link/x.txt", "+x", "*** Update File: link/f.txt", "-same", "+new")
        ),
        work,
    )
    link.unlink()
    link.symlink_to(second, target_is_directory=True)
    before = snapshot(tmp_path)
    result = apply_planned(planned)
    assert isinstance(result.error, StaleFile)
    assert "now resolves to" in result.output and "nothing was written" in result.output
    assert str(second.resolve()) in result.output
    assert snapshot(tmp_path) == before


def test_the_writer_never_follows_a_symlink_put_into_a_real_path(tmp_path: Path) -> None:
    """After every check passed, a directory on a recorded real path becomes a symlink: the
    no-follow walk stops, nothing is written on either side."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    target = work.resolve() / "sub" / "x.txt"
    (work / "sub").rmdir()
    (work / "sub").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(tmp_path)
    with pytest.raises(StaleFile) as caught:
        _commit((FileWrite(target, b"x\n", None),))
    assert "is a symlink now" in caught.value.message
    assert snapshot(tmp_path) == before
    assert list(elsewhere.iterdir()) == []


def test_location_follows_only_where_asked(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "f").write_text("f")
    (tmp_path / "real" / "l").symlink_to("f")
    real = (tmp_path / "real").resolve()
    assert location(tmp_path / "link" / "l", follow=True) == real / "f"
    assert location(tmp_path / "link" / "l", follow=False) == real / "l"
    assert location(tmp_path / "link" / "new", follow=False) == real / "new"
