"""``python -m pycodex.apply_patch [PATCH] < patch``: apply a patch relative to the cwd.

Prints the same text the model would get (success on stdout, the error on stderr) and exits 0
on success, 1 on failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pycodex.apply_patch.apply import apply_patch_text

USAGE = "usage: python -m pycodex.apply_patch [PATCH]   (the patch is read from stdin if absent)\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if len(args) > 1:
        sys.stderr.write(USAGE)
        return 2
    text = args[0] if args else sys.stdin.read()
    result = apply_patch_text(text, Path.cwd())
    (sys.stdout if result.success else sys.stderr).write(result.output)
    if not result.output.endswith("\n"):
        (sys.stdout if result.success else sys.stderr).write("\n")
    return result.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
