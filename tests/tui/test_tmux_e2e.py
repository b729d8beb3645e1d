"""`codex` in a real terminal: tmux runs it, keys are typed, the screen is read back.

The TUI talks HTTP to the scripted model server. After quitting (Ctrl-C twice on the idle
composer) the terminal must be restored: the alternate screen is off, the shell prompt is
back, the tty settings equal those from before the launch, and the transcript is left in
the scrollback. Each tmux runs on its own socket and is killed at the end. Every wait is a
bounded poll of the screen.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import make_repo, write_config
from tests.support.model_server import ScriptedModelServer, Turn

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(
    TMUX is None, reason="tmux is not installed (the real-terminal test needs it)"
)
PROMPT = "PYC-READY$ "
START_TIMEOUT = 60.0
TIMEOUT = 30.0


class Tmux:
    """One tmux server (own socket) with one window running a clean bash."""

    def __init__(self, socket: Path, cwd: Path, env: dict[str, str]) -> None:
        assert TMUX is not None
        self.base = [TMUX, "-S", str(socket), "-f", "/dev/null"]
        env_args = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
        shell = f"env -i {env_args} bash --norc --noprofile"
        self.run("new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", "-c", str(cwd), shell)

    def run(self, *args: str) -> str:
        proc = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, timeout=15, check=True
        )
        return proc.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "e2e", *(["-l"] if literal else []), *keys)

    def screen(self, history: bool = False) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e", *(["-S", "-200"] if history else []))

    def fmt(self, spec: str) -> str:
        return self.run("display-message", "-p", "-t", "e2e", spec).strip()

    def wait(self, cond: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.05)  # bounded poll of the terminal

    def wait_text(self, text: str, timeout: float = TIMEOUT) -> None:
        self.wait(lambda: text in self.screen(), repr(text), timeout)

    def kill(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=15, check=False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Callable[[Path, dict[str, str]], Tmux]]:
    made: list[Tmux] = []

    def start(cwd: Path, env: dict[str, str]) -> Tmux:
        t = Tmux(tmp_path / "tmux.sock", cwd, env)
        made.append(t)
        return t

    yield start
    for t in made:
        t.kill()


def _last_line(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_prompt_answer_quit_restores_terminal(
    tmux: Callable[[Path, dict[str, str]], Tmux],
    model_server: ScriptedModelServer,
    tmp_path: Path,
) -> None:
    model_server.push(Turn(text="The answer is 42."))
    home = tmp_path / "home"
    home.mkdir()
    work = make_repo(tmp_path / "work").resolve()
    write_config(home, model_server.base_url)
    with (home / "config.toml").open("a") as fh:  # trusted: no onboarding screen
        fh.write(f'\n[projects."{work}"]\ntrust_level = "trusted"\n')
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "CODEX_HOME": str(home),
        "MOCK_KEY": "sk-test",
        "PS1": PROMPT,
    }
    term = tmux(work, env)
    term.keys(f"PS1={shlex.quote(PROMPT)}; stty -g > {tmp_path}/before", "Enter")
    term.wait((tmp_path / "before").exists, "the shell")

    term.keys(f"{shlex.quote(sys.executable)} -m pycodex", "Enter")
    term.wait_text("Ctrl+C quit", START_TIMEOUT)  # the footer: the composer is up
    assert term.fmt("#{alternate_on}") == "1"

    term.keys("what is the answer", literal=True)
    term.wait_text("what is the answer")
    term.keys("Enter")
    term.wait_text("The answer is 42.")
    (request,) = model_server.wait_for_requests(1, timeout=5)
    assert request.body is not None and "what is the answer" in str(request.body["input"][-1])

    term.keys("C-t")  # the transcript pager takes the screen, q gives it back
    term.wait_text("q or Esc close")
    assert "The answer is 42." in term.screen()
    term.keys("q")
    term.wait(lambda: "q or Esc close" not in term.screen(), "the pager to close")
    term.wait_text("Ctrl+C quit")

    term.keys("C-c")
    term.wait_text("again to quit")
    term.keys("C-c")
    term.wait(lambda: _last_line(term.screen()) == PROMPT.strip(), "the shell prompt")
    assert term.fmt("#{alternate_on}") == "0"
    assert term.fmt("#{pane_current_command}") == "bash"
    assert "The answer is 42." in term.screen(history=True)  # left in the scrollback

    term.keys(f"stty -g > {tmp_path}/after; stty -a > {tmp_path}/after.txt", "Enter")
    term.wait((tmp_path / "after.txt").exists, "stty")
    term.wait(lambda: "icanon" in (tmp_path / "after.txt").read_text(), "stty -a output")
    assert (tmp_path / "after").read_text() == (tmp_path / "before").read_text()
    flags = (tmp_path / "after.txt").read_text().split()
    assert {"icanon", "echo", "icrnl", "isig"} <= set(flags)
