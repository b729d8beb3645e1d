"""`codex exec --output-schema FILE`: the schema file, checked at start-up, and the final
message, checked against it when the turn ends.

The schema is sent to the model as given (a strict structured-output format on both wire
APIs, see ``pycodex.models``): nothing here rewrites it. A server that enforces it (OpenAI
with ``strict: true``) always answers in shape; servers that ignore the format (many local
ones) may not, and a script that asked for a shape must not take a wrong one for a success.
So the final message is validated here, and a message that is not JSON or does not match
is one clear line (stderr, or a top-level ``error`` line in ``--json`` mode, after
``turn.completed``) and exit status 1. The message itself is still printed and written to
``--output-last-message`` unchanged: a script that wants to salvage it can. Current Codex
does not check the answer (it exits 0); against OpenAI's strict mode the two agree, since
the answer always matches there.

``jsonschema`` (a dependency of ``mcp``) is imported only when ``--output-schema`` is given.
Validation never fetches anything: a ``$ref`` outside the file cannot be resolved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pycodex.protocol.errors import EXIT_FAILURE, EXIT_OK, UsageError

MAX_DETAIL_CHARS = 300  # a problem is one line, even when it quotes a large value


@dataclass(frozen=True)
class OutputSchema:
    """A schema file that parsed and passed the JSON Schema meta-schema."""

    path: str  # as the user typed it: messages name the file that way
    schema: dict[str, Any]


def _one_line(text: str) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= MAX_DETAIL_CHARS else flat[: MAX_DETAIL_CHARS - 1] + "…"


def _validator_class(schema: dict[str, Any]) -> Any:
    from jsonschema import validators  # type: ignore[import-untyped]

    # The draft named by ``$schema``; 2020-12 when there is none (or one jsonschema does
    # not know: an explicit default, so no warning is printed).
    return validators.validator_for(schema, default=validators.Draft202012Validator)


def load_output_schema(path: str) -> OutputSchema:
    """Reads and checks FILE; every problem is a ``UsageError`` (one line, exit 2)."""
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

    where = f"--output-schema {path}"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{where}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(schema, dict):
        found = type(schema).__name__ if schema is not None else "null"
        raise UsageError(f"{where}: a JSON Schema object is expected, found {found}")
    try:
        _validator_class(schema).check_schema(schema)
    except SchemaError as err:
        detail = _one_line(f"{err.message} (at {err.json_path})")
        raise UsageError(f"{where}: not a valid JSON Schema: {detail}") from err
    return OutputSchema(path, schema)


def _no_fetching() -> Any:
    """A registry that resolves only what is inside the schema: nothing is downloaded."""
    import referencing
    import referencing.exceptions

    def refuse(uri: str) -> Any:
        raise referencing.exceptions.NoSuchResource(uri)

    return referencing.Registry(retrieve=refuse)  # type: ignore[call-arg]


def check_final_message(output_schema: OutputSchema, message: str | None) -> str | None:
    """None when ``message`` is JSON that matches; else the problem, as one line."""
    import referencing.exceptions
    from jsonschema.exceptions import best_match

    name = f"the output schema ({output_schema.path})"
    if message is None:
        return f"no final message to check against {name}"
    try:
        value = json.loads(message)
    except json.JSONDecodeError as exc:
        hint = " (it is in a Markdown code block)" if message.lstrip().startswith("```") else ""
        detail = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
        return f"the final message is not JSON{hint}, as {name} requires: {detail}"
    cls = _validator_class(output_schema.schema)
    validator = cls(output_schema.schema, registry=_no_fetching())
    try:
        error = best_match(validator.iter_errors(value))
    except referencing.exceptions.Unresolvable as exc:
        ref = getattr(exc, "ref", str(exc))
        return (
            f"cannot check the final message against {name}: $ref {ref!r} is not in the "
            "file (schemas are never downloaded)"
        )
    if error is None:
        return None
    detail = _one_line(f"at {error.json_path}: {error.message}")
    return f"the final message does not match {name}: {detail}"


def report(
    output_schema: OutputSchema,
    message: str | None,
    *,
    json_out: TextIO | None,
    err: TextIO,
) -> int:
    """Checks the final message; a problem is printed (a JSONL ``error`` line on
    ``json_out`` in ``--json`` mode, else ``Error: …`` on ``err``). Returns the exit status."""
    problem = check_final_message(output_schema, message)
    if problem is None:
        return EXIT_OK
    if json_out is not None:
        from pycodex.frontends.headless.jsonl import dumps

        json_out.write(dumps({"type": "error", "message": problem}) + "\n")
        json_out.flush()
    else:
        from pycodex.core.terminal_text import sanitize

        err.write(f"Error: {sanitize(problem)}\n")
        err.flush()
    return EXIT_FAILURE
