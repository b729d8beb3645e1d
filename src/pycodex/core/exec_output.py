"""How a command's result is shown to the model.

``{"output": <stdout and stderr interleaved>, "metadata": {"exit_code", "duration_seconds"}}``.
v0.20 sent only one of the two streams depending on the exit code and cut long output at
the head with no marker; we keep both streams, and long output keeps its head *and* tail
around an explicit ``[… N lines omitted …]`` line, within a byte and a line budget (errors
and summaries tend to be at the end).
"""

from __future__ import annotations

import json

from pycodex.sandbox.spawn import CommandResult

MAX_OUTPUT_BYTES = 10 * 1024
MAX_OUTPUT_LINES = 256


def _take(lines: list[str], max_lines: int, max_bytes: int, *, from_end: bool) -> list[str]:
    """Whole lines from one end within the budgets; the first line that does not fit is
    cut to the bytes left (marked with ``…``) so one huge line still shows something."""
    kept: list[str] = []
    used = 0
    for line in reversed(lines) if from_end else lines:
        if len(kept) >= max_lines:
            break
        data = line.encode("utf-8")
        if used + len(data) > max_bytes:
            room = max_bytes - used
            if room > 0:
                if from_end:
                    kept.append("…" + data[-room:].decode("utf-8", "ignore"))
                else:
                    kept.append(data[:room].decode("utf-8", "ignore") + "…\n")
            break
        kept.append(line)
        used += len(data)
    if from_end:
        kept.reverse()
    return kept


def truncate_head_tail(
    head: str,
    tail: str = "",
    omitted_lines: int = 0,
    *,
    max_bytes: int = MAX_OUTPUT_BYTES,
    max_lines: int = MAX_OUTPUT_LINES,
) -> str:
    """Fit ``head`` + ``tail`` (between which ``omitted_lines`` lines were already dropped
    by the capture) into the budgets, half for the start and half for the end."""
    if not omitted_lines:
        whole = head + tail
        if whole.count("\n") <= max_lines and len(whole.encode("utf-8")) <= max_bytes:
            return whole
        head_lines = whole.splitlines(keepends=True)
        first = _take(head_lines, max_lines // 2, max_bytes // 2, from_end=False)
        tail_lines = head_lines[len(first) :]
        head_lines = head_lines[: len(first)]
    else:
        head_lines = head.splitlines(keepends=True)
        tail_lines = tail.splitlines(keepends=True)
        first = _take(head_lines, max_lines // 2, max_bytes // 2, from_end=False)
    last = _take(tail_lines, max_lines // 2, max_bytes // 2, from_end=True)
    omitted = omitted_lines + (len(head_lines) - len(first)) + (len(tail_lines) - len(last))
    if omitted_lines and head and not head.endswith("\n"):
        omitted -= 1  # the capture cut a line: its start ends head, its newline was dropped
    if omitted:
        marker = f"[… {omitted} lines omitted …]"
    else:  # only cut lines: say how much of them is missing
        shown = sum(len(x.encode("utf-8")) for x in first + last)
        total = len((head + tail).encode("utf-8"))
        marker = f"[… {max(total - shown, 0)} bytes omitted …]"
    text_first = "".join(first)
    if text_first and not text_first.endswith("\n"):
        text_first += "\n"
    return f"{text_first}{marker}\n{''.join(last)}"


def format_exec_output(result: CommandResult, *, timeout_ms: int | None = None) -> str:
    """The ``function_call_output`` text for a finished command."""
    if result.omitted_bytes:
        text = truncate_head_tail(
            result.aggregated_head, result.aggregated_tail, result.omitted_lines
        )
    else:
        text = truncate_head_tail(result.aggregated)
    if result.timed_out:
        limit = f" after {timeout_ms} ms" if timeout_ms is not None else ""
        sep = "" if not text or text.endswith("\n") else "\n"
        text = f"{text}{sep}command timed out{limit} and was killed"
    payload = {
        "output": text,
        "metadata": {
            "exit_code": result.exit_code,
            "duration_seconds": round(result.duration, 1),
        },
    }
    return json.dumps(payload, ensure_ascii=False)
