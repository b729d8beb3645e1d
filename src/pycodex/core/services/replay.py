"""Which items of a saved session a resumed one shows, and the data each display needs.

Domain knowledge rather than display: the environment context and user instructions are
not the user's words; a ``shell`` call that runs ``apply_patch`` is a patch, not a command;
our own JSON form of a command's output carries its exit code and duration. Front ends get
``(kind, text)`` pairs: ``user`` and ``assistant`` messages as text; ``command`` and
``patch`` as JSON (the command, its output, exit code and duration; the patch's files as
``FileChange`` fields, and the tool's answer). Kinds a front end does not know it skips.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    LocalShellCallItem,
    MessageItem,
    ResponseItem,
)

__all__ = ["PATCH_TOOLS", "SHELL_TOOLS", "replay_entries"]

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
