"""What core knows about model families: context windows, reasoning, request options."""

from __future__ import annotations

from pycodex.config.schema import Config
from pycodex.models.base import ModelRequestOptions
from pycodex.protocol.policy import ReasoningEffort, ReasoningSummary

# Longest matching prefix wins (``gpt-4.1-mini`` matches ``gpt-4.1``).
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-5": 272_000,
    "codex-mini": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "o1": 200_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-oss": 131_072,
}
AUTO_COMPACT_FRACTION = 0.9
# Small windows compact earlier: the answer and the tool output of the next step must fit
# beside the prompt, and they are a much larger share of 8k than of 200k.
SMALL_WINDOW = 32_768
SMALL_WINDOW_COMPACT_FRACTION = 0.7
# ``model_instructions_profile = "auto"``: compact instructions and tool descriptions at or
# below this window (the full prompt, ~2.5k tokens, would take a third of 8k).
COMPACT_PROFILE_WINDOW = 16_384
REASONING_FAMILIES = ("gpt-5", "o1", "o3", "o4-mini", "codex-mini")
VERBOSITY_FAMILIES = ("gpt-5",)  # the models that take ``text.verbosity``


def _lookup(model: str) -> int | None:
    best = max((p for p in CONTEXT_WINDOWS if model.startswith(p)), key=len, default=None)
    return CONTEXT_WINDOWS[best] if best is not None else None


def context_window(config: Config) -> int | None:
    return config.model_context_window or _lookup(config.model)


def auto_compact_limit(config: Config) -> int | None:
    """Input tokens above which the conversation is compacted before the next request."""
    if config.model_auto_compact_token_limit is not None:
        return config.model_auto_compact_token_limit or None
    window = context_window(config)
    if not window:
        return None
    fraction = SMALL_WINDOW_COMPACT_FRACTION if window <= SMALL_WINDOW else AUTO_COMPACT_FRACTION
    return int(window * fraction)


def use_compact_prompt(config: Config) -> bool:
    """Compact instructions and tool descriptions (``model_instructions_profile``)."""
    if config.model_instructions_profile != "auto":
        return config.model_instructions_profile == "compact"
    window = context_window(config)
    return window is not None and window <= COMPACT_PROFILE_WINDOW


def supports_reasoning(config: Config) -> bool:
    return config.model_supports_reasoning_summaries or config.model.startswith(REASONING_FAMILIES)


def request_options(config: Config) -> ModelRequestOptions:
    """Provider-independent request settings (reference §4.1, §4.7)."""
    reasoning = supports_reasoning(config)
    effort = config.model_reasoning_effort
    summary = config.model_reasoning_summary
    zdr = config.disable_response_storage
    return ModelRequestOptions(
        model=config.model,
        # str(): a value newer than pycodex knows is a plain str, sent as written (issue 13)
        reasoning_effort=str(effort) if reasoning and effort != ReasoningEffort.NONE else None,
        reasoning_summary=(
            str(summary) if reasoning and summary != ReasoningSummary.NONE else None
        ),
        store=not zdr,
        include=("reasoning.encrypted_content",) if zdr and reasoning else (),
        max_output_tokens=config.model_max_output_tokens,
        context_window=context_window(config),
        compact_tools=use_compact_prompt(config),
        verbosity=(
            str(config.model_verbosity)
            if config.model_verbosity is not None and config.model.startswith(VERBOSITY_FAMILIES)
            else None
        ),
    )
