"""A resumed session, shown as it happened: messages, and the commands and patches between.

``replay_entries`` turns a rollout's items (read by the CLI through ``storage``, which front
ends may not import) into the ``(kind, text)`` pairs of ``TuiServices.replay``: ``user`` and
``assistant`` messages as text; ``command`` and ``patch`` as JSON (what the cell needs: the
command, its output, exit code and duration; the patch's files and the tool's answer).
``show_replay`` mounts the cells. Kinds it does not know are skipped, so an older caller
that passes only messages still works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pycodex.core.terminal_text import sanitize, sanitize_tree
from pycodex.frontends.tui.cells import AssistantCell, ExecCell, notice_cell, patch_cell, user_cell
from pycodex.protocol.events import FileChange
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    LocalShellCallItem,
    MessageItem,
    ResponseItem,
)

if TYPE_CHECKING:
    from pycodex.frontends.tui.app import CodexApp

SHELL_TOOLS = frozenset({"shell", "container.exec", "local_shell"})
PATCH_TOOLS = frozenset({"apply_patch"})


def _command_of(item: FunctionCallItem | LocalShellCallItem) -> list[str] | None:
    if isinstance(item, LocalShellCallItem):
        return list(item.command)
    if item.name not in SHELL_TOOLS:
        return None
    try:
        args = json.loads(item.arguments)
    except ValueError:
        return None
    command = args.get("command") if isinstance(args, dict) else None
    if isinstance(command, list) and all(isinstance(c, str) for c in command):
        return command
    if isinstance(command, str):
        return [command]
    return None


def _patch_of(item: FunctionCallItem | LocalShellCallItem, command: list[str] | None) -> str | None:
    """The patch text when the call is an apply_patch (the tool, or a shell invocation)."""
    from pycodex.apply_patch import ParseError, extract_patch_from_argv, patch_from_arguments

    if isinstance(item, FunctionCallItem) and item.name in PATCH_TOOLS:
        try:
            return patch_from_arguments(item.arguments)
        except ParseError:
            return None
    if command is not None:
        invocation = extract_patch_from_argv(command)
        if invocation is not None:
            return invocation.patch
    return None


def _changes(patch: str) -> dict[str, dict[str, str | None]]:
    """The files a patch touches, as ``FileChange`` fields (JSON-ready; an update's diff is
    rebuilt from its chunks), empty when the patch does not parse."""
    from pycodex.apply_patch import ParseError, parse_patch

    try:
        parsed = parse_patch(patch)
    except ParseError:
        return {}
    out: dict[str, dict[str, str | None]] = {}
    for hunk in parsed.hunks:
        if hunk.kind == "add":
            out[hunk.path] = {"kind": "add", "content": "".join(f"{x}\n" for x in hunk.lines)}
        elif hunk.kind == "delete":
            out[hunk.path] = {"kind": "delete"}
        else:
            diff = "".join(
                "@@\n" + "".join(f"{line.op}{line.text}\n" for line in chunk.lines)
                for chunk in hunk.chunks
            )
            out[hunk.path] = {"kind": "update", "unified_diff": diff, "move_path": hunk.move_to}
    return out


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


def _shell_result(output: str | None) -> dict[str, Any]:
    """``{"output", "exit_code", "duration"}`` from a shell call's output (our JSON form;
    anything else is the output as text, exit code unknown)."""
    if output is None:
        return {"output": "", "exit_code": None, "duration": 0.0}
    try:
        data = json.loads(output)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("output"), str):
        meta = data.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
        code = meta.get("exit_code")
        duration = meta.get("duration_seconds")
        return {
            "output": data["output"],
            "exit_code": code if isinstance(code, int) else None,
            "duration": float(duration) if isinstance(duration, int | float) else 0.0,
        }
    return {"output": output, "exit_code": None, "duration": 0.0}


def replay_entries(items: Sequence[ResponseItem]) -> list[tuple[str, str]]:
    """What a resumed session shows, in order (see the module docstring)."""
    outputs = {i.call_id: i.output for i in items if isinstance(i, FunctionCallOutputItem)}
    out: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, MessageItem) and item.role in ("user", "assistant"):
            text = item.text
            # the environment context and user instructions are not the user's words
            if item.role == "user" and text.lstrip().startswith("<"):
                continue
            out.append((item.role, text))
        elif isinstance(item, FunctionCallItem | LocalShellCallItem):
            command = _command_of(item)
            patch = _patch_of(item, command)
            answer = outputs.get(item.call_id)
            if patch is not None:
                files = _changes(patch)
                out.append(("patch", json.dumps({"files": files, "output": answer or ""})))
            elif command is not None:
                out.append(("command", json.dumps({"command": command, **_shell_result(answer)})))
    return out


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
