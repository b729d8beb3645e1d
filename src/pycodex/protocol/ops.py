"""Operations submitted to core (reference §4.8), each wrapped in a ``Submission``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pycodex.protocol.policy import ReviewDecision


@dataclass(frozen=True, slots=True)
class UserInput:
    """A user turn: text and images (data URLs or local paths, read by core)."""

    text: str
    images: tuple[str, ...] = ()  # data: / http(s) URLs
    local_images: tuple[str, ...] = ()  # paths; core reads and encodes them
    # A JSON Schema for the final answer of the turn this input starts (`exec --output-schema`):
    # sent as the structured-output format of every request of that turn, as given.
    output_schema: dict[str, Any] | None = None
    type: Literal["user_input"] = "user_input"


@dataclass(frozen=True, slots=True)
class Interrupt:
    type: Literal["interrupt"] = "interrupt"


@dataclass(frozen=True, slots=True)
class ExecApproval:
    id: str  # the call_id of the request being answered
    decision: ReviewDecision
    type: Literal["exec_approval"] = "exec_approval"


@dataclass(frozen=True, slots=True)
class PatchApproval:
    id: str
    decision: ReviewDecision
    type: Literal["patch_approval"] = "patch_approval"


@dataclass(frozen=True, slots=True)
class Compact:
    type: Literal["compact"] = "compact"


@dataclass(frozen=True, slots=True)
class Shutdown:
    type: Literal["shutdown"] = "shutdown"


Op = UserInput | Interrupt | ExecApproval | PatchApproval | Compact | Shutdown


@dataclass(frozen=True, slots=True)
class Submission:
    id: str
    op: Op
