"""Start the user's own programs for a front end: their editor, a clipboard reader.

These are the user's programs, not the model's: the user chose them (``$VISUAL``,
``$EDITOR``, the clipboard tool their desktop has) and starts them by a key press, so they
run unsandboxed (``FULL_ACCESS``), with the environment they are given, and no approval
policy applies. They still start through ``pycodex.sandbox``'s process API, since only
``pycodex.sandbox`` starts processes. Never use this for a command the model asked for:
that goes through the session's tools, its sandbox and its approval policy.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.errors import CodexError

__all__ = [
    "ProgramOutput",
    "clipboard_command",
    "edit_text",
    "editor_command",
    "read_clipboard",
    "read_output",
    "run_on_terminal",
]

_OUTPUT_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class ProgramOutput:
    exit_code: int
    stdout: str
    stderr: str


def editor_command(env: Mapping[str, str]) -> list[str] | None:
    """The user's editor as argv (``$VISUAL``, else ``$EDITOR``, split as a shell would);
    None when neither is set to something usable."""
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if not value:
            continue
        try:
            argv = shlex.split(value)
        except ValueError:  # an unbalanced quote: not a command line
            continue
        if argv:
            return argv
    return None


def run_on_terminal(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> int:
    """Run ``argv`` on the terminal (stdio inherited) and wait; its exit status.

    Blocking, and for the main thread: a screen-owning front end suspends its screen first.
    Raises ``CodexError`` when the program cannot be started.
    """
    from pycodex.sandbox.launch import prepare_launch, run_foreground
    from pycodex.sandbox.policy import FULL_ACCESS

    launch = prepare_launch(FULL_ACCESS, argv, cwd=cwd, env=env, terminal=True)
    try:
        return run_foreground(launch, cwd=cwd)
    except OSError as exc:
        raise CodexError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc


def edit_text(text: str, *, cwd: Path, env: Mapping[str, str], suffix: str = ".md") -> str:
    """``text`` after the user edited it in their editor (a temporary file, removed after).

    Raises ``CodexError`` when no editor is set, it cannot start or it fails.
    """
    argv = editor_command(env)
    if argv is None:
        raise CodexError("no editor: set $VISUAL or $EDITOR")
    fd, name = tempfile.mkstemp(prefix="codex-", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        status = run_on_terminal([*argv, name], cwd=cwd, env=env)
        if status != 0:
            raise CodexError(f"the editor ({argv[0]}) exited with status {status}")
        return Path(name).read_text(encoding="utf-8", errors="replace")
    finally:
        Path(name).unlink(missing_ok=True)


async def read_output(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_ms: int = _OUTPUT_TIMEOUT_MS,
) -> ProgramOutput:
    """Run ``argv`` with no input and capture what it prints (a failure to start is an
    exit code, as for any command: 127 not found, 126 not executable)."""
    from pycodex.sandbox.spawn import run_command

    result = await run_command(argv, cwd=cwd, env=env, timeout_ms=timeout_ms)
    return ProgramOutput(result.exit_code, result.stdout, result.stderr)


def clipboard_command(env: Mapping[str, str], platform: str = sys.platform) -> list[str] | None:
    """The program that prints the clipboard's text here (found on ``env``'s PATH), if any:
    ``pbpaste`` on macOS; ``wl-paste`` under Wayland, else ``xclip`` or ``xsel``."""
    if platform == "darwin":
        candidates = [["pbpaste"]]
    else:
        candidates = [["xclip", "-selection", "clipboard", "-o"], ["xsel", "--clipboard", "-o"]]
        if env.get("WAYLAND_DISPLAY"):
            candidates.insert(0, ["wl-paste", "--no-newline"])
    path = env.get("PATH", os.defpath)
    for argv in candidates:
        found = shutil.which(argv[0], path=path)
        if found is not None:
            return [found, *argv[1:]]
    return None


async def read_clipboard(*, cwd: Path, env: Mapping[str, str]) -> str | None:
    """The clipboard's text; None when no reader is installed or it fails."""
    argv = clipboard_command(env)
    if argv is None:
        return None
    out = await read_output(argv, cwd=cwd, env=env)
    return out.stdout if out.exit_code == 0 else None
