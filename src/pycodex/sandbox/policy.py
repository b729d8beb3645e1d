"""What a spawned command may touch, and which of it this machine can enforce.

``SandboxPolicy`` is the configured sandbox; ``launch.prepare_launch`` turns it into the way a
command is started (Landlock + seccomp + mount namespace on Linux, ``sandbox-exec`` on macOS).
``enforced_mode`` tells callers the truth about what the kernel will enforce.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pycodex.protocol.errors import SandboxError
from pycodex.protocol.policy import SandboxMode

if TYPE_CHECKING:
    from pycodex.config.schema import Config


@dataclass(frozen=True, slots=True)
class SandboxPolicy:
    """The sandbox a command is asked to run under (from ``sandbox_mode`` and its table).

    ``workspace`` is the session's working root, writable under ``workspace-write``; when
    unset the command's own working directory is used instead (a model-chosen ``workdir``
    would then become writable, so the agent always sets it).
    """

    mode: SandboxMode = SandboxMode.DANGER_FULL_ACCESS
    writable_roots: tuple[Path, ...] = ()
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False
    workspace: Path | None = None
    # never read for the model (``model_files``); in the sandbox, its secrets are hidden and
    # it is read-only inside a writable root (``namespaces``, ``seatbelt``)
    codex_home: Path | None = None
    # unix sockets a command may connect to under workspace-write: "all" or these paths
    allow_unix_sockets: tuple[Path, ...] | Literal["all"] = ()

    @property
    def unix_sockets(self) -> tuple[Path, ...] | Literal["all"]:
        """The unix sockets the sandbox lets a command connect to (none unless
        workspace-write; ``danger-full-access`` has no sandbox to ask)."""
        if self.mode is SandboxMode.WORKSPACE_WRITE:
            return self.allow_unix_sockets
        return ()

    @property
    def has_network(self) -> bool:
        """Whether the model should assume network access (reported in the prompt)."""
        if self.mode is SandboxMode.DANGER_FULL_ACCESS:
            return True
        return self.mode is SandboxMode.WORKSPACE_WRITE and self.network_access


FULL_ACCESS = SandboxPolicy()


def policy_from_config(config: Config, mode: SandboxMode | None = None) -> SandboxPolicy:
    """The policy the agent uses for ``config`` (``mode`` overrides ``sandbox_mode``)."""
    ww = config.sandbox_workspace_write
    return SandboxPolicy(
        mode=config.sandbox_mode if mode is None else mode,
        writable_roots=ww.writable_roots,
        network_access=ww.network_access,
        exclude_tmpdir_env_var=ww.exclude_tmpdir_env_var,
        exclude_slash_tmp=ww.exclude_slash_tmp,
        workspace=config.cwd,
        codex_home=config.codex_home,
        allow_unix_sockets=ww.allow_unix_sockets,
    )


def writable_roots_for(
    policy: SandboxPolicy, cwd: Path, env: Mapping[str, str]
) -> tuple[Path, ...]:
    """The writable roots of ``policy`` for a command in ``cwd`` with environment ``env``
    (``$TMPDIR`` is the command's own); empty unless ``workspace-write``."""
    if policy.mode is not SandboxMode.WORKSPACE_WRITE:
        return ()
    roots = [policy.workspace or cwd, *policy.writable_roots]
    tmpdir = env.get("TMPDIR")
    if tmpdir and not policy.exclude_tmpdir_env_var:
        roots.append(Path(tmpdir))
    if not policy.exclude_slash_tmp:
        roots.append(Path("/tmp"))
    return tuple(roots)


def enforced_mode(policy: SandboxPolicy) -> SandboxMode:
    """The mode the kernel will actually enforce: ``policy.mode`` where this machine supports
    the sandbox, else ``danger-full-access`` (and ``prepare_launch`` refuses to run)."""
    if policy.mode is SandboxMode.DANGER_FULL_ACCESS:
        return policy.mode
    try:
        check_supported()
    except SandboxError:
        return SandboxMode.DANGER_FULL_ACCESS
    return policy.mode


def check_supported() -> None:
    """Raise ``SandboxError`` (one line: what is missing, what to do) unless supported."""
    if sys.platform == "linux":
        from pycodex.sandbox import linux

        linux.support()
    elif sys.platform == "darwin":
        from pycodex.sandbox import seatbelt

        seatbelt.check_available()
    else:
        raise SandboxError(
            f"no OS sandbox for {sys.platform}; use --sandbox danger-full-access "
            "inside an already-isolated environment"
        )
