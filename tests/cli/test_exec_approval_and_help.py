"""`codex exec` is honest about `-a` and mentions `resume` (issue 14, bug 7), through the
real CLI: `-a` is a global option so `codex exec -a untrusted` parses, but exec never asks;
it now says so once on stderr and still runs (as `never`). `codex exec --help` names
`codex exec resume`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import base_env, codex, write_config
from tests.support.model_server import ScriptedModelServer, Turn

WARNING = "warning: -a {policy} is ignored: codex exec never asks for approval"


@pytest.mark.parametrize(
    "argv",
    [
        ["exec", "-a", "untrusted", "hi"],
        ["-a", "on-request", "exec", "hi"],
    ],
)
def test_exec_warns_once_that_a_is_ignored(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, argv: list[str]
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="answer"))
    res = codex([*argv], cwd=repo, env=base_env(codex_home), timeout=30)
    assert res.rc == 0, res.err
    policy = argv[argv.index("-a") + 1]
    assert res.err.count(WARNING.format(policy=policy)) == 1, res.err
    assert "runs as `never`" in res.err
    assert "approval: never" in res.out  # the header says what really applies
    assert res.out.rstrip().endswith("answer")


def test_exec_a_never_has_no_warning(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path
) -> None:
    write_config(codex_home, model_server.base_url)
    model_server.push(Turn(text="answer"))
    res = codex(["exec", "-a", "never", "hi"], cwd=repo, env=base_env(codex_home), timeout=30)
    assert res.rc == 0, res.err
    assert "is ignored" not in res.err


def test_exec_help_mentions_resume(tmp_path: Path, codex_home: Path) -> None:
    res = codex(["exec", "--help"], cwd=tmp_path, env=base_env(codex_home), timeout=30)
    assert res.rc == 0, res.err
    text = " ".join(res.out.split())  # argparse wraps the epilog
    assert "codex exec resume [SESSION_ID | --last] [PROMPT]" in text
    assert "never asks for approval" in text
