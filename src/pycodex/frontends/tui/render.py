"""Pure text rendering for transcript cells: commands, diffs, plans, token counts.

Rich ``Text`` in, no widgets: the cells compose these, and the plain-text transcript
printed on exit uses the same strings without styles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text

from pycodex.protocol.events import FileChange
from pycodex.protocol.items import PlanStep

TAIL_LINES = 5  # live output shown under a running command
MAX_DIFF_LINES = 400  # a patch cell shows at most this many diff lines


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def diff_line_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    if line.startswith("@@"):
        return "cyan"
    if line.startswith(("diff ", "index ", "new file", "deleted file")):
        return "bold"
    return ""


def colored_diff(diff: str, max_lines: int = MAX_DIFF_LINES) -> Text:
    """A unified diff with + green, - red, hunk headers cyan; long diffs are cut."""
    out = Text()
    lines = diff.splitlines()
    for line in lines[:max_lines]:
        out.append(line + "\n", style=diff_line_style(line))
    if len(lines) > max_lines:
        out.append(f"… {len(lines) - max_lines} more lines\n", style="dim")
    out.rstrip()
    return out


def change_counts(change: FileChange) -> tuple[int, int]:
    """Lines added and removed by one file change."""
    if change.kind == "add":
        return len((change.content or "").splitlines()), 0
    if change.kind == "delete":
        return 0, len((change.content or "").splitlines())
    added = removed = 0
    for line in (change.unified_diff or "").splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def change_diff(path: str, change: FileChange) -> str:
    """The diff text of one change (added files as all-plus, deleted as a note)."""
    if change.kind == "add":
        body = "".join(f"+{line}\n" for line in (change.content or "").splitlines())
        return f"--- /dev/null\n+++ {path}\n{body}"
    if change.kind == "delete":
        return f"--- {path}\n+++ /dev/null\n"
    target = f" → {change.move_path}" if change.move_path else ""
    return f"--- {path}\n+++ {path}{target}\n{change.unified_diff or ''}"


def changes_text(changes: Mapping[str, FileChange], header: str) -> Text:
    """``header`` with totals, then each file with its counts and coloured diff."""
    total_add = total_del = 0
    body = Text()
    for path, change in changes.items():
        added, removed = change_counts(change)
        total_add += added
        total_del += removed
        body.append(f"  ⎿ {path} ", style="bold")
        body.append(f"(+{added} -{removed})\n", style="dim")
        body.append_text(colored_diff(change_diff(path, change)))
        body.append("\n")
    files = len(changes)
    out = Text(f"{header} {files} file{'s' if files != 1 else ''} ", style="bold")
    out.append(f"(+{total_add} -{total_del})\n", style="dim")
    out.append_text(body)
    out.rstrip()
    return out


_PLAN_MARKS = {"completed": ("✔", "dim strike"), "in_progress": ("◐", "bold"), "pending": ("□", "")}


def plan_text(steps: Sequence[PlanStep], explanation: str | None) -> Text:
    out = Text("📋 Updated plan\n", style="bold")
    if explanation:
        out.append(f"  {explanation}\n", style="italic dim")
    for step in steps:
        mark, style = _PLAN_MARKS.get(step.status, ("□", ""))
        out.append(f"  {mark} ", style="cyan")
        out.append(step.step + "\n", style=style)
    out.rstrip()
    return out


def tokens_left_text(total_tokens: int, used_in_context: int, window: int | None) -> str:
    """``N tokens used   P% context left`` (the percentage only when the window is known)."""
    text = f"{total_tokens} tokens used"
    if window:
        left = max(0, min(100, round(100 * (window - used_in_context) / window)))
        text += f"   {left}% context left"
    return text
