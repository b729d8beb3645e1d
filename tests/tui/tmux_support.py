"""A real terminal for the TUI tests: one tmux server per test (own socket), a clean bash,
and a CODEX_HOME pointing at the scripted model server in a trusted repository.

Shared by the tmux tests (prompt/answer/quit, type-ahead and Ctrl-C, terminal safety); each
skips with a printed reason when tmux is not installed.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import make_repo, write_config

TMUX = shutil.which("tmux")
NO_TMUX = "tmux is not installed (the real-terminal test needs it)"
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


def last_line(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def trusted_home(tmp_path: Path, base_url: str, top: str = "") -> tuple[Path, dict[str, str]]:
    """A repository ``work`` marked trusted (no onboarding screen) and the environment of a
    shell whose CODEX_HOME points at the model server: ``(work, env)``."""
    home = tmp_path / "home"
    home.mkdir()
    work = make_repo(tmp_path / "work").resolve()
    write_config(home, base_url, top=top)
    with (home / "config.toml").open("a") as fh:
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
    return work, env
