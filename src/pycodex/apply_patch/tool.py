"""The ``apply_patch`` function tool: its definition for the model and its argument decoding.

Kept beside the grammar so the description can never drift from what the parser accepts; core
only has to offer ``tool_definition()`` and route calls through ``patch_from_arguments``.
"""

from __future__ import annotations

import json
from typing import Any

from pycodex.apply_patch.errors import ParseError

TOOL_NAME = "apply_patch"

DESCRIPTION = """\
Edit files by applying a patch. Send the whole patch as `input`, in this format:

*** Begin Patch
*** Add File: path/to/new_file.txt
+each line of the new file, prefixed with +
*** Delete File: path/to/obsolete.txt
*** Update File: path/to/file.py
*** Move to: path/to/renamed.py
@@ class Example:
@@     def method(self):
 an unchanged line, prefixed with a space
-a line to remove
+a line to add
*** End of File
*** End Patch

Notes:
- "*** Move to:" (rename), the "@@ <line>" headers and "*** End of File" are optional. An
  "@@ <line>" header names a line just above the change (a class or function) to locate it;
  several "@@" lines narrow it down step by step. Start each further change in the same file
  with "@@". "*** End of File" marks a change at the very end of the file.
- Give about 3 unchanged lines before and after each change so it matches exactly one place.
- Paths are relative to the working directory, or absolute. Never use line numbers.
- The patch applies completely or not at all. If it fails, the error names the file and the
  change and shows the nearest lines actually in the file: fix the patch and send all of it.
"""


def tool_definition() -> dict[str, Any]:
    """The Responses-API function tool (``{"type": "function", ...}``) offering apply_patch."""
    return {
        "type": "function",
        "name": TOOL_NAME,
        "description": DESCRIPTION,
        "strict": False,
        "parameters": {
            "type": "object",
            "properties": {
                "input": {
                    "type": "string",
                    "description": "The entire patch, from *** Begin Patch to *** End Patch.",
                }
            },
            "required": ["input"],
            "additionalProperties": False,
        },
    }


def patch_from_arguments(arguments: str) -> str:
    """The patch text from a call's JSON arguments (``{"input": ...}``; ``patch`` is accepted
    too, and so is a bare patch sent without JSON)."""
    if arguments.lstrip().startswith(("*** Begin Patch", "<<")):
        return arguments
    try:
        decoded = json.loads(arguments)
    except ValueError as error:
        raise ParseError(
            f'apply_patch arguments must be JSON {{"input": "<patch>"}}: {error}'
        ) from error
    if isinstance(decoded, dict):
        for key in ("input", "patch"):
            value = decoded.get(key)
            if isinstance(value, str):
                return value
    raise ParseError('apply_patch arguments must be JSON {"input": "<patch>"}')
