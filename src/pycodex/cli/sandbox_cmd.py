"""`codex sandbox` and `codex debug landlock|seatbelt` (the sandbox issue fills this)."""

from __future__ import annotations

import argparse

from pycodex.protocol.errors import CodexError


def _unavailable() -> int:
    raise CodexError("the OS sandbox is not available yet in this build")


def run_sandbox(args: argparse.Namespace) -> int:
    return _unavailable()


def run_debug_landlock(args: argparse.Namespace) -> int:
    return _unavailable()


def run_debug_seatbelt(args: argparse.Namespace) -> int:
    return _unavailable()


def run_debug_help(args: argparse.Namespace) -> int:
    from pycodex.cli.parser import build_parser

    build_parser().parse_args(["debug", "--help"])
    return 0
