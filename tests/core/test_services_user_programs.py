"""core.services.user_programs without a UI: the user's editor and clipboard reader are
real programs (small shell scripts in tmp_path), started unsandboxed through the sandbox
package's process API."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from pycodex.core.services.user_programs import (
    clipboard_command,
    edit_text,
    editor_command,
    read_clipboard,
    read_output,
    run_on_terminal,
)
from pycodex.protocol.errors import CodexError


def _script(directory: Path, name: str, body: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}


def test_editor_command_prefers_visual_and_splits_like_a_shell() -> None:
    assert editor_command(_env(VISUAL="code --wait", EDITOR="vi")) == ["code", "--wait"]
    assert editor_command(_env(EDITOR="'my editor' -n")) == ["my editor", "-n"]
    assert editor_command(_env(VISUAL="  ", EDITOR="vi")) == ["vi"]
    assert editor_command(_env(VISUAL="'unbalanced", EDITOR="nano")) == ["nano"]
    assert editor_command(_env()) is None


def test_edit_text_round_trips_through_the_users_editor(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    body = f'echo "$1" > {seen}; tr a-z A-Z < "$1" > "$1.new" && mv "$1.new" "$1"\n'
    editor = _script(tmp_path / "bin", "ed-upper", body)
    env = _env(EDITOR=f"{editor}")
    assert edit_text("fix the tests\n", cwd=tmp_path, env=env) == "FIX THE TESTS\n"
    edited = Path(seen.read_text(encoding="utf-8").strip())
    assert edited.name.startswith("codex-") and edited.suffix == ".md"
    assert not edited.exists()  # the temporary file is removed


def test_edit_text_reports_a_failing_or_missing_editor(tmp_path: Path) -> None:
    failing = _script(tmp_path / "bin", "ed-fail", "exit 3\n")
    with pytest.raises(CodexError, match="exited with status 3"):
        edit_text("x", cwd=tmp_path, env=_env(EDITOR=str(failing)))
    with pytest.raises(CodexError, match="no editor"):
        edit_text("x", cwd=tmp_path, env=_env())
    with pytest.raises(CodexError, match="cannot start"):
        edit_text("x", cwd=tmp_path, env=_env(EDITOR=str(tmp_path / "nowhere")))


def test_user_programs_are_not_sandboxed(tmp_path: Path) -> None:
    """A write outside the project succeeds: the user's program, not the model's."""
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    target = outside / "written.txt"
    status = run_on_terminal(["sh", "-c", f"echo ok > '{target}'"], cwd=project, env=_env())
    assert status == 0 and target.read_text(encoding="utf-8") == "ok\n"


def test_read_output_captures_and_reports_a_missing_program(tmp_path: Path) -> None:
    out = asyncio.run(
        read_output(["sh", "-c", "printf hi; printf err >&2"], cwd=tmp_path, env=_env())
    )
    assert (out.exit_code, out.stdout, out.stderr) == (0, "hi", "err")
    missing = asyncio.run(read_output([str(tmp_path / "nope")], cwd=tmp_path, env=_env()))
    assert missing.exit_code == 127


def test_clipboard_reader_is_found_on_path_and_read(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    xsel = _script(bin_dir, "xsel", "printf 'from the clipboard'\n")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    if clipboard_command(env, "linux") != [str(xsel), "--clipboard", "-o"]:
        pytest.skip("this machine has xclip on /usr/bin, which is preferred")
    assert asyncio.run(read_clipboard(cwd=tmp_path, env=env)) == "from the clipboard"
    wl = _script(bin_dir, "wl-paste", "printf wayland\n")
    assert clipboard_command({**env, "WAYLAND_DISPLAY": "wayland-0"}, "linux") == [
        str(wl),
        "--no-newline",
    ]
    assert clipboard_command({"PATH": str(bin_dir)}, "darwin") is None
    _script(bin_dir, "pbpaste", "printf mac\n")
    assert clipboard_command({"PATH": str(bin_dir)}, "darwin") == [str(bin_dir / "pbpaste")]


def test_no_clipboard_reader_is_none(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert clipboard_command({"PATH": str(empty)}, "linux") is None
    assert asyncio.run(read_clipboard(cwd=tmp_path, env={"PATH": str(empty)})) is None
