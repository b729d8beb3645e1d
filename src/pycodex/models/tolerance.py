"""How the client copes with servers that are OpenAI-compatible only in name.

Pure helpers for ``client``: token estimates for servers that report no usage, the size check
of a prompt against the context window, and reading error bodies that are Python tracebacks
(llama-cpp-python, vLLM and other FastAPI servers answer a request they cannot handle with a
500 and a traceback: retrying that request changes nothing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pycodex.protocol.items import TokenUsage

CHARS_PER_TOKEN = 4  # a deliberately rough average for English and code
MESSAGE_OVERHEAD_TOKENS = 4  # role markers and separators of a chat template, per message
MAX_ERROR_CHARS = 300
# A 5xx whose body says this is about the request itself, not about the server's health.
_VALIDATION = re.compile(
    r"validation ?error|validationerror|field required|extra inputs are not permitted|"
    r"invalid (?:request|value|type|role|message)|unexpected (?:keyword|role|message)|"
    r"must be (?:a|an|one of|string)|jinja|template ?error|templateerror|"
    r"raise_exception|keyerror|typeerror|valueerror|unsupported|not supported|"
    r"expected .+ got|conversation roles must alternate",
    re.IGNORECASE,
)
TRACEBACK_RETRIES = 1  # a traceback that does not look like a request error: retried once


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _texts(value: Any) -> Iterable[str]:
    """Every string in a request body, keys of tool schemas included (they are tokens too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def estimate_request_tokens(body: dict[str, Any]) -> int:
    """Prompt tokens of a Chat or Responses request body: system prompt, tools, history."""
    skip = {"model", "stream", "stream_options", "tool_choice", "store", "include"}
    total = 0
    for key, value in body.items():
        if key in skip:
            continue
        total += sum(estimate_tokens(t) for t in _texts(value))
    entries = body.get("messages") or body.get("input") or []
    count = len(entries) if isinstance(entries, list) else 0
    return total + MESSAGE_OVERHEAD_TOKENS * (count + 1)


def estimated_usage(input_tokens: int, output_chars: int) -> TokenUsage:
    output = estimate_tokens(" " * output_chars) if output_chars else 0
    return TokenUsage(
        input_tokens=input_tokens,
        output_tokens=output,
        total_tokens=input_tokens + output,
        estimated=True,
    )


def does_not_fit_message(prompt_tokens: int, window: int) -> str:
    return (
        f"The prompt (system prompt, tools and history: about {prompt_tokens} tokens, "
        f"estimated) does not fit the model's context window of {window} tokens; the server "
        "may cut it. Use a model with a larger context (for Ollama: a larger num_ctx), "
        'set model_instructions_profile = "compact", or /compact the conversation.'
    )


def is_traceback(body: str) -> bool:
    return "Traceback (most recent call last)" in body or bool(
        re.search(r"^\s+File \".+\", line \d+", body, re.MULTILINE)
    )


def looks_like_request_error(body: str) -> bool:
    """A 5xx body that blames the request (validation, template): not worth a retry."""
    return bool(_VALIDATION.search(body))


def _without_frames(lines: list[str]) -> list[str]:
    """Drop ``Traceback…`` headers, ``File "…", line N`` frames and the source line after
    each (llama-cpp-python appends a frame to its validation messages)."""
    out: list[str] = []
    skip_next = False
    for line in lines:
        if skip_next:
            skip_next = False
            continue
        if line.startswith("Traceback (most recent call last)"):
            continue
        if re.match(r'^File ".+", line \d+', line):
            skip_next = True
            continue
        out.append(line)
    return out or lines[-1:]


def shorten_error(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """One readable line from an error body: a traceback's final exception (what failed,
    with its detail lines), else the JSON ``message``, else the text; whitespace folded, capped."""
    text = text.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data)
        message = err.get("message") or err.get("detail") if isinstance(err, dict) else err
        if isinstance(message, str | list):
            text = message if isinstance(message, str) else json.dumps(message)
    if is_traceback(text):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        starts = [i for i, ln in enumerate(lines) if re.match(r"^[\w.]+(Error|Exception)\b", ln)]
        text = " ".join(lines[starts[-1] :]) if starts else " ".join(_without_frames(lines))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
