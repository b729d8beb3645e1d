"""``python -m pycodex.apply_patch`` as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.apply_patch.support import patch, snapshot, write_tree


def _run(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pycodex.apply_patch", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_patch_from_stdin_applies_relative_to_cwd(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "x\n"})
    done = _run(
        tmp_path, stdin=patch("*** Update File: a.txt", "-x", "+y", "*** Add File: b/c.txt", "+c")
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Success. Updated the following files:\nA b/c.txt\nM a.txt\n"
    assert done.stderr == ""
    assert (tmp_path / "a.txt").read_text() == "y\n"
    assert (tmp_path / "b/c.txt").read_text() == "c\n"


def test_patch_as_first_argument(tmp_path: Path) -> None:
    done = _run(tmp_path, patch("*** Add File: n.txt", "+n"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "n.txt").read_text() == "n\n"


def test_failure_exits_1_with_the_message_on_stderr(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "x\n"})
    before = snapshot(tmp_path)
    done = _run(
        tmp_path, stdin=patch("*** Add File: z.txt", "+z", "*** Update File: a.txt", "-nope", "+y")
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: Failed to find expected lines in a.txt")
    assert "No files were changed" in done.stderr
    assert snapshot(tmp_path) == before


def test_invalid_patch_and_usage(tmp_path: Path) -> None:
    bad = _run(tmp_path, stdin="hello\n")
    assert bad.returncode == 1
    assert "invalid patch: The first line of the patch must be '*** Begin Patch'" in bad.stderr
    usage = _run(tmp_path, "--help")
    assert usage.returncode == 0
    assert usage.stdout.startswith("usage: python -m pycodex.apply_patch")
    extra = _run(tmp_path, "a", "b")
    assert extra.returncode == 2
