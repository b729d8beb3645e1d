"""The JSON schemas of the tools offered to the model (reference §3.2, §3.3)."""

from __future__ import annotations

from typing import Any

from pycodex.apply_patch import TOOL_NAME, tool_definition
from pycodex.models.base import FunctionTool, HostedTool, ToolSpec
from pycodex.protocol.policy import AskForApproval

SHELL = "shell"
UPDATE_PLAN = "update_plan"
WEB_SEARCH = "web_search"
APPLY_PATCH = TOOL_NAME


def shell_tool(approval: AskForApproval) -> FunctionTool:
    """``shell``; with ``on-request`` the model may also ask to run outside the sandbox."""
    if approval is not AskForApproval.ON_REQUEST:
        properties: dict[str, Any] = {
            "command": {"type": "array", "items": {"type": "string"}},
            "timeout": {"type": "number"},
            "workdir": {"type": "string"},
        }
        description = "Runs a shell command and returns its output"
    else:
        properties = {
            "command": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The command to execute",
            },
            "timeout": {
                "type": "number",
                "description": "The timeout for the command in milliseconds",
            },
            "workdir": {
                "type": "string",
                "description": "The working directory to execute the command in",
            },
            "with_escalated_permissions": {
                "type": "boolean",
                "description": (
                    "Whether to request escalated permissions. Set to true if command needs "
                    "to be run without sandbox restrictions"
                ),
            },
            "justification": {
                "type": "string",
                "description": (
                    "Only set if with_escalated_permissions is true. 1-sentence explanation "
                    "of why we want to run this command."
                ),
            },
        }
        description = (
            "Runs a shell command and returns its output. Commands run in a sandbox that "
            "limits writes to the workspace and blocks the network. If a command needs more "
            "(for example installing packages, writing outside the workspace, or network "
            "access for `git push`, `npm install`, `cargo build`), set "
            "with_escalated_permissions to true and give a one-sentence justification; the "
            "user will be asked to approve it."
        )
    return FunctionTool(
        name=SHELL,
        description=description,
        strict=False,
        parameters={
            "type": "object",
            "properties": properties,
            "required": ["command"],
            "additionalProperties": False,
        },
    )


def update_plan_tool() -> FunctionTool:
    return FunctionTool(
        name=UPDATE_PLAN,
        description=(
            "Use the update_plan tool to keep the user updated on the current plan for the "
            "task. Give a short list of steps, each with a status (pending, in_progress or "
            "completed), with exactly one step in_progress until everything is done. Call "
            "it again whenever a step finishes or the plan changes."
        ),
        strict=False,
        parameters={
            "type": "object",
            "properties": {
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "description": "The list of steps",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {
                                "type": "string",
                                "description": "One of: pending, in_progress, completed",
                            },
                        },
                        "required": ["step", "status"],
                        "additionalProperties": False,
                    },
                },
            },
            "required": ["plan"],
            "additionalProperties": False,
        },
    )


def apply_patch_tool() -> FunctionTool:
    """``apply_patch`` as a function tool; its text lives beside the grammar in the library."""
    spec = tool_definition()
    return FunctionTool(
        name=spec["name"],
        description=spec["description"],
        parameters=spec["parameters"],
        strict=spec["strict"],
    )


def web_search_tool() -> HostedTool:
    """The Responses API's hosted search, on live content as current Codex's ``--search``
    sends it; the provider runs it and reports ``web_search_call`` items."""
    return HostedTool(WEB_SEARCH, {"external_web_access": True})


def default_tools(
    approval: AskForApproval,
    *,
    plan: bool = True,
    apply_patch: bool = True,
    web_search: bool = False,
) -> tuple[ToolSpec, ...]:
    """``shell``, then ``update_plan`` and ``apply_patch`` unless turned off
    (``include_plan_tool`` / ``include_apply_patch_tool``), then ``web_search`` when on
    (``--search``, ``[tools] web_search``). ``apply_patch`` is a tool by
    default (SPEC §4): a patch in a JSON string needs no shell quoting, so it is the most
    reliable way to send one. Patches sent through ``shell`` are recognised either way."""
    tools: list[ToolSpec] = [shell_tool(approval)]
    if plan:
        tools.append(update_plan_tool())
    if apply_patch:
        tools.append(apply_patch_tool())
    if web_search:
        tools.append(web_search_tool())
    return tuple(tools)
