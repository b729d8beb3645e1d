"""A resumed session, shown as it happened: messages, and the commands and patches between.

``show_replay`` mounts the cells for the ``(kind, text)`` pairs of ``TuiServices.replay``
(chosen and shaped by ``pycodex.core.services.replay``): ``user`` and ``assistant``
messages as text; ``command`` and ``patch`` as JSON. Kinds it does not know are skipped,
so an older caller that passes only messages still works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pycodex.core.terminal_text import sanitize, sanitize_tree
from pycodex.frontends.tui.cells import (
    AssistantCell,
    ExecCell,
    MarkdownFilter,
    notice_cell,
    patch_cell,
    user_cell,
)
from pycodex.frontends.tui.transcript import Transcript
from pycodex.protocol.events import FileChange


def _file_change(fields: dict[str, Any]) -> FileChange:
    kind = fields.get("kind")
    if kind == "add":
        return FileChange("add", content=str(fields.get("content") or ""))
    if kind == "delete":
        return FileChange("delete")
    move = fields.get("move_path")
    return FileChange(
        "update",
        unified_diff=str(fields.get("unified_diff") or ""),
        move_path=move if isinstance(move, str) else None,
    )


async def show_replay(
    transcript: Transcript, md_filter: MarkdownFilter, entries: Sequence[tuple[str, str]]
) -> None:
    """Mount the cells of a resumed session's entries (answers through ``md_filter``)."""
    for kind, raw in entries:
        if kind == "user":
            await transcript.add(user_cell(sanitize(raw)))
        elif kind == "assistant":
            cell = await transcript.add(AssistantCell(md_filter))
            assert isinstance(cell, AssistantCell)
            await cell.finish(sanitize(raw))
        elif kind == "command":
            await _show_command(transcript, raw)
        elif kind == "patch":
            await _show_patch(transcript, raw)


async def _show_command(transcript: Transcript, raw: str) -> None:
    data = sanitize_tree(json.loads(raw))
    exec_cell = ExecCell(tuple(data["command"]))
    await transcript.add(exec_cell)
    code = data.get("exit_code")
    code = code if isinstance(code, int) else -1  # unknown: not a success
    await exec_cell.finish(code, data["duration"], data["output"], replayed=True)


async def _show_patch(transcript: Transcript, raw: str) -> None:
    data = sanitize_tree(json.loads(raw))
    changes = {path: _file_change(fields) for path, fields in data["files"].items()}
    await transcript.add(patch_cell(changes, "✎ Patch to"))
    answer = str(data.get("output") or "").strip()
    if answer:  # the tool's answer: applied, or why not
        await transcript.add(notice_cell(answer.splitlines()[0], "dim"))
