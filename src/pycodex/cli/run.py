"""Parse argv, dispatch to the subcommand, and turn errors into one line and a status."""

from __future__ import annotations

import sys

from pycodex.protocol.errors import EXIT_INTERRUPTED, CodexError


def run(argv: list[str]) -> int:
    from pycodex.cli.parser import parse

    try:
        command = parse(argv)
        return command()
    except CodexError as err:
        sys.stderr.write(f"Error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
