"""How a command's result is shown to the model (and what a person is told about a cut).

``{"output": <stdout and stderr interleaved>, "metadata": {"exit_code", "duration_seconds"}}``.
v0.20 sent only one of the two streams depending on the exit code and cut long output at
the head with no marker; we keep both streams, and long output keeps its head *and* tail
around an explicit ``[… N lines omitted …]`` line, within a byte and a line budget (errors
and summaries tend to be at the end).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pycodex.core.display_text import format_size
from pycodex.sandbox.spawn import CommandResult

MAX_OUTPUT_BYTES = 10 * 1024
MAX_OUTPUT_LINES = 256
TIMED_OUT_SUFFIX = "and was killed"  # ends the model's text of a timed-out command


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
    omitted_bytes: int = 0,
    max_bytes: int = MAX_OUTPUT_BYTES,
    max_lines: int = MAX_OUTPUT_LINES,
) -> str:
    """Fit ``head`` + ``tail`` (between which ``omitted_lines`` lines were already dropped
    by the capture, ``omitted_bytes`` bytes in all) into the budgets, half for the start and
    half for the end."""
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
        total = len((head + tail).encode("utf-8")) + omitted_bytes
        marker = f"[… {max(total - shown, 0)} bytes omitted …]"
    text_first = "".join(first)
    if text_first and not text_first.endswith("\n"):
        text_first += "\n"
    return f"{text_first}{marker}\n{''.join(last)}"


def format_exec_output(result: CommandResult, *, timeout_ms: int | None = None) -> str:
    """The ``function_call_output`` text for a finished command."""
    return exec_output_json(result, exec_output_text(result, timeout_ms=timeout_ms))


def exec_output_text(result: CommandResult, *, timeout_ms: int | None = None) -> str:
    """The output the model is shown: shortened to its head and tail, with the timeout
    said. A caller that must know whether the model saw less than was captured compares
    this with ``result.aggregated`` (no need to parse the JSON back)."""
    if result.omitted_bytes:
        text = truncate_head_tail(
            result.aggregated_head,
            result.aggregated_tail,
            result.omitted_lines,
            omitted_bytes=result.omitted_bytes,
        )
    else:
        text = truncate_head_tail(result.aggregated)
    if result.timed_out:
        limit = f" after {timeout_ms} ms" if timeout_ms is not None else ""
        sep = "" if not text or text.endswith("\n") else "\n"
        text = f"{text}{sep}command timed out{limit} {TIMED_OUT_SUFFIX}"
    return text


def exec_output_json(result: CommandResult, text: str) -> str:
    """``text`` (see ``exec_output_text``) with the exit code and duration, as JSON."""
    payload = {
        "output": text,
        "metadata": {
            "exit_code": result.exit_code,
            "duration_seconds": round(result.duration, 1),
        },
    }
    return json.dumps(payload, ensure_ascii=False)


# The line ``sandbox.spawn`` puts where capture dropped the middle of a long output.
_CAPTURE_MARKER = re.compile(r"^\[… (\d+) lines \((\d+) bytes\) omitted …\]$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CaptureCut:
    """Where and how much capture dropped: the output is ``before`` + (``lines`` newlines
    in ``omitted_bytes`` bytes, not kept) + ``after``; ``kept_bytes`` is what was kept."""

    before: str
    after: str
    lines: int
    omitted_bytes: int
    kept_bytes: int

    @property
    def total_lines(self) -> int:
        """Lines the command printed (a last line without a newline counts)."""
        unterminated = 1 if self.after and not self.after.endswith("\n") else 0
        return self.before.count("\n") + self.lines + self.after.count("\n") + unterminated


def capture_cut(aggregated: str) -> CaptureCut | None:
    """The capture's omission in a command's aggregated output, if it overflowed."""
    found = _CAPTURE_MARKER.search(aggregated)
    if found is None:
        return None
    before = aggregated[: found.start()]
    after = aggregated[found.end() + 1 :]  # the marker is followed by a newline
    before_size, after_size = len(before.encode("utf-8")), len(after.encode("utf-8"))
    if before.endswith("\n") and before_size == after_size + 1:
        # Capture keeps equal halves, so the head is one byte longer than the tail only
        # when the marker was put on a line of its own: that newline is not output.
        before, before_size = before[:-1], before_size - 1
    kept = before_size + after_size
    return CaptureCut(before, after, int(found.group(1)), int(found.group(2)), kept)


def truncation_note(cut: CaptureCut) -> str:
    """What a person is told about an output too large to keep whole."""
    return (
        f"output truncated at {format_size(cut.kept_bytes)}: "
        f"{format_size(cut.omitted_bytes)} in the middle not kept"
    )


def timed_out(formatted_output: str) -> bool:
    """Whether the model was told the command timed out (``format_exec_output``)."""
    try:
        text = json.loads(formatted_output)["output"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(text, str) and text.endswith(TIMED_OUT_SUFFIX)
