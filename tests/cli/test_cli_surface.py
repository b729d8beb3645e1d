"""The honest CLI surface through the real `codex` (issue 13, findings 2 and 4).

A word that is no prompt (a Codex command pycodex lacks, a typo of one it has) is a usage
error; the interactive session without a terminal says to use `codex exec` instead of
opening a screen nobody can see; `codex help COMMAND` and `codex exec -V` work. Every run has
stdin on /dev/null and pipes for output (no terminal), and is bounded by a timeout: a hang
fails the test. The host-side witness: the model server never received a request.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import codex, write_config
from tests.support.model_server import ScriptedModelServer, Turn

TIMEOUT = 30.0


@pytest.fixture
def configured(model_server: ScriptedModelServer, codex_home: Path) -> ScriptedModelServer:
    """A config pointing at the model server, with an answer ready should anything ask."""
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="answer"))
    return model_server


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["apply"], "`codex apply` is a Codex command pycodex does not have"),
        (["apply", "task_123"], "`codex apply` is a Codex command pycodex does not have"),
        (["proto"], "use `codex exec --json`"),
        (["cloud"], "`codex cloud` is a Codex command pycodex does not have"),
        (["app-server"], "`codex mcp` runs pycodex as an MCP server"),
        (["-m", "o3", "review"], "`codex review` is a Codex command pycodex does not have"),
        (["exce", "hi"], "did you mean `codex exec`?"),
        (["mpc"], "did you mean `codex mcp`?"),
        (["sandbx"], "did you mean `codex sandbox`?"),
        (["execpolicy"], "`codex execpolicy` is a Codex command pycodex does not have"),
        (["exec", "review"], "`codex exec review` is a Codex command pycodex does not have"),
        (["exec", "--json", "fork"], "`codex exec fork` is a Codex command"),
        (["exec", "resmue", "--last"], "did you mean `codex exec resume`?"),
    ],
)
def test_a_word_that_is_no_prompt_is_a_usage_error(
    configured: ScriptedModelServer,
    repo: Path,
    env: dict[str, str],
    argv: list[str],
    expected: str,
) -> None:
    res = codex(argv, cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 2, res.err
    assert res.err.count("\n") == 1 and expected in res.err, res.err
    assert "codex -- " in res.err or "codex exec -- " in res.err  # how to send it anyway
    assert res.out == ""
    assert configured.requests == []  # nothing reached the model


@pytest.mark.parametrize(
    "argv",
    [
        ["hello"],  # a word far enough from `help`
        ["fix the failing test"],
        ["--", "apply"],  # `--`: the word is the prompt
        ["-m", "o3", "Explain this repository"],
        [],
        ["resume"],  # the session picker
    ],
)
def test_the_interactive_session_without_a_terminal_says_use_exec(
    configured: ScriptedModelServer, repo: Path, env: dict[str, str], argv: list[str]
) -> None:
    res = codex(argv, cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 1, res.err
    assert res.err.count("\n") == 1 and "needs a terminal" in res.err, res.err
    assert "use `codex exec`" in res.err
    assert res.out == ""  # no screen was drawn
    assert configured.requests == []


@pytest.mark.parametrize(
    "command", [["exec"], ["exec", "resume"], ["config", "show"], ["login"], ["sandbox"]]
)
def test_help_command_is_command_dash_dash_help(
    repo: Path, env: dict[str, str], command: list[str]
) -> None:
    via_help = codex(["help", *command], cwd=repo, env=env, timeout=TIMEOUT)
    via_flag = codex([*command, "--help"], cwd=repo, env=env, timeout=TIMEOUT)
    assert via_help.rc == 0, via_help.err
    assert via_help.out == via_flag.out
    assert via_help.out.startswith(f"usage: codex {' '.join(command)}")


def test_help_alone_and_help_of_nothing(repo: Path, env: dict[str, str]) -> None:
    plain = codex(["help"], cwd=repo, env=env, timeout=TIMEOUT)
    assert plain.rc == 0 and plain.out.startswith("usage: codex")
    bad = codex(["help", "nosuch"], cwd=repo, env=env, timeout=TIMEOUT)
    assert bad.rc == 2 and bad.out == ""
    assert bad.err == "Error: no command `nosuch` (see `codex --help`)\n"
    typo = codex(["help", "exce"], cwd=repo, env=env, timeout=TIMEOUT)
    assert typo.rc == 2 and "did you mean `exec`?" in typo.err


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_exec_version(repo: Path, env: dict[str, str], flag: str) -> None:
    top = codex(["--version"], cwd=repo, env=env, timeout=TIMEOUT)
    res = codex(["exec", flag], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    assert res.out == top.out and res.out.startswith("codex-cli ")


def test_exec_dash_dash_sends_the_word_as_the_prompt(
    configured: ScriptedModelServer, repo: Path, env: dict[str, str]
) -> None:
    res = codex(["exec", "--", "review"], cwd=repo, env=env, timeout=TIMEOUT)
    assert res.rc == 0, res.err
    (request,) = configured.model_requests
    assert "review" in json.dumps(request.body)


@pytest.mark.parametrize("platform", ["linux", "landlock"])
def test_sandbox_accepts_this_platforms_word_before_the_command(
    repo: Path, env: dict[str, str], platform: str
) -> None:
    res = codex(["sandbox", platform, "--", "echo", "hi"], cwd=repo, env=env, timeout=TIMEOUT)
    assert (res.rc, res.out) == (0, "hi\n"), res.err
    other = codex(["sandbox", "macos", "--", "echo", "hi"], cwd=repo, env=env, timeout=TIMEOUT)
    assert other.rc == 2 and "does not run on linux" in other.err and other.out == ""
