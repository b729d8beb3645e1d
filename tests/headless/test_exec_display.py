"""What `codex exec` shows a person (issue 14, bugs 3, 4 and 7): bounded long lines, a
disclosed capture cut, commands as typed, interrupted and timed-out commands, and patches
that were never applied; and the matching ``--json`` items (schema-checked)."""

from __future__ import annotations

import json
import re

from pycodex.core.approval_policy import PATCH_READ_ONLY_REJECTED
from pycodex.core.display_text import bound_line, bound_lines
from pycodex.core.exec_output import capture_cut, truncate_head_tail
from pycodex.frontends.headless.human import head_lines
from pycodex.frontends.headless.jsonl import JsonlMapper
from pycodex.protocol.events import (
    Event,
    ExecCommandBegin,
    ExecCommandEnd,
    PatchApplyEnd,
    TaskStarted,
)
from tests.headless.schema_check import errors
from tests.headless.test_human import render

TS = "[2026-11-25T15:58:38] "
MIB = 1024 * 1024


def _cells(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[lines.index("do it") + 1 :]


def _capture(head: str, tail: str, lines: int, omitted: int) -> str:
    """The aggregated text ``sandbox.spawn`` builds when capture overflowed."""
    sep = "" if head.endswith("\n") else "\n"
    return f"{head}{sep}[… {lines} lines ({omitted} bytes) omitted …]\n{tail}"


# --- one long line ----------------------------------------------------------------------


def test_a_long_line_keeps_its_start_and_end_and_says_how_much_is_gone() -> None:
    line = "A" * 600 + "é" * 5000 + "Z" * 600
    out = bound_line(line, 1000)
    assert out.startswith("A" * 500 + "[… ") and out.endswith("]" + "Z" * 500)
    omitted = int(re.findall(r"\[… (\d+) bytes omitted …\]", out)[0])
    assert omitted == len(line[500:-500].encode())  # bytes, not characters
    assert bound_line("short", 1000) == "short"


def test_bound_lines_touches_only_the_long_lines() -> None:
    text = "one\n" + "x" * 5000 + "\nthree\n"
    out = bound_lines(text, 100)
    assert out.split("\n")[0] == "one" and out.split("\n")[2:] == ["three", ""]
    assert len(out) < 200
    assert bound_lines("a\nb\n", 100) == "a\nb\n"


def test_exec_cell_of_a_one_mib_line_is_bounded() -> None:
    line = "x" * MIB
    text = render(
        [
            ExecCommandBegin("c", ("cat", "blob"), "/w"),
            ExecCommandEnd("c", line + "\n", "", line + "\n", 0, 0.01),
        ]
    )
    assert len(text) < 5000
    assert "bytes omitted …]" in text


# --- the capture cut is disclosed -------------------------------------------------------


def test_a_capture_cut_is_counted_and_disclosed() -> None:
    half = 512 * 1024
    head = "".join(f"{i}\n" for i in range(1, 200_000)).encode()[:half].decode()
    tail = "".join(f"{i}\n" for i in range(1_900_000, 2_000_001)).encode()[-half:].decode()
    # the head ends mid-line, so the marker went on a line of its own
    assert not head.endswith("\n")
    omitted_lines = 1_500_000
    cut = capture_cut(_capture(head, tail, omitted_lines, 13 * MIB))
    assert cut is not None and cut.kept_bytes == 2 * half
    assert cut.total_lines == head.count("\n") + omitted_lines + tail.count("\n")
    shown = head_lines(_capture(head, tail, omitted_lines, 13 * MIB))
    lines = shown.splitlines()
    assert lines[:20] == [str(i) for i in range(1, 21)]
    assert lines[20] == (
        f"... (+{cut.total_lines - 20} lines; output truncated at 1.0 MiB: "
        "13.0 MiB in the middle not kept)"
    )


def test_a_short_output_has_no_note() -> None:
    assert head_lines("a\nb\n") == "a\nb"
    assert head_lines("".join(f"{i}\n" for i in range(25))).endswith("... (+5 lines)")


def test_the_model_is_told_the_bytes_capture_dropped_too() -> None:
    head, tail = "x" * 1000, "y" * 1000
    text = truncate_head_tail(head, tail, 0, omitted_bytes=5000, max_bytes=100)
    (omitted,) = re.findall(r"\[… (\d+) bytes omitted …\]", text)
    shown = len(text.encode()) - len(f"\n[… {omitted} bytes omitted …]\n") - len("…")
    assert int(omitted) + shown >= 7000 - 10  # the 5000 dropped by capture are counted


# --- commands as typed; interrupted and timed out ---------------------------------------


def test_bash_lc_is_shown_as_its_script() -> None:
    script = "grep -n 'def main' src/*.py | head"
    text = render(
        [
            ExecCommandBegin("c", ("bash", "-lc", script), "/w"),
            ExecCommandEnd("c", "", "", "", 1, 0.002),
        ]
    )
    assert _cells(text) == [f"{TS}exec {script} in /w", f"{TS}{script} exited 1 in 2ms:"]
    assert "'\"'\"'" not in text


def test_other_commands_stay_shell_quoted() -> None:
    text = render([ExecCommandBegin("c", ("echo", "a b"), "/w")])
    assert _cells(text) == [f"{TS}exec echo 'a b' in /w"]


def test_an_interrupted_command_says_so_with_its_duration() -> None:
    end = ExecCommandEnd("c", "", "aborted by user", "aborted by user", -1, 3.4, "aborted by user")
    text = render([ExecCommandBegin("c", ("sleep", "60"), "/w"), end])
    assert _cells(text)[-1] == f"{TS}sleep 60 interrupted after 3.4s"
    assert "exited" not in text and "0ms" not in text


def test_a_timed_out_command_says_so() -> None:
    told = json.dumps(
        {"output": "partial\ncommand timed out after 2000 ms and was killed", "metadata": {}}
    )
    end = ExecCommandEnd("c", "partial\n", "", "partial\n", 124, 2.01, told)
    text = render([ExecCommandBegin("c", ("sleep", "60"), "/w"), end])
    assert _cells(text)[-2:] == [f"{TS}sleep 60 timed out after 2.0s:", "partial"]


# --- patches never applied --------------------------------------------------------------


def test_a_patch_that_failed_to_parse_is_shown() -> None:
    reason = "error: invalid patch: line 1: expected *** Begin Patch"
    text = render([PatchApplyEnd("p", "", reason, False)])
    assert _cells(text) == [f"{TS}patch failed:", reason]


def test_a_rejected_patch_is_shown_as_rejected() -> None:
    text = render([PatchApplyEnd("p", "", PATCH_READ_ONLY_REJECTED, False)])
    assert _cells(text) == [f"{TS}patch rejected:", PATCH_READ_ONLY_REJECTED]
    coloured = render([PatchApplyEnd("p", "", PATCH_READ_ONLY_REJECTED, False)], color=True)
    assert "\x1b[31m" in coloured


def test_json_has_a_failed_file_change_with_its_reason() -> None:
    mapper = JsonlMapper()
    mapper.map(Event("1", TaskStarted()))
    (line,) = mapper.map(Event("1", PatchApplyEnd("p", "", PATCH_READ_ONLY_REJECTED, False)))
    assert line == {
        "type": "item.completed",
        "item": {
            "id": "item_0",
            "type": "file_change",
            "changes": [],
            "status": "failed",
            "error": {"message": PATCH_READ_ONLY_REJECTED},
        },
    }
    assert not errors(line)
