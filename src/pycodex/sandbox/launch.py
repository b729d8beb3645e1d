"""How a command is started under a sandbox policy: the one entry every spawner uses.

``prepare_launch`` returns the argv, environment and ``preexec_fn`` to hand to
``subprocess``/``asyncio`` (with ``close_fds=True``, their default: only stdio survives).
``danger-full-access`` is the only mode that runs without a sandbox; any other mode on a
machine that cannot enforce it raises ``SandboxError`` instead of running unconfined.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pycodex.protocol.policy import SandboxMode
from pycodex.sandbox.policy import SandboxPolicy, check_supported, writable_roots_for

NETWORK_DISABLED_VAR = "CODEX_SANDBOX_NETWORK_DISABLED"


@dataclass(frozen=True, slots=True)
class Launch:
    """Arguments for ``Popen``/``subprocess_exec``: ``argv``, ``env=``, ``preexec_fn=``."""

    argv: tuple[str, ...]
    env: dict[str, str]
    preexec_fn: Callable[[], None] | None
    mode: SandboxMode  # what is enforced


def prepare_launch(
    policy: SandboxPolicy,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    terminal: bool = False,
) -> Launch:
    """Everything needed to start ``argv`` in ``cwd`` under ``policy``; raises
    ``SandboxError`` when the policy cannot be enforced here. ``terminal``: the command will
    run on the user's terminal (``codex sandbox`` by hand), whose pty must stay visible."""
    env = dict(env)
    if policy.mode is SandboxMode.DANGER_FULL_ACCESS:
        return Launch(tuple(argv), env, None, policy.mode)
    if not policy.has_network:
        env[NETWORK_DISABLED_VAR] = "1"
    check_supported()
    roots = writable_roots_for(policy, cwd, env)
    if sys.platform == "darwin":
        from pycodex.sandbox import seatbelt

        env["CODEX_SANDBOX"] = "seatbelt"
        wrapped = seatbelt.sandbox_exec_argv(
            argv, roots, network=policy.has_network, codex_home=policy.codex_home
        )
        return Launch(wrapped, env, None, policy.mode)
    from pycodex.sandbox import landlock, linux

    preexec = linux.build_preexec(
        linux.support(),
        writable_roots=landlock.roots_for_rules(str(r) for r in roots),
        cwd=str(cwd),
        network=policy.has_network,
        terminal=terminal,
        codex_home=str(policy.codex_home) if policy.codex_home else None,
        unix_sockets=policy.unix_sockets,
    )
    return Launch(tuple(argv), env, preexec, policy.mode)


def prewarm(policy: SandboxPolicy, *, cwd: Path, env: Mapping[str, str]) -> threading.Thread | None:
    """Prepare, on a background thread, what the first command under ``policy`` would
    otherwise wait for: the support probe, the search of the writable roots for paths to
    protect (the first walk of a crowded ``/tmp`` takes hundreds of ms) and the mount
    namespace. Call it when a session starts; the first command then finds it all cached
    (or waits on the same locks for what is still running). Failures are left for that
    command to report. Returns the thread (None: nothing to prepare)."""
    if policy.mode is SandboxMode.DANGER_FULL_ACCESS or sys.platform != "linux":
        return None

    def work() -> None:
        with contextlib.suppress(Exception):
            prepare_launch(policy, ("true",), cwd=cwd, env=env)

    thread = threading.Thread(target=work, name="pycodex-sandbox-prewarm", daemon=True)
    thread.start()
    return thread


def exit_status(returncode: int) -> int:
    """A shell's view of a child status: 128+N when killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def run_foreground(launch: Launch, *, cwd: Path) -> int:
    """Run with stdio inherited (for ``codex sandbox``); the exit status as a shell reports it.

    Ctrl-C reaches the command (same process group); we ignore it while waiting so the
    status we report is the command's.
    """
    proc = subprocess.Popen(  # OSError (not found, not executable) is the caller's to report
        launch.argv,
        cwd=cwd,
        env=launch.env,
        preexec_fn=launch.preexec_fn,  # noqa: PLW1509 - see linux.py on thread-safety
        close_fds=True,
    )
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        returncode = proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return exit_status(returncode)
