"""What every command does first: turn the parsed global options into a loaded Config.

The only place that reads ``os.environ`` and the process cwd for configuration; the library
below gets them as arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pycodex.config.loader import LoadedConfig, codex_home_from_env, load_config
from pycodex.config.overrides import CliOverrides
from pycodex.config.schema import Config
from pycodex.protocol.errors import UsageError
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
        config_overrides=(
            *(getattr(args, "config_overrides", None) or ()),
            *(("tools.web_search=true",) if getattr(args, "search", False) else ()),
        ),
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
    loaded = with_added_dirs(loaded, getattr(args, "add_dirs", None) or (), Path.cwd())
    asked = getattr(args, "approval_policy", None)
    if forced_approval is not None and asked and AskForApproval(asked) is not forced_approval:
        # `-a` is a global option, so `codex exec -a untrusted` parses: say it does nothing.
        sys.stderr.write(
            f"warning: -a {asked} is ignored: codex exec never asks for approval and runs "
            f"as `{forced_approval}` (the sandbox decides what a command may do)\n"
        )
    for warning in loaded.warnings:
        if warning not in _printed_warnings:
            _printed_warnings.add(warning)
            sys.stderr.write(f"warning: {warning}\n")
    return loaded


def with_added_dirs(loaded: LoadedConfig, dirs: Sequence[str], base: Path) -> LoadedConfig:
    """``--add-dir DIR...``: more writable roots for this run, after every config layer.

    Added to ``sandbox_workspace_write.writable_roots`` (config file roots are kept), so
    they count wherever that setting counts: the sandbox, and where a patch may write.
    A relative DIR is taken from the directory the command was typed in (``base``).
    """
    if not dirs:
        return loaded
    added: list[Path] = []
    for raw in dirs:
        path = (base / Path(raw).expanduser()).resolve()
        if not path.is_dir():
            raise UsageError(f"--add-dir {raw}: no such directory")
        added.append(path)
    ww = loaded.config.sandbox_workspace_write
    roots = (*ww.writable_roots, *(p for p in added if p not in ww.writable_roots))
    config = replace(loaded.config, sandbox_workspace_write=replace(ww, writable_roots=roots))
    origins = {**loaded.origins, "sandbox_workspace_write.writable_roots": "flag --add-dir"}
    return replace(loaded, config=config, origins=origins)


def config_from_args(
    args: argparse.Namespace, *, forced_approval: AskForApproval | None = None
) -> Config:
    """Builds CliOverrides from the parsed global options, loads, prints warnings to stderr."""
    return load_from_args(args, forced_approval=forced_approval).config
