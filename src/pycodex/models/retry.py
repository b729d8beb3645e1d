"""Retry delays: exponential backoff with jitter, ``Retry-After`` honoured, every wait capped.

Pure functions: the client decides *whether* to retry; this module only says *how long*.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

BASE_DELAY_SECONDS = 0.2
MAX_DELAY_SECONDS = 60.0


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``retry-after`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # rare path: keep it off start-up

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = BASE_DELAY_SECONDS
    cap: float = MAX_DELAY_SECONDS
    jitter: Callable[[], float] = random.random  # in [0, 1)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Wait before retry number ``attempt`` (1-based): ``Retry-After`` if the server gave
        one, else ``base * 2**(attempt-1)`` scaled by a jitter factor in [0.9, 1.1)."""
        if retry_after is not None:
            return min(retry_after, self.cap)
        raw = self.base * (2.0 ** (attempt - 1)) * (0.9 + 0.2 * self.jitter())
        return min(raw, self.cap)


# Error codes/types of in-band stream errors that a new attempt may fix.
RETRYABLE_ERROR_CODES = frozenset(
    {"rate_limit_exceeded", "server_error", "server_is_overloaded", "slow_down", "internal_error"}
)


def is_retryable_error(err: Mapping[str, object]) -> bool:
    """For an ``{"code", "type"}`` error object sent inside a 200 stream."""
    for key in ("code", "type"):
        value = err.get(key)
        if isinstance(value, int) and (value == 429 or value >= 500):
            return True
        if isinstance(value, str) and (
            value in RETRYABLE_ERROR_CODES or value.startswith("server")
        ):
            return True
    return False
