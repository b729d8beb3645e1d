"""`codex exec` inputs: prompt from argument and/or stdin, images, git check."""

from __future__ import annotations

import argparse
import base64
import io
from pathlib import Path

import pytest

from pycodex.cli.exec_cmd import in_git_work_tree, resolve_prompt
from pycodex.cli.session_inputs import read_images
from pycodex.core.images import NotAnImage, image_data_url
from pycodex.protocol.errors import UsageError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def prompt(
    arg: str | None, stdin: bytes, *, tty: bool = False, data: bool = True
) -> tuple[str, str]:
    err = io.StringIO()
    text = resolve_prompt(
        arg, stdin=io.BytesIO(stdin), stdin_is_tty=tty, stdin_is_data=data, err=err
    )
    return text, err.getvalue()


def test_absent_or_dash_reads_stdin_with_a_notice() -> None:
    assert prompt(None, b"from stdin\n") == ("from stdin\n", "Reading prompt from stdin...\n")
    assert prompt("-", b"dash") == ("dash", "Reading prompt from stdin...\n")


def test_argument_and_piped_stdin_make_a_stdin_block() -> None:
    text, err = prompt("review this", b"diff --git a b\n+x\n")
    assert text == "review this\n\n<stdin>\ndiff --git a b\n+x\n</stdin>"
    assert err == ""


def test_argument_with_terminal_or_empty_stdin_is_left_alone() -> None:
    assert prompt("task", b"ignored", tty=True)[0] == "task"
    assert prompt("task", b"   \n")[0] == "task"
    assert prompt("task", b"not read", data=False)[0] == "task"


def test_empty_prompt_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no prompt"):
        prompt(None, b"  \n")
    with pytest.raises(UsageError):
        prompt("", b"", tty=True)


def test_image_data_urls(tmp_path: Path) -> None:
    img = tmp_path / "shot.bin"
    img.write_bytes(PNG)
    assert image_data_url(img) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    jpg = tmp_path / "a.JPG"
    jpg.write_bytes(b"raw")
    assert image_data_url(jpg).startswith("data:image/jpeg;base64,")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(NotAnImage, match="not an image"):
        image_data_url(txt)


def test_bad_image_flags_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match="cannot read image"):
        read_images(argparse.Namespace(images=[str(tmp_path / "missing.png")]))
    with pytest.raises(UsageError, match="not an image"):
        read_images(argparse.Namespace(images=[str(tmp_path / "notes.txt")]))
    assert read_images(argparse.Namespace(images=[])) == ()


def test_git_work_tree_detection(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub" / "dir").mkdir(parents=True)
    assert in_git_work_tree(repo / "sub" / "dir")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: /elsewhere\n")
    assert in_git_work_tree(worktree)
    assert not in_git_work_tree(tmp_path / "plain") or (tmp_path / ".git").exists()
