"""Text meant for a person's screen, bounded: no single line may flood a terminal.

A command that prints one 1 MiB line (minified JSON, a base64 blob) would otherwise fill
thousands of screen rows in ``codex exec`` and in the transcript printed when the TUI quits.
Each line longer than ``LINE_LIMIT`` characters keeps its start and its end around an
explicit ``[… N bytes omitted …]`` (bytes of UTF-8, as the model-facing marker counts).
The model's copy of the output is bounded separately (``core.exec_output``); this only
decides what is displayed. Pure functions: the caller sanitises and prints.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from pycodex.core.shell_parse import shell_script

LINE_LIMIT = 1000  # characters of one line a person is shown (half from each end)


def bound_line(line: str, limit: int = LINE_LIMIT) -> str:
    """``line`` as is when it fits, else its first and last ``limit // 2`` characters around
    ``[… N bytes omitted …]``."""
    if len(line) <= limit:
        return line
    half = max(limit // 2, 1)
    omitted = len(line[half:-half].encode("utf-8", "surrogatepass"))
    return f"{line[:half]}[… {omitted} bytes omitted …]{line[-half:]}"


def bound_lines(text: str, limit: int = LINE_LIMIT) -> str:
    """Every line of ``text`` through ``bound_line`` (line endings kept). Cheap when nothing
    is long: the text is returned unchanged."""
    if len(text) <= limit or all(len(line) <= limit for line in text.split("\n")):
        return text
    return "\n".join(bound_line(line, limit) for line in text.split("\n"))


def format_size(size: int) -> str:
    """A byte count for people: ``512 bytes``, ``10 KiB``, ``13.6 MiB``."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def command_text(command: Sequence[str]) -> str:
    """A command as a person would type it: ``bash -lc SCRIPT`` is SCRIPT, anything else
    is shell-quoted (the same in exec's output, the TUI and approval prompts)."""
    script = shell_script(command)
    return script if script is not None else shlex.join(command)
