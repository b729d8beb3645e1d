"""Prompt assembly: base instructions, the environment context, the user instructions.

The environment context and the user instructions are user messages put in front of the
history for every request (reference §4.2); they are not part of the recorded history, so
a resumed session regenerates them from the current config.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pycodex.config.schema import Config
from pycodex.core.model_info import use_compact_prompt
from pycodex.protocol.items import MessageItem, ResponseItem, user_message
from pycodex.protocol.policy import AskForApproval, SandboxMode
from pycodex.sandbox.policy import policy_from_config

ENV_CONTEXT_OPEN = "<environment_context>"
ENV_CONTEXT_CLOSE = "</environment_context>"
USER_INSTRUCTIONS_OPEN = "<user_instructions>"
USER_INSTRUCTIONS_CLOSE = "</user_instructions>"


@cache
def default_base_instructions() -> str:
    """Our own system prompt (``base_instructions.md`` beside this module)."""
    return Path(__file__).with_name("base_instructions.md").read_text(encoding="utf-8")


@cache
def compact_base_instructions() -> str:
    """The short system prompt for small-context models (``base_instructions_compact.md``)."""
    return Path(__file__).with_name("base_instructions_compact.md").read_text(encoding="utf-8")


def base_instructions(config: Config) -> str:
    """``experimental_instructions_file`` (already read into ``base_instructions``) replaces
    the built-in prompt wholesale; else the compact prompt when the model's window is small
    (``model_instructions_profile``, see ``model_info.use_compact_prompt``)."""
    if config.base_instructions is not None:
        return config.base_instructions
    if use_compact_prompt(config):
        return compact_base_instructions()
    return default_base_instructions()


def environment_context(
    cwd: Path, approval: AskForApproval, sandbox: SandboxMode, network: bool
) -> str:
    return (
        f"{ENV_CONTEXT_OPEN}\n\n"
        f"Current working directory: {cwd}\n"
        f"Approval policy: {approval.value}\n"
        f"Sandbox policy: {sandbox.value}\n"
        f"Network access: {'enabled' if network else 'restricted'}\n"
        f"\n\n{ENV_CONTEXT_CLOSE}"
    )


def user_instructions_text(instructions: str) -> str:
    return f"{USER_INSTRUCTIONS_OPEN}\n\n{instructions}\n\n{USER_INSTRUCTIONS_CLOSE}"


def initial_context(config: Config, user_instructions: str | None) -> tuple[MessageItem, ...]:
    """The messages sent before the history on every request."""
    network = policy_from_config(config).has_network  # the sandbox's rule, not a copy
    env = environment_context(config.cwd, config.approval_policy, config.sandbox_mode, network)
    items = [user_message(env)]
    if user_instructions:
        items.append(user_message(user_instructions_text(user_instructions)))
    return tuple(items)


def is_context_message(item: ResponseItem) -> bool:
    """True for the generated context messages (never recorded; skipped when resuming)."""
    if not isinstance(item, MessageItem) or item.role != "user":
        return False
    text = item.text.lstrip()
    return text.startswith((ENV_CONTEXT_OPEN, USER_INSTRUCTIONS_OPEN))
