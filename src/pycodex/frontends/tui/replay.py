"""A resumed session, shown as it happened: messages, and the commands and patches between.

``show_replay`` mounts the cells for the ``(kind, text)`` pairs of ``TuiServices.replay``
(chosen and shaped by ``pycodex.core.services.replay``): ``user`` and ``assistant``
messages as text; ``command`` and ``patch`` as JSON. Kinds it does not know are skipped,
so an older caller that passes only messages still works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pycodex.core.terminal_text import sanitize, sanitize_tree
from pycodex.frontends.tui.cells import AssistantCell, ExecCell, notice_cell, patch_cell, user_cell
from pycodex.protocol.events import FileChange

if TYPE_CHECKING:
    from pycodex.frontends.tui.app import CodexApp


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


async def show_replay(app: CodexApp, entries: Sequence[tuple[str, str]]) -> None:
    """Mount the cells of a resumed session's entries."""
    for kind, raw in entries:
        if kind == "user":
            await app.transcript.add(user_cell(sanitize(raw)))
        elif kind == "assistant":
            cell = await app.transcript.add(AssistantCell(app.router.md_filter))
            assert isinstance(cell, AssistantCell)
            await cell.finish(sanitize(raw))
        elif kind == "command":
            await _show_command(app, raw)
        elif kind == "patch":
            await _show_patch(app, raw)


async def _show_command(app: CodexApp, raw: str) -> None:
    data = sanitize_tree(json.loads(raw))
    exec_cell = ExecCell(tuple(data["command"]))
    await app.transcript.add(exec_cell)
    code = data.get("exit_code")
    code = code if isinstance(code, int) else -1  # unknown: not a success
    await exec_cell.finish(code, data["duration"], data["output"], replayed=True)


async def _show_patch(app: CodexApp, raw: str) -> None:
    data = sanitize_tree(json.loads(raw))
    changes = {path: _file_change(fields) for path, fields in data["files"].items()}
    await app.transcript.add(patch_cell(changes, "✎ Patch to"))
    answer = str(data.get("output") or "").strip()
    if answer:  # the tool's answer: applied, or why not
        await app.transcript.add(notice_cell(answer.splitlines()[0], "dim"))
