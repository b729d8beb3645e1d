"""What every command does first: turn the parsed global options into a loaded Config.

The only place that reads ``os.environ`` and the process cwd for configuration; the library
below gets them as arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pycodex.config.loader import LoadedConfig, codex_home_from_env, load_config
from pycodex.config.overrides import CliOverrides
from pycodex.config.schema import Config
from pycodex.protocol.policy import AskForApproval, SandboxMode

_printed_warnings: set[str] = set()


def overrides_from_args(
    args: argparse.Namespace, *, forced_approval: AskForApproval | None = None
) -> CliOverrides:
    """The global options of any parser in ``cli.parser`` as ``CliOverrides``."""
    sandbox = getattr(args, "sandbox_mode", None)
    approval = getattr(args, "approval_policy", None)
    cwd = getattr(args, "cwd", None)
    return CliOverrides(
        config_overrides=tuple(getattr(args, "config_overrides", None) or ()),
        profile=getattr(args, "profile", None),
        model=getattr(args, "model", None),
        oss=bool(getattr(args, "oss", False)),
        local_provider=getattr(args, "local_provider", None),
        sandbox_mode=SandboxMode(sandbox) if sandbox else None,
        approval_policy=AskForApproval(approval) if approval else None,
        full_auto=bool(getattr(args, "full_auto", False)),
        dangerously_bypass_approvals_and_sandbox=bool(getattr(args, "dangerously_bypass", False)),
        cwd=Path(cwd) if cwd else None,
        forced_approval_policy=forced_approval,
    )


def load_from_args(
    args: argparse.Namespace, *, forced_approval: AskForApproval | None = None
) -> LoadedConfig:
    """Load with the process environment and cwd; print each warning once to stderr."""
    loaded = load_config(
        codex_home=codex_home_from_env(os.environ),
        cwd=Path.cwd(),
        env=os.environ,
        overrides=overrides_from_args(args, forced_approval=forced_approval),
    )
    for warning in loaded.warnings:
        if warning not in _printed_warnings:
            _printed_warnings.add(warning)
            sys.stderr.write(f"warning: {warning}\n")
    return loaded


def config_from_args(
    args: argparse.Namespace, *, forced_approval: AskForApproval | None = None
) -> Config:
    """Builds CliOverrides from the parsed global options, loads, prints warnings to stderr."""
    return load_from_args(args, forced_approval=forced_approval).config
