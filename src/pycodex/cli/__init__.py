"""The `codex` command: argv in, a subcommand run, an exit status out.

Start-up is a feature: ``--version`` answers before argparse is imported, and every
subcommand's module (and through it the HTTP stack, the TUI, the MCP SDK) is imported only
when that subcommand runs.
"""

from __future__ import annotations

import sys

from pycodex import VERSION_LINE

__all__ = ["VERSION_LINE", "main"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        sys.stdout.write(VERSION_LINE + "\n")
        return 0
    from pycodex.cli.run import run

    return run(args)
