"""Compaction: replace a long history with a summary that lets the work continue.

Manual (the ``Compact`` op, ``/compact``) or automatic: when the last response's input
tokens passed the limit (``model_auto_compact_token_limit``, else 90 % of the context
window), the next request is preceded by a summary request. The model writes the summary
without tools; we add what must survive verbatim (the user's last request, the plan, the
files patched so far) instead of trusting the summary to keep them.
"""

from __future__ import annotations

import re

from pycodex.core.response import stream_response
from pycodex.core.session import Session
from pycodex.models.base import ModelClient, Prompt
from pycodex.protocol.errors import ModelError, ProviderHttpError
from pycodex.protocol.items import FunctionCallItem, LocalShellCallItem, user_message

SUMMARY_INSTRUCTIONS = """\
You are writing a hand-over note for a coding agent that will continue this conversation
with no memory of it except your note. Read the conversation and write a concise summary
with these sections, in Markdown:

**Goal:** what the user asked for, including constraints and preferences they stated.
**Done so far:** what was found and changed, with file paths and the commands that
mattered (builds, tests) and their results.
**Current state:** what is in progress right now and what was about to happen next.
**Open problems:** failing tests, errors not yet understood, decisions still pending.
**Key facts:** names, paths, versions, commands and snippets the next agent must not have
to rediscover.

Be specific and factual; leave out chit-chat and anything already resolved that does not
matter any more. Do not call tools. Do not address the user."""

SUMMARY_REQUEST = "Write the hand-over summary of the conversation above now."
COMPACT_DONE = "Compact task completed"
NO_SUMMARY = (
    "(No summary is available: the conversation had grown too long to summarise. "
    "Re-read the files you need before continuing.)"
)

_PATCH_PATH = re.compile(r"\*\*\* (?:Add|Update|Delete) File: (.+?)\s*(?:\\n|\n)")
_MOVE_PATH = re.compile(r"\*\*\* Move to: (.+?)\s*(?:\\n|\n)")


def files_from_patches(session: Session) -> list[str]:
    """Paths named in apply_patch calls so far (earlier compactions included), in order."""
    seen = dict.fromkeys(session.files_touched)
    for item in session.history:
        text = ""
        if isinstance(item, FunctionCallItem):
            text = item.arguments
        elif isinstance(item, LocalShellCallItem):
            text = "\n".join(item.command)
        if "*** " in text:
            for match in (*_PATCH_PATH.finditer(text), *_MOVE_PATH.finditer(text)):
                seen.setdefault(match.group(1).strip(), None)
    return list(seen)


def summary_message_text(summary: str, session: Session, files: list[str]) -> str:
    parts = [
        "The earlier part of this conversation was compacted to fit the context window. "
        "Continue the work from this summary.",
        f"<summary>\n{summary.strip()}\n</summary>",
    ]
    if session.last_user_request:
        parts.append(
            f"The user's most recent request, verbatim:\n<request>\n"
            f"{session.last_user_request.strip()}\n</request>"
        )
    if session.plan is not None and session.plan.steps:
        lines = [f"- [{s.status}] {s.step}" for s in session.plan.steps]
        parts.append("The current plan:\n" + "\n".join(lines))
    if files:
        parts.append("Files changed with apply_patch so far:\n" + "\n".join(files))
    return "\n\n".join(parts)


async def compact_history(session: Session, model: ModelClient) -> None:
    """Summarise and replace the history; on failure (``ModelError``) history is unchanged."""
    prompt = Prompt(
        instructions=SUMMARY_INSTRUCTIONS,
        input=(*session.prompt_input(), user_message(SUMMARY_REQUEST)),
        tools=(),
        session_id=session.session_id,
    )
    result = await stream_response(model, prompt, lambda _msg: None)  # no live deltas
    summary = result.assistant_text
    if not summary or not summary.strip():
        raise ModelError("compaction failed: the model returned no summary")
    _replace_history(session, summary)
    if result.usage is not None:
        session.add_usage(result.usage)
    session.last_usage = None  # the next response reports the new size


def _replace_history(session: Session, summary: str) -> None:
    files = files_from_patches(session)
    last_request = session.last_user_request
    session.replace_history([user_message(summary_message_text(summary, session, files))])
    session.last_user_request = last_request  # the summary message is not a user request
    session.files_touched = files


def drop_history(session: Session) -> None:
    """The fallback when even the summary request is too long for the model: keep what we
    know verbatim (request, plan, files) so the session can go on instead of failing
    every turn from now on."""
    _replace_history(session, NO_SUMMARY)
    session.last_usage = None


def is_context_overflow(exc: ModelError) -> bool:
    """Whether the provider refused the request for being too long for the context."""
    if not isinstance(exc, ProviderHttpError):
        return False
    body = exc.body.lower()
    too_long = ("context", "too long", "too many tokens", "maximum")
    return exc.status == 413 or (exc.status == 400 and any(w in body for w in too_long))


def needs_compaction(session: Session, limit: int | None) -> bool:
    usage = session.last_usage
    return limit is not None and usage is not None and usage.input_tokens >= limit
