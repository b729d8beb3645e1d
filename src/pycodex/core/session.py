"""Session state: the recorded history, token usage, the plan, and the rollout file.

History holds exactly the items sent to (and received from) the model, in order; the
generated context messages are prepended per request and never recorded. Every recorded
item is also appended to the rollout file at once, so a killed process loses at most the
line being written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pycodex.config.schema import Config
from pycodex.core.prompt import initial_context, is_context_message
from pycodex.protocol.items import (
    FunctionCallItem,
    FunctionCallOutputItem,
    LocalShellCallItem,
    MessageItem,
    Plan,
    ResponseItem,
    TokenUsage,
)
from pycodex.sandbox.spawn import CommandResult

if TYPE_CHECKING:
    from pycodex.storage.rollout import RolloutWriter


class Session:
    def __init__(
        self,
        config: Config,
        session_id: str,
        *,
        user_instructions: str | None,
        rollout: RolloutWriter | None = None,
        history: Iterable[ResponseItem] = (),
    ) -> None:
        self.config = config
        self.session_id = session_id
        self.user_instructions = user_instructions
        self.rollout = rollout
        self.history: list[ResponseItem] = [i for i in history if not is_context_message(i)]
        self.total_usage = TokenUsage()
        self.last_usage: TokenUsage | None = None
        self.plan: Plan | None = None
        self.last_user_request: str | None = _last_user_text(self.history)
        self.files_touched: list[str] = []

    @property
    def rollout_path(self) -> Path | None:
        return self.rollout.path if self.rollout is not None else None

    def record(self, items: Sequence[ResponseItem]) -> None:
        if not items:
            return
        self.history.extend(items)
        if self.rollout is not None:
            self.rollout.record_items(items)

    def record_user(self, item: MessageItem) -> None:
        if item.text:
            self.last_user_request = item.text
        self.record([item])

    def replace_history(self, items: Sequence[ResponseItem]) -> None:
        """After compaction: the model sees only ``items`` from now on (they are recorded
        after a marker, so a resumed session starts from them, not from the old history)."""
        self.history = []
        if self.rollout is not None:
            from pycodex.storage.rollout import COMPACTED_RECORD

            self.rollout.record_json({"record_type": COMPACTED_RECORD})
        self.record(items)

    def record_full_output(self, call_id: str, result: CommandResult) -> None:
        """Keep a command's whole captured output in the session file (the model saw a
        shortened version). A ``record_type`` line: readers replay only items."""
        if self.rollout is None or result.error is not None:
            return
        self.rollout.record_json(
            {
                "record_type": "exec_output",
                "call_id": call_id,
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "omitted_bytes": result.omitted_bytes,
                "output": result.aggregated,
            }
        )

    def add_usage(self, usage: TokenUsage) -> None:
        self.last_usage = usage
        self.total_usage = self.total_usage + usage

    def prompt_input(self) -> tuple[ResponseItem, ...]:
        return (*initial_context(self.config, self.user_instructions), *self.history)

    def unanswered_calls(self) -> list[str]:
        """Call ids of tool calls in history that have no output yet, in order."""
        answered = {i.call_id for i in self.history if isinstance(i, FunctionCallOutputItem)}
        return [
            i.call_id
            for i in self.history
            if isinstance(i, FunctionCallItem | LocalShellCallItem) and i.call_id not in answered
        ]

    def answer_unanswered(self, output: str) -> list[str]:
        """Give every call without an output ``output``: the next request stays valid."""
        missing = self.unanswered_calls()
        self.record([FunctionCallOutputItem(call_id, output) for call_id in missing])
        return missing

    def close(self) -> None:
        if self.rollout is not None:
            self.rollout.close()


def _last_user_text(history: Sequence[ResponseItem]) -> str | None:
    for item in reversed(history):
        if isinstance(item, MessageItem) and item.role == "user" and item.text:
            return item.text
    return None
