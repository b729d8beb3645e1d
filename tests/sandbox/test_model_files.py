"""The agent's one rule for reading files on the model's behalf (``sandbox.model_files``).

Real files, real symlinks, a real FIFO; the check-then-open race is staged by a subclass whose
``check`` swaps the path right after approving it (what a sandboxed command could do between
the agent's check and its open).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from pycodex.apply_patch.files import FileAccess
from pycodex.sandbox.model_files import (
    REFUSED,
    ModelFiles,
    RefusedPath,
    is_refused,
    refused_roots,
)
from pycodex.sandbox.policy import SandboxPolicy


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "codex_home"
    home.mkdir()
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "sk-secret"}\n')
    return home


def test_reads_a_regular_file_and_reports_its_real_path(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("hello\n")
    (tmp_path / "alias").symlink_to("real.txt")
    data, mode, real = ModelFiles().read(tmp_path / "alias")
    assert data == b"hello\n" and real == (tmp_path / "real.txt").resolve()
    assert mode & 0o777


@pytest.mark.parametrize(
    "target", ["/proc/self/environ", "/proc/self/status", "/sys/kernel", "/dev/null"]
)
def test_proc_sys_dev_are_refused_directly_and_through_symlinks(
    tmp_path: Path, target: str
) -> None:
    files = ModelFiles()
    (tmp_path / "link").symlink_to(target)
    for path in (Path(target), tmp_path / "link"):
        with pytest.raises(RefusedPath) as caught:
            files.read(path)
        assert caught.value.strerror == REFUSED
        with pytest.raises(RefusedPath):
            files.kind(path)
        assert files.list_names(path) == []


def test_codex_home_is_refused_even_when_reached_through_symlinks(tmp_path: Path) -> None:
    home = _home(tmp_path)
    alias = tmp_path / "home_alias"
    alias.symlink_to(home, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "auth").symlink_to(home / "auth.json")
    (work / "dir").symlink_to(home, target_is_directory=True)
    for files in (ModelFiles(refused_roots(home)), ModelFiles(refused_roots(alias))):
        for path in (home / "auth.json", work / "auth", work / "dir" / "auth.json", alias):
            with pytest.raises(RefusedPath):
                files.read(path)
        assert files.list_names(work / "dir") == []
        assert sorted(files.list_names(work)) == ["auth", "dir"]
    # The policy carries the codex home: every mode refuses it, full access included.
    policy = SandboxPolicy(codex_home=home)
    with pytest.raises(RefusedPath):
        ModelFiles.for_policy(policy).read(work / "auth")


def test_the_reader_fits_the_patch_library_contract(tmp_path: Path) -> None:
    files: FileAccess = ModelFiles()  # structural: mypy checks this assignment
    assert files.kind(tmp_path) == "directory"
    assert files.kind(tmp_path / "missing") == "missing"
    with pytest.raises(FileNotFoundError):
        files.read(tmp_path / "missing")
    data, _, _ = files.read(tmp_path)
    assert data is None  # not a regular file: never opened


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    result: list[tuple[bytes | None, int, Path]] = []
    reader = threading.Thread(target=lambda: result.append(ModelFiles().read(tmp_path / "link")))
    reader.daemon = True
    reader.start()
    reader.join(timeout=30)  # a blocking open would hang here forever
    assert not reader.is_alive()
    assert [data for data, _, _ in result] == [None]


@dataclass(frozen=True, slots=True)
class _SwapAfterCheck(ModelFiles):
    """Replaces ``victim`` with ``replacement`` right after the check approves a path."""

    victim: Path = Path()
    replacement: Path = Path()

    def check(self, path: Path) -> Path:
        real = ModelFiles.check(self, path)
        if self.victim.is_symlink() or self.victim.exists():
            backup = self.victim.with_name(self.victim.name + ".old")
            self.victim.rename(backup)
            self.victim.symlink_to(self.replacement)
        return real


def test_a_directory_swapped_for_a_symlink_after_the_check_is_caught(tmp_path: Path) -> None:
    """``d/environ`` is checked as a workspace file; then ``d`` becomes a link to /proc/self,
    so the open lands on the agent's environment: the descriptor's real path refuses it."""
    work = tmp_path / "work"
    (work / "d").mkdir(parents=True)
    (work / "d" / "environ").write_text("harmless\n")
    files = _SwapAfterCheck(ALWAYS, work / "d", Path("/proc/self"))
    with pytest.raises(RefusedPath) as caught:
        files.read(work / "d" / "environ")
    assert caught.value.strerror == REFUSED


def test_a_file_swapped_for_a_symlink_after_the_check_is_caught(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("harmless\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("sk-secret\n")
    files = _SwapAfterCheck(refused_roots(None), tmp_path / "f.txt", secret)
    with pytest.raises(RefusedPath) as caught:  # O_NOFOLLOW: the swapped link is not followed
        files.read(tmp_path / "f.txt")
    assert "changed while it was read" in str(caught.value.strerror)


ALWAYS = refused_roots(None)


def test_is_refused_is_by_path_component() -> None:
    roots = refused_roots("/home/u/.codex")
    assert is_refused(Path("/proc"), roots) and is_refused(Path("/proc/1/environ"), roots)
    assert is_refused(Path("/home/u/.codex/auth.json"), roots)
    assert not is_refused(Path("/home/u/.codex2/x"), roots)
    assert not is_refused(Path("/procfs/x"), roots)
    assert not is_refused(Path("/devices"), roots)
