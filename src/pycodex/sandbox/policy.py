"""What a spawned command may touch: the seam the OS sandbox will fill.

Today every command runs with ``danger-full-access`` semantics whatever the configured mode
says; ``enforced_mode`` tells callers the truth. The sandbox issue replaces
``wrap_argv`` with Landlock/seccomp (Linux) and Seatbelt (macOS) wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.policy import SandboxMode


@dataclass(frozen=True, slots=True)
class SandboxPolicy:
    """The sandbox a command is asked to run under (from ``sandbox_mode`` and its table)."""

    mode: SandboxMode = SandboxMode.DANGER_FULL_ACCESS
    writable_roots: tuple[Path, ...] = ()
    network_access: bool = False

    @property
    def has_network(self) -> bool:
        """Whether the model should assume network access (reported in the prompt)."""
        if self.mode is SandboxMode.DANGER_FULL_ACCESS:
            return True
        return self.mode is SandboxMode.WORKSPACE_WRITE and self.network_access


FULL_ACCESS = SandboxPolicy()


def enforced_mode(policy: SandboxPolicy) -> SandboxMode:
    """The mode actually enforced on this machine today: always full access (no sandbox yet)."""
    del policy
    return SandboxMode.DANGER_FULL_ACCESS


def wrap_argv(policy: SandboxPolicy, argv: Sequence[str]) -> tuple[str, ...]:
    """The argv to exec for ``argv`` under ``policy``: unchanged until the sandbox lands."""
    del policy
    return tuple(argv)
