"""`codex` in a real terminal, driven faster than a person (issue 14, bugs 1 and 2).

tmux runs the real CLI against the scripted model server. A prompt and Enter typed right
after the command is launched (no wait for the screen: the keys reach the tty while the
program is still starting, partly in cooked mode) must be sent to the model. Ctrl-C in the
middle of a long streamed answer, ten turns in a row, must each time end the turn with the
server seeing the stream closed before its last event. Every wait is bounded; nothing is
timed.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.model_server import RecordedRequest, ScriptedModelServer, Turn
from tests.tui.tmux_support import (
    NO_TMUX,
    PROMPT,
    START_TIMEOUT,
    TIMEOUT,
    TMUX,
    Tmux,
    last_line,
    trusted_home,
)

pytestmark = pytest.mark.skipif(TMUX is None, reason=NO_TMUX)
LAST_WORD = "FINALWORD"
IDLE_FOOTER = "Ctrl+C quit"  # the idle composer's footer
STREAM_TIMEOUT = 90.0  # longer than a whole answer: a lost interrupt shows as a full stream


@pytest.fixture
def term(tmp_path: Path, model_server: ScriptedModelServer) -> Iterator[Tmux]:
    """A shell in tmux, in a trusted repo, with CODEX_HOME pointing at the server."""
    work, env = trusted_home(tmp_path, model_server.base_url)
    t = Tmux(tmp_path / "tmux.sock", work, env)
    try:
        t.keys(f"PS1={shlex.quote(PROMPT)}; touch {tmp_path}/shell-up", "Enter")
        t.wait((tmp_path / "shell-up").exists, "the shell")
        yield t
    finally:
        t.kill()


def _codex() -> str:
    return f"{shlex.quote(sys.executable)} -m pycodex"


def _user_text(req: RecordedRequest) -> str:
    assert req.body is not None
    last = req.body["input"][-1]
    return "".join(part.get("text", "") for part in last["content"])


def _wait_finished(server: ScriptedModelServer, n: int) -> RecordedRequest:
    """Request ``n`` once the server is done with it (answered, or the client closed it)."""
    deadline = time.monotonic() + STREAM_TIMEOUT
    while True:
        reqs = server.model_requests
        if len(reqs) > n and reqs[n].finished_at is not None:
            return reqs[n]
        if time.monotonic() > deadline:
            raise AssertionError(f"request {n} still being served after {STREAM_TIMEOUT}s")
        time.sleep(0.05)  # bounded poll of the server's record


def _quit(term: Tmux) -> None:
    term.keys("C-c")
    term.wait_text("again to quit")
    term.keys("C-c")
    term.wait(lambda: last_line(term.screen()) == PROMPT.strip(), "the shell prompt")


def test_prompt_typed_right_after_launch_is_sent(
    term: Tmux, model_server: ScriptedModelServer
) -> None:
    model_server.push(Turn(text="The answer is 42."))
    term.keys(_codex(), "Enter")
    term.keys("what is the answer", literal=True)  # no wait for the screen
    term.keys("Enter")
    (request,) = model_server.wait_for_requests(1, timeout=START_TIMEOUT)
    assert _user_text(request) == "what is the answer"
    term.wait_text("The answer is 42.", START_TIMEOUT)
    term.wait_text(IDLE_FOOTER)
    _quit(term)


def test_ctrl_c_mid_stream_ten_times_closes_each_stream(
    term: Tmux, model_server: ScriptedModelServer
) -> None:
    turns = 10
    for n in range(turns):  # ~2,000 deltas 10 ms apart: far longer than an interrupt takes
        model_server.push(Turn(text=f"w{n} " * 2000 + LAST_WORD, chunk_size=4, event_delay=0.01))
    model_server.push(Turn(text="all calm now"))
    term.keys(_codex(), "Enter")
    term.wait_text(IDLE_FOOTER, START_TIMEOUT)
    for n in range(turns):
        term.keys(f"turn {n}", literal=True)
        term.keys("Enter")
        term.wait_text(f"w{n} w{n} w{n}", START_TIMEOUT)  # streaming
        term.keys("C-c")
        req = _wait_finished(model_server, n)
        assert _user_text(req) == f"turn {n}"
        assert req.closed_early, f"turn {n}: the interrupt did not close the stream"
        term.wait_text(IDLE_FOOTER, TIMEOUT)  # the turn ended: the composer is idle again
        assert LAST_WORD not in term.screen()
    term.keys("one more", literal=True)
    term.keys("Enter")
    term.wait_text("all calm now", START_TIMEOUT)
    assert not _wait_finished(model_server, turns).closed_early
    _quit(term)
