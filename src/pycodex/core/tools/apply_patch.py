"""The apply_patch seam: recognise a patch inside a ``shell`` call and route it here.

Models emit patches as ``["apply_patch", "<patch>"]``, as a heredoc inside
``["bash", "-lc", "apply_patch <<'EOF' ... EOF"]``, or leniently as
``["apply_patch", "<<'EOF'\\n...\\nEOF"]`` (reference §3.4). No ``apply_patch`` program is
looked up on PATH: the patch engine (next issue) will apply it here, atomically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pycodex.core.tools.context import ToolContext

NOT_AVAILABLE = "apply_patch is not available yet; edit files with shell commands instead"
_NAMES = ("apply_patch", "applypatch")
_SHELLS = ("bash", "sh", "zsh")
_HEREDOC = re.compile(
    r"""^\s*(?:apply_patch|applypatch)?\s*<<-?\s*(['"]?)(\w+)\1[ \t]*\n(?P<body>.*?)\n?\2\s*$""",
    re.DOTALL,
)


def _unheredoc(text: str) -> str:
    match = _HEREDOC.match(text)
    return match.group("body") + "\n" if match else text


def extract_patch(argv: Sequence[str]) -> str | None:
    """The patch text if ``argv`` is an apply_patch invocation, else None."""
    if len(argv) == 2 and Path(argv[0]).name in _NAMES:
        return _unheredoc(argv[1])
    if len(argv) == 3 and Path(argv[0]).name in _SHELLS and argv[1] in ("-lc", "-c"):
        script = argv[2].lstrip()
        if script.startswith(_NAMES) and _HEREDOC.match(script):
            return _unheredoc(script)
    return None


async def handle_apply_patch(ctx: ToolContext, call_id: str, patch: str, cwd: Path) -> str:
    """Apply ``patch`` relative to ``cwd``: filled in by the apply_patch issue."""
    del ctx, call_id, patch, cwd
    return NOT_AVAILABLE
