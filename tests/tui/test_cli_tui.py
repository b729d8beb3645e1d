"""`codex [PROMPT]` and `codex resume` as a user runs them: a real process on a pty.

The app draws on the pty, answers the prompt from the scripted server, quits on Ctrl-C
twice, leaves the alternate screen and prints the transcript into the scrollback.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from tests.e2e.harness import CODEX, base_env, codex, write_config
from tests.support.model_server import ScriptedModelServer, Turn

DEADLINE_S = 30.0


def _trusted(directory: Path) -> str:
    """config.toml text marking ``directory`` trusted: no onboarding screen."""
    return f'\n[projects."{directory.resolve()}"]\ntrust_level = "trusted"\n'


class PtyProcess:
    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.output = b""

    def read_until(self, needle: bytes, timeout: float = DEADLINE_S) -> bytes:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen; got {self.output[-2000:]!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the child closed the pty
                    break
        return self.output

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = DEADLINE_S) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError("the TUI did not exit")
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                with contextlib.suppress(OSError):  # the child closed the pty
                    self.output += os.read(self.master, 65536)
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.master)


def test_prompt_answer_quit_and_transcript_in_scrollback(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="pty answer here"))
    write_config(codex_home, model_server.base_url, provider=_trusted(tmp_path))
    env = base_env(codex_home, TERM="xterm-256color", COLUMNS="100", LINES="30")
    tui = PtyProcess([*CODEX, "ask the pty"], tmp_path, env)
    try:
        tui.read_until(b"\x1b[?1049h")  # the alternate screen
        tui.read_until(b"tokens used")
        model_server.wait_for_requests(1, timeout=DEADLINE_S)
        tui.read_until(b"answer here")
        tui.send(b"\x03")
        tui.read_until(b"again to quit")
        tui.send(b"\x03")
        assert tui.wait() == 0
    finally:
        tui.close()
    out = tui.output
    after = out[out.rindex(b"\x1b[?1049l") :]  # back on the normal screen
    assert b"user\r\nask the pty" in after and b"codex\r\npty answer here" in after


def test_resume_without_sessions_is_one_line_error(codex_home: Path, tmp_path: Path) -> None:
    env = base_env(codex_home)
    result = codex(["resume", "--last"], cwd=tmp_path, env=env)
    assert result.rc == 1
    assert result.err.startswith("Error: no saved session under ")
    result = codex(["resume", "0000dead"], cwd=tmp_path, env=env)
    assert result.rc == 1 and "no saved session matches '0000dead'" in result.err


def test_oss_pulls_the_model_before_the_screen_opens(codex_home: Path, tmp_path: Path) -> None:
    with ScriptedModelServer([Turn(text="local answer")]) as srv:
        (codex_home / "config.toml").write_text(_trusted(tmp_path))
        env = base_env(
            codex_home, TERM="xterm-256color", CODEX_OSS_BASE_URL=srv.base_url, LINES="30"
        )
        tui = PtyProcess([*CODEX, "--oss", "-m", "tiny:1b", "hi local"], tmp_path, env)
        try:
            tui.read_until(b"local answer")
            tui.send(b"\x04")  # Ctrl-D on the empty composer
            assert tui.wait() == 0
        finally:
            tui.close()
        paths = [(r.method, r.path) for r in srv.requests]
        assert paths.index(("POST", "/api/pull")) < paths.index(("POST", "/v1/chat/completions"))
        body = srv.model_requests[0].body
        assert body is not None and body["model"] == "tiny:1b"
    out = tui.output
    assert out.index(b"tiny:1b") < out.index(b"\x1b[?1049h")  # progress, then the screen


def test_no_alt_screen_runs_inline(
    model_server: ScriptedModelServer, codex_home: Path, tmp_path: Path
) -> None:
    model_server.push(Turn(text="inline answer"))
    write_config(codex_home, model_server.base_url, provider=_trusted(tmp_path))
    env = base_env(codex_home, TERM="xterm-256color", COLUMNS="100", LINES="30")
    tui = PtyProcess([*CODEX, "--no-alt-screen", "inline please"], tmp_path, env)
    try:
        tui.read_until(b"inline answer")
        tui.send(b"\x04")
        assert tui.wait() == 0
    finally:
        tui.close()
    assert b"\x1b[?1049h" not in tui.output  # never left the normal screen
    assert b"codex\r\ninline answer" in tui.output  # and the transcript was printed


def test_missing_api_key_is_shown_and_the_app_stays_usable(
    codex_home: Path, tmp_path: Path
) -> None:
    write_config(codex_home, "http://127.0.0.1:9/v1", provider=_trusted(tmp_path))
    env = base_env(codex_home, TERM="xterm-256color", LINES="30")
    del env["MOCK_KEY"]
    tui = PtyProcess([*CODEX], tmp_path, env)
    try:
        tui.read_until(b"MOCK_KEY")
        tui.send(b"/quit\r")
        assert tui.wait() == 0
    finally:
        tui.close()
