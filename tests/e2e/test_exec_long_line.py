"""Long command output in `codex exec` (issue 14, bugs 4 and 7): the real CLI against the
scripted model server, commands run for real (``danger-full-access``: no sandbox needed).

- One 1 MiB line is shown as its start and end with ``[… N bytes omitted …]``, not whole.
- ``seq 1 2000000`` (14 MiB, more than capture keeps) says the output was truncated and at
  what size, and counts every line the command printed.
- A command that times out says "timed out after" with its duration, not an exit status.
- ``bash -lc SCRIPT`` is shown as SCRIPT, without shell-quoting noise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from tests.e2e.harness import ExecResult, codex, function_outputs, write_config
from tests.support.model_server import ScriptedModelServer, ToolCall, Turn

MIB = 1024 * 1024


def _run(
    server: ScriptedModelServer,
    home: Path,
    repo: Path,
    env: dict[str, str],
    args: dict[str, Any],
    *flags: str,
) -> ExecResult:
    write_config(home, server.base_url)
    server.push(Turn(tool_calls=[ToolCall("shell", args, "c1")]), Turn(text="looked"))
    return codex(
        ["exec", "-s", "danger-full-access", "--color", "never", *flags, "look"],
        cwd=repo,
        env=env,
        timeout=120,
    )


def test_one_mib_line_is_bounded_in_exec_output(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    code = "import sys; sys.stdout.write('<start>' + 'x' * 1048576 + '<end>\\n')"
    res = _run(model_server, codex_home, repo, env, {"command": [sys.executable, "-c", code]})
    assert res.rc == 0, res.err
    assert len(res.out.encode()) < 10_000, len(res.out)  # not the MiB
    assert "<start>" in res.out and "<end>" in res.out
    (omitted,) = re.findall(r"\[… (\d+) bytes omitted …\]", res.out)
    assert int(omitted) > MIB - 2000
    assert res.out.rstrip().endswith("looked")


def test_seq_two_million_discloses_the_capture_cap(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    res = _run(model_server, codex_home, repo, env, {"command": ["seq", "1", "2000000"]})
    assert res.rc == 0, res.err
    lines = res.out.splitlines()
    i = next(n for n, line in enumerate(lines) if "seq 1 2000000 succeeded in " in line)
    assert lines[i + 1 : i + 21] == [str(n) for n in range(1, 21)]
    note = lines[i + 21]
    # every line the command printed is counted, and the cut is disclosed with its size
    assert note.startswith("... (+1999980 lines; output truncated at 1.0 MiB: "), note
    assert "MiB in the middle not kept)" in note
    body = model_server.model_requests[-1].body
    assert body is not None
    told = json.loads(function_outputs(body)[0])["output"]
    (omitted,) = re.findall(r"\[… (\d+) lines omitted …\]", told)
    assert int(omitted) + told.count("\n") - 1 == 2_000_000  # the model's count is exact


def test_timed_out_command_says_timed_out_with_its_duration(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    args = {"command": ["bash", "-lc", "echo started; sleep 30"], "timeout": 500}
    res = _run(model_server, codex_home, repo, env, args)
    assert res.rc == 0, res.err
    (title,) = [line for line in res.out.splitlines() if "echo started; sleep 30 timed out" in line]
    assert re.search(r"timed out after \d+ms:$|timed out after \d+\.\ds:$", title), title
    assert "exited" not in title and "0ms" not in title.split("after")[-1][:3]


def test_bash_lc_is_echoed_as_typed(
    model_server: ScriptedModelServer, codex_home: Path, repo: Path, env: dict[str, str]
) -> None:
    script = "grep -n 'def main' missing.py || echo none"
    res = _run(model_server, codex_home, repo, env, {"command": ["bash", "-lc", script]})
    assert res.rc == 0, res.err
    assert f"exec {script} in " in res.out
    assert f"{script} succeeded in " in res.out
    assert "'\"'\"'" not in res.out
