"""`codex help` and `codex completion SHELL`."""

from __future__ import annotations

import argparse

from pycodex.cli.parser import print_help


def run_help(args: argparse.Namespace) -> int:
    return print_help()


def run_completion(args: argparse.Namespace) -> int:
    from pycodex.cli.completion import completion_script

    print(completion_script(args.shell))
    return 0
