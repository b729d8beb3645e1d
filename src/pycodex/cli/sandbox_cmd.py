"""`codex sandbox` and `codex debug landlock|seatbelt`: one command under the agent's sandbox.

The command gets exactly what a model-run command gets: the policy from the configuration
(``sandbox_mode``, ``[sandbox_workspace_write]``), the environment from
``shell_environment_policy``, and the same ``prepare_launch``. Stdio is inherited; the exit
status is the command's (128+N when signal N killed it).
"""

from __future__ import annotations

import argparse
import os
import sys

from pycodex.protocol.errors import UsageError
from pycodex.protocol.policy import SandboxMode

EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


def _command(args: argparse.Namespace, usage: str) -> list[str]:
    cmd = list(getattr(args, "cmd", None) or [])
    if cmd and cmd[0] == "--":  # argparse.REMAINDER keeps the separator
        cmd = cmd[1:]
    if not cmd:
        raise UsageError(f"a command is required: {usage} -- CMD...")
    return cmd


def _run(args: argparse.Namespace, cmd: list[str], mode: SandboxMode | None) -> int:
    from pycodex.cli.common import config_from_args
    from pycodex.core.exec_env import config_secret_names, create_env
    from pycodex.sandbox.launch import prepare_launch, run_foreground
    from pycodex.sandbox.policy import policy_from_config

    config = config_from_args(args)
    policy = policy_from_config(config, mode)
    env = create_env(  # + the network flag:
        config.shell_environment_policy, os.environ, secret_names=config_secret_names(config)
    )
    # prepare_launch sets CODEX_SANDBOX_NETWORK_DISABLED from the policy, as for the agent
    terminal = any(os.isatty(fd) for fd in (0, 1, 2))
    launch = prepare_launch(policy, cmd, cwd=config.cwd, env=env, terminal=terminal)
    try:
        return run_foreground(launch, cwd=config.cwd)
    except FileNotFoundError:
        sys.stderr.write(f"codex: command not found: {cmd[0]}\n")
        return EXIT_NOT_FOUND
    except PermissionError as exc:
        sys.stderr.write(f"codex: cannot execute {cmd[0]}: {exc.strerror}\n")
        return EXIT_NOT_EXECUTABLE


# `codex sandbox PLATFORM -- CMD` of Codex versions between v0.20 and the current one.
_THIS_PLATFORM = {"linux": ("linux", "landlock"), "darwin": ("macos", "seatbelt")}
_PLATFORM_WORDS = ("linux", "landlock", "macos", "seatbelt", "windows")


def _without_platform_word(cmd: list[str]) -> list[str]:
    """CMD without a leading platform word (and the `--` after it); a platform other than
    this machine's is a usage error, not a program name."""
    if len(cmd) < 2 or cmd[0] not in _PLATFORM_WORDS:
        return cmd
    if cmd[0] not in _THIS_PLATFORM.get(sys.platform, ()):
        raise UsageError(f"`codex sandbox {cmd[0]}` does not run on {sys.platform}")
    rest = cmd[1:]
    return rest[1:] if rest[0] == "--" else rest


def run_sandbox(args: argparse.Namespace) -> int:
    """`codex sandbox [-s MODE] [-c ...] [PLATFORM] -- CMD...`: the configured (or given)
    mode; PLATFORM (`linux`, `macos`, …) is accepted as older Codex versions spelled it."""
    cmd = _without_platform_word(_command(args, "codex sandbox"))
    return _run(args, cmd, None)


def _debug_mode(args: argparse.Namespace) -> SandboxMode:
    """v0.20's rule for `debug landlock|seatbelt`: read-only unless --full-auto."""
    return SandboxMode.WORKSPACE_WRITE if args.full_auto else SandboxMode.READ_ONLY


def run_debug_landlock(args: argparse.Namespace) -> int:
    cmd = _command(args, "codex debug landlock [--full-auto]")
    if sys.platform != "linux":
        raise UsageError("`codex debug landlock` runs on Linux only (macOS: debug seatbelt)")
    return _run(args, cmd, _debug_mode(args))


def run_debug_seatbelt(args: argparse.Namespace) -> int:
    """On macOS run CMD under the profile; elsewhere print the profile it would use."""
    cmd = _command(args, "codex debug seatbelt [--full-auto]")
    if sys.platform == "darwin":
        return _run(args, cmd, _debug_mode(args))
    from pycodex.cli.common import config_from_args
    from pycodex.sandbox.policy import policy_from_config, writable_roots_for
    from pycodex.sandbox.seatbelt import sandbox_exec_argv

    config = config_from_args(args)
    policy = policy_from_config(config, _debug_mode(args))
    roots = writable_roots_for(policy, config.cwd, os.environ)
    argv = sandbox_exec_argv(cmd, roots, network=policy.has_network)
    profile_text, defines = argv[2], argv[3 : argv.index("--", 3)]
    sys.stdout.write(profile_text)
    sys.stdout.write("".join(f"; {d}\n" for d in defines))
    sys.stderr.write("codex: Seatbelt runs on macOS only; the command was not run\n")
    return 1


def run_debug_help(args: argparse.Namespace) -> int:
    from pycodex.cli.parser import build_parser

    build_parser().parse_args(["debug", "--help"])
    return 0
